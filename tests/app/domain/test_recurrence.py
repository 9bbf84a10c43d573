"""Tests of the recurrence engine (app/domain/recurrence.py): tables, then properties."""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.recurrence import (
    Anchor,
    Rule,
    RuleError,
    add_months,
    first_due,
    local_date,
    next_due,
    occurrences,
)

D = date
BERLIN = ZoneInfo("Europe/Berlin")

ONCE = Rule("once")
DAILY = Rule("interval")
EVERY_3_DAYS_DONE = Rule("interval", every=3, anchor="completion")
EVERY_3_DAYS_GRID = Rule("interval", every=3)
EVERY_2_WEEKS_GRID = Rule("interval", every=2, unit="week")
EVERY_2_WEEKS_DONE = Rule("interval", every=2, unit="week", anchor="completion")
MONTHLY_GRID = Rule("interval", every=1, unit="month")
QUARTERLY_DONE = Rule("interval", every=3, unit="month", anchor="completion")
MON_THU = Rule("weekly", weekdays=(1, 4))
MON_THU_DONE = Rule("weekly", weekdays=(1, 4), anchor="completion")
SUNDAY = Rule("weekly", weekdays=(7,))
ON_31ST = Rule("monthly", month_day=31)
ON_31ST_DONE = Rule("monthly", month_day=31, anchor="completion")
ON_15TH = Rule("monthly", month_day=15)

# 2025-09-01 is a Monday, 2025-09-04 a Thursday.


# --- next_due tables ---------------------------------------------------------------------------

