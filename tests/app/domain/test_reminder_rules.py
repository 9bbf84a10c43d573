"""When reminders fall due, walked minute by minute through real days, including the days summer
time starts and ends in New York and Berlin, and in Tokyo (no summer time)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain.reminders import (
    CATCH_UP,
    DueChore,
    Planned,
    Preferences,
    after_quiet_hours,
    local_moment,
    plan,
    render,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
ME = 1


def prefs(**overrides: object) -> Preferences:
    values: dict[str, object] = {
        "user_id": ME,
        "scope": "mine_and_anyone",
        "before_minutes": None,
        "digest_hour": None,
        "nag_minutes": None,
        "quiet_start": None,
        "quiet_end": None,
    }
    values.update(overrides)
    return Preferences(**values)  # type: ignore[arg-type]


def chore(
    day: date, at: time | None = time(8), assignee: int | None = ME, chore_id: int = 7
) -> DueChore:
    return DueChore(chore_id, "ゴミ出し", day, at, assignee)


def walk(
    preferences: Preferences, chores: list[DueChore], zone: ZoneInfo, start: datetime, hours: int
) -> dict[str, datetime]:
    """Every message planned minute by minute, by key, with the first minute it was planned:
    what a sender running every minute would have sent."""
    first: dict[str, datetime] = {}
    now = start.astimezone(UTC)
    end = now + timedelta(hours=hours)
    while now < end:
        for planned in plan(preferences, chores, zone, now):
            first.setdefault(planned.key, now)
        now += timedelta(minutes=1)
    return first


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        (NEW_YORK, date(2026, 3, 8)),  # summer time starts at 02:00
        (NEW_YORK, date(2026, 11, 1)),  # and ends at 02:00
        (BERLIN, date(2026, 3, 29)),
        (BERLIN, date(2026, 10, 25)),
        (TOKYO, date(2026, 11, 30)),
    ],
)
def test_a_reminder_comes_once_at_the_local_time_on_days_the_clocks_change(
    zone: ZoneInfo, day: date
) -> None:
    sent = walk(
        prefs(before_minutes=30),
        [chore(day, time(8))],
        zone,
        local(zone, day.year, day.month, day.day, 0, 0),
        24,
    )
    assert sent == {f"due:7:{day}": local_moment(day, time(7, 30), zone)}
    assert sent[f"due:7:{day}"].astimezone(zone).time() == time(7, 30)


def test_a_due_time_inside_the_skipped_hour_comes_just_after_the_gap() -> None:
    # 02:30 does not exist in New York on 2026-03-08; the reminder comes at 03:30 EDT.
    day = date(2026, 3, 8)
    sent = walk(
        prefs(before_minutes=0), [chore(day, time(2, 30))], NEW_YORK, local(NEW_YORK, 2026, 3, 8), 6
    )
    assert [moment.astimezone(NEW_YORK).time() for moment in sent.values()] == [time(3, 30)]


def test_a_repeated_hour_reminds_once_at_its_first_pass() -> None:
    # 01:30 comes twice in New York on 2026-11-01 (EDT, then EST): one reminder, at the first.
    day = date(2026, 11, 1)
    sent = walk(
        prefs(before_minutes=0),
        [chore(day, time(1, 30))],
        NEW_YORK,
        local(NEW_YORK, 2026, 11, 1),
        6,
    )
    assert list(sent.values()) == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]  # 01:30 EDT


def test_the_digest_comes_at_its_hour_across_both_clock_changes_in_berlin() -> None:
    prefer = prefs(digest_hour=7)
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        sent = walk(
            prefer, [chore(day, None)], BERLIN, local(BERLIN, day.year, day.month, day.day), 24
        )
        assert sent == {f"digest:{day}": local_moment(day, time(7), BERLIN)}


def test_quiet_hours_hold_a_reminder_until_they_end_and_skip_nags() -> None:
    day = date(2026, 11, 30)
    prefer = prefs(before_minutes=0, nag_minutes=30, quiet_start=time(22), quiet_end=time(7))
    sent = walk(prefer, [chore(day, time(6))], TOKYO, local(TOKYO, 2026, 11, 30), 9)
    assert {key: moment.astimezone(TOKYO).time() for key, moment in sent.items()} == {
        # due at 06:00, inside 22:00-07:00: it comes at 07:00
        f"due:7:{day}": time(7),
        # nags at 06:30 (quiet) skipped; 07:00 is the second, then every 30 minutes
        f"nag:7:{day}:2": time(7),
        f"nag:7:{day}:3": time(7, 30),
        f"nag:7:{day}:4": time(8),
        f"nag:7:{day}:5": time(8, 30),
    }


def test_a_digest_held_by_quiet_hours_past_midnight_still_comes_once() -> None:
    # Digest at 23:00 but quiet from 22:00 to 07:00: it comes at 07:00 the next morning.
    prefer = prefs(digest_hour=23, quiet_start=time(22), quiet_end=time(7))
    day = date(2026, 11, 30)
    sent = walk(prefer, [chore(day, None)], TOKYO, local(TOKYO, 2026, 11, 30, 12), 24)
    assert sent == {f"digest:{day}": local(TOKYO, 2026, 12, 1, 7).astimezone(UTC)}


def test_nagging_repeats_until_a_day_after_the_due_time() -> None:
    day = date(2026, 11, 30)
    sent = walk(prefs(nag_minutes=60), [chore(day, time(8))], TOKYO, local(TOKYO, 2026, 11, 30), 48)
    assert len(sent) == 23  # 09:00 ... 07:00 the next day; the 24th would be at the limit
    assert min(sent.values()) == local(TOKYO, 2026, 11, 30, 9).astimezone(UTC)


def test_a_late_sender_catches_up_within_its_window_and_not_after() -> None:
    day = date(2026, 11, 30)
    due = [chore(day, time(8))]
    fire = local(TOKYO, 2026, 11, 30, 8).astimezone(UTC)
    assert [p.key for p in plan(prefs(before_minutes=0), due, TOKYO, fire + CATCH_UP / 2)] == [
        f"due:7:{day}"
    ]
    assert list(plan(prefs(before_minutes=0), due, TOKYO, fire + CATCH_UP)) == []


def test_scope_chooses_whose_chores_remind() -> None:
    day = date(2026, 11, 30)
    chores = [
        chore(day, time(8), assignee=ME, chore_id=1),
        chore(day, time(8), assignee=None, chore_id=2),
        chore(day, time(8), assignee=2, chore_id=3),
    ]
    now = local(TOKYO, 2026, 11, 30, 8).astimezone(UTC)

    def ids(scope: str) -> list[int]:
        return [
            p.chore.id
            for p in plan(prefs(scope=scope, before_minutes=0), chores, TOKYO, now)
            if p.chore
        ]

    assert (ids("mine"), ids("mine_and_anyone"), ids("all")) == ([1], [1, 2], [1, 2, 3])


def test_untimed_chores_are_in_the_digest_only_and_an_empty_day_sends_nothing() -> None:
    day = date(2026, 11, 30)
    prefer = prefs(before_minutes=0, nag_minutes=15, digest_hour=7)
    at_seven = local(TOKYO, 2026, 11, 30, 7).astimezone(UTC)
    assert [p.key for p in plan(prefer, [chore(day, None)], TOKYO, at_seven)] == [f"digest:{day}"]
    assert list(plan(prefer, [chore(day + timedelta(1), None)], TOKYO, at_seven)) == []


def test_the_digest_counts_today_and_overdue_in_the_members_language() -> None:
    day = date(2026, 11, 30)
    chores = tuple(
        DueChore(i, f"家事{i}", day - timedelta(days=i % 2), None, ME) for i in range(1, 14)
    )
    digest = Planned(
        f"digest:{day}", "digest", datetime(2026, 11, 29, 22, tzinfo=UTC), chores=chores
    )
    ja = render(digest, "ja")
    assert ja.title == "今日の家事: 6件・期限切れ 7件"
    assert ja.body.endswith("家事10 ほか3件")
    en = render(digest, "en")
    assert en.title == "Chores today: 6 (7 overdue)"
    assert en.body.endswith("and 3 more")


def test_after_quiet_hours_within_the_same_day() -> None:
    prefer = prefs(quiet_start=time(12), quiet_end=time(13))
    inside = local(TOKYO, 2026, 11, 30, 12, 15).astimezone(UTC)
    outside = local(TOKYO, 2026, 11, 30, 13, 0).astimezone(UTC)
    assert after_quiet_hours(inside, prefer, TOKYO) == outside
    assert after_quiet_hours(outside, prefer, TOKYO) == outside
