"""What CI holds the suite to, run here on small inputs.

- Under CI=true a skip is a failure that names the skip's reason (tests/conftest.py); elsewhere
  it stays a skip.
- The nspawn cluster tests carry the `cluster` marker: the container job deselects them with its
  PYTEST_ADDOPTS and `make cluster-test` (the cluster job) selects exactly them;
  `make cluster-test-deps` fails under CI when a tool is missing and cannot be installed.
- .github/scripts/fetch-crd-schemas.sh downloads the schemas a lock file pins and checks their
  sha256, here against a loopback HTTP server.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.delivery.images import step, workflow
from tests.support.servers import static_files

REPO = Path(__file__).resolve().parents[1]
FETCH_CRD_SCHEMAS = REPO / ".github" / "scripts" / "fetch-crd-schemas.sh"

SKIPPING_TESTS = """
import pytest


@pytest.fixture(scope="module")
def machines():
    pytest.skip("needs root (network namespaces)")


def test_skips_in_its_body():
    pytest.skip("no frobnicator on this machine")


@pytest.mark.skipif(True, reason="the marker says no")
def test_skipped_by_a_marker():
    pass


def test_skipped_by_its_fixture(machines):
    pass


def test_expected_to_fail():
    pytest.xfail("a known bug")


def test_passes():
    pass