NEXT_DUE_CASES = [
    # (rule, start, scheduled, done_on, expected, id)
    (ONCE, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 1), None, "once-done-finishes"),
    (ONCE, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 9), None, "once-done-late-finishes"),
    # The original app: a chore every 3 days done on the 1st is due on the 4th.
    (EVERY_3_DAYS_DONE, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 4), "3d-done-1st"),
    (EVERY_3_DAYS_DONE, D(2025, 9, 1), D(2025, 9, 4), D(2025, 9, 6), D(2025, 9, 9), "3d-done-late"),
    (
        EVERY_3_DAYS_DONE,
        D(2025, 9, 1),
        D(2025, 9, 4),
        D(2025, 9, 3),
        D(2025, 9, 6),
        "3d-done-early",
    ),
    # Done so early that one interval from the completion is not after the due date.
    (
        EVERY_3_DAYS_DONE,
        D(2025, 9, 1),
        D(2025, 9, 10),
        D(2025, 9, 5),
        D(2025, 9, 11),
        "3d-very-early",
    ),
    (DAILY, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 2), "daily-on-time"),
    (DAILY, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 5), D(2025, 9, 6), "daily-late-skips"),
    (
        EVERY_3_DAYS_GRID,
        D(2025, 9, 1),
        D(2025, 9, 4),
        D(2025, 9, 4),
        D(2025, 9, 7),
        "3d-grid-on-time",
    ),
    # Scheduled on the 4th, done on the 9th: the 7th was missed and skipped, the grid is kept.
    (
        EVERY_3_DAYS_GRID,
        D(2025, 9, 1),
        D(2025, 9, 4),
        D(2025, 9, 9),
        D(2025, 9, 10),
        "3d-grid-late",
    ),
    (
        EVERY_3_DAYS_GRID,
        D(2025, 9, 1),
        D(2025, 9, 4),
        D(2025, 9, 10),
        D(2025, 9, 13),
        "3d-grid-on-pt",
    ),
    (
        EVERY_3_DAYS_GRID,
        D(2025, 9, 1),
        D(2025, 9, 4),
        D(2025, 9, 2),
        D(2025, 9, 7),
        "3d-grid-early",
    ),
    (EVERY_2_WEEKS_GRID, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 3), D(2025, 9, 15), "2w-grid"),
    (EVERY_2_WEEKS_GRID, D(2025, 9, 1), D(2025, 9, 15), D(2025, 10, 1), D(2025, 10, 13), "2w-late"),
    (EVERY_2_WEEKS_DONE, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 3), D(2025, 9, 17), "2w-done"),
    (MONTHLY_GRID, D(2027, 1, 31), D(2027, 1, 31), D(2027, 1, 31), D(2027, 2, 28), "1m-jan31"),
    (MONTHLY_GRID, D(2027, 1, 31), D(2027, 2, 28), D(2027, 2, 28), D(2027, 3, 31), "1m-no-drift"),
    (MONTHLY_GRID, D(2027, 1, 31), D(2027, 3, 31), D(2027, 3, 31), D(2027, 4, 30), "1m-april"),
    (MONTHLY_GRID, D(2027, 1, 31), D(2027, 2, 28), D(2027, 5, 2), D(2027, 5, 31), "1m-late"),
    (MONTHLY_GRID, D(2028, 1, 31), D(2028, 1, 31), D(2028, 1, 20), D(2028, 2, 29), "1m-leap"),
    (QUARTERLY_DONE, D(2025, 1, 1), D(2025, 11, 30), D(2025, 11, 30), D(2026, 2, 28), "3m-done"),
    (QUARTERLY_DONE, D(2025, 1, 1), D(2025, 9, 1), D(2025, 9, 10), D(2025, 12, 10), "3m-late"),
    (MON_THU, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 4), "mon-thu-mon"),
    (MON_THU, D(2025, 9, 1), D(2025, 9, 4), D(2025, 9, 4), D(2025, 9, 8), "mon-thu-thu"),
    # Thursday's occurrence done on Tuesday (early): moves on to the Monday after it.
    (MON_THU, D(2025, 9, 1), D(2025, 9, 4), D(2025, 9, 2), D(2025, 9, 8), "mon-thu-early"),
    # Monday's occurrence done on the next Wednesday: Monday 8th and Thursday 4th are skipped.
    (MON_THU, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 10), D(2025, 9, 11), "mon-thu-late"),
    (MON_THU_DONE, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 2), D(2025, 9, 4), "mon-thu-done"),
    (MON_THU_DONE, D(2025, 9, 1), D(2025, 9, 4), D(2025, 9, 6), D(2025, 9, 8), "mon-thu-done-sat"),
    (SUNDAY, D(2025, 9, 7), D(2025, 9, 7), D(2025, 9, 7), D(2025, 9, 14), "sunday"),
    (ON_31ST, D(2027, 1, 31), D(2027, 1, 31), D(2027, 1, 31), D(2027, 2, 28), "31st-feb-2027"),
    (ON_31ST, D(2028, 1, 31), D(2028, 1, 31), D(2028, 1, 31), D(2028, 2, 29), "31st-feb-2028"),
    (ON_31ST, D(2027, 1, 31), D(2027, 3, 31), D(2027, 3, 31), D(2027, 4, 30), "31st-april"),
    (ON_31ST, D(2027, 1, 31), D(2027, 4, 30), D(2027, 4, 30), D(2027, 5, 31), "31st-may"),
    (ON_31ST, D(2027, 1, 31), D(2027, 1, 31), D(2027, 3, 5), D(2027, 3, 31), "31st-late"),
    (ON_31ST_DONE, D(2027, 1, 31), D(2027, 1, 31), D(2027, 2, 1), D(2027, 2, 28), "31st-done"),
    (ON_15TH, D(2025, 1, 15), D(2025, 12, 15), D(2025, 12, 20), D(2026, 1, 15), "15th-new-year"),
    (ON_15TH, D(2025, 1, 15), D(2025, 12, 15), D(2025, 12, 1), D(2026, 1, 15), "15th-early"),
]


