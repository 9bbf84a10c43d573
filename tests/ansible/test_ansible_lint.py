"""Static checks of the playbooks: ansible-lint (production profile, offline), yamllint and
ansible-playbook --syntax-check for every playbook."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
BIN = REPO / ".venv" / "bin"
PLAYBOOKS = sorted(path.name for path in ANSIBLE_DIR.glob("*.yml"))


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=ANSIBLE_DIR,
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )


def test_the_entry_points_exist() -> None:
    assert {"site.yml", "upgrade.yml", "reset.yml", "render-platform.yml"} <= set(PLAYBOOKS)


def test_ansible_lint_production_profile_passes() -> None:
    result = run(str(BIN / "ansible-lint"), "--offline", "--profile", "production", "--nocolor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stderr + result.stdout


def test_yamllint_passes() -> None:
    result = run(str(BIN / "yamllint"), "--strict", "-c", ".yamllint", ".", "../inventory")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax(playbook: str) -> None:
    result = run(str(BIN / "ansible-playbook"), "--syntax-check", playbook)
    assert result.returncode == 0, result.stdout + result.stderr
