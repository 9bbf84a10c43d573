"""Where the tests find the upstream CRD schemas, and the lock that pins them.

The schemas are not kept in this repository: they are read from the directory named by
CRD_SCHEMA_DIR (absolute, or relative to the repository root; default ../shared/crds).
tests/crd_schemas.lock names each file with its sha256 and the raw.githubusercontent.com URL of
the upstream blob at a fixed commit, so a checkout without ../shared can download them and any
copy can be checked against the lock.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_VAR = "CRD_SCHEMA_DIR"
DEFAULT_DIR = "../shared/crds"
LOCK_FILE = REPO_ROOT / "tests" / "crd_schemas.lock"

_SHA256 = re.compile(r"[0-9a-f]{64}")
# A commit, not a tag or branch: the bytes behind the URL must never change.
_URL = re.compile(r"https://raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/[0-9a-f]{40}/\S+")
_FILE_NAME = re.compile(r"[\w.-]+\.yaml")


@dataclass(frozen=True)
class LockEntry:
    name: str
    sha256: str
    url: str


def crd_schema_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The directory of the CRD schemas: CRD_SCHEMA_DIR, else ../shared/crds."""
    path = Path(environ.get(ENV_VAR) or DEFAULT_DIR)
    # Relative to the repository root, not to wherever pytest was started.
    return path if path.is_absolute() else REPO_ROOT / path


def read_lock(path: Path = LOCK_FILE) -> list[LockEntry]:
    """The lock's entries. Strict, as CI downloads from these lines with a shell loop: a line
    starting with # is a comment, any other line is exactly <file> <sha256> <url>."""
    entries: list[LockEntry] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 3:
            raise ValueError(f"{path.name}:{number}: expected <file> <sha256> <url>: {line!r}")
        name, sha256, url = fields
        if not _FILE_NAME.fullmatch(name):
            raise ValueError(f"{path.name}:{number}: not a .yaml file name: {name!r}")
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"{path.name}:{number}: not a lowercase sha256: {sha256!r}")
        if not _URL.fullmatch(url):
            raise ValueError(f"{path.name}:{number}: not a raw GitHub URL at a commit: {url!r}")
        if name in {entry.name for entry in entries}:
            raise ValueError(f"{path.name}:{number}: {name} is listed twice")
        entries.append(LockEntry(name, sha256, url))
    return entries


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock_mismatches(directory: Path, entries: list[LockEntry]) -> list[str]:
    """Every way the schema directory and the lock disagree (empty when they agree)."""
    problems = []
    for entry in entries:
        file = directory / entry.name
        if not file.is_file():
            problems.append(f"{entry.name}: in the lock, missing from {directory}")
        elif (actual := sha256_of(file)) != entry.sha256:
            problems.append(f"{entry.name}: sha256 {actual}, the lock says {entry.sha256}")
    locked = {entry.name for entry in entries}
    for file in sorted(directory.glob("*.yaml")):
        if file.name not in locked:
            problems.append(f"{file.name}: in {directory}, missing from the lock")
    return problems


def load_crd(file_name: str, environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    directory = crd_schema_dir(environ)
    assert directory.is_dir(), (
        f"the upstream CRD schemas are expected in {directory}: set {ENV_VAR}, or download the "
        f"files listed in {LOCK_FILE.relative_to(REPO_ROOT)}"
    )
    crd = yaml.safe_load((directory / file_name).read_text())
    assert isinstance(crd, dict), f"{file_name} is not a CRD"
    return crd