@pytest.mark.parametrize(
    ("rule", "start", "scheduled", "done_on", "expected"),
    [pytest.param(*case[:5], id=case[5]) for case in NEXT_DUE_CASES],
)
def test_next_due(
    rule: Rule, start: date, scheduled: date, done_on: date, expected: date | None
) -> None:
    assert next_due(rule, start=start, scheduled=scheduled, done_on=done_on) == expected


def test_interval_months_from_jan_31_do_not_drift_over_a_year() -> None:
    due = [D(2027, 1, 31)]
    for _ in range(12):
        nxt = next_due(MONTHLY_GRID, start=due[0], scheduled=due[-1], done_on=due[-1])
        assert nxt is not None
        due.append(nxt)
    assert due == [
        D(2027, 1, 31),
        D(2027, 2, 28),
        D(2027, 3, 31),
        D(2027, 4, 30),
        D(2027, 5, 31),
        D(2027, 6, 30),
        D(2027, 7, 31),
        D(2027, 8, 31),
        D(2027, 9, 30),
        D(2027, 10, 31),
        D(2027, 11, 30),
        D(2027, 12, 31),
        D(2028, 1, 31),
    ]


def test_completion_anchored_months_count_from_the_completion() -> None:
    # Counting from the completion follows the completion's day of month, clamped.
    rule = Rule("interval", every=1, unit="month", anchor="completion")
    assert next_due(
        rule, start=D(2027, 1, 31), scheduled=D(2027, 1, 31), done_on=D(2027, 1, 31)
    ) == (D(2027, 2, 28))
    assert next_due(
        rule, start=D(2027, 1, 31), scheduled=D(2027, 2, 28), done_on=D(2027, 2, 28)
    ) == (D(2027, 3, 28))


# --- first_due --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "on_or_after", "expected"),
    [
        pytest.param(ONCE, D(2025, 9, 3), D(2025, 9, 3), id="once-today"),
        pytest.param(EVERY_3_DAYS_DONE, D(2025, 9, 3), D(2025, 9, 3), id="interval-today"),
        pytest.param(QUARTERLY_DONE, D(2025, 9, 3), D(2025, 9, 3), id="months-today"),
        pytest.param(MON_THU, D(2025, 9, 1), D(2025, 9, 1), id="weekly-on-monday"),
        pytest.param(MON_THU, D(2025, 9, 2), D(2025, 9, 4), id="weekly-tue-to-thu"),
        pytest.param(MON_THU, D(2025, 9, 5), D(2025, 9, 8), id="weekly-fri-to-mon"),
        pytest.param(SUNDAY, D(2025, 9, 1), D(2025, 9, 7), id="weekly-sunday"),
        pytest.param(SUNDAY, D(2025, 12, 29), D(2026, 1, 4), id="weekly-new-year"),
        pytest.param(ON_31ST, D(2027, 2, 1), D(2027, 2, 28), id="monthly-31-feb-2027"),
        pytest.param(ON_31ST, D(2028, 2, 1), D(2028, 2, 29), id="monthly-31-feb-2028"),
        pytest.param(ON_31ST, D(2027, 4, 30), D(2027, 4, 30), id="monthly-31-april"),
        pytest.param(ON_15TH, D(2025, 9, 15), D(2025, 9, 15), id="monthly-same-day"),
        pytest.param(ON_15TH, D(2025, 9, 16), D(2025, 10, 15), id="monthly-next-month"),
        pytest.param(ON_15TH, D(2025, 12, 16), D(2026, 1, 15), id="monthly-next-year"),
    ],
)
def test_first_due(rule: Rule, on_or_after: date, expected: date) -> None:
    assert first_due(rule, on_or_after) == expected


