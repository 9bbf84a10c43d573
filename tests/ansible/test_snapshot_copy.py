"""The k3s datastore snapshots leave the server: the k3s_snapshot role's hourly copy to the
backup node, run for real.

Two machines booted with `systemd-nspawn --boot` as in test_cluster_integration.py (conftest.py):
the server rpi-master (trixie) and the backup node rpi-worker-2 (bookworm), each in its own network
namespace, reached over SSH from this host. This host does not route between them, so they share
a veth link of their own, as the Pis share the home network; the server reaches the backup node
there (`k3s_snapshot_copy_address`). A playbook applies the backup_disk role and then the
k3s_snapshot role to server[0], as site.yml's plays do, with the repository's group_vars. k3s
itself does not run: the snapshot script needs only its SQLite datastore and token, which the
test writes.

Checked: after the first run the timer fires its service (an hour missed while the server was off,
`Persistent=`) and the snapshot arrives byte for byte on the backup node, private to the receiving
account, with node_exporter's metric of the last success on the server; the copy's key runs nothing
but a write of new files; retention on both nodes; a second run changes nothing; the Runbook's
restore from the copy gives the datastore's rows and the token back; reset keeps the copies and the
rebuilt server sends its last snapshot. Check mode, on fresh and on converged nodes, is
test_cluster_integration.py's (site.yml runs this role there).
"""

from __future__ import annotations

import calendar
import hashlib
import os
import sqlite3
import stat
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import BIN, HOSTS, REPO, Cluster, Machine, Run, nspawn_machines

from tests.support.machines import run

pytestmark = [pytest.mark.slow, pytest.mark.cluster, pytest.mark.timeout(600)]

ANSIBLE_DIR = REPO / "ansible"
SERVER, BACKUP = "rpi-master", "rpi-worker-2"
SNAPSHOTS = "/var/lib/household-task-manager/k3s-snapshots"
COPIES = "/var/lib/k3s-snapshots/copies"
SERVER_DIR = "/var/lib/rancher/k3s/server"
TOKEN = "K10a1b2c3::server:0123456789abcdef\n"
METRICS = "/var/lib/prometheus/node-exporter/k3s_datastore_snapshot_copy.prom"
KEY = "/etc/k3s-snapshot-copy/id_ed25519"
# The machines' own link: the server's and the backup node's ends.
LINK = {SERVER: "10.214.100.1", BACKUP: "10.214.100.3"}
# Small retention, to see it act within a few snapshots.
KEEP, COPY_KEEP = 2, 3
STAMP = "/var/lib/systemd/timers/stamp-k3s-datastore-snapshot-copy.timer"
# site.yml's plays for these two roles: the backup node's directory first (its parent is then
# uid 70's, mode 0700), then the first server's.
PLAYBOOK = """\
- name: The backup node's directory
  hosts: server:agent
  become: true
  gather_facts: false
  roles:
    - role: backup_disk
- name: The first server's datastore snapshots and their copy
  hosts: server[0]
  become: true
  gather_facts: false
  roles:
    - role: k3s_snapshot
"""


@dataclass
class Deployed:
    cluster: Cluster
    workdir: Path
    first: Run

    @property
    def server(self) -> Machine:
        return self.cluster.machines[SERVER]

    @property
    def backup(self) -> Machine:
        return self.cluster.machines[BACKUP]

    def play(self, *extra: str, playbook: Path | None = None) -> Run:
        started = time.monotonic()
        result = subprocess.run(
            [
                str(BIN / "ansible-playbook"),
                "-i",
                str(self.workdir / "inventory"),
                str(playbook or self.workdir / "snapshot.yml"),
                "-e",
                f"app_environment_file={REPO / 'cdk8s/environments/production.yaml'}",
                "-e",
                f"k3s_snapshot_copy_address={LINK[BACKUP]}",
                "-e",
                f"k3s_snapshot_keep={KEEP}",
                "-e",
                f"k3s_snapshot_copy_keep={COPY_KEEP}",
                *extra,
            ],
            cwd=ANSIBLE_DIR,
            env={
                **os.environ,
                "PATH": f"{BIN}:{os.environ['PATH']}",
                "ANSIBLE_ROLES_PATH": str(ANSIBLE_DIR / "roles"),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.workdir / "cp"),
                "ANSIBLE_TIMEOUT": "20",
            },
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        output = result.stdout + result.stderr
        return Run(" ".join(extra) or "run", result.returncode, output, time.monotonic() - started)