"""


def pytest_env(ci: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "PYTEST_ADDOPTS"}}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(REPO)
    return env


def run_pytest(
    directory: Path, ci: str | None, *args: str, plugin: str = "tests.conftest"
) -> tuple[subprocess.CompletedProcess[str], dict[str, tuple[str, str]]]:
    """pytest in a subprocess on the files of `directory`, with the suite's conftest as a plugin.
    Returns the run and, per test (or collected file), its JUnit outcome and message."""
    (directory / "pytest.ini").write_text("[pytest]\n")
    junit = directory / "junit.xml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(directory / "pytest.ini"),
            "--rootdir",
            str(directory),
            "-p",
            plugin,
            "-p",
            "no:cacheprovider",
            "-q",
            "-ra",
            f"--junitxml={junit}",
            *args,
        ],
        cwd=directory,
        env=pytest_env(ci),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outcomes: dict[str, tuple[str, str]] = {}
    # The report pytest just wrote here, not untrusted input.
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314
        name = case.get("name", "")
        outcome, message = "passed", ""
        for child in case:
            if child.tag in {"failure", "error", "skipped"}:
                outcome = child.tag
                message = f"{child.get('message', '')}\n{child.text or ''}"
                if child.get("type") == "pytest.xfail":
                    outcome = "xfail"
        outcomes[name] = (outcome, message)
    return result, outcomes


# ---- a skip is a failure under CI ----


def test_under_ci_a_skip_is_a_failure_that_names_its_reason(tmp_path: Path) -> None:
    (tmp_path / "test_tiny.py").write_text(SKIPPING_TESTS)
    result, outcomes = run_pytest(tmp_path, "true", "test_tiny.py")
    assert result.returncode == 1, result.stdout
    assert {name: outcome for name, (outcome, _) in outcomes.items()} == {
        "test_skips_in_its_body": "failure",
        "test_skipped_by_a_marker": "error",  # a skip at setup fails the setup
        "test_skipped_by_its_fixture": "error",
        "test_expected_to_fail": "xfail",  # not a skip: an expected failure stays one
        "test_passes": "passed",
    }
    reasons = {
        "test_skips_in_its_body": "no frobnicator on this machine",
        "test_skipped_by_a_marker": "the marker says no",
        "test_skipped_by_its_fixture": "needs root (network namespaces)",
    }
    for name, reason in reasons.items():
        message = outcomes[name][1]
        assert "skipped under CI=true" in message
        assert reason in message, message
        # The short summary names the test and the reason on one line.
        [line] = [line for line in result.stdout.splitlines() if f"::{name} - " in line]
        assert line.startswith(("FAILED", "ERROR"))
        assert reason in line
    assert "3 skipped" not in result.stdout


@pytest.mark.parametrize("ci", [None, "false"], ids=["CI unset", "CI=false"])
def test_without_ci_a_skip_stays_a_skip(tmp_path: Path, ci: str | None) -> None:
    (tmp_path / "test_tiny.py").write_text(SKIPPING_TESTS)
    result, outcomes = run_pytest(tmp_path, ci, "test_tiny.py")
    assert result.returncode == 0, result.stdout
    assert {name: outcome for name, (outcome, _) in outcomes.items()} == {
        "test_skips_in_its_body": "skipped",
        "test_skipped_by_a_marker": "skipped",
        "test_skipped_by_its_fixture": "skipped",
        "test_expected_to_fail": "xfail",
        "test_passes": "passed",
    }
    assert "needs root (network namespaces)" in outcomes["test_skipped_by_its_fixture"][1]
    assert "1 passed, 3 skipped, 1 xfailed" in result.stdout


def test_under_ci_a_module_level_skip_fails_the_collection(tmp_path: Path) -> None:
    (tmp_path / "test_module_skip.py").write_text(
        "import pytest\n\n"
        'pytest.skip("this module needs a frobnicator", allow_module_level=True)\n\n\n'
        "def test_never_collected():\n    pass\n"
    )
    result, _ = run_pytest(tmp_path, "true", "test_module_skip.py")
    assert result.returncode == pytest.ExitCode.INTERRUPTED, result.stdout  # collection error
    assert (
        "ERROR test_module_skip.py - skipped under CI=true, where a skip is a failure"
        " (every test must run here): "
    ) in result.stdout
    assert "test_module_skip.py:3: this module needs a frobnicator" in result.stdout
    result, _ = run_pytest(tmp_path, None, "test_module_skip.py")
    assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout
    assert "SKIPPED [1] test_module_skip.py:3: this module needs a frobnicator" in result.stdout


# ---- the cluster tests: a marker, a Makefile target, a job of their own ----


def job_pytest_addopts() -> list[str]:
    job = workflow("ci.yml")["jobs"]["lint-and-test"]
    return shlex.split(job["env"]["PYTEST_ADDOPTS"])


def collected(directory: Path, *args: str) -> set[str]:
    """Node ids pytest selects, with the repository's own configuration (--strict-markers)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(REPO / "pyproject.toml"),
            "--rootdir",
            str(directory),
            "-p",
            "no:cacheprovider",
            "--collect-only",
            "-q",
            *args,
        ],
        cwd=directory,
        env=pytest_env(None),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in {0, 5}, result.stdout + result.stderr  # 5: nothing selected
    return {line for line in result.stdout.splitlines() if "::" in line}


