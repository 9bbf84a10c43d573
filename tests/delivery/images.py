"""Reading the delivery files without a Docker engine: Dockerfiles (a line parser for the
instructions this project uses), BuildKit ignore files, the workflows and the synthesized
manifests, so that tests can compare what each side promises."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
BACKEND_DOCKERFILE = REPO / "app" / "Dockerfile"
FRONTEND_DOCKERFILE = REPO / "frontend" / "Dockerfile"
WORKFLOWS = REPO / ".github" / "workflows"
GITOPS = REPO / "gitops" / "production"
PRODUCTION_CONFIG = REPO / "cdk8s" / "environments" / "production.yaml"
IMAGE_PREFIX = "household-task-manager"
COMPONENT_DOCKERFILES = {"backend": BACKEND_DOCKERFILE, "frontend": FRONTEND_DOCKERFILE}


@dataclass(frozen=True)
class Instruction:
    keyword: str
    flags: dict[str, str]
    args: str


@dataclass
class Stage:
    image: str
    name: str | None
    platform: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def one(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert len(found) == 1, f"{keyword}: expected one in stage {self.name or self.image}"
        return found[0]

    @property
    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            values.update(_pairs(instruction.args))
        return values

    @property
    def labels(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("LABEL"):
            values.update(_pairs(instruction.args))
        return values

    @property
    def args(self) -> dict[str, str | None]:
        values: dict[str, str | None] = {}
        for instruction in self.all("ARG"):
            name, sep, default = instruction.args.partition("=")
            values[name.strip()] = default.strip() if sep else None
        return values

    @property
    def workdir(self) -> str:
        return self.all("WORKDIR")[-1].args

    @property
    def cmd(self) -> list[str]:
        value = json.loads(self.one("CMD").args)
        assert isinstance(value, list), "CMD must be the exec (JSON array) form"
        return [str(v) for v in value]

    def copies(self) -> list[Copy]:
        """COPY instructions, destinations resolved against the WORKDIR in force."""
        result = []
        workdir = "/"
        for instruction in self.instructions:
            if instruction.keyword == "WORKDIR":
                workdir = instruction.args
            elif instruction.keyword == "COPY":
                *sources, dest = shlex.split(instruction.args)
                if not dest.startswith("/"):
                    dest = f"{workdir.rstrip('/')}/{dest.removeprefix('./')}"
                result.append(Copy(instruction.flags.get("from"), sources, dest))
        return result


@dataclass(frozen=True)
class Copy:
    from_stage: str | None
    sources: list[str]
    dest: str


def _pairs(text: str) -> dict[str, str]:
    """`KEY=value KEY2="quoted value"` as Dockerfile ENV/LABEL write them (`\\$` is a literal $)."""
    pairs = {}
    for token in shlex.split(text):
        key, sep, value = token.partition("=")
        assert sep, f"only the KEY=value form is used here, not {token!r}"
        pairs[key] = value.replace("\\$", "$")
    return pairs


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue  # comments (also inside continuations) and blank lines
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    assert not current, "dangling line continuation"
    return lines


def parse_dockerfile(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    for line in _logical_lines(path.read_text()):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        flags: dict[str, str] = {}
        rest = rest.strip()
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            name, _, value = flag[2:].partition("=")
            flags[name] = value
            rest = rest.strip()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name, flags.get("platform")))
        else:
            assert stages, f"{keyword} before FROM in {path}"
            stages[-1].instructions.append(Instruction(keyword, flags, rest))
    return stages


@cache
def backend_stages() -> tuple[Stage, ...]:
    return tuple(parse_dockerfile(BACKEND_DOCKERFILE))


@cache
def frontend_stages() -> tuple[Stage, ...]:
    return tuple(parse_dockerfile(FRONTEND_DOCKERFILE))


def stage(stages: tuple[Stage, ...], name: str) -> Stage:
    return next(s for s in stages if s.name == name)


# ---- BuildKit's <Dockerfile>.dockerignore ----


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


def ignore_patterns(dockerfile: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """(is_exception, regex) per line of <Dockerfile>.dockerignore, in order."""
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    patterns = []
    for raw in ignore.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        cleaned = line.removeprefix("!").strip().strip("/")
        patterns.append((exception, _pattern_regex(cleaned)))
    return patterns


def in_context(dockerfile: Path, path: str) -> bool:
    """Whether BuildKit sends `path` (relative to the repository root): the last pattern that
    matches the path or one of its parent directories decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    included = True
    for exception, regex in ignore_patterns(dockerfile):
        if any(regex.fullmatch(candidate) for candidate in candidates):
            included = exception
    return included


# ---- workflows and manifests ----


def workflow(name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(loaded, dict)
    # YAML 1.1 reads the key `on` as True.
    if True in loaded:
        loaded["on"] = loaded.pop(True)
    return loaded


def step(job: dict[str, Any], name_prefix: str) -> dict[str, Any]:
    found = [s for s in job["steps"] if str(s.get("name", "")).startswith(name_prefix)]
    assert len(found) == 1, f"one step named {name_prefix!r}..."
    result: dict[str, Any] = found[0]
    return result


def manifests(file: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((GITOPS / file).read_text()) if d]


def resource(file: str, kind: str, name: str) -> dict[str, Any]:
    found = [d for d in manifests(file) if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name} in {file}"
    return found[0]


def pod_spec(file: str, deployment: str) -> dict[str, Any]:
    spec: dict[str, Any] = resource(file, "Deployment", deployment)["spec"]["template"]["spec"]
    return spec


def container(spec: dict[str, Any], name: str, *, init: bool = False) -> dict[str, Any]:
    key = "initContainers" if init else "containers"
    found: dict[str, Any] = next(c for c in spec[key] if c["name"] == name)
    return found


def production_config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(PRODUCTION_CONFIG.read_text())
    return loaded


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:?=\s*(\S+)", (REPO / "Makefile").read_text(), re.M)
    assert match, f"{name} in the Makefile"
    return match.group(1)