def link_machines(server: Machine, backup: Machine) -> None:
    """A veth pair between the two machines' namespaces (removed with them)."""
    ends = {SERVER: f"htm{os.getpid()}l1", BACKUP: f"htm{os.getpid()}l3"}
    run(
        [
            *("ip", "link", "add", ends[SERVER], "netns", server.netns, "type", "veth"),
            *("peer", "name", ends[BACKUP], "netns", backup.netns),
        ]
    )
    for machine in (server, backup):
        ns = ["ip", "-n", machine.netns]
        run([*ns, "addr", "add", f"{LINK[machine.name]}/24", "dev", ends[machine.name]])
        run([*ns, "link", "set", ends[machine.name], "up"])


def write_datastore(server: Machine, rows: int) -> None:
    """k3s's SQLite datastore (kine's table) and its server token, as the snapshot reads them."""
    database = server.file(f"{SERVER_DIR}/db/state.db")
    database.parent.mkdir(parents=True, exist_ok=True)
    server.file(f"{SERVER_DIR}/token").write_text(TOKEN)
    connection = sqlite3.connect(database)
    with connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS kine (id INTEGER PRIMARY KEY, name TEXT, value BLOB)"
        )
        connection.executemany(
            "INSERT INTO kine (name, value) VALUES (?, ?)",
            [(f"/registry/secrets/kube-system/key{i}", os.urandom(64)) for i in range(rows)],
        )
    connection.close()


def kine_rows(database: Path) -> list[tuple[int, str, bytes]]:
    connection = sqlite3.connect(database)
    rows = connection.execute("SELECT id, name, value FROM kine ORDER BY id").fetchall()
    connection.close()
    return rows


def archives(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.glob("k3s-datastore-*.tar.gz"))


def snapshot_now(server: Machine) -> None:
    """The nightly service, started by hand (a oneshot: systemctl waits for it)."""
    server.ssh("systemctl start k3s-datastore-snapshot.service")
    time.sleep(1.05)  # snapshots are named to the second


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    hosts = {name: HOSTS[name] for name in (SERVER, BACKUP)}
    for cluster in nspawn_machines(tmp_path_factory, hosts):
        server, backup = cluster.machines[SERVER], cluster.machines[BACKUP]
        link_machines(server, backup)
        workdir = cluster.workdir / "owner"
        (workdir / "inventory/group_vars").mkdir(parents=True)
        (workdir / "inventory/group_vars/all").symlink_to(REPO / "inventory/group_vars/all")
        connection = {
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(cluster.key),
            "ansible_ssh_common_args": (
                "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
            ),
            "ansible_python_interpreter": "/usr/bin/python3",
        }
        inventory = {
            "all": {
                "vars": connection,
                "children": {
                    "server": {"hosts": {SERVER: {"ansible_host": server.address}}},
                    "agent": {"hosts": {BACKUP: {"ansible_host": backup.address}}},
                },
            }
        }
        (workdir / "inventory/hosts.yml").write_text(yaml.safe_dump(inventory))
        (workdir / "snapshot.yml").write_text(PLAYBOOK)
        write_datastore(server, rows=100)
        deployed = Deployed(cluster, workdir, Run("", 0, "", 0))
        deployed.first = deployed.play()
        assert deployed.first.returncode == 0, deployed.first.output[-6000:]
        print(f"\nfirst: changed={deployed.first.changed} in {deployed.first.seconds:.0f}s")
        yield deployed


def copy_service(server: Machine) -> dict[str, str]:
    shown = server.ssh(
        "systemctl show k3s-datastore-snapshot-copy.service"
        " -p ActiveState -p Result -p ExecMainExitTimestampMonotonic"
    ).stdout
    return dict(line.split("=", 1) for line in shown.splitlines())


