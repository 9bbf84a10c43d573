"""The nightly backup's dump script and the documented restore command, run against a real
PostgreSQL 16 (pgserver) with the PostgreSQL 16 client tools it bundles."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pgserver
import pytest
from gitops_support import CDK8S_DIR, Synthesized
from household import backup
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

PG_BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
DB_PREFIX = "household_task_manager"


@pytest.fixture
def database(pg16_server_url: str) -> Iterator[URL]:
    """A fresh database named like the real one plus a suffix."""
    admin = make_url(pg16_server_url).set(drivername="postgresql+psycopg")
    name = f"{DB_PREFIX}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin.set(database=name)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def libpq_env(url: URL, **extra: str) -> dict[str, str]:
    host = url.host or url.query.get("host")
    assert isinstance(host, str)
    env = {
        "PATH": f"{PG_BIN}:{os.environ['PATH']}",
        "PGHOST": host,
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.database or "",
        **extra,
    }
    return env


def run(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", script], env=env, capture_output=True, text=True, check=False
    )


def test_dump_then_restore_brings_the_data_back(database: URL, tmp_path: Path) -> None:
    engine = create_engine(database)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE chores (id serial PRIMARY KEY, title text NOT NULL)"))
        connection.execute(
            text("INSERT INTO chores (title) VALUES ('dishes'), ('laundry'), ('bins')")
        )
    name = database.database
    assert name
    # Yesterday's dump stays, one older than the retention is deleted, other files are kept.
    kept, expired, unrelated = (
        tmp_path / f"{name}-20000101T000000Z.dump",
        tmp_path / f"{name}-19990101T000000Z.dump",
        tmp_path / "notes.txt",
    )
    for path, age_days in ((kept, 1), (expired, 3), (unrelated, 30)):
        path.write_text("old")
        stamp = time.time() - age_days * 86400 - 60
        os.utime(path, (stamp, stamp))

    dumped = run(
        backup.DUMP_SCRIPT, libpq_env(database, BACKUP_DIR=str(tmp_path), RETENTION_DAYS="2")
    )
    assert dumped.returncode == 0, dumped.stderr
    new = sorted(set(tmp_path.glob(f"{name}-*.dump")) - {kept})
    assert len(new) == 1
    assert new[0].read_bytes()[:5] == b"PGDMP"
    assert not list(tmp_path.glob("*.partial"))
    assert kept.exists()
    assert unrelated.exists()
    assert not expired.exists()
    kept.unlink()  # so that the restore picks the newest real dump

    with engine.begin() as connection:
        connection.execute(text("DELETE FROM chores WHERE title <> 'dishes'"))
        connection.execute(text("ALTER TABLE chores ADD COLUMN broken int"))

    restore = backup.RESTORE_COMMAND.replace("/backups", str(tmp_path)).replace(DB_PREFIX, name)
    assert restore.count(name) == 2
    restored = run(restore, libpq_env(database))
    assert restored.returncode == 0, restored.stderr
    with engine.connect() as connection:
        titles = connection.execute(text("SELECT title FROM chores ORDER BY id")).scalars().all()
        columns = (
            connection.execute(
                text(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'chores'"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert titles == ["dishes", "laundry", "bins"]
    assert sorted(columns) == ["id", "title"]


def test_a_failed_dump_leaves_no_dump_behind(database: URL, tmp_path: Path) -> None:
    env = libpq_env(
        database, BACKUP_DIR=str(tmp_path), RETENTION_DAYS="2", PGDATABASE="no_such_database"
    )
    result = run(backup.DUMP_SCRIPT, env)
    assert result.returncode != 0
    assert not list(tmp_path.glob("*.dump"))


def test_the_cronjob_runs_the_tested_script(production: Synthesized) -> None:
    job = production.get("CronJob", "postgres-backup")["spec"]
    container = job["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["sh", "-c", backup.DUMP_SCRIPT]
    assert "pg_dump -Fc" in backup.DUMP_SCRIPT
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["PGHOST"] == "postgres"
    assert env["PGDATABASE"] == DB_PREFIX
    assert env["PGPASSWORD"] == {
        "secretKeyRef": {"name": "database-secret", "key": "POSTGRES_PASSWORD"}
    }
    assert {"mountPath": "/backups", "name": "pvc-postgres-backups"} in container["volumeMounts"]
    assert job["concurrencyPolicy"] == "Forbid"
    assert job["schedule"] == "30 3 * * *"
    assert job["timeZone"] == "Asia/Tokyo"


def test_postgres_mounts_the_dumps_read_only_for_the_restore(production: Synthesized) -> None:
    spec = production.get("StatefulSet", "postgres")["spec"]["template"]["spec"]
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["mountPath"] == "/backups")
    assert mount["readOnly"] is True
    volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
    assert volume["persistentVolumeClaim"] == {"claimName": "postgres-backups", "readOnly": True}


def test_the_readme_documents_the_tested_restore_command() -> None:
    readme = (CDK8S_DIR / "README.md").read_text()
    assert backup.restore_command_line("household-task-manager") in readme
