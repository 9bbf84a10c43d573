"""A household shaped like the real one: 3 members, 66 chores, 790 completions over a year."""

from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.domain.recurrence import local_date
from app.models import Chore, Completion
from app.services.chores import window_end
from tests.app.chore_helpers import count_statements, tokyo_today
from tests.support.people import PASSWORD, Person, new_client
from tests.support.seed import Seeded, seed_household


@pytest.fixture
def seeded(app: FastAPI) -> tuple[Seeded, Person]:
    with Session(app.state.engine) as db:
        seeded = seed_household(db, password_hash=app.state.passwords.hash(PASSWORD))
    client = new_client(app)
    response = client.post(
        "/api/auth/login", json={"email": seeded.emails[1], "password": PASSWORD}
    )
    assert response.status_code == 200
    return seeded, Person(client=client, user=response.json(), email=seeded.emails[1])


def test_seed_has_the_real_households_shape(seeded: tuple[Seeded, Person], engine: Engine) -> None:
    data, person = seeded
    members = person.ok("GET", f"/api/households/{data.household_id}/members")
    assert len(members) == 3
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(Chore)) == 66
        assert db.scalar(select(func.count()).select_from(Completion)) == 790


@pytest.mark.parametrize("window", ["overdue", "today", "tomorrow", "week", "month"])
def test_due_list_matches_the_database(
    app: FastAPI, seeded: tuple[Seeded, Person], engine: Engine, window: str
) -> None:
    data, person = seeded
    with count_statements(app) as statements:
        items = person.ok("GET", f"/api/households/{data.household_id}/due?window={window}")
    assert len(statements) == 2
    end = window_end(window, tokyo_today())  # type: ignore[arg-type]
    with Session(engine) as db:
        expected = db.scalars(
            select(Chore.id)
            .where(Chore.next_due <= end, Chore.archived.is_(False))
            .order_by(Chore.next_due, Chore.category, Chore.name, Chore.id)
        ).all()
    assert [item["chore"]["id"] for item in items] == list(expected)


def test_stats_and_history_of_the_year_add_up(
    seeded: tuple[Seeded, Person], engine: Engine
) -> None:
    data, person = seeded
    today = tokyo_today()
    start = (today - timedelta(days=400)).isoformat()
    stats = person.ok(
        "GET", f"/api/households/{data.household_id}/stats?from={start}&to={today.isoformat()}"
    )
    history = person.ok(
        "GET",
        f"/api/households/{data.household_id}/completions?from={start}&to={today.isoformat()}&limit=1000",
    )
    with Session(engine) as db:
        done = db.scalar(select(func.count()).where(Completion.kind == "done"))
        points = db.scalar(select(func.sum(Completion.points)))
        minutes = db.scalar(select(func.sum(Completion.minutes)))
    assert len(history) == 790
    assert sum(m["completions"] + m["skips"] for m in stats["members"]) == 790
    assert sum(m["completions"] for m in stats["members"]) == done
    assert sum(m["points"] for m in stats["members"]) == points
    assert sum(m["minutes"] for m in stats["members"]) == minutes
    assert sum(c["completions"] for c in stats["categories"]) == done


def test_a_month_of_history_is_the_months_entries(
    seeded: tuple[Seeded, Person], engine: Engine
) -> None:
    data, person = seeded
    today = tokyo_today()
    start = today - timedelta(days=29)
    history = person.ok(
        "GET",
        f"/api/households/{data.household_id}/completions?from={start.isoformat()}",
    )
    with Session(engine) as db:
        instants = db.scalars(select(Completion.done_at)).all()
    expected = sum(1 for at in instants if start <= local_date(at, "Asia/Tokyo") <= today)
    assert len(history) == expected > 0
