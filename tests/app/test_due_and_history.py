import csv
import io
from datetime import datetime
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from icalendar import Calendar
from sqlalchemy import Engine

from tests.app.chore_helpers import TOKYO, count_statements, days, make_chore, noon, tokyo_today
from tests.support.people import Person, new_client

Home = tuple[int, dict[str, Person]]


def base(household_id: int) -> str:
    return f"/api/households/{household_id}"


def seed_due_chores(person: Person, household_id: int) -> dict[str, int]:
    today = tokyo_today()
    # The edges are the original app's: a week ends with today + 7, a month with today + 30.
    offsets = {
        "overdue": -3,
        "today": 0,
        "tomorrow": 1,
        "week": 7,
        "month": 30,
        "later": 31,
    }
    return {
        label: make_chore(
            person, household_id, name=label, start_date=(today + days(offset)).isoformat()
        )["id"]
        for label, offset in offsets.items()
    }


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("overdue", ["overdue"]),
        ("today", ["overdue", "today"]),
        ("tomorrow", ["overdue", "today", "tomorrow"]),
        ("week", ["overdue", "today", "tomorrow", "week"]),
        ("month", ["overdue", "today", "tomorrow", "week", "month"]),
    ],
)
def test_due_windows_include_everything_due_by_their_end(
    home: Home, window: str, expected: list[str]
) -> None:
    household_id, people = home
    ids = seed_due_chores(people["admin"], household_id)
    items = people["viewer"].ok("GET", f"{base(household_id)}/due?window={window}")
    assert [item["chore"]["id"] for item in items] == [ids[label] for label in expected]
    overdue = {item["chore"]["name"]: item["days_overdue"] for item in items}
    assert overdue["overdue"] == 3
    assert all(v == 0 for name, v in overdue.items() if name != "overdue")
    assert items[0]["due_date"] == (tokyo_today() - days(3)).isoformat()


def test_due_mine_versus_everyone(home: Home) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    mine = make_chore(admin, household_id, assignment={"mode": "fixed", "members": [member.id]})
    make_chore(admin, household_id, name="unassigned")
    everyone = member.ok("GET", f"{base(household_id)}/due?window=today")
    assert len(everyone) == 2
    only_mine = member.ok("GET", f"{base(household_id)}/due?window=today&assignee=me")
    assert [item["chore"]["id"] for item in only_mine] == [mine["id"]]
    assert only_mine[0]["chore"]["assignee"]["display_name"] == "member"
    by_id = admin.ok("GET", f"{base(household_id)}/due?window=today&assignee={member.id}")
    assert [item["chore"]["id"] for item in by_id] == [mine["id"]]


@pytest.mark.parametrize("query", ["window=year", "assignee=you", "assignee=0", "assignee=-1"])
def test_bad_due_queries_are_422(home: Home, query: str) -> None:
    household_id, people = home
    assert people["admin"].get(f"{base(household_id)}/due?{query}").status_code == 422


def test_due_list_uses_a_constant_number_of_statements(home: Home, app: FastAPI) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    rotation = {"mode": "round_robin", "members": [admin.id, member.id]}

    def measure() -> list[int]:
        """Statements of the first read after a change, then of the same read again."""
        counts = []
        for _ in range(2):
            with count_statements(app) as statements:
                due = admin.ok("GET", f"{base(household_id)}/due?window=month")
            counts.append(len(statements))
        return [*counts, len(due)]

    make_chore(admin, household_id, assignment=rotation)
    small = measure()
    for i in range(25):
        chore = make_chore(admin, household_id, name=f"c{i}", assignment=rotation)
        admin.ok("POST", f"{base(household_id)}/chores/{chore['id']}/skip", 201)
    # The caller, their role and the household's revision in one statement, the chores with
    # everything shown in another; unchanged, the list comes from the cache.
    assert small == [2, 1, 1]
    assert measure() == [2, 1, 26]


