"""reset.yml keeps the database, the backups, the datastore snapshots and their copies on the
backup node unless told, names what it keeps and where, and deletes each only with its extra
variable. ansible-playbook runs the real playbook in check mode (nothing is changed) against the
three inventory hosts, each a local connection, with the repository's group_vars; the tasks'
results are read from its output."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
BIN = REPO / ".venv" / "bin"
PRODUCTION = yaml.safe_load((REPO / "cdk8s/environments/production.yaml").read_text())
DATABASE = PRODUCTION["database"]["host_path"]
BACKUPS = PRODUCTION["backup"]["host_path"]
SNAPSHOTS = "/var/lib/household-task-manager/k3s-snapshots"
# The snapshots' copies on the backup node.
COPIES = "/var/lib/k3s-snapshots/copies"
BACKUPS_TASK = (
    "Remove the backups, the datastore snapshots and their copies "
    "(only with reset_remove_backups=true)"
)
TASK = re.compile(r"^TASK \[(.+?)\] \*+$", re.M)


def reset_check(tmp_path: Path, *extra: str) -> dict[str, str]:
    """Task name -> that task's output, for `ansible-playbook reset.yml --check`."""
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "group_vars/all").symlink_to(REPO / "inventory/group_vars/all")
    local = {"ansible_connection": "local", "ansible_python_interpreter": str(BIN / "python")}
    hosts = {
        "all": {
            "children": {
                "server": {"hosts": {"rpi-master": local}},
                "agent": {"hosts": {"rpi-worker-1": local, "rpi-worker-2": local}},
            }
        }
    }
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), "--check", "reset.yml", *extra],
        cwd=ANSIBLE_DIR,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"},
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    parts = TASK.split(result.stdout)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def kept_messages(tasks: dict[str, str]) -> dict[str, str]:
    output = tasks["Say what was kept, and where"]
    return {
        host: " ".join(message.split())
        for host, message in re.findall(r'ok: \[(\S+)\] => \{\s+"msg": "(.*?)"\s+\}', output, re.S)
    }


def test_by_default_reset_keeps_and_names_the_database_backups_and_snapshots(
    tmp_path: Path,
) -> None:
    tasks = reset_check(tmp_path)
    assert kept_messages(tasks) == {
        "rpi-worker-1": f"Kept on rpi-worker-1: {DATABASE} (the database). "
        "Delete with -e reset_remove_database=true.",
        "rpi-worker-2": f"Kept on rpi-worker-2: {BACKUPS} (the backups' restic repository); "
        f"{COPIES} (the copies of the k3s datastore snapshots). "
        "Delete with -e reset_remove_backups=true.",
        "rpi-master": f"Kept on rpi-master: {SNAPSHOTS} (the k3s datastore snapshots: they hold "
        "the Sealed Secrets keys). Delete with -e reset_remove_backups=true.",
    }
    for task in (
        "Remove the database directory (only with reset_remove_database=true)",
        BACKUPS_TASK,
    ):
        assert set(re.findall(r"skipping: \[(\S+)\]", tasks[task])) == {
            "rpi-master",
            "rpi-worker-1",
            "rpi-worker-2",
        }
        assert not re.findall(r"(?:ok|changed): \[", tasks[task])


def test_what_reset_removes_lies_outside_what_it_keeps() -> None:
    [play] = yaml.safe_load((ANSIBLE_DIR / "reset.yml").read_text())
    [removal] = [t for t in play["tasks"] if t["name"].startswith("Remove k3s's units")]
    for path in removal["loop"]:
        for kept in (DATABASE, BACKUPS, SNAPSHOTS):
            assert not (kept + "/").startswith(path.rstrip("/") + "/"), (path, kept)


@pytest.mark.parametrize(
    ("flag", "removed", "still_kept"),
    [
        (
            "reset_remove_backups=true",
            {("rpi-worker-2", BACKUPS), ("rpi-worker-2", COPIES), ("rpi-master", SNAPSHOTS)},
            {"rpi-worker-1": f"Kept on rpi-worker-1: {DATABASE} (the database)."},
        ),
        ("reset_remove_database=true", {("rpi-worker-1", DATABASE)}, {}),
    ],
)
def test_each_extra_variable_deletes_only_its_own(
    tmp_path: Path, flag: str, removed: set[tuple[str, str]], still_kept: dict[str, str]
) -> None:
    tasks = reset_check(tmp_path, "-e", flag)
    deleted = set(re.findall(r"ok: \[(\S+)\] => \(item=(\S+)\)", tasks[BACKUPS_TASK]))
    database_task = "Remove the database directory (only with reset_remove_database=true)"
    database_run = re.findall(r"ok: \[(\S+)\]", tasks[database_task])
    if flag == "reset_remove_database=true":
        assert database_run == ["rpi-worker-1"]
        assert deleted == set()
    else:
        assert database_run == []
        assert deleted == removed
    messages = kept_messages(tasks)
    for host, start in still_kept.items():
        assert messages[host].startswith(start)
    assert set(messages) == set(still_kept) | (
        {"rpi-worker-2", "rpi-master"} if flag == "reset_remove_database=true" else set()
    )
