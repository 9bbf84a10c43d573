"""Drill: the database node is lost. The backup CronJob's two containers, exactly as committed in
gitops/production, dump a seeded database and add it to a restic repository (the directory that
stands for the PV on the backup node) with the real restic binary; the database and its server
are then gone. The restore Job's two containers, as committed, bring the latest snapshot back
into a fresh PostgreSQL 16 server: identical row counts and md5 checksums. The restore is timed
for the seeded household (3 members, 66 chores, 790 completions) and for 100 times as much."""

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pgserver
import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.core.security import Passwords
from tests.app.conftest import make_settings
from tests.support.databases import REPO_ROOT, app_tables, local_postgres, migrate
from tests.support.people import PASSWORD
from tests.support.restic import restic_env, snapshots
from tests.support.seed import seed_household

PG_BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
DATABASE = "household_task_manager"


def committed_containers(cronjob: str) -> list[dict[str, Any]]:
    """The CronJob's init containers then containers, as committed."""
    documents = yaml.safe_load_all((REPO_ROOT / "gitops/production/backup.yaml").read_text())
    job = next(
        d for d in documents if d and d["kind"] == "CronJob" and d["metadata"]["name"] == cronjob
    )
    spec = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    containers: list[dict[str, Any]] = spec["initContainers"] + spec["containers"]
    for container in containers:
        assert container["command"][:2] == ["sh", "-c"]
    return containers


def libpq(url: str) -> dict[str, str]:
    parsed = make_url(url)
    return {
        "PGHOST": str(parsed.query["host"]),
        "PGPORT": str(parsed.port or 5432),
        "PGUSER": parsed.username or "postgres",
        "PGDATABASE": parsed.database or "",
    }


def run_job(cronjob: str, environment: dict[str, str], scratch: Path) -> dict[str, float]:
    """Each container in order, with the manifest's literal env values, the libpq/restic
    settings of this machine, and `scratch` as the pod's emptyDir; the seconds each took."""
    scratch.mkdir()
    seconds = {}
    for container in committed_containers(cronjob):
        started = time.monotonic()
        env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
        env.update(environment, DUMP_DIR=str(scratch))
        env["PATH"] = f"{PG_BIN}:{os.environ['PATH']}"
        result = subprocess.run(
            container["command"], env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{container['name']}: {result.stderr}"
        seconds[container["name"]] = time.monotonic() - started
    return seconds


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Row count and an md5 over every row, in a stable order, per application table."""
    engine = create_engine(url)
    result = {}
    with engine.connect() as connection:
        for name in app_tables():
            count, digest = connection.execute(
                text(
                    "SELECT count(*), "
                    "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                    f'FROM "{name}" t'
                )
            ).one()
            result[name] = (count, digest)
    engine.dispose()
    return result


def create_database(admin_url: str) -> str:
    """The database named like production's, as the postgres image's first start creates it."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    engine.dispose()
    return make_url(admin_url).set(database=DATABASE).render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("scale", "members", "chores", "completions"),
    [("seeded household", 3, 66, 790), ("100 times as much", 300, 6_600, 79_000)],
)
def test_database_node_lost_restore_latest_off_node_backup(
    tmp_path: Path, scale: str, members: int, chores: int, completions: int
) -> None:
    restic = restic_env(tmp_path / "rpi-worker-2-backups", tmp_path / "restic-cache")
    with local_postgres(prefix="htm-lost-node-") as lost:
        source_url = create_database(lost.admin_url)
        migrate(source_url)
        engine = create_engine(source_url)
        with Session(engine) as db:
            seed_household(
                db,
                password_hash=Passwords(make_settings("sqlite://")).hash(PASSWORD),
                members=members,
                chores=chores,
                completions=completions,
            )
            db.commit()
        engine.dispose()
        before = fingerprint(source_url)
        assert before["completions"][0] == completions
        assert before["chores"][0] == chores
        run_job("postgres-backup", {**libpq(source_url), **restic}, tmp_path / "backup-pod")
    # The database node, its server and its disk are gone; the repository is on another node.
    [snapshot] = snapshots(restic)
    assert snapshot["hostname"] == "postgres-backup"

    with local_postgres(prefix="htm-new-node-") as fresh:
        target_url = create_database(fresh.admin_url)
        steps = run_job(
            "postgres-restore",
            {**libpq(target_url), **restic, "SNAPSHOT": "latest"},
            tmp_path / "restore-pod",
        )
        after = fingerprint(target_url)
    assert after == before
    dump = (tmp_path / "restore-pod" / f"{DATABASE}.dump").stat().st_size
    print(
        f"\nrestore of the latest backup, {scale} ({completions} completions, dump {dump} bytes):"
        f" {sum(steps.values()):.1f}s (restic-dump {steps['restic-dump']:.1f}s,"
        f" pg-restore {steps['pg-restore']:.1f}s)"
    )
