"""The real restic binary (Debian's package, which `make test` installs) for the backup tests.

The cluster runs the pinned restic image (cdk8s/household/backup.py); both read and write the
same repository format (version 2), so a repository made here is one the CronJob could use.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "correct horse battery staple"


def restic_path() -> str:
    path = shutil.which("restic")
    if path is None:
        pytest.fail("restic is not installed: `make test` installs it (apt-get install restic)")
    return path


def restic_env(repository: Path, cache: Path, password: str = PASSWORD) -> dict[str, str]:
    """The restic variables the CronJob's containers get, pointed at local directories."""
    restic_path()
    return {
        "PATH": os.environ["PATH"],
        "RESTIC_REPOSITORY": str(repository),
        "RESTIC_PASSWORD": password,
        "RESTIC_CACHE_DIR": str(cache),
    }


def restic(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [restic_path(), *args], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def snapshots(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(restic(env, "snapshots", "--json", *args)) or []
    return found
