"""The statements of a request that only reads, awaited on the event loop: the check every
household request runs first (who asks, in which household) and the build of a cached read
(app.api.cached).

On PostgreSQL they run on psycopg's async connections, prepared, from a small pool of its own.
Through the sync engine each cost a hop to a worker thread and back (make bench, 1x: the check
there held cache hits at 0.21 of the bare app, now 0.31; builds there, through an ORM session,
held the first read of the due list at 0.074, now 0.145). SQLite (`make run`) has no async
driver here and keeps the threadpool, and so do requests outside the server's lifespan (the API
tests' TestClient runs each request on a loop of its own): the lifespan puts the pool in place
and closes it (app.main).
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import psycopg
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Tracer
from psycopg.pq import TransactionStatus
from psycopg.rows import namedtuple_row
from sqlalchemy import Engine, Result, make_url
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql import Select
from starlette.concurrency import run_in_threadpool

from app.core.db import CONNECT_TIMEOUT_S, DB_STATEMENTS

# Any select, whatever its columns.
Statement = Select[*tuple[Any, ...]]


class Reads(Protocol):
    """Statements built once (at import, or once per shape): each is compiled once."""

    async def one_or_none(self, statement: Statement, params: Mapping[str, Any]) -> Any:
        """The statement's one row (attributes by column name), or None."""
        ...

    async def all(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Any]:
        """The statement's rows (attributes by column name)."""
        ...


class ThreadpoolReads:
    """On the app's engine, on the threadpool, as the sync routes run."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def one_or_none(self, statement: Statement, params: Mapping[str, Any]) -> Any:
        return await run_in_threadpool(self._run, statement, params, Result.one_or_none)

    async def all(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Any]:
        return await run_in_threadpool(self._run, statement, params, Result.all)

    def _run(
        self, statement: Statement, params: Mapping[str, Any], rows: Callable[[Result[Any]], Any]
    ) -> Any:
        with self._engine.connect() as connection:
            return rows(connection.execute(statement, params))


class PostgresReads:
    """At most `size` connections, opened when needed and kept. A request waits at most
    `timeout` seconds for one (then 503, busy), as with the engine's pool. A connection that
    broke is dropped, and the next request connects anew: with the database down that fails
    within the connect timeout (503, database unavailable), and once it is back the next
    request succeeds, with no restart."""

    def __init__(self, url: str, size: int, timeout: float, tracer: Tracer | None) -> None:
        parsed = make_url(url)
        self._conninfo = parsed.set(drivername="postgresql").render_as_string(False)
        self._database = parsed.database or ""
        self._timeout = timeout
        self._slots = asyncio.Semaphore(size)
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._in_use = 0
        self._tracer = tracer
        # By the statement's id, with the statement kept: no other object can take its id.
        self._sql: dict[int, tuple[Statement, str, dict[str, Any]]] = {}
        self._dialect = postgresql_psycopg.dialect()  # type: ignore[no-untyped-call]

    def checkedout(self) -> int:
        return self._in_use

    async def one_or_none(self, statement: Statement, params: Mapping[str, Any]) -> Any:
        return await self._run(statement, params, psycopg.AsyncCursor.fetchone)

    async def all(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Any]:
        rows: Sequence[Any] = await self._run(statement, params, psycopg.AsyncCursor.fetchall)
        return rows

    async def _run(
        self,
        statement: Statement,
        params: Mapping[str, Any],
        rows: Callable[[psycopg.AsyncCursor[Any]], Awaitable[Any]],
    ) -> Any:
        compiled = self._sql.get(id(statement))
        if compiled is None:
            query = statement.compile(dialect=self._dialect)
            compiled = self._sql[id(statement)] = (statement, str(query), dict(query.params))
        _, sql, defaults = compiled
        connection = await self._acquire()
        try:
            DB_STATEMENTS.inc()
            with self._span(sql):
                cursor = await connection.execute(sql, {**defaults, **params}, prepare=True)
                return await rows(cursor)
        finally:
            await self._release(connection)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    async def _acquire(self) -> psycopg.AsyncConnection[Any]:
        try:
            async with asyncio.timeout(self._timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolTimeout(f"no connection free within {self._timeout} s") from None
        try:
            connection = (
                self._idle.pop()
                if self._idle
                else await psycopg.AsyncConnection.connect(
                    self._conninfo,
                    autocommit=True,
                    row_factory=namedtuple_row,
                    # Instants in UTC, as the engine's UTCDateTime hands them back.
                    options="-c TimeZone=UTC",
                    connect_timeout=CONNECT_TIMEOUT_S,
                )
            )
        except BaseException:
            self._slots.release()
            raise
        self._in_use += 1
        return connection

    async def _release(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self._in_use -= 1
        try:
            if connection.info.transaction_status == TransactionStatus.IDLE:
                self._idle.append(connection)
            else:
                # Broken with the server, or left inside a statement by a cancelled request.
                await connection.close()
        finally:
            self._slots.release()

    @contextmanager
    def _span(self, sql: str) -> Iterator[None]:
        """A client span, as the SQLAlchemy instrumentation makes for the engine's statements."""
        if self._tracer is None or not trace.get_current_span().is_recording():
            yield
            return
        attributes = {"db.system": "postgresql", "db.name": self._database, "db.statement": sql}
        name = f"{sql.split(None, 1)[0]} {self._database}"
        with self._tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes):
            yield
