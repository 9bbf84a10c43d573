"""The backup CronJob's command, exactly as committed in gitops/, dumps a seeded database; the
restore command documented in cdk8s/README.md brings it back into an empty server, with identical
row counts and checksums."""

import os
import re
import subprocess
from pathlib import Path

import pgserver
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.core.security import Passwords
from tests.app.conftest import make_settings
from tests.support.databases import REPO_ROOT, app_tables, local_postgres, migrate
from tests.support.people import PASSWORD
from tests.support.seed import seed_household

PG_BIN = Path(pgserver.__file__).parent / "pginstall" / "bin"
DATABASE = "household_task_manager"


def cronjob_script() -> tuple[str, dict[str, str]]:
    documents = yaml.safe_load_all((REPO_ROOT / "gitops/production/backup.yaml").read_text())
    job = next(d for d in documents if d and d["kind"] == "CronJob")
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:2] == ["sh", "-c"]
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    return container["command"][2], env


def documented_restore() -> str:
    readme = (REPO_ROOT / "cdk8s/README.md").read_text()
    match = re.search(r"kubectl -n household-task-manager exec postgres-0 -- sh -c '(.+)'", readme)
    assert match, "the restore command is not documented in cdk8s/README.md"
    return match.group(1)


def libpq(url: str, **extra: str) -> dict[str, str]:
    parsed = make_url(url)
    return {
        "PATH": f"{PG_BIN}:{os.environ['PATH']}",
        "PGHOST": str(parsed.query["host"]),
        "PGUSER": parsed.username or "postgres",
        "PGDATABASE": parsed.database or "",
        **extra,
    }


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Row count and an md5 over every row, in primary-key order, per application table."""
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
    """The database named like production's, since the CronJob dumps that name."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    engine.dispose()
    return make_url(admin_url).set(database=DATABASE).render_as_string(hide_password=False)


def run(script: str, env: dict[str, str]) -> None:
    result = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_cronjob_dump_restores_into_an_empty_server(
    postgres_admin_url: str, tmp_path: Path
) -> None:
    source_url = create_database(postgres_admin_url)
    migrate(source_url)
    engine = create_engine(source_url)
    with Session(engine) as db:
        seed_household(db, password_hash=Passwords(make_settings("sqlite://")).hash(PASSWORD))
    engine.dispose()
    before = fingerprint(source_url)
    assert before["completions"][0] == 790
    assert before["chores"][0] == 66

    script, cronjob_env = cronjob_script()
    run(script, {**cronjob_env, **libpq(source_url), "BACKUP_DIR": str(tmp_path)})
    assert len(list(tmp_path.glob(f"{DATABASE}-*.dump"))) == 1

    with local_postgres() as empty:
        target_url = create_database(empty.admin_url)
        run(documented_restore().replace("/backups", str(tmp_path)), libpq(target_url))
        after = fingerprint(target_url)
    assert after == before
