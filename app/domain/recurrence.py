"""The recurrence engine: when a chore is due, and when it is due next.

Pure functions over calendar dates, standard library only. Due dates are *dates* in the
household's time zone, never instants: the service converts "now" to the household's local date
with :func:`local_date` and everything else is date arithmetic, so daylight-saving changes cannot
skip or repeat a due date.

Weekdays are ISO numbered everywhere: 1 = Monday .. 7 = Sunday.

Rules
-----
``once``
    Due once; completing or skipping it finishes the chore (:func:`next_due` returns ``None``).
``interval``
    Every ``every`` days, weeks or months (``unit``). Months clamp to the month's end.
``weekly``
    On the chosen ``weekdays``.
``monthly``
    On ``month_day`` of every month; a day beyond the month's length means its last day.

Anchors (recurring kinds)
-------------------------
``completion``
    The next due date counts from the completion date: an interval chore every 3 days done on
    the 1st is due on the 4th (the original app's semantics).
``schedule``
    The next due date stays on the rule's grid: ``start + k*every units`` for intervals, the
    calendar for weekly and monthly rules. Completing early moves on to the occurrence after the
    scheduled one; completing late skips the missed occurrences.

Whatever the rule and anchor, the date :func:`next_due` returns is strictly after both the
scheduled date and the completion date. For weekly and monthly rules, whose grid is the calendar,
both anchors therefore give the same answer: the first occurrence after both dates.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "Anchor",
    "Kind",
    "Rule",
    "RuleError",
    "Unit",
    "add_months",
    "first_due",
    "local_date",
    "next_due",
    "occurrences",
]

Kind = Literal["once", "interval", "weekly", "monthly"]
Unit = Literal["day", "week", "month"]
Anchor = Literal["schedule", "completion"]

KINDS: tuple[str, ...] = get_args(Kind)
UNITS: tuple[str, ...] = get_args(Unit)
ANCHORS: tuple[str, ...] = get_args(Anchor)

MAX_EVERY = 366


class RuleError(ValueError):
    """An inconsistent recurrence rule; the message names the offending field."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Rule:
    """A chore's recurrence rule. Call :meth:`validate` on anything built from user input."""

    kind: Kind
    every: int = 1  # interval: N, 1..366
    unit: Unit = "day"  # interval only
    weekdays: tuple[int, ...] = ()  # weekly only: ISO weekdays, sorted, unique, non-empty
    month_day: int | None = None  # monthly only: 1..31, clamped to the month's last day
    anchor: Anchor = "schedule"  # recurring kinds only

    def validate(self) -> None:
        """Raise :class:`RuleError` naming the field for every inconsistent combination."""
        if self.kind not in KINDS:
            raise RuleError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        kind = self.kind

        if self.anchor not in ANCHORS:
            raise RuleError(f"anchor must be one of {', '.join(ANCHORS)}; got {self.anchor!r}")
        if kind == "once" and self.anchor != "schedule":
            raise RuleError("anchor is only used by recurring rules; a once rule must not set it")

        if not _is_int(self.every):
            raise RuleError(f"every must be an integer; got {self.every!r}")
        if kind == "interval":
            if not 1 <= self.every <= MAX_EVERY:
                raise RuleError(f"every must be between 1 and {MAX_EVERY}; got {self.every}")
        elif self.every != 1:
            raise RuleError(f"every is only used by interval rules; a {kind} rule must not set it")

        if self.unit not in UNITS:
            raise RuleError(f"unit must be one of {', '.join(UNITS)}; got {self.unit!r}")
        if kind != "interval" and self.unit != "day":
            raise RuleError(f"unit is only used by interval rules; a {kind} rule must not set it")

        if not isinstance(self.weekdays, tuple):
            raise RuleError(f"weekdays must be a tuple of ISO weekdays; got {self.weekdays!r}")
        if kind == "weekly":
            self._validate_weekdays()
        elif self.weekdays:
            raise RuleError(
                f"weekdays are only used by weekly rules; a {kind} rule must not set them"
            )

        if kind == "monthly":
            if self.month_day is None:
                raise RuleError("month_day is required for a monthly rule (1..31)")
            if not _is_int(self.month_day) or not 1 <= self.month_day <= 31:
                raise RuleError(
                    f"month_day must be an integer from 1 to 31; got {self.month_day!r}"
                )
        elif self.month_day is not None:
            raise RuleError(
                f"month_day is only used by monthly rules; a {kind} rule must not set it"
            )

    def _validate_weekdays(self) -> None:
        days = self.weekdays
        if not days:
            raise RuleError("weekdays must name at least one day for a weekly rule")
        for day in days:
            if not _is_int(day) or not 1 <= day <= 7:
                raise RuleError(f"weekdays must be ISO weekdays 1 (Mon) to 7 (Sun); got {day!r}")
        if len(set(days)) != len(days):
            raise RuleError(f"weekdays must not repeat a day; got {days!r}")
        if list(days) != sorted(days):
            raise RuleError(f"weekdays must be sorted ascending; got {days!r}")


# --- calendar helpers -------------------------------------------------------------------------


def _check_date(name: str, value: object) -> date:
    # A datetime is a date subclass; accepting one would silently mix instants into date logic.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime.date (not a datetime); got {value!r}")
    return value


