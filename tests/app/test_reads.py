"""The reads' own connections on PostgreSQL (app.core.reads), on a real server:
the API suite takes that path (its app is served, lifespan and all), and the pool holds when a
request waits too long, is cancelled inside a statement, or finds its connection killed."""

import asyncio
import time
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.core.reads import PostgresReads, ThreadpoolReads
from tests.support.databases import create_postgres_database
from tests.support.people import household_with


def test_the_served_app_authorizes_on_the_pooled_connections_on_postgresql(
    app: FastAPI, database_url: str
) -> None:
    reads = app.state.reads
    if database_url.startswith("sqlite"):
        assert isinstance(reads, ThreadpoolReads)  # no async driver for SQLite here
        return
    assert isinstance(reads, PostgresReads)
    household_id, people = household_with(app, viewer="viewer")
    admin, viewer = people["admin"], people["viewer"]
    chores = f"/api/households/{household_id}/chores"
    admin.ok("GET", chores)
    assert viewer.client.post(chores, json={"name": "x"}).status_code == 403
    assert viewer.client.get(f"/api/households/{household_id + 1}/chores").status_code == 404
    admin.ok("POST", "/api/auth/logout", 204)
    assert admin.client.get(chores).status_code == 401
    assert reads.checkedout() == 0


@pytest.fixture
def postgres(postgres_admin_url: str) -> str:
    return postgres_admin_url


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_a_request_waits_at_most_the_timeout_then_is_told_busy(postgres: str) -> None:
    async def scenario() -> float:
        reads = PostgresReads(postgres, size=1, timeout=0.3, tracer=None)
        holder = asyncio.create_task(reads.one_or_none(select(text("pg_sleep(1)")), {}))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        with pytest.raises(PoolTimeout):
            await reads.one_or_none(select(text("1")), {})
        waited = time.monotonic() - started
        await holder
        assert (await reads.one_or_none(select(text("2 AS two")), {})).two == 2
        await reads.close()
        return waited

    assert 0.25 < run(scenario()) < 1.0


def test_a_request_cancelled_inside_a_statement_leaves_no_busy_connection(postgres: str) -> None:
    async def scenario() -> None:
        reads = PostgresReads(postgres, size=1, timeout=2, tracer=None)
        sleeper = asyncio.create_task(reads.one_or_none(select(text("pg_sleep(5)")), {}))
        await asyncio.sleep(0.3)
        sleeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeper
        assert reads.checkedout() == 0
        started = time.monotonic()
        assert (await reads.one_or_none(select(text("3 AS three")), {})).three == 3
        # Not behind the cancelled statement: that connection was closed, not reused.
        assert time.monotonic() - started < 2
        await reads.close()

    run(scenario())


def test_a_killed_connection_fails_one_request_and_the_next_reconnects(postgres: str) -> None:
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")

    async def scenario() -> None:
        reads = PostgresReads(postgres, size=2, timeout=2, tracer=None)
        pid = (await reads.one_or_none(select(func.pg_backend_pid().label("pid")), {})).pid
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(psycopg.OperationalError):
            await reads.one_or_none(select(text("1")), {})
        again = await reads.one_or_none(select(func.pg_backend_pid().label("pid")), {})
        assert again.pid != pid
        assert reads.checkedout() == 0
        await reads.close()

    try:
        run(scenario())
    finally:
        admin.dispose()


def test_instants_come_back_in_utc_whatever_the_servers_zone(postgres: str) -> None:
    """As the engine's UTCDateTime hands them back: a read model's times render the same from
    either path."""
    url = create_postgres_database(postgres)
    engine = create_engine(url)
    with engine.begin() as connection:
        name = connection.exec_driver_sql("SELECT current_database()").scalar_one()
        connection.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone TO 'Asia/Tokyo'")
    engine.dispose()

    async def scenario() -> Any:
        reads = PostgresReads(url, size=1, timeout=2, tracer=None)
        row = await reads.one_or_none(
            select(
                text("TIMESTAMPTZ '2026-11-30 09:00+09' AS at, current_setting('TimeZone') AS zone")
            ),
            {},
        )
        await reads.close()
        return row

    row = run(scenario())
    assert (row.zone, row.at.utcoffset(), row.at.isoformat()) == (
        "UTC",
        timedelta(0),
        "2026-11-30T00:00:00+00:00",
    )