def test_the_timer_runs_its_service_and_the_snapshot_arrives_on_the_backup_node(
    deployed: Deployed,
) -> None:
    server, backup = deployed.server, deployed.backup
    timer = server.ssh(
        "systemctl is-enabled k3s-datastore-snapshot-copy.timer;"
        " systemctl is-active k3s-datastore-snapshot-copy.timer"
    )
    assert timer.stdout.split() == ["enabled", "active"]
    assert copy_service(server)["ExecMainExitTimestampMonotonic"] == "0"  # never ran yet
    snapshot_now(server)
    [snapshot] = archives(server.file(SNAPSHOTS))

    # The server was off when the timer was due: at its start the timer runs the service.
    server.ssh(
        f"touch -d '-2 hours' {STAMP} && systemctl restart k3s-datastore-snapshot-copy.timer"
    )
    deadline = time.monotonic() + 60
    while copy_service(server)["ExecMainExitTimestampMonotonic"] == "0" or (
        copy_service(server)["ActiveState"] != "inactive"
    ):
        assert time.monotonic() < deadline, server.ssh("journalctl -u 'k3s-datastore-*'").stdout
        time.sleep(0.5)
    assert copy_service(server)["Result"] == "success"
    assert (
        last_copy_message(server)
        == f"sent 1 snapshot(s) to k3s-snapshots@{LINK[BACKUP]}: {snapshot}"
    )

    copies = backup.file(COPIES)
    assert archives(copies) == [snapshot]
    arrived = copies / snapshot
    assert arrived.read_bytes() == server.file(f"{SNAPSHOTS}/{snapshot}").read_bytes()
    account = backup.ssh("id -u k3s-snapshots").stdout.strip()
    assert (copies.stat().st_uid, stat.S_IMODE(copies.stat().st_mode)) == (int(account), 0o700)
    assert (arrived.stat().st_uid, stat.S_IMODE(arrived.stat().st_mode)) == (int(account), 0o600)
    # The run's time and the time the newest snapshot was taken; node_exporter (nobody) reads it.
    metrics_file = server.file(METRICS)
    assert stat.S_IMODE(metrics_file.stat().st_mode) == 0o644
    metrics = dict(
        line.split() for line in metrics_file.read_text().splitlines() if not line.startswith("#")
    )
    assert int(metrics["k3s_datastore_snapshot_copy_newest_timestamp_seconds"]) == taken_at(
        snapshot
    )
    last_success = int(metrics["k3s_datastore_snapshot_copy_last_success_timestamp_seconds"])
    assert time.time() - 120 < last_success <= time.time()


def taken_at(snapshot: str) -> int:
    stamp = snapshot.removeprefix("k3s-datastore-").removesuffix(".tar.gz")
    return calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))


def as_copy_key(server: Machine, command: str) -> subprocess.CompletedProcess[str]:
    """A command on the server with the copy's key and trusted host key, as the service has."""
    ssh = (
        f"ssh -i {KEY} -o IdentitiesOnly=yes -o BatchMode=yes"
        " -o UserKnownHostsFile=/etc/k3s-snapshot-copy/known_hosts -o StrictHostKeyChecking=yes"
    )
    return server.ssh(command.replace("SSH", ssh), check=False)


def test_the_copy_key_only_writes_new_files(deployed: Deployed) -> None:
    server, backup = deployed.server, deployed.backup
    target = f"k3s-snapshots@{LINK[BACKUP]}"
    before = archives(backup.file(COPIES))
    shell = as_copy_key(server, f"SSH {target} cat /etc/passwd")
    assert shell.returncode != 0
    assert "root:" not in shell.stdout
    read_back = as_copy_key(server, f"rsync -e 'SSH' {target}:{before[0]} /tmp/read-back")
    assert read_back.returncode != 0
    assert not server.file("/tmp/read-back").exists()
    server.ssh("mkdir -p /tmp/empty")
    delete = as_copy_key(server, f"rsync -r --delete -e 'SSH' /tmp/empty/ {target}:")
    assert delete.returncode != 0
    outside = as_copy_key(server, f"rsync -e 'SSH' /etc/hostname {target}:../.ssh/escaped")
    assert outside.returncode != 0
    assert archives(backup.file(COPIES)) == before
    assert not backup.file("/var/lib/k3s-snapshots/.ssh/escaped").exists()


def last_copy_message(server: Machine) -> str:
    """The copy script's last line in the journal (journald may take a moment to store it)."""
    previous, deadline = "", time.monotonic() + 10
    while time.monotonic() < deadline:
        line = server.ssh("journalctl -t k3s-datastore-snapshot-copy -n 1 -o cat").stdout.strip()
        if line == previous:
            return line
        previous = line
        time.sleep(0.5)
    return previous


def test_retention_keeps_the_newest_on_each_node(deployed: Deployed) -> None:
    server, backup = deployed.server, deployed.backup
    taken = archives(backup.file(COPIES))
    for _ in range(4):
        write_datastore(server, rows=10)
        snapshot_now(server)
        taken.append(archives(server.file(SNAPSHOTS))[-1])
        server.ssh("systemctl start k3s-datastore-snapshot-copy.service")
    assert len(set(taken)) == 5
    assert archives(server.file(SNAPSHOTS)) == taken[-KEEP:]
    # The backup node keeps more than the server, on its own: the server cannot delete there.
    assert archives(backup.file(COPIES)) == taken[-COPY_KEEP:]
    for name in taken[-KEEP:]:
        assert (backup.file(COPIES) / name).read_bytes() == (
            server.file(SNAPSHOTS) / name
        ).read_bytes()
    metrics = server.file(METRICS).read_text()
    assert f"k3s_datastore_snapshot_copy_newest_timestamp_seconds {taken_at(taken[-1])}\n" in (
        metrics
    )
    # Nothing new: nothing sent, and the copies stay as they are.
    server.ssh("systemctl start k3s-datastore-snapshot-copy.service")
    assert (
        last_copy_message(server) == f"sent 0 snapshot(s) to k3s-snapshots@{LINK[BACKUP]}: none new"
    )
    assert archives(backup.file(COPIES)) == taken[-COPY_KEEP:]