# --- add_months -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "day_of_month", "expected"),
    [
        pytest.param(D(2027, 1, 31), 1, None, D(2027, 2, 28), id="jan31-to-feb"),
        pytest.param(D(2028, 1, 31), 1, None, D(2028, 2, 29), id="jan31-to-leap-feb"),
        pytest.param(D(2027, 2, 28), 1, 31, D(2027, 3, 31), id="explicit-day"),
        pytest.param(D(2025, 11, 30), 3, None, D(2026, 2, 28), id="over-new-year"),
        pytest.param(D(2025, 3, 31), -1, None, D(2025, 2, 28), id="backwards"),
        pytest.param(D(2025, 1, 15), -13, None, D(2023, 12, 15), id="back-over-years"),
        pytest.param(D(2025, 5, 10), 0, None, D(2025, 5, 10), id="zero"),
        pytest.param(D(2024, 2, 29), 12, None, D(2025, 2, 28), id="leap-day-plus-year"),
    ],
)
def test_add_months(day: date, months: int, day_of_month: int | None, expected: date) -> None:
    assert add_months(day, months, day_of_month=day_of_month) == expected


def test_add_months_rejects_bad_day_of_month_and_overflow() -> None:
    with pytest.raises(ValueError, match="day_of_month"):
        add_months(D(2025, 1, 1), 1, day_of_month=32)
    with pytest.raises(OverflowError):
        add_months(D(9999, 12, 1), 1)


# --- occurrences ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "start", "first", "until", "limit", "expected"),
    [
        pytest.param(
            ONCE, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 30), 400, [D(2025, 9, 1)], id="once"
        ),
        pytest.param(ONCE, D(2025, 9, 1), D(2025, 10, 1), D(2025, 9, 30), 400, [], id="once-later"),
        pytest.param(
            MON_THU,
            D(2025, 9, 1),
            D(2025, 9, 4),
            D(2025, 9, 18),
            400,
            [D(2025, 9, 4), D(2025, 9, 8), D(2025, 9, 11), D(2025, 9, 15), D(2025, 9, 18)],
            id="weekly-until-inclusive",
        ),
        pytest.param(
            EVERY_3_DAYS_GRID,
            D(2025, 9, 1),
            D(2025, 9, 1),
            D(2025, 9, 30),
            3,
            [D(2025, 9, 1), D(2025, 9, 4), D(2025, 9, 7)],
            id="limit",
        ),
        pytest.param(
            ON_31ST,
            D(2027, 1, 31),
            D(2027, 1, 31),
            D(2027, 5, 1),
            400,
            [D(2027, 1, 31), D(2027, 2, 28), D(2027, 3, 31), D(2027, 4, 30)],
            id="monthly-31",
        ),
        pytest.param(DAILY, D(2025, 9, 1), D(2025, 9, 2), D(2025, 9, 1), 400, [], id="empty"),
        pytest.param(DAILY, D(2025, 9, 1), D(2025, 9, 1), D(2025, 9, 9), 0, [], id="limit-0"),
    ],
)
def test_occurrences(
    rule: Rule, start: date, first: date, until: date, limit: int, expected: list[date]
) -> None:
    assert occurrences(rule, start=start, first=first, until=until, limit=limit) == expected