def test_calendar_projects_occurrences_and_rotation(home: Home) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    today = tokyo_today()
    chore = make_chore(
        admin,
        household_id,
        start_date=today.isoformat(),
        recurrence={"kind": "interval", "every": 2, "unit": "day", "anchor": "schedule"},
        assignment={"mode": "round_robin", "members": [admin.id, member.id]},
    )
    calendar = f"{base(household_id)}/calendar?from={today.isoformat()}&to="
    items = member.ok("GET", calendar + (today + days(6)).isoformat())
    assert [item["date"] for item in items] == [(today + days(n)).isoformat() for n in (0, 2, 4, 6)]
    assert [item["assignee"]["user_id"] for item in items] == [admin.id, member.id] * 2
    assert {item["chore_id"] for item in items} == {chore["id"]}
    too_long = member.get(calendar + (today + days(400)).isoformat())
    assert too_long.status_code == 422
    backwards = member.get(calendar + (today - days(1)).isoformat())
    assert backwards.status_code == 422


def test_calendar_projects_least_done_rotations_in_few_statements(home: Home, app: FastAPI) -> None:
    """Each turn goes to whoever has done the chore least so far, supposing everyone does their
    turns; ties go round in rotation order."""
    household_id, people = home
    admin, member = people["admin"], people["member"]
    today = tokyo_today()
    chore = make_chore(
        admin,
        household_id,
        start_date=today.isoformat(),
        recurrence={"kind": "interval", "every": 1, "unit": "day", "anchor": "schedule"},
        assignment={"mode": "least_done", "members": [admin.id, member.id]},
    )
    for _ in range(2):
        admin.ok("POST", f"{base(household_id)}/chores/{chore['id']}/complete", 201, json={})
    calendar = f"{base(household_id)}/calendar?from={today.isoformat()}&to="
    with count_statements(app) as statements:
        items = member.ok("GET", calendar + (today + days(7)).isoformat())
    assert [item["date"] for item in items] == [(today + days(n)).isoformat() for n in range(2, 8)]
    a, m = admin.id, member.id
    assert [item["assignee"]["user_id"] for item in items] == [m, m, a, m, a, m]
    # The caller's membership, then the chores with their rotations, the names, the counts.
    assert len(statements) == 4


def test_history_edit_and_delete_recompute_the_due_date(home: Home) -> None:
    household_id, people = home
    admin, member, viewer = people["admin"], people["member"], people["viewer"]
    today = tokyo_today()
    chore = make_chore(admin, household_id, start_date=(today - days(10)).isoformat())
    first = admin.ok(
        "POST",
        f"{base(household_id)}/chores/{chore['id']}/complete",
        201,
        json={"done_at": noon(today - days(8))},
    )
    latest = admin.ok(
        "POST",
        f"{base(household_id)}/chores/{chore['id']}/complete",
        201,
        json={"done_at": noon(today - days(4))},
    )
    history = viewer.ok("GET", f"{base(household_id)}/completions")
    assert [entry["id"] for entry in history] == [latest["id"], first["id"]]
    edited = admin.ok(
        "PATCH",
        f"{base(household_id)}/completions/{latest['id']}",
        json={"done_by": member.id, "done_at": noon(today - days(2))},
    )
    assert edited["done_by"]["user_id"] == member.id
    assert (
        admin.ok("GET", f"{base(household_id)}/chores/{chore['id']}")["next_due"]
        == (today + days(1)).isoformat()
    )
    # Editing an older entry is history only.
    admin.ok(
        "PATCH",
        f"{base(household_id)}/completions/{first['id']}",
        json={"done_at": noon(today - days(9))},
    )
    assert (
        admin.ok("GET", f"{base(household_id)}/chores/{chore['id']}")["next_due"]
        == (today + days(1)).isoformat()
    )
    bad = admin.patch(f"{base(household_id)}/completions/{first['id']}", json={"done_by": 999999})
    assert bad.status_code == 422
    admin.ok("DELETE", f"{base(household_id)}/completions/{latest['id']}", 204)
    assert (
        admin.ok("GET", f"{base(household_id)}/chores/{chore['id']}")["next_due"]
        == latest["due_date"]
    )
    by_member = viewer.ok("GET", f"{base(household_id)}/completions?member={member.id}")
    assert by_member == []
    assert viewer.delete(f"{base(household_id)}/completions/{first['id']}").status_code == 403


