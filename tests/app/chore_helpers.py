"""Small builders for chore tests: payloads, the household's today, statement counting."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import event

from app.core.reads import PostgresReads, Statement
from tests.support.people import Person

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo_today() -> date:
    return datetime.now(TOKYO).date()


def noon(day: date, zone: ZoneInfo = TOKYO) -> str:
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone).astimezone(UTC).isoformat()


def days(n: int) -> timedelta:
    return timedelta(days=n)


def chore_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "Dishes",
        "category": "Kitchen",
        "points": 2,
        "estimated_minutes": 15,
        "recurrence": {"kind": "interval", "every": 3, "unit": "day", "anchor": "completion"},
    }
    payload.update(overrides)
    return payload


def make_chore(person: Person, household_id: int, **overrides: Any) -> dict[str, Any]:
    chore: dict[str, Any] = person.ok(
        "POST", f"/api/households/{household_id}/chores", 201, json=chore_payload(**overrides)
    )
    return chore


@contextmanager
def count_statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL the app sends meanwhile, on its engine and its pooled reads."""
    statements: list[str] = []
    engine = app.state.engine

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    reads = app.state.reads
    pooled = isinstance(reads, PostgresReads)
    if pooled:
        # The pooled reads' statements bypass the engine (app.core.reads).
        run = reads._run

        async def recorded(statement: Statement, params: Mapping[str, Any], rows: Any) -> Any:
            statements.append(str(statement))
            return await run(statement, params, rows)

        reads._run = recorded  # type: ignore[method-assign]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        if pooled:
            del reads._run