def test_occurrences_default_limit_is_400() -> None:
    got = occurrences(DAILY, start=D(2025, 1, 1), first=D(2025, 1, 1), until=D(2030, 1, 1))
    assert len(got) == 400
    assert got[-1] == D(2025, 1, 1) + timedelta(days=399)


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"kind": "yearly"}, "kind", id="unknown-kind"),
        pytest.param({"kind": "interval", "every": 0}, "every", id="every-0"),
        pytest.param({"kind": "interval", "every": -3}, "every", id="every-negative"),
        pytest.param({"kind": "interval", "every": 367}, "every", id="every-367"),
        pytest.param({"kind": "interval", "every": True}, "every", id="every-bool"),
        pytest.param({"kind": "interval", "every": 2.5}, "every", id="every-float"),
        pytest.param({"kind": "interval", "unit": "year"}, "unit", id="unknown-unit"),
        pytest.param({"kind": "interval", "weekdays": (1,)}, "weekdays", id="interval-weekdays"),
        pytest.param({"kind": "interval", "month_day": 5}, "month_day", id="interval-month-day"),
        pytest.param({"kind": "interval", "anchor": "later"}, "anchor", id="unknown-anchor"),
        pytest.param({"kind": "weekly"}, "weekdays", id="weekly-without-weekdays"),
        pytest.param({"kind": "weekly", "weekdays": (0,)}, "weekdays", id="weekday-0"),
        pytest.param({"kind": "weekly", "weekdays": (8,)}, "weekdays", id="weekday-8"),
        pytest.param({"kind": "weekly", "weekdays": (4, 1)}, "weekdays", id="weekdays-unsorted"),
        pytest.param({"kind": "weekly", "weekdays": (1, 1)}, "weekdays", id="weekdays-repeated"),
        pytest.param({"kind": "weekly", "weekdays": [1, 4]}, "weekdays", id="weekdays-list"),
        pytest.param({"kind": "weekly", "weekdays": (1,), "every": 2}, "every", id="weekly-every"),
        pytest.param(
            {"kind": "weekly", "weekdays": (1,), "unit": "week"}, "unit", id="weekly-unit"
        ),
        pytest.param(
            {"kind": "weekly", "weekdays": (1,), "month_day": 1}, "month_day", id="weekly-month-day"
        ),
        pytest.param({"kind": "monthly"}, "month_day", id="monthly-without-day"),
        pytest.param({"kind": "monthly", "month_day": 0}, "month_day", id="month-day-0"),
        pytest.param({"kind": "monthly", "month_day": 32}, "month_day", id="month-day-32"),
        pytest.param(
            {"kind": "monthly", "month_day": 1, "weekdays": (1,)}, "weekdays", id="monthly-weekdays"
        ),
        pytest.param({"kind": "monthly", "month_day": 1, "every": 2}, "every", id="monthly-every"),
        pytest.param({"kind": "once", "every": 2}, "every", id="once-every"),
        pytest.param({"kind": "once", "unit": "month"}, "unit", id="once-unit"),
        pytest.param({"kind": "once", "weekdays": (1,)}, "weekdays", id="once-weekdays"),
        pytest.param({"kind": "once", "month_day": 3}, "month_day", id="once-month-day"),
        pytest.param({"kind": "once", "anchor": "completion"}, "anchor", id="once-anchor"),
    ],
)
def test_invalid_rules_name_the_field(fields: dict[str, Any], field: str) -> None:
    rule = Rule(**fields)
    with pytest.raises(RuleError, match=rf"^{field}\b"):
        rule.validate()
    # Every entry point refuses an invalid rule instead of computing with it.
    with pytest.raises(RuleError):
        first_due(rule, D(2025, 9, 1))
    with pytest.raises(RuleError):
        next_due(rule, start=D(2025, 9, 1), scheduled=D(2025, 9, 1), done_on=D(2025, 9, 1))


def test_rule_error_is_a_value_error() -> None:
    assert issubclass(RuleError, ValueError)


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param(ONCE, id="once"),
        pytest.param(Rule("interval", every=366, unit="month", anchor="completion"), id="interval"),
        pytest.param(Rule("weekly", weekdays=(1, 2, 3, 4, 5, 6, 7)), id="weekly-all"),
        pytest.param(Rule("monthly", month_day=1, anchor="completion"), id="monthly"),
    ],
)
def test_valid_rules_pass(rule: Rule) -> None:
    rule.validate()
    assert first_due(rule, D(2025, 9, 1)) >= D(2025, 9, 1)


def test_datetimes_are_not_dates_here() -> None:
    with pytest.raises(TypeError, match="on_or_after"):
        first_due(DAILY, datetime(2025, 9, 1, 12, tzinfo=UTC))


