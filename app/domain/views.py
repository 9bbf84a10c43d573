"""What the services answer with: plain read models of a household's data.

They know nothing of HTTP. The edge maps them to the API's schemas (app/schemas) by attribute
name, in one validation call per response: FastAPI's `response_model` for single values and
`app.api.cached.household_json` for the cached lists. Field names therefore match the schemas'.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from app.domain.recurrence import Rule

# Not frozen: a frozen dataclass's __init__ costs seven times as much, and a large household's
# due list builds thousands of these per read. Nothing changes them after a service returns.


@dataclass(slots=True)
class Person:
    user_id: int
    display_name: str

    @staticmethod
    def of(user_id: int | None, display_name: str | None) -> "Person | None":
        """Nobody when either is missing (unassigned, or a former account)."""
        if user_id is None or display_name is None:
            return None
        return Person(user_id, display_name)


@dataclass(slots=True)
class AssignmentPlan:
    """Who may be assigned: the mode and its members, in rotation order."""

    mode: str
    members: tuple[int, ...]


@dataclass(slots=True)
class ChoreView:
    id: int
    name: str
    category: str
    notes: str
    estimated_minutes: int | None
    points: int
    archived: bool
    recurrence: Rule
    assignment: AssignmentPlan
    assignee: Person | None
    start_date: date
    next_due: date | None
    due_time: time | None
    last_done_at: datetime | None
    created_at: datetime


@dataclass(slots=True)
class DueEntry:
    chore: ChoreView
    due_date: date
    days_overdue: int


@dataclass(slots=True)
class Occurrence:
    """One projected occurrence of a chore on the calendar."""

    chore_id: int
    name: str
    category: str
    date: date
    due_time: time | None
    assignee: Person | None


@dataclass(slots=True)
class CompletionView:
    id: int
    chore_id: int
    chore_name: str
    category: str
    due_date: date
    kind: str
    done_by: Person | None
    done_at: datetime
    recorded_by: Person | None
    points: int
    minutes: int


@dataclass(slots=True)
class MemberTotals:
    user_id: int
    display_name: str
    completions: int
    skips: int
    minutes: int
    points: int


@dataclass(slots=True)
class CategoryTotals:
    category: str
    completions: int
    minutes: int
    points: int


@dataclass(slots=True)
class Stats:
    from_date: date
    to_date: date
    members: tuple[MemberTotals, ...]
    categories: tuple[CategoryTotals, ...]


@dataclass(slots=True)
class ReminderChannel:
    """Where a member's reminders go: their Apprise URL, or one of their browsers."""

    kind: str  # apprise | push
    id: int | None  # a push subscription's id
    service: str  # "ntfy", "E-Mail"... or the push service's host
    target: str  # the URL with its secrets masked, or the push endpoint's host
    # The last delivery that failed, when nothing went through since.
    failure: str | None
    failed_at: datetime | None


@dataclass(slots=True)
class ReminderChoices:
    scope: str
    before_minutes: int | None
    digest_hour: int | None
    nag_minutes: int | None
    quiet_start: time | None
    quiet_end: time | None
    channels: list[ReminderChannel]
    push_public_key: str | None  # None: this server offers no Web Push


@dataclass(slots=True)
class TestDelivery:
    kind: str
    target: str
    ok: bool
    error: str | None


@dataclass(slots=True)
class HouseholdChannelView:
    service: str
    target: str  # the URL with its secrets masked
    digest_hour: int
    set_by: Person
    failure: str | None
    failed_at: datetime | None
