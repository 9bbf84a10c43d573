"""Real databases for tests: PostgreSQL 16 (pgserver wheel or TEST_DATABASE_URL) and SQLite."""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from app.core.db import Base

REPO_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields an admin URL: TEST_DATABASE_URL, else a throw-away pgserver instance."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    import pgserver

    # As root pgserver runs postgres as its own system user: keep the data out of /root.
    root = Path(
        tempfile.mkdtemp(prefix="htm-pg-", dir="/var/tmp" if Path("/var/tmp").is_dir() else None)
    )
    server = pgserver.get_server(root / "data", cleanup_mode="stop")
    try:
        yield to_sqlalchemy_url(server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def to_sqlalchemy_url(uri: str) -> str:
    return make_url(uri).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def create_postgres_database(admin_url: str) -> str:
    name = f"htm_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def app_tables() -> list[str]:
    return [t.name for t in reversed(Base.metadata.sorted_tables)]


def reset(engine: Engine) -> None:
    """Empties every application table (the schema and alembic_version stay)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{name}"' for name in app_tables())
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for name in app_tables():
                connection.execute(text(f'DELETE FROM "{name}"'))


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        return {
            name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in app_tables()
            if name in present
        }