# --- local_date -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        pytest.param(
            datetime(2025, 1, 1, 15, 0, tzinfo=UTC), "Asia/Tokyo", D(2025, 1, 2), id="jst"
        ),
        pytest.param(
            datetime(2025, 1, 1, 14, 59, tzinfo=UTC), "Asia/Tokyo", D(2025, 1, 1), id="jst-"
        ),
        pytest.param(
            datetime(2025, 3, 30, 0, 59, tzinfo=UTC), "Europe/Berlin", D(2025, 3, 30), id="b"
        ),
        pytest.param(
            datetime(2025, 3, 29, 22, 59, tzinfo=UTC), "Europe/Berlin", D(2025, 3, 29), id="c"
        ),
        pytest.param(
            datetime(2025, 10, 25, 22, 0, tzinfo=UTC), "Europe/Berlin", D(2025, 10, 26), id="d"
        ),
        pytest.param(
            datetime(2025, 10, 26, 22, 59, tzinfo=UTC), "Europe/Berlin", D(2025, 10, 26), id="e"
        ),
        pytest.param(
            datetime(2025, 10, 26, 23, 0, tzinfo=UTC), "Europe/Berlin", D(2025, 10, 27), id="f"
        ),
        pytest.param(
            datetime(2025, 6, 1, 8, 0, tzinfo=ZoneInfo("America/Los_Angeles")),
            "Asia/Tokyo",
            D(2025, 6, 2),
            id="other-zone-in",
        ),
    ],
)
def test_local_date(instant: datetime, zone: str, expected: date) -> None:
    assert local_date(instant, zone) == expected


def test_local_date_rejects_naive_datetimes_and_unknown_zones() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2025, 1, 1, 12, 0), "Asia/Tokyo")
    with pytest.raises(ValueError, match="time zone"):
        local_date(datetime(2025, 1, 1, 12, 0, tzinfo=UTC), "Mars/Olympus_Mons")


# --- properties -------------------------------------------------------------------------------

PROPS = settings(max_examples=150, deadline=None)

dates = st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31))
anchors = st.sampled_from(["schedule", "completion"])

interval_rules = st.builds(
    Rule,
    kind=st.just("interval"),
    every=st.one_of(st.integers(1, 14), st.integers(1, 366)),
    unit=st.sampled_from(["day", "week", "month"]),
    anchor=anchors,
)
weekly_rules = st.builds(
    Rule,
    kind=st.just("weekly"),
    weekdays=st.sets(st.integers(1, 7), min_size=1).map(lambda s: tuple(sorted(s))),
    anchor=anchors,
)
monthly_rules = st.builds(
    Rule,
    kind=st.just("monthly"),
    month_day=st.one_of(st.integers(1, 31), st.integers(28, 31)),
    anchor=anchors,
)
recurring_rules = st.one_of(interval_rules, weekly_rules, monthly_rules)


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def is_occurrence(rule: Rule, day: date) -> bool:
    """Whether ``day`` lies on a weekly or monthly rule's calendar grid."""
    if rule.kind == "weekly":
        return day.isoweekday() in rule.weekdays
    assert rule.kind == "monthly"
    assert rule.month_day is not None
    return day.day == min(rule.month_day, days_in_month(day))


def interval_points(rule: Rule, origin: date, *, min_k: int) -> Iterator[date]:
    """Grid points origin + k*N units for k = min_k, min_k + 1, ..., each computed from origin."""
    k = min_k
    while True:
        if rule.unit == "month":
            yield add_months(origin, k * rule.every, day_of_month=origin.day)
        else:
            step = rule.every * (7 if rule.unit == "week" else 1)
            yield origin + timedelta(days=k * step)
        k += 1


