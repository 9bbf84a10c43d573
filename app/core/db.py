"""Engine, sessions and the column types shared by every model."""

from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQL statements per request is the first thing to look at when an endpoint slows down (N+1).
DB_STATEMENTS = Counter("db_statements_total", "SQL statements sent to the database")

# An outage must fail fast (503), not hold a request for the OS's TCP timeout.
CONNECT_TIMEOUT_S = 3

# Taken by every `alembic upgrade` on PostgreSQL; any constant works if all migrators share it.
MIGRATION_LOCK_ID = 0x48544D  # "HTM"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants in UTC and always hands back aware datetimes (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _count_statement(*_args: Any) -> None:
    DB_STATEMENTS.inc()


def make_engine(
    url: str,
    *,
    pool_size: int = 5,
    overflow: int = 5,
    timeout: float = 5,
) -> Engine:
    engine = _make_engine(url, pool_size, overflow, timeout)
    event.listen(engine, "before_cursor_execute", _count_statement)
    return engine


def _make_engine(url: str, pool_size: int, overflow: int, timeout: float) -> Engine:
    if url.startswith("sqlite"):
        in_memory = make_url(url).database in (None, "", ":memory:")
        # An in-memory database lives in one connection: no pool to size.
        pool = (
            {}
            if in_memory
            else {"pool_size": pool_size, "max_overflow": overflow, "pool_timeout": timeout}
        )
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, **pool
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        return engine
    # A small pool and short timeouts: half a CPU per pod, and an outage must fail fast (503).
    # No pre-ping (a round trip per request): a dropped connection fails its one request with
    # 503 and SQLAlchemy then discards the whole pool, so the next requests reconnect.
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=overflow,
        pool_timeout=timeout,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def begin_changes(db: Session) -> None:
    """Called before a locking read (SELECT ... FOR UPDATE), which serializes concurrent changes
    on PostgreSQL. SQLite has no row locks, and its driver opens a transaction only at the first
    write, so the reads before it cannot see a concurrent change (two admins leaving at once
    both found the other still there). There the transaction begins as the database's one
    writer instead: the next waits for its commit, then reads what it committed."""
    connection = db.connection()
    if connection.dialect.name != "sqlite":
        return
    driver: Any = connection.connection.dbapi_connection
    if not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
