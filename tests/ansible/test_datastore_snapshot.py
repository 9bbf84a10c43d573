"""The k3s datastore snapshot script that the k3s_snapshot role installs on the server, run on a
real SQLite database in WAL mode while a connection still writes to it (as k3s's kine does), and
the documented restore: the archive unpacked into a new server directory gives back the same
rows and the same token."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import tarfile
import time
from pathlib import Path

SCRIPT = (
    Path(__file__).resolve().parents[2] / "ansible/roles/k3s_snapshot/files/k3s-datastore-snapshot"
)
TOKEN = "K10a1b2c3::server:0123456789abcdef\n"


def kine_rows(database: Path) -> list[tuple[int, str, bytes]]:
    connection = sqlite3.connect(database)
    rows = connection.execute("SELECT id, name, value FROM kine ORDER BY id").fetchall()
    connection.close()
    return rows


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, check=False)


def test_snapshots_are_consistent_private_rotated_and_restore(tmp_path: Path) -> None:
    server = tmp_path / "server"
    (server / "db").mkdir(parents=True)
    (server / "token").write_text(TOKEN)
    writer = sqlite3.connect(server / "db/state.db")
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE kine (id INTEGER PRIMARY KEY, name TEXT, value BLOB)")
    dest = tmp_path / "k3s-snapshots"
    for night in range(3):
        with writer:  # committed, still only in the WAL file: the copy must include it
            writer.executemany(
                "INSERT INTO kine (name, value) VALUES (?, ?)",
                [
                    (f"/registry/secrets/kube-system/sealed-secrets-key{night}{i}", b"\x00key")
                    for i in range(50)
                ],
            )
        result = run("--server-dir", str(server), "--dest", str(dest), "--keep", "2")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"wrote {dest}/k3s-datastore-")
        time.sleep(1.1)  # archives are named to the second
    expected = kine_rows(server / "db/state.db")
    writer.close()
    assert len(expected) == 150

    archives = sorted(dest.glob("k3s-datastore-*.tar.gz"))
    assert len(archives) == 2  # --keep 2: the oldest was removed
    assert not list(dest.glob("*.partial"))
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    for archive in archives:
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archives[-1]) as tar:
        assert sorted(tar.getnames()) == ["db/state.db", "token"]

    # The README's restore: unpack into the (stopped) server's directory.
    restored = tmp_path / "new-server"
    restored.mkdir()
    subprocess.run(["tar", "-xzf", str(archives[-1]), "-C", str(restored)], check=True)
    assert kine_rows(restored / "db/state.db") == expected
    assert (restored / "token").read_text() == TOKEN
    connection = sqlite3.connect(restored / "db/state.db")
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()


def test_without_a_datastore_it_fails_and_writes_nothing(tmp_path: Path) -> None:
    result = run("--server-dir", str(tmp_path / "none"), "--dest", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "state.db does not exist: is this a k3s server on SQLite?" in result.stderr
    assert not (tmp_path / "out").exists()
