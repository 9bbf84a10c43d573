"""When reminders are due: pure rules over a member's choices, the chores and the time.

All times of day are the household's local time. A timed chore (one with a due time) gets a
reminder at, or some minutes before, its due time, and nagging after it. Every chore due today
or overdue is in the daily digest. Nothing is sent inside quiet hours: a reminder or digest
that falls there waits for their end; a nag there is skipped (the next one follows).

Each message has a key naming what it is about (the chore's occurrence, or the digest's day).
A sender may run late or twice: a message is planned while its time is recent (`CATCH_UP`)
and the delivery ledger keeps one row per key, so it goes out once.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How late a sender may still send a reminder or digest (a restarted Pi, a missed CronJob).
CATCH_UP = timedelta(hours=6)
# Nagging stops after a day; the digest's overdue list carries the chore from then on.
NAG_FOR = timedelta(hours=24)
# A digest names this many chores, then counts the rest.
DIGEST_NAMES = 10


@dataclass(frozen=True, slots=True)
class Preferences:
    user_id: int
    scope: str  # mine | mine_and_anyone | all
    before_minutes: int | None
    digest_hour: int | None
    nag_minutes: int | None
    quiet_start: time | None
    quiet_end: time | None


@dataclass(frozen=True, slots=True)
class DueChore:
    id: int
    name: str
    next_due: date
    due_time: time | None
    assignee_id: int | None


@dataclass(frozen=True, slots=True)
class Planned:
    """A message to a member: `key` is unique per member and household."""

    key: str
    kind: str  # due | nag | digest
    fire_at: datetime  # UTC
    chore: DueChore | None = None
    chores: tuple[DueChore, ...] = ()  # a digest's: today's first, then the overdue


def in_scope(chore: DueChore, preferences: Preferences) -> bool:
    if preferences.scope == "all":
        return True
    if chore.assignee_id == preferences.user_id:
        return True
    return preferences.scope == "mine_and_anyone" and chore.assignee_id is None


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time as a UTC instant. A time that does not exist (the hour skipped when
    summer time starts) reads with the offset before the gap, so it lands as far past the gap;
    a time that comes twice (when it ends) is its first pass (PEP 495, fold=0)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def in_quiet_hours(moment: datetime, preferences: Preferences, zone: ZoneInfo) -> bool:
    start, end = preferences.quiet_start, preferences.quiet_end
    if start is None or end is None or start == end:
        return False
    clock = moment.astimezone(zone).time()
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end  # across midnight, e.g. 22:00-07:00


def after_quiet_hours(moment: datetime, preferences: Preferences, zone: ZoneInfo) -> datetime:
    """`moment`, or the end of the quiet hours it falls in."""
    if not in_quiet_hours(moment, preferences, zone):
        return moment
    assert preferences.quiet_end is not None  # in_quiet_hours checked it
    local = moment.astimezone(zone)
    day = local.date() if local.time() < preferences.quiet_end else local.date() + timedelta(1)
    return local_moment(day, preferences.quiet_end, zone)


def plan(
    preferences: Preferences, chores: Iterable[DueChore], zone: ZoneInfo, now: datetime
) -> Iterator[Planned]:
    """The messages whose time has come at `now` (and is at most `CATCH_UP` ago)."""
    mine = [chore for chore in chores if in_scope(chore, preferences)]
    for chore in mine:
        if chore.due_time is not None:
            yield from _timed(chore, preferences, zone, now)
    if preferences.digest_hour is not None:
        yield from _digests(mine, preferences, zone, now)


def _recent(fire_at: datetime, now: datetime) -> bool:
    return fire_at <= now < fire_at + CATCH_UP


def _timed(
    chore: DueChore, preferences: Preferences, zone: ZoneInfo, now: datetime
) -> Iterator[Planned]:
    assert chore.due_time is not None
    due_at = local_moment(chore.next_due, chore.due_time, zone)
    occurrence = f"{chore.id}:{chore.next_due.isoformat()}"
    if preferences.before_minutes is not None:
        fire_at = after_quiet_hours(
            due_at - timedelta(minutes=preferences.before_minutes), preferences, zone
        )
        if _recent(fire_at, now):
            yield Planned(f"due:{occurrence}", "due", fire_at, chore=chore)
    if preferences.nag_minutes is not None and due_at < now < due_at + NAG_FOR:
        every = timedelta(minutes=preferences.nag_minutes)
        count = (now - due_at) // every
        fire_at = due_at + count * every
        if count >= 1 and not in_quiet_hours(fire_at, preferences, zone):
            yield Planned(f"nag:{occurrence}:{count}", "nag", fire_at, chore=chore)


def _digests(
    chores: list[DueChore], preferences: Preferences, zone: ZoneInfo, now: datetime
) -> Iterator[Planned]:
    assert preferences.digest_hour is not None
    today = now.astimezone(zone).date()
    # Yesterday's too: quiet hours may have moved it past midnight.
    for day in (today - timedelta(1), today):
        fire_at = after_quiet_hours(
            local_moment(day, time(preferences.digest_hour), zone), preferences, zone
        )
        if not _recent(fire_at, now):
            continue
        due = [chore for chore in chores if chore.next_due == day]
        overdue = [chore for chore in chores if chore.next_due < day]
        if due or overdue:
            yield Planned(f"digest:{day.isoformat()}", "digest", fire_at, chores=(*due, *overdue))


@dataclass(frozen=True, slots=True)
class Text:
    title: str
    body: str


def render(planned: Planned, language: str) -> Text:
    """The message in the member's language (ja or en)."""
    japanese = language == "ja"
    chore = planned.chore
    if chore is not None:
        clock = chore.due_time.strftime("%H:%M") if chore.due_time else ""
        if planned.kind == "due":
            title = chore.name + (f" {clock}まで" if japanese else f" (by {clock})")
            body = "時間です。" if japanese else "It is time."
        else:
            title = chore.name + (": まだ終わっていません" if japanese else ": not done yet")
            body = f"{clock}が期限でした。" if japanese else f"It was due at {clock}."
        return Text(title, body)
    day = date.fromisoformat(planned.key.removeprefix("digest:"))
    overdue = sum(1 for c in planned.chores if c.next_due < day)
    today = len(planned.chores) - overdue
    names = [c.name for c in planned.chores[:DIGEST_NAMES]]
    more = len(planned.chores) - len(names)
    if japanese:
        title = f"今日の家事: {today}件" + (f"・期限切れ {overdue}件" if overdue else "")
        body = "、".join(names) + (f" ほか{more}件" if more else "")
    else:
        title = f"Chores today: {today}" + (f" ({overdue} overdue)" if overdue else "")
        body = ", ".join(names) + (f" and {more} more" if more else "")
    return Text(title, body)