def _month_date(year: int, month: int, day_of_month: int) -> date:
    """``day_of_month`` of the month, clamped to its last day."""
    if not date.min.year <= year <= date.max.year:
        raise OverflowError("date value out of range")
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def add_months(day: date, months: int, *, day_of_month: int | None = None) -> date:
    """``day`` moved by ``months`` calendar months (negative goes back).

    The day of the result is ``day_of_month`` (default ``day.day``), clamped to the last day of
    the target month: Jan 31 + 1 month is Feb 28 (Feb 29 in leap years). Raises
    :class:`OverflowError` when the result would fall outside the supported date range.
    """
    _check_date("day", day)
    if not _is_int(months):
        raise TypeError(f"months must be an integer; got {months!r}")
    dom = day.day if day_of_month is None else day_of_month
    if not _is_int(dom) or not 1 <= dom <= 31:
        raise ValueError(f"day_of_month must be an integer from 1 to 31; got {dom!r}")
    year, month0 = divmod(_month_index(day) + months, 12)
    return _month_date(year, month0 + 1, dom)


def _plus_days(day: date, days: int) -> date:
    return day + timedelta(days=days)


def _next_weekday(rule: Rule, on_or_after: date) -> date:
    weekday = on_or_after.isoweekday()
    gap = min((chosen - weekday) % 7 for chosen in rule.weekdays)
    return _plus_days(on_or_after, gap)


def _next_month_day(rule: Rule, on_or_after: date) -> date:
    assert rule.month_day is not None  # guaranteed by validate()
    candidate = _month_date(on_or_after.year, on_or_after.month, rule.month_day)
    if candidate >= on_or_after:
        return candidate
    return add_months(on_or_after, 1, day_of_month=rule.month_day)


def _calendar_first(rule: Rule, on_or_after: date) -> date:
    if rule.kind == "weekly":
        return _next_weekday(rule, on_or_after)
    if rule.kind == "monthly":
        return _next_month_day(rule, on_or_after)
    return on_or_after


def _interval_after(rule: Rule, origin: date, after: date, *, min_k: int) -> date:
    """The first point ``origin + k*every units`` (``k >= min_k``) strictly after ``after``.

    Month points are each computed from ``origin`` (never by repeated addition) so that a
    Jan 31 origin gives Feb 28/29, Mar 31, Apr 30, ... without drift.
    """
    n = rule.every
    if rule.unit == "month":
        # Points with k*n < months_between lie in an earlier month than `after`, so start the
        # search at the last multiple below it; at most two steps follow.
        months_between = _month_index(after) - _month_index(origin)
        k = max(min_k, months_between // n)
        while True:
            point = add_months(origin, k * n, day_of_month=origin.day)
            if point > after:
                return point
            k += 1
    step = n * (7 if rule.unit == "week" else 1)
    k = max(min_k, (after - origin).days // step + 1)
    return _plus_days(origin, k * step)


# --- public API -------------------------------------------------------------------------------


def first_due(rule: Rule, on_or_after: date) -> date:
    """The rule's first occurrence on or after ``on_or_after``.

    ``once`` and ``interval`` rules are due on the date itself (a new chore without a start date
    is due on the household's today); ``weekly`` gives the first chosen weekday on or after it,
    ``monthly`` the first (clamped) month day on or after it.
    """
    rule.validate()
    return _calendar_first(rule, _check_date("on_or_after", on_or_after))


def next_due(rule: Rule, *, start: date, scheduled: date, done_on: date) -> date | None:
    """The due date after the occurrence due on ``scheduled`` was done or skipped on ``done_on``.

    ``start`` is the chore's first due date, the origin of a schedule-anchored interval's grid.
    ``done_on`` is the household-local date of the completion (see :func:`local_date`).

    ``once`` returns ``None``: the chore is finished. For recurring rules the result is the first
    occurrence strictly after both ``scheduled`` and ``done_on``, where the occurrences are:

    * ``anchor="completion"``, interval: ``done_on + k*every units`` for ``k >= 1`` (usually
      ``k = 1``; a larger ``k`` only when done so early that ``k = 1`` is not after
      ``scheduled``);
    * ``anchor="schedule"``, interval: ``start + k*every units`` for ``k >= 0``;
    * weekly and monthly (either anchor): the calendar's chosen weekdays or month days.
    """
    rule.validate()
    start = _check_date("start", start)
    scheduled = _check_date("scheduled", scheduled)
    done_on = _check_date("done_on", done_on)
    if rule.kind == "once":
        return None
    latest = max(scheduled, done_on)
    if rule.kind == "interval":
        if rule.anchor == "completion":
            return _interval_after(rule, done_on, latest, min_k=1)
        return _interval_after(rule, start, latest, min_k=0)
    return _calendar_first(rule, _plus_days(latest, 1))


def occurrences(
    rule: Rule, *, start: date, first: date, until: date, limit: int = 400
) -> list[date]:
    """Projected due dates for a calendar: ``first`` and the following ones up to ``until``.

    Assumes each occurrence is done exactly on its scheduled date (so for completion-anchored
    rules the projection is the best guess). ``once`` gives ``[first]`` when ``first <= until``.
    Returns at most ``limit`` dates, strictly increasing, all within ``[first, until]``.
    """
    rule.validate()
    start = _check_date("start", start)
    current: date | None = _check_date("first", first)
    until = _check_date("until", until)
    if not _is_int(limit):
        raise TypeError(f"limit must be an integer; got {limit!r}")
    dates: list[date] = []
    while current is not None and current <= until and len(dates) < limit:
        dates.append(current)
        if current == until:
            break
        current = next_due(rule, start=start, scheduled=current, done_on=current)
    return dates


def local_date(instant: datetime, zone: str) -> date:
    """The calendar date of the aware ``instant`` on the wall clocks of the IANA ``zone``.

    Raises :class:`ValueError` for a naive datetime or an unknown zone.
    """
    if not isinstance(instant, datetime):
        raise TypeError(f"instant must be a datetime; got {instant!r}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware (a naive datetime has no known date)")
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {zone!r}") from exc
    return instant.astimezone(tz).date()
