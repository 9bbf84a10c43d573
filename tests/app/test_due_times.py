"""A chore may be due by a time of day, in the household's zone: the lists order a day's chores
by it, and the calendar feed shows them as timed events instead of all-day ones."""

from datetime import datetime, time

import pytest
from fastapi import FastAPI
from icalendar import Calendar

from tests.app.chore_helpers import TOKYO, make_chore, tokyo_today
from tests.support.people import Person, new_client

Home = tuple[int, dict[str, Person]]


def base(household_id: int) -> str:
    return f"/api/households/{household_id}"


def test_a_due_time_is_set_kept_by_other_edits_and_cleared_with_null(home: Home) -> None:
    household_id, people = home
    admin = people["admin"]
    chore = make_chore(admin, household_id, name="ゴミ出し", due_time="08:00")
    assert chore["due_time"] == "08:00:00"
    url = f"{base(household_id)}/chores/{chore['id']}"
    assert admin.ok("PATCH", url, json={"name": "燃えるゴミ"})["due_time"] == "08:00:00"
    assert admin.ok("PATCH", url, json={"due_time": "07:30"})["due_time"] == "07:30:00"
    assert admin.ok("PATCH", url, json={"due_time": None})["due_time"] is None


@pytest.mark.parametrize("value", ["08:00:30", "08:00+09:00", "24:00", "8 am", ""])
def test_a_due_time_is_a_time_of_day_in_whole_minutes(home: Home, value: str) -> None:
    household_id, people = home
    response = people["admin"].post(
        f"{base(household_id)}/chores",
        json={"name": "x", "recurrence": {"kind": "interval"}, "due_time": value},
    )
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")


def test_a_days_chores_come_by_their_time_then_the_untimed(home: Home) -> None:
    household_id, people = home
    admin = people["admin"]
    for name, due_time in (("Any time", None), ("Evening", "21:00"), ("Morning", "07:00")):
        make_chore(admin, household_id, name=name, category="", due_time=due_time)
    due = admin.ok("GET", f"{base(household_id)}/due")
    assert [item["chore"]["name"] for item in due] == ["Morning", "Evening", "Any time"]
    calendar = admin.ok("GET", f"{base(household_id)}/calendar?to={tokyo_today().isoformat()}")
    assert [(item["name"], item["due_time"]) for item in calendar] == [
        ("Morning", "07:00:00"),
        ("Evening", "21:00:00"),
        ("Any time", None),
    ]


def test_the_feed_shows_a_timed_chore_as_an_event_ending_at_its_time(
    app: FastAPI, home: Home
) -> None:
    household_id, people = home
    member = people["member"]
    mine = {"mode": "fixed", "members": [member.id]}
    make_chore(member, household_id, name="ゴミ出し", due_time="08:00", assignment=mine)
    make_chore(member, household_id, name="掃除", assignment=mine)
    feed = member.ok("POST", f"{base(household_id)}/calendar-feed", 201)
    response = new_client(app).get(feed["url"])
    calendar = Calendar.from_ical(response.content)
    today = tokyo_today()
    events = {
        (str(event["SUMMARY"]), event.decoded("DTSTART")): event
        for event in calendar.walk("VEVENT")
    }
    timed = events[("ゴミ出し", datetime.combine(today, time(7, 30), TOKYO))]
    assert timed.decoded("DTEND") == datetime.combine(today, time(8), TOKYO)
    assert timed["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert ("掃除", today) in events  # all day, as before
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Asia/Tokyo"]


@pytest.mark.parametrize(
    ("include_unassigned", "expected"), [(False, {"Mine"}), (True, {"Mine", "Anyone"})]
)
def test_a_feed_may_also_show_the_chores_anyone_may_do(
    app: FastAPI, home: Home, include_unassigned: bool, expected: set[str]
) -> None:
    household_id, people = home
    member, admin = people["member"], people["admin"]
    make_chore(
        admin, household_id, name="Mine", assignment={"mode": "fixed", "members": [member.id]}
    )
    make_chore(admin, household_id, name="Anyone")
    make_chore(
        admin, household_id, name="Admin's", assignment={"mode": "fixed", "members": [admin.id]}
    )
    body = {"include_unassigned": include_unassigned}
    feed = member.ok("POST", f"{base(household_id)}/calendar-feed", 201, json=body)
    assert feed["include_unassigned"] is include_unassigned
    calendar = Calendar.from_ical(new_client(app).get(feed["url"]).content)
    assert {str(event["SUMMARY"]) for event in calendar.walk("VEVENT")} == expected