def test_history_range_is_in_the_households_days(home: Home) -> None:
    household_id, people = home
    admin = people["admin"]
    today = tokyo_today()
    chore = make_chore(admin, household_id)
    admin.ok(
        "POST",
        f"{base(household_id)}/chores/{chore['id']}/complete",
        201,
        json={"done_at": noon(today - days(40))},
    )
    assert admin.ok("GET", f"{base(household_id)}/completions") == []
    day = (today - days(40)).isoformat()
    found = admin.ok("GET", f"{base(household_id)}/completions?from={day}&to={day}")
    assert len(found) == 1
    bad = admin.get(f"{base(household_id)}/completions?from={today.isoformat()}&to={day}")
    assert bad.status_code == 422
    assert bad.json()["code"] == "bad_range"


def test_stats_per_member_and_category(home: Home) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    dishes = make_chore(admin, household_id, points=3, estimated_minutes=10)
    tub = make_chore(admin, household_id, name="Tub", category="Bath", points=5)
    for body in ({}, {"done_by": member.id}):
        admin.ok("POST", f"{base(household_id)}/chores/{dishes['id']}/complete", 201, json=body)
    member.ok("POST", f"{base(household_id)}/chores/{tub['id']}/complete", 201)
    member.ok("POST", f"{base(household_id)}/chores/{tub['id']}/skip", 201)
    stats = people["viewer"].ok("GET", f"{base(household_id)}/stats")
    by_name = {m["display_name"]: m for m in stats["members"]}
    assert set(by_name) == {"admin", "member", "viewer"}
    assert {k: by_name["admin"][k] for k in ("completions", "skips", "minutes", "points")} == {
        "completions": 1,
        "skips": 0,
        "minutes": 10,
        "points": 3,
    }
    assert {k: by_name["member"][k] for k in ("completions", "skips", "minutes", "points")} == {
        "completions": 2,
        "skips": 1,
        "minutes": 25,
        "points": 8,
    }
    assert by_name["viewer"]["completions"] == 0
    assert stats["categories"] == [
        {"category": "Bath", "completions": 1, "minutes": 15, "points": 5},
        {"category": "Kitchen", "completions": 2, "minutes": 20, "points": 6},
    ]
    assert stats["to_date"] == tokyo_today().isoformat()
    assert stats["from_date"] == (tokyo_today() - days(6)).isoformat()


