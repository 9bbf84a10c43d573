"""Small builders for chore tests: payloads, the household's today, statement counting."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import Select, event

from app.core.reads import PostgresReads
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
    """The SQL the app sends meanwhile, on either of its engines and its pooled reads."""
    statements: list[str] = []
    engines = (app.state.engine, app.state.autocommit_engine)

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    reads = app.state.reads
    pooled = isinstance(reads, PostgresReads)
    if pooled:
        # The authorization check's statements bypass the engines (app.core.reads).
        run = reads.one_or_none

        async def recorded(statement: Select[Any], params: Mapping[str, Any]) -> Any:
            statements.append(str(statement))
            return await run(statement, params)

        reads.one_or_none = recorded  # type: ignore[method-assign]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
        if pooled:
            del reads.one_or_none
