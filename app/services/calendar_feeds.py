"""Per-member secret iCal feeds of upcoming chores, for phone calendars to subscribe to."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.core.reads import Reads
from app.core.security import keyed_hash, new_session_token
from app.domain.errors import NotFoundError
from app.models import CalendarFeed, Household
from app.services import chores
from app.services.access import Member

FEED_DAYS = 60
# A chore due by a time shows as this long an event, ending at that time.
DUE_TIME_EVENT = timedelta(minutes=30)


def path_for(token: str) -> str:
    return f"/api/calendar/{token}.ics"


def create(
    db: Session, settings: Settings, member: Member, include_unassigned: bool = False
) -> tuple[CalendarFeed, str]:
    """A new secret URL for the caller; an older one of the same household stops working."""
    token = new_session_token()
    feed = db.get(CalendarFeed, (member.household.id, member.user_id))
    if feed is None:
        feed = CalendarFeed(household_id=member.household.id, user_id=member.user_id)
        db.add(feed)
    feed.token_hash = keyed_hash(settings.secret, token)
    feed.include_unassigned = include_unassigned
    feed.created_at = utcnow()
    db.commit()
    return feed, token


def revoke(db: Session, member: Member) -> None:
    db.execute(
        delete(CalendarFeed).where(
            CalendarFeed.household_id == member.household.id,
            CalendarFeed.user_id == member.user_id,
        )
    )
    db.commit()


_FEED = (
    select(
        Household.id,
        Household.name,
        Household.time_zone,
        CalendarFeed.user_id,
        CalendarFeed.include_unassigned,
    )
    .join(Household, Household.id == CalendarFeed.household_id)
    .where(CalendarFeed.token_hash == bindparam("token_hash"))
)


async def render(reads: Reads, settings: Settings, token: str) -> bytes:
    household = await reads.one_or_none(_FEED, {"token_hash": keyed_hash(settings.secret, token)})
    if household is None:
        raise NotFoundError("Calendar feed")
    start = chores.today(household)
    end = start + timedelta(days=FEED_DAYS)
    items = await chores.calendar(
        reads, household, start, end, household.user_id, household.include_unassigned
    )
    calendar = Calendar()
    calendar.add("prodid", "-//household-task-manager//chores//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", household.name)
    calendar.add("x-wr-timezone", household.time_zone)
    stamp = utcnow()
    for item in items:
        event = Event()
        event.add("uid", f"chore-{item.chore_id}-{item.date.isoformat()}@household-task-manager")
        event.add("dtstamp", stamp)
        if item.due_time is None:
            # Due dates are whole days in the household's zone: all-day events, not instants.
            event.add("dtstart", item.date)
            event.add("dtend", item.date + timedelta(days=1))
        else:
            # Due by a time: a short event ending then, in the household's zone (TZID).
            due = datetime.combine(item.date, item.due_time, ZoneInfo(household.time_zone))
            event.add("dtstart", due - DUE_TIME_EVENT)
            event.add("dtend", due)
        event.add("summary", item.name)
        if item.category:
            event.add("categories", [item.category])
        calendar.add_component(event)
    calendar.add_missing_timezones()  # the VTIMEZONE the timed events' TZID refers to
    ical: bytes = calendar.to_ical()
    return ical