def test_the_container_job_deselects_what_make_cluster_test_selects(tmp_path: Path) -> None:
    (tmp_path / "test_marked.py").write_text(
        "import pytest\n\npytestmark = [pytest.mark.slow, pytest.mark.cluster]\n\n\n"
        "def test_boots_machines():\n    pass\n"
    )
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    pass\n")
    assert job_pytest_addopts() == ["-m", "not cluster"]
    # The marker is registered: --strict-markers (pyproject.toml) accepts it.
    assert collected(tmp_path, *job_pytest_addopts(), ".") == {"test_plain.py::test_plain"}
    make = subprocess.run(
        ["make", "--no-print-directory", "-n", "cluster-test"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    command = shlex.split(make.stdout.strip().splitlines()[-1])
    assert command[:1] == [".venv/bin/pytest"]
    assert collected(tmp_path, *command[1:], ".") == {"test_marked.py::test_boots_machines"}


# The modules that boot systemd-nspawn machines.
NSPAWN_MODULES = (
    "tests/ansible/test_cluster_integration.py::",
    "tests/ansible/test_snapshot_copy.py::",
)


def test_the_nspawn_tests_are_exactly_the_cluster_tests() -> None:
    ansible_tests = str(REPO / "tests" / "ansible")
    cluster = collected(REPO, "-m", "cluster", ansible_tests)
    assert cluster, "no test carries the cluster marker"
    assert all(node.startswith(NSPAWN_MODULES) for node in cluster), cluster
    assert {node.split("::")[0] + "::" for node in cluster} == set(NSPAWN_MODULES)
    # Every other test of those modules would run, and skip, in the container job.
    in_the_container = collected(REPO, *job_pytest_addopts(), ansible_tests)
    assert in_the_container, "the other playbook tests still run in the container job"
    assert not [node for node in in_the_container if node.startswith(NSPAWN_MODULES)]


def test_make_help_lists_cluster_test() -> None:
    help_text = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert any(line.startswith("make cluster-test ") for line in help_text.splitlines())


# ---- the upstream CRD schemas: downloaded, checked against the lock ----


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[str]:
    """A loopback HTTP server for `directory`; yields its base URL."""
    with static_files(directory) as port:
        yield f"http://127.0.0.1:{port}"


SCHEMAS = {
    "helm.cattle.io_helmcharts.yaml": "kind: CustomResourceDefinition\nmetadata:\n  name: a\n",
    "cert-manager.io_clusterissuers.yaml": "kind: CustomResourceDefinition\nmetadata:\n  name: b\n",
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def upstream(tmp_path: Path) -> Path:
    served = tmp_path / "upstream"
    (served / "crds").mkdir(parents=True)
    for name, text in SCHEMAS.items():
        (served / "crds" / name).write_text(text)
    return served


def fetch(
    lock: Path, dest: Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(FETCH_CRD_SCHEMAS), str(lock), str(dest)],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_fetch_crd_schemas_fills_the_directory_when_every_sum_matches(tmp_path: Path) -> None:
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    with serving(upstream(tmp_path)) as base:
        lock = tmp_path / "crd_schemas.lock"
        lines = ["# upstream CRD schemas: <file name> <sha256> <url>", ""]
        lines += [f"{n}  {sha256(t)}\t{base}/crds/{n}" for n, t in SCHEMAS.items()]
        lock.write_text("\n".join(lines) + "\n")
        result = fetch(lock, tmp_path / "crds", tmp_path, {"GITHUB_ENV": str(github_env)})
    assert result.returncode == 0, result.stderr
    fetched = tmp_path / "crds"
    assert sorted(p.name for p in fetched.iterdir()) == sorted(SCHEMAS)
    for name, text in SCHEMAS.items():
        assert (fetched / name).read_text() == text
    assert github_env.read_text() == f"CRD_SCHEMA_DIR={fetched}\n"


def test_fetch_crd_schemas_fails_on_a_wrong_sum_and_keeps_no_unverified_file(
    tmp_path: Path,
) -> None:
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    good, bad = SCHEMAS
    wrong = sha256("an older release of the schema")
    with serving(upstream(tmp_path)) as base:
        lock = tmp_path / "crd_schemas.lock"
        lock.write_text(
            f"{good} {sha256(SCHEMAS[good])} {base}/crds/{good}\n{bad} {wrong} {base}/crds/{bad}\n"
        )
        result = fetch(lock, tmp_path / "crds", tmp_path, {"GITHUB_ENV": str(github_env)})
    assert result.returncode == 1
    assert (
        f"{lock}:2: {bad}: sha256 mismatch: {base}/crds/{bad} has {sha256(SCHEMAS[bad])}, "
        f"the lock pins {wrong}"
    ) in result.stderr
    assert not (tmp_path / "crds" / bad).exists()
    assert not [p for p in (tmp_path / "crds").iterdir() if p.name.endswith(".part")]
    assert github_env.read_text() == "", "CRD_SCHEMA_DIR is exported only when all sums match"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("only-two.yaml {sum}", "expected <file name> <sha256> <url>"),
        ("extra.yaml {sum} {url} trailing", "expected <file name> <sha256> <url>"),
        ("../escape.yaml {sum} {url}", "../escape.yaml is not a plain file name"),
        ("short.yaml abc123 {url}", "abc123 is not a sha256"),
        ("missing.yaml {sum} {base}/crds/missing.yaml", "missing.yaml: download from"),
    ],
)
def test_fetch_crd_schemas_refuses_a_bad_lock_line(tmp_path: Path, line: str, message: str) -> None:
    name, text = next(iter(SCHEMAS.items()))
    with serving(upstream(tmp_path)) as base:
        lock = tmp_path / "crd_schemas.lock"
        lock.write_text(line.format(sum=sha256(text), url=f"{base}/crds/{name}", base=base) + "\n")
        result = fetch(lock, tmp_path / "crds", tmp_path)
    assert result.returncode == 1
    assert f"{lock}:1: {message}" in result.stderr


def test_ci_fetches_the_locked_schemas_before_the_tests_and_exports_the_directory(
    tmp_path: Path,
) -> None:
    """The container job's step, run as the runner runs it, in a checkout with a lock that
    points at the loopback server."""
    job = workflow("ci.yml")["jobs"]["lint-and-test"]
    names = [s.get("name", "") for s in job["steps"]]
    fetch_step = step(job, "Fetch the upstream CRD schemas")
    assert names.index(fetch_step["name"]) < names.index("make test and make lint (.ci/run)")
    assert names.index("Check out") < names.index(fetch_step["name"])
    # python:3.11-slim-bookworm has no curl: the first step installs it.
    assert "curl" in step(job, "Install")["run"].split()
    checkout = tmp_path / "checkout"
    script = checkout / FETCH_CRD_SCHEMAS.relative_to(REPO)
    script.parent.mkdir(parents=True)
    shutil.copy(FETCH_CRD_SCHEMAS, script)
    runner_temp, github_env = tmp_path / "runner_temp", tmp_path / "github_env"
    runner_temp.mkdir()
    github_env.write_text("")
    with serving(upstream(tmp_path)) as base:
        (checkout / "tests").mkdir()
        (checkout / "tests" / "crd_schemas.lock").write_text(
            "".join(f"{n} {sha256(t)} {base}/crds/{n}\n" for n, t in SCHEMAS.items())
        )
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", fetch_step["run"]],
            cwd=checkout,
            env={
                "PATH": os.environ["PATH"],
                "RUNNER_TEMP": str(runner_temp),
                "GITHUB_ENV": str(github_env),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert github_env.read_text() == f"CRD_SCHEMA_DIR={runner_temp / 'crds'}\n"
    assert sorted(p.name for p in (runner_temp / "crds").iterdir()) == sorted(SCHEMAS)


def test_the_repository_lock_fetches_the_schemas_the_tests_read(tmp_path: Path) -> None:
    """tests/crd_schemas.lock as the script reads it, each URL pointed at a loopback copy of the
    schema directory the tests use (CRD_SCHEMA_DIR, else ../shared/crds): every line parses and
    every sum matches those files."""
    lock = REPO / "tests" / "crd_schemas.lock"
    schemas = Path(os.environ.get("CRD_SCHEMA_DIR") or "../shared/crds")
    schemas = schemas if schemas.is_absolute() else REPO / schemas
    assert schemas.is_dir(), f"the CRD schemas are expected in {schemas}"
    with serving(schemas) as base:
        local = tmp_path / "crd_schemas.lock"
        lines = []
        for line in lock.read_text().splitlines():
            fields = line.split()
            if len(fields) == 3 and not line.startswith("#"):
                line = f"{fields[0]} {fields[1]} {base}/{fields[0]}"
            lines.append(line)
        local.write_text("\n".join(lines) + "\n")
        result = fetch(local, tmp_path / "crds", tmp_path)
    assert result.returncode == 0, result.stderr
    locked = {line.split()[0] for line in lines if line and not line.startswith("#")}
    assert locked
    assert {p.name for p in (tmp_path / "crds").iterdir()} == locked
