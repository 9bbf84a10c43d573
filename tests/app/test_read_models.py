"""The cached reads write the services' read models (app.domain.views) out as they are, without
validating them into the API schemas first. Each body must still be exactly what its schema
renders: same fields, same values, same formats. A read model that gained, lost or renamed a
field, or a value in another format, fails here (and the fuzzing's schema checks)."""

from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter

from app.schemas.chores import CalendarItem, ChoreOut, DueItem
from app.schemas.completions import CompletionOut, StatsOut
from tests.app.chore_helpers import days, make_chore, noon, tokyo_today
from tests.support.people import Person

Home = tuple[int, dict[str, Person]]

# Each read and the schema its route declares (checked against the OpenAPI document below).
READS: dict[str, Any] = {
    "/due?window=month": list[DueItem],
    "/chores": list[ChoreOut],
    "/calendar": list[CalendarItem],
    "/completions": list[CompletionOut],
    "/stats": StatsOut,
}


def furnished(home: Home) -> int:
    """A household with every shape a read shows: rules of each kind, fixed and rotating
    assignees, unassigned chores, done, skipped and recorded-for-someone-else entries."""
    household_id, people = home
    admin, member = people["admin"], people["member"]
    base = f"/api/households/{household_id}"
    today = tokyo_today()
    weekly = make_chore(
        admin,
        household_id,
        name="ゴミ出し",
        category="ゴミ",
        recurrence={"kind": "weekly", "weekdays": [1, 4]},
        assignment={"mode": "round_robin", "members": [member.id, admin.id]},
    )
    monthly = make_chore(
        admin,
        household_id,
        name="Filter",
        notes="the one under the sink",
        recurrence={"kind": "monthly", "month_day": 31},
        assignment={"mode": "fixed", "members": [member.id]},
        start_date=(today - days(40)).isoformat(),
    )
    make_chore(admin, household_id, name="Once", recurrence={"kind": "once"})
    make_chore(
        admin,
        household_id,
        name="Least",
        estimated_minutes=None,
        recurrence={"kind": "interval", "every": 2, "unit": "week", "anchor": "schedule"},
        assignment={"mode": "least_done", "members": [admin.id, member.id]},
    )
    member.ok("POST", f"{base}/chores/{weekly['id']}/complete", 201)
    admin.ok(
        "POST",
        f"{base}/chores/{monthly['id']}/complete",
        201,
        json={"done_by": member.id, "done_at": noon(today - days(1))},
    )
    member.ok("POST", f"{base}/chores/{monthly['id']}/skip", 201)
    return household_id


def declared(app: FastAPI, read: str) -> Any:
    path = "/api/households/{household_id}" + read.split("?")[0]
    content = app.openapi()["paths"][path]["get"]["responses"]["200"]["content"]
    return content["application/json"]["schema"]


def test_the_reads_declare_these_schemas(app: FastAPI) -> None:
    for read, model in READS.items():
        name = getattr(model, "__args__", (model,))[0].__name__
        reference = {"$ref": f"#/components/schemas/{name}"}
        expected = reference if model is StatsOut else {"type": "array", "items": reference}
        assert {k: v for k, v in declared(app, read).items() if k != "title"} == expected


@pytest.mark.parametrize("read", list(READS))
def test_a_cached_read_is_exactly_what_its_schema_renders(
    app: FastAPI, home: Home, read: str
) -> None:
    household_id = furnished(home)
    response = home[1]["viewer"].client.get(f"/api/households/{household_id}{read}")
    assert response.status_code == 200, response.text
    schema: TypeAdapter[Any] = TypeAdapter(READS[read])
    rendered = schema.dump_json(schema.validate_json(response.content))
    assert response.content == rendered
    # Not vacuous: the body carries the shapes listed above.
    assert len(response.content) > 300


@pytest.mark.parametrize("tap", ["complete", "skip"])
def test_a_taps_answer_is_exactly_what_its_schema_renders(home: Home, tap: str) -> None:
    """The tap answers with its read model written out as it is, like the cached reads."""
    household_id, people = home
    admin, member = people["admin"], people["member"]
    chore = make_chore(admin, household_id, name="Laundry", recurrence={"kind": "interval"})
    response = admin.client.post(
        f"/api/households/{household_id}/chores/{chore['id']}/{tap}",
        json={"done_by": member.id, "done_at": noon(tokyo_today())},
    )
    assert response.status_code == 201, response.text
    schema: TypeAdapter[CompletionOut] = TypeAdapter(CompletionOut)
    answer = schema.validate_json(response.content)
    assert response.content == schema.dump_json(answer)
    assert answer.done_by is not None
    assert answer.recorded_by is not None
    assert (answer.chore_name, answer.kind, answer.done_by.user_id, answer.recorded_by.user_id) == (
        "Laundry",
        "done" if tap == "complete" else "skipped",
        member.id,
        admin.id,
    )
    assert answer.done_by.display_name == member.user["display_name"] == "member"
