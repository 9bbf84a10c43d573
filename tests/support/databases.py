"""Real databases for tests: PostgreSQL 16 (pgserver wheel or TEST_DATABASE_URL) and SQLite."""

import fcntl
import hashlib
import importlib.metadata
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


# As root, PostgreSQL must run as another user, who must reach its binaries. pgserver's own way
# is to open up every directory above the venv (it turned /root world-listable); instead the
# binaries are copied once into a cache directory of this project's, and the server runs as
# `nobody` on a data directory of its own. Nothing else changes permissions or ownership.
POSTGRES_CACHE = Path(os.environ.get("HTM_POSTGRES_CACHE", "/var/cache/household-task-manager"))
POSTGRES_USER_AS_ROOT = "nobody"


def postgres_binaries() -> Path:
    """The bin directory of the pgserver wheel's PostgreSQL 16 that the server's user can run:
    the wheel's own, or as root a copy in POSTGRES_CACHE (made once per installed wheel)."""
    import pgserver

    package = Path(pgserver.__file__).resolve().parent
    if os.geteuid() != 0:
        return package / "pginstall" / "bin"
    digest = hashlib.sha256(str(package).encode()).hexdigest()[:8]
    target = POSTGRES_CACHE / f"pgserver-{importlib.metadata.version('pgserver')}-{digest}"
    POSTGRES_CACHE.mkdir(mode=0o755, parents=True, exist_ok=True)
    with (POSTGRES_CACHE / ".postgres.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / ".complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            # The wheel's layout: the binaries find their libraries at $ORIGIN/../../../
            # pgserver.libs (the rpath auditwheel gave them).
            shutil.copytree(package / "pginstall", target / "pgserver" / "pginstall")
            shutil.copytree(package.parent / "pgserver.libs", target / "pgserver.libs")
            for path in [target, *target.rglob("*")]:
                if path.is_dir():
                    path.chmod(0o755)
            (target / ".complete").write_text(f"copied from {package}\n")
    return target / "pgserver" / "pginstall" / "bin"


@dataclass
class LocalPostgres:
    """A PostgreSQL 16 on a Unix socket in a directory of its own, started and stopped with
    pg_ctl; as root it runs as POSTGRES_USER_AS_ROOT."""

    root: Path
    bin: Path
    user: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@/postgres?host={self.socket_dir}"

    def run(self, tool: str, *args: str) -> None:
        as_user: dict[str, Any] = (
            {"user": self.user, "group": pwd.getpwnam(self.user).pw_gid, "extra_groups": []}
            if self.user
            else {}
        )
        result = subprocess.run(
            [str(self.bin / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **as_user,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} {' '.join(args)} failed:\n{result.stdout}{result.stderr}")

    def initialize(self) -> None:
        self.run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=utf8"
        )

    def start(self) -> None:
        self.run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.root / "postgres.log"),
            "-o",
            f'-h "" -k {self.socket_dir}',
            "start",
        )

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop")


@contextmanager
def local_postgres(prefix: str = "htm-pg-") -> Iterator[LocalPostgres]:
    """A started LocalPostgres, stopped and removed afterwards."""
    user = POSTGRES_USER_AS_ROOT if os.geteuid() == 0 else None
    root = Path(
        tempfile.mkdtemp(prefix=prefix, dir="/var/tmp" if Path("/var/tmp").is_dir() else None)
    )
    if user:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    server = LocalPostgres(root, postgres_binaries(), user)
    try:
        server.initialize()
        server.start()
        yield server
    finally:
        with suppress(RuntimeError):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields an admin URL: TEST_DATABASE_URL, else a throw-away local PostgreSQL 16."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    with local_postgres() as server:
        yield server.admin_url


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