def test_a_second_run_changes_nothing(deployed: Deployed) -> None:
    """(Check mode on the converged nodes: test_cluster_integration.py, through site.yml.)"""
    again = deployed.play()
    assert again.returncode == 0, again.output[-6000:]
    assert again.changed == {SERVER: 0, BACKUP: 0}, again.output[-6000:]
    assert all(counts[1:] == (0, 0) for counts in again.recap.values())


def test_the_runbook_restores_the_datastore_from_the_backup_nodes_copy(
    deployed: Deployed,
) -> None:
    """The Runbook's restore on a new card: the newest copy, fetched from the backup node
    through the owner's machine, unpacked into the server's directory before k3s starts."""
    server, backup = deployed.server, deployed.backup
    expected = kine_rows(server.file(f"{SERVER_DIR}/db/state.db"))
    newest = archives(backup.file(COPIES))[-1]
    fetched = deployed.workdir / "k3s-datastore.tar.gz"
    with fetched.open("wb") as out:
        subprocess.run(
            [
                *("ssh", "-i", str(deployed.cluster.key), "-o", "StrictHostKeyChecking=no"),
                *("-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"),
                f"root@{backup.address}",
                f"cat {COPIES}/{newest}",
            ],
            stdout=out,
            check=True,
            timeout=60,
        )
    with tarfile.open(fetched) as tar:
        assert sorted(tar.getnames()) == ["db/state.db", "token"]
        token = tar.extractfile("token")
        assert token is not None
        assert token.read().decode() == TOKEN
    # The lost card: no datastore, no token.
    server.ssh(f"rm -rf {SERVER_DIR}")
    server.file("/root/k3s-datastore.tar.gz").write_bytes(fetched.read_bytes())
    server.ssh(f"mkdir -p {SERVER_DIR} && tar -xzf /root/k3s-datastore.tar.gz -C {SERVER_DIR}")
    assert kine_rows(server.file(f"{SERVER_DIR}/db/state.db")) == expected
    assert server.file(f"{SERVER_DIR}/token").read_text() == TOKEN
    digest = hashlib.sha256(fetched.read_bytes()).hexdigest()
    assert digest == hashlib.sha256((backup.file(COPIES) / newest).read_bytes()).hexdigest()


def test_reset_keeps_the_copies_and_the_rebuilt_server_sends_its_last_snapshot(
    deployed: Deployed,
) -> None:
    """Reset then site, for the copy: the reset's last snapshot stays on the server, the copies
    stay on the backup node and are named; the rebuilt server's new key sends what is missing."""
    server, backup = deployed.server, deployed.backup
    kept = archives(backup.file(COPIES))
    old_key = server.file(f"{KEY}.pub").read_text()
    reset = deployed.play(playbook=ANSIBLE_DIR / "reset.yml")
    assert reset.returncode == 0, reset.output[-6000:]
    assert (
        f"Kept on {BACKUP}: /var/lib/household-task-manager/backups (the backups' restic "
        f"repository); {COPIES} (the copies of the k3s datastore snapshots). "
        "Delete with -e reset_remove_backups=true."
    ) in " ".join(reset.output.split())
    for path in ("/etc/k3s-snapshot-copy", "/etc/systemd/system/k3s-datastore-snapshot-copy.timer"):
        assert not server.file(path).exists(), path
    assert not backup.file("/var/lib/k3s-snapshots/.ssh/authorized_keys").exists()
    assert archives(backup.file(COPIES)) == kept
    last = archives(server.file(SNAPSHOTS))[-1]
    assert last > kept[-1]

    rebuilt = deployed.play()
    assert rebuilt.returncode == 0, rebuilt.output[-6000:]
    assert server.file(f"{KEY}.pub").read_text() != old_key
    server.ssh("systemctl start k3s-datastore-snapshot-copy.service")
    assert archives(backup.file(COPIES)) == [*kept, last][-COPY_KEEP:]