@PROPS
@given(rule=recurring_rules, start=dates, scheduled=dates, done_on=dates)
def test_next_due_is_after_both_dates_and_the_first_such_occurrence(
    rule: Rule, start: date, scheduled: date, done_on: date
) -> None:
    due = next_due(rule, start=start, scheduled=scheduled, done_on=done_on)
    assert due is not None
    assert due > scheduled
    assert due > done_on
    latest = max(scheduled, done_on)
    if rule.kind == "interval":
        if rule.anchor == "completion":
            points = interval_points(rule, done_on, min_k=1)
        else:
            points = interval_points(rule, start, min_k=0)
        assert due == next(p for p in points if p > latest)
    else:
        assert is_occurrence(rule, due)
        gap = (due - latest).days
        # No occurrence is passed over between the later of the two dates and the result.
        assert not any(is_occurrence(rule, latest + timedelta(days=i)) for i in range(1, gap))
        assert gap <= (7 if rule.kind == "weekly" else 62)


@PROPS
@given(rule=weekly_rules, start=dates, scheduled=dates, done_on=dates)
def test_weekly_results_land_on_a_chosen_weekday(
    rule: Rule, start: date, scheduled: date, done_on: date
) -> None:
    due = next_due(rule, start=start, scheduled=scheduled, done_on=done_on)
    assert due is not None
    assert due.isoweekday() in rule.weekdays
    assert 1 <= (due - max(scheduled, done_on)).days <= 7
    assert first_due(rule, done_on).isoweekday() in rule.weekdays


@PROPS
@given(rule=monthly_rules, start=dates, scheduled=dates, done_on=dates)
def test_monthly_results_land_on_the_clamped_month_day(
    rule: Rule, start: date, scheduled: date, done_on: date
) -> None:
    assert rule.month_day is not None
    due = next_due(rule, start=start, scheduled=scheduled, done_on=done_on)
    assert due is not None
    assert due.day == min(rule.month_day, days_in_month(due))
    first = first_due(rule, done_on)
    assert first >= done_on
    assert first.day == min(rule.month_day, days_in_month(first))


@PROPS
@given(rule=interval_rules, day=dates)
def test_first_due_of_an_interval_is_the_day_itself(rule: Rule, day: date) -> None:
    assert first_due(rule, day) == day
    assert first_due(ONCE, day) == day


@PROPS
@given(
    rule=st.one_of(recurring_rules, st.just(ONCE)),
    start=dates,
    first_offset=st.integers(-60, 60),
    span=st.integers(-5, 800),
    limit=st.integers(0, 120),
)
def test_occurrences_increase_within_bounds_and_follow_next_due(
    rule: Rule, start: date, first_offset: int, span: int, limit: int
) -> None:
    first = first_due(rule, start + timedelta(days=first_offset))
    until = first + timedelta(days=span)
    got = occurrences(rule, start=start, first=first, until=until, limit=limit)
    assert len(got) <= limit
    assert all(first <= day <= until for day in got)
    assert all(a < b for a, b in itertools.pairwise(got))
    for a, b in itertools.pairwise(got):
        assert b == next_due(rule, start=start, scheduled=a, done_on=a)
    if limit > 0 and span >= 0:
        assert got[0] == first
    if got and len(got) < limit:
        # The projection stops only because the next date is past `until` (or the chore ends).
        after = next_due(rule, start=start, scheduled=got[-1], done_on=got[-1])
        assert after is None or after > until


@PROPS
@given(day=dates, months=st.integers(-1200, 1200), dom=st.one_of(st.none(), st.integers(1, 31)))
def test_add_months_moves_whole_months_and_clamps(day: date, months: int, dom: int | None) -> None:
    got = add_months(day, months, day_of_month=dom)
    assert (got.year * 12 + got.month) - (day.year * 12 + day.month) == months
    assert got.day == min(day.day if dom is None else dom, days_in_month(got))


# --- daylight saving time (Europe/Berlin) -----------------------------------------------------


def last_sunday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=last.isoweekday() % 7)