def test_ical_feed_serves_my_upcoming_chores_until_revoked(app: FastAPI, home: Home) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    make_chore(
        admin,
        household_id,
        name="風呂掃除",
        recurrence={"kind": "interval", "every": 7, "unit": "day", "anchor": "schedule"},
        assignment={"mode": "fixed", "members": [member.id]},
    )
    make_chore(
        admin, household_id, name="Not mine", assignment={"mode": "fixed", "members": [admin.id]}
    )
    feed = member.ok("POST", f"{base(household_id)}/calendar-feed", 201)
    anonymous = new_client(app)
    response = anonymous.get(feed["url"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert {str(e["SUMMARY"]) for e in events} == {"風呂掃除"}
    assert [e.decoded("DTSTART") for e in events] == [tokyo_today() + days(7 * n) for n in range(9)]
    rotated = member.ok("POST", f"{base(household_id)}/calendar-feed", 201)
    assert anonymous.get(feed["url"]).status_code == 404
    member.ok("DELETE", f"{base(household_id)}/calendar-feed", 204)
    assert anonymous.get(rotated["url"]).status_code == 404


def test_csv_import_of_the_original_format_and_round_trip(home: Home, engine: Engine) -> None:
    household_id, people = home
    admin = people["admin"]
    original = "category,task_name,frequency\r\nキッチン,食器洗い,1\r\n風呂,浴槽掃除,3\r\n"
    result = admin.ok(
        "POST",
        f"{base(household_id)}/chores/import",
        201,
        files={"file": ("chores.csv", original.encode("cp932"), "text/csv")},
    )
    chores = admin.ok("GET", f"{base(household_id)}/chores")
    assert result == {"created": 2, "format": "original", "chore_ids": [c["id"] for c in chores]}
    assert [(c["category"], c["name"], c["recurrence"]["every"]) for c in chores] == [
        ("キッチン", "食器洗い", 1),
        ("風呂", "浴槽掃除", 3),
    ]
    assert all(c["next_due"] == tokyo_today().isoformat() for c in chores)
    assert all(c["recurrence"]["anchor"] == "completion" for c in chores)

    exported = admin.client.get(f"{base(household_id)}/chores/export.csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="chores.csv"'
    other = admin.ok("POST", "/api/households", 201, json={"name": "Copy"})
    again = admin.ok(
        "POST",
        f"/api/households/{other['id']}/chores/import",
        201,
        files={"file": ("export.csv", exported.content, "text/csv")},
    )
    copied = admin.ok("GET", f"/api/households/{other['id']}/chores")
    assert again == {"created": 2, "format": "export", "chore_ids": [c["id"] for c in copied]}
    strip = ("id", "created_at")
    assert [{k: v for k, v in c.items() if k not in strip} for c in copied] == [
        {k: v for k, v in c.items() if k not in strip} for c in chores
    ]


def test_csv_import_reports_every_bad_row_and_writes_nothing(home: Home, engine: Engine) -> None:
    household_id, people = home
    with engine.connect() as connection:
        before = connection.exec_driver_sql("SELECT count(*) FROM chores").scalar()
    text = (
        "category,task_name,frequency\n"
        "キッチン,食器洗い,1\n風呂,,3\nトイレ,掃除,zero\n庭,草取り,0\n"
    )
    response = people["admin"].post(
        f"{base(household_id)}/chores/import",
        files={"file": ("chores.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import_invalid"
    assert [row["row"] for row in body["rows"]] == [3, 4, 5]
    assert any("name" in error for error in body["rows"][0]["errors"])
    assert any("every" in error for error in body["rows"][1]["errors"])
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM chores").scalar() == before


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"name;category\nx;y\n", "bad_header"),
        (b"category,task_name,frequency\n", "import_empty"),
        (b"\xff\xfe\x00\x00garbage\x81", "bad_encoding"),
    ],
)
def test_unreadable_imports_are_422(home: Home, content: bytes, code: str) -> None:
    household_id, people = home
    response = people["admin"].post(
        f"{base(household_id)}/chores/import", files={"file": ("x.csv", content, "text/csv")}
    )
    assert response.status_code == 422
    assert response.json()["code"] == code


def test_history_export_lists_entries(home: Home) -> None:
    household_id, people = home
    admin = people["admin"]
    chore = make_chore(admin, household_id)
    done = admin.ok(
        "POST",
        f"{base(household_id)}/chores/{chore['id']}/complete",
        201,
        json={"done_at": "2026-11-29T23:30:00Z"},
    )
    response = admin.client.get(f"{base(household_id)}/completions/export.csv?from=2026-11-01")
    # A byte order mark for Excel, and the household's local time (Tokyo: UTC+9).
    assert response.content.startswith(b"\xef\xbb\xbfdone_at,kind,")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["done_at"], r["chore"], r["kind"], r["done_by"], r["points"]) for r in rows] == [
        ("2026-11-30 08:30:00", "Dishes", "done", "admin", "2")
    ]
    assert done["done_at"] == "2026-11-29T23:30:00Z"


def test_ids_beyond_postgres_integers_are_refused_not_500(home: Home) -> None:
    household_id, people = home
    admin = people["admin"]
    assert admin.ok("GET", f"{base(household_id)}/due?assignee=9999999999") == []
    assert admin.get(f"/api/households/{2**31}").status_code == 422
    assert admin.get(f"{base(household_id)}/chores/{2**31}").status_code == 422
    assert admin.get(f"{base(household_id)}/completions?member={2**31}").status_code == 422


# What completing sends after the caller's check: the chore with its rotation, locked; then, on
# PostgreSQL, one statement that writes the entry, the chore and the household's revision
# (data-modifying CTEs). SQLite begins as the writer and writes one table a statement.
LOCKED_READ = {"postgresql": ["SELECT"], "sqlite": ["BEGIN", "SELECT"]}
WRITES = {"postgresql": ["WITH"], "sqlite": ["INSERT", "UPDATE chores", "UPDATE households"]}


@pytest.mark.parametrize(
    ("assignment", "on_behalf", "reads"),
    [
        ("round_robin", False, 0),
        # Least done counts the history.
        ("least_done", False, 1),
        # Recording for another member reads their name (and proves their membership).
        ("round_robin", True, 1),
    ],
)
def test_completing_takes_few_statements_and_locks_the_household_row_last(
    home: Home, app: FastAPI, assignment: str, on_behalf: bool, reads: int
) -> None:
    household_id, people = home
    admin, member = people["admin"], people["member"]
    rotation = {"mode": assignment, "members": [admin.id, member.id]}
    chore = make_chore(admin, household_id, assignment=rotation)
    body = {"done_by": admin.id} if on_behalf else None
    with count_statements(app) as statements:
        done = member.ok(
            "POST", f"{base(household_id)}/chores/{chore['id']}/complete", 201, json=body
        )
    kinds = [
        " ".join(statement.split()[:2]) if statement.startswith("UPDATE") else statement.split()[0]
        for statement in statements
    ]
    dialect = app.state.engine.dialect.name
    # The caller; the locked chore; the reads the case needs; the writes.
    assert kinds == ["SELECT", *LOCKED_READ[dialect], *["SELECT"] * reads, *WRITES[dialect]]
    # The household's row is locked by the last statement only, just before COMMIT.
    assert ["UPDATE households" in statement for statement in statements].index(True) == len(
        statements
    ) - 1
    # The answer is built without reading the entry back, and says what the history says.
    history = member.ok("GET", f"{base(household_id)}/completions")
    assert history == [done]
    assert (done["done_by"]["user_id"], done["recorded_by"]["display_name"]) == (
        admin.id if on_behalf else member.id,
        member.user["display_name"],
    )


def test_the_history_pages_by_keyset_through_equal_times_in_any_offset(home: Home) -> None:
    household_id, people = home
    admin = people["admin"]
    chore = make_chore(admin, household_id, recurrence={"kind": "interval", "every": 1})
    url = f"{base(household_id)}/chores/{chore['id']}/complete"
    moments = [noon(tokyo_today() - days(n)) for n in (3, 2, 2, 2, 1, 0)]  # ties at day 2
    for moment in moments:
        admin.ok("POST", url, 201, json={"done_at": moment})
    everything = admin.ok("GET", f"{base(household_id)}/completions")
    assert len(everything) == 6
    pages, query = [], "limit=2"
    while True:
        page = admin.ok("GET", f"{base(household_id)}/completions?{query}")
        pages.append([entry["id"] for entry in page])
        if len(page) < 2:
            break
        last = page[-1]
        # The same instant written with Tokyo's offset names the same place in the history.
        at = datetime.fromisoformat(last["done_at"]).astimezone(TOKYO).isoformat()
        query = f"limit=2&before_at={quote(at)}&before_id={last['id']}"
    assert pages == [[e["id"] for e in everything[i : i + 2]] for i in (0, 2, 4)] + [[]]
    assert [e["done_at"] for e in everything] == sorted(
        (e["done_at"] for e in everything), reverse=True
    )


@pytest.mark.parametrize(
    "query", ["before_id=3", "before_at=2026-01-01T00:00:00Z", "limit=1001", "limit=0"]
)
def test_a_half_cursor_or_an_oversized_page_is_422(home: Home, query: str) -> None:
    household_id, people = home
    response = people["admin"].get(f"{base(household_id)}/completions?{query}")
    assert response.status_code == 422, response.text
