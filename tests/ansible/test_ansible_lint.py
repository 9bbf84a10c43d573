"""Static checks of the playbooks: ansible-lint (production profile, offline), yamllint and
ansible-playbook --syntax-check for every playbook."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

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


COMMAND_MODULES = {"ansible.builtin.command", "ansible.builtin.shell", "command", "shell"}


def tasks_of(document: object) -> Iterator[dict[str, Any]]:
    """Every task of a playbook or tasks file, blocks and play sections included."""
    if isinstance(document, list):
        for entry in document:
            yield from tasks_of(entry)
    elif isinstance(document, dict):
        for section in (
            "tasks",
            "pre_tasks",
            "post_tasks",
            "handlers",
            "block",
            "rescue",
            "always",
        ):
            yield from tasks_of(document.get(section, []))
        if not {"hosts", "block", "import_playbook"} & set(document):
            yield document


def test_read_only_commands_also_run_in_check_mode() -> None:
    """A command that only reads (changed_when: false) is skipped in check mode unless it says
    check_mode: false, and a task using its result then sees nothing: `--check` on a converged
    cluster would report a change (or fail) where a real run changes nothing."""
    offenders = []
    for path in sorted(ANSIBLE_DIR.rglob("*.yml")):
        if ".ansible" in path.parts:
            continue
        for task in tasks_of(yaml.safe_load(path.read_text())):
            reads_only = COMMAND_MODULES & set(task) and task.get("changed_when") is False
            if reads_only and task.get("check_mode") is not False:
                offenders.append(f"{path.relative_to(ANSIBLE_DIR)}: {task.get('name')}")
    assert offenders == []