def berlin_offset_hours(instant_utc: datetime) -> int:
    """EU rule, independent of the tz database: summer time from 01:00 UTC on the last Sunday
    of March to 01:00 UTC on the last Sunday of October."""
    year = instant_utc.year
    begins = datetime.combine(last_sunday(year, 3), time(1), tzinfo=UTC)
    ends = datetime.combine(last_sunday(year, 10), time(1), tzinfo=UTC)
    return 2 if begins <= instant_utc < ends else 1


def test_last_sunday_helper() -> None:
    assert last_sunday(2025, 3) == D(2025, 3, 30)
    assert last_sunday(2025, 10) == D(2025, 10, 26)
    assert last_sunday(2026, 3) == D(2026, 3, 29)


transition_days = st.builds(last_sunday, st.integers(1997, 2037), st.sampled_from([3, 10]))


@PROPS
@given(day=transition_days, minutes=st.integers(-6 * 60, 6 * 60))
def test_local_date_around_berlin_dst_changes_matches_the_wall_clock(
    day: date, minutes: int
) -> None:
    # Instants within six hours of the change (01:00 UTC), i.e. around 00:00-03:00 local time.
    instant = datetime.combine(day, time(1), tzinfo=UTC) + timedelta(minutes=minutes)
    wall = instant.replace(tzinfo=None) + timedelta(hours=berlin_offset_hours(instant))
    assert local_date(instant, "Europe/Berlin") == wall.date()
    # The same instant expressed in another zone gives the same answer.
    assert local_date(instant.astimezone(ZoneInfo("Asia/Tokyo")), "Europe/Berlin") == wall.date()


@PROPS
@given(
    day=transition_days,
    hour=st.integers(0, 3),
    minute=st.integers(0, 59),
    fold=st.integers(0, 1),
)
def test_wall_clock_times_on_dst_days_keep_their_date(
    day: date, hour: int, minute: int, fold: int
) -> None:
    # Including the skipped hour of March (02:xx) and the repeated one of October (fold 0 and 1).
    wall = datetime.combine(day, time(hour, minute), tzinfo=BERLIN).replace(fold=fold)
    assert local_date(wall.astimezone(UTC), "Europe/Berlin") == day


@PROPS
@given(
    day=transition_days,
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    days_before=st.integers(1, 5),
    anchor=anchors,
)
def test_daily_chores_across_dst_never_skip_or_repeat_a_date(
    day: date, hour: int, minute: int, days_before: int, anchor: Anchor
) -> None:
    rule = Rule("interval", every=1, unit="day", anchor=anchor)
    first = day - timedelta(days=days_before)
    # A household member does the chore every day at the same wall-clock time; the app sees
    # only the UTC instant and converts it to the household's local date.
    due = first
    seen = []
    for i in range(2 * days_before + 1):
        wall_day = first + timedelta(days=i)
        instant = datetime.combine(wall_day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)
        done_on = local_date(instant, "Europe/Berlin")
        assert done_on == wall_day
        assert done_on == due
        seen.append(due)
        nxt = next_due(rule, start=first, scheduled=due, done_on=done_on)
        assert nxt is not None
        due = nxt
    assert seen == [first + timedelta(days=i) for i in range(2 * days_before + 1)]
    projected = occurrences(rule, start=first, first=first, until=seen[-1])
    assert projected == seen


def test_counting_24_hours_would_repeat_a_date_but_local_dates_do_not() -> None:
    # 00:30 on Sunday 2025-10-26 (summer time) plus 24 hours is 23:30 the same Sunday (winter
    # time): instant arithmetic repeats the date; the local-date engine moves on to Monday.
    sunday = datetime(2025, 10, 26, 0, 30, tzinfo=BERLIN).astimezone(UTC)
    assert local_date(sunday + timedelta(hours=24), "Europe/Berlin") == D(2025, 10, 26)
    done_on = local_date(sunday, "Europe/Berlin")
    assert next_due(DAILY, start=done_on, scheduled=done_on, done_on=done_on) == D(2025, 10, 27)
