"""Alembic is the only schema source: models and migrations agree, and runs are serialized."""

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from app.core.db import MIGRATION_LOCK_ID
from tests.support import databases

REPO_ROOT = Path(__file__).resolve().parents[2]
ALEMBIC = REPO_ROOT / ".venv" / "bin" / "alembic"


@pytest.fixture
def empty_postgres(postgres_admin_url: str) -> Iterator[str]:
    url = databases.create_postgres_database(postgres_admin_url)
    yield url
    databases.drop_postgres_database(postgres_admin_url, url)


def head() -> str:
    config = databases.alembic_config("")
    current = ScriptDirectory.from_config(config).get_current_head()
    assert current is not None
    return current


def version(url: str) -> str | None:
    engine = create_engine(url)
    with engine.connect() as connection:
        present = inspect(connection).has_table("alembic_version")
        value = (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if present
            else None
        )
    engine.dispose()
    return value


def test_models_and_migrations_agree(empty_postgres: str) -> None:
    databases.migrate(empty_postgres)
    command.check(databases.alembic_config(empty_postgres))


def test_upgrade_downgrade_upgrade(empty_postgres: str) -> None:
    config = databases.alembic_config(empty_postgres)
    command.upgrade(config, "head")
    assert version(empty_postgres) == head()
    command.downgrade(config, "base")
    engine = create_engine(empty_postgres)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}
    engine.dispose()
    command.upgrade(config, "head")
    assert version(empty_postgres) == head()


def test_concurrent_upgrades_serialize_on_the_advisory_lock(empty_postgres: str) -> None:
    """Two pods' `alembic upgrade head` at once: both wait for the lock, then both succeed."""
    engine = create_engine(empty_postgres)
    env = {**os.environ, "DATABASE_URL": empty_postgres}
    with engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        runs = [
            subprocess.Popen(
                [str(ALEMBIC), "upgrade", "head"],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        deadline = time.monotonic() + 20
        waiting = 0
        while waiting < 2 and time.monotonic() < deadline:
            waiting = holder.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND objid = :id AND NOT granted"
                ),
                {"id": MIGRATION_LOCK_ID},
            ).scalar_one()
            time.sleep(0.1)
        assert waiting == 2
        assert [run.poll() for run in runs] == [None, None]
        assert version(empty_postgres) is None
        holder.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
        holder.commit()
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    engine.dispose()
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert version(empty_postgres) == head()
    # Exactly one of the two applied the migrations; the other found the schema at head.
    assert sum("Running upgrade  -> " in out for out in outputs) == 1, outputs
