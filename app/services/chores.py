"""Chores: creation and edits, the due list, the calendar projection, who is assigned."""

from collections.abc import Sequence
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Select, String, bindparam, cast, func, literal_column, select
from sqlalchemy.orm import Session, joinedload

from app.core.db import begin_changes, utcnow
from app.core.reads import Reads
from app.domain.errors import ErrorCode, InvalidError, NotFoundError
from app.domain.recurrence import Rule, first_due, local_date, occurrences
from app.domain.rotation import Assignment, next_assignee, projected_assignees
from app.domain.views import AssignmentPlan, ChoreView, DueEntry, Occurrence, Person
from app.models import Chore, ChoreMember, Completion, Membership, User
from app.schemas.chores import AssignmentIn, ChoreCreateIn, ChoreUpdateIn, DueWindow, RecurrenceIn
from app.services.access import HouseholdClock, Member

MAX_CALENDAR_DAYS = 366


def today(household: HouseholdClock) -> date:
    """ "Today" is the household's today, in its own time zone."""
    return local_date(utcnow(), household.time_zone)


class ChoreFields(Protocol):
    """What the rules read of a chore: an ORM Chore, or a row of the chore list query."""

    recurrence: str
    every: int
    unit: str
    weekdays: str
    month_day: int | None
    anchor: str


def rule_of(chore: ChoreFields) -> Rule:
    return _rule(
        chore.recurrence, chore.every, chore.unit, chore.weekdays, chore.month_day, chore.anchor
    )


# A household has a handful of distinct rules and Rule is immutable: a list of thousands of
# chores shares them instead of building one each.
@lru_cache(maxsize=4096)
def _rule(
    kind: str, every: int, unit: str, weekdays: str, month_day: int | None, anchor: str
) -> Rule:
    return Rule(
        kind=kind,  # type: ignore[arg-type]
        every=every,
        unit=unit,  # type: ignore[arg-type]
        weekdays=tuple(int(day) for day in weekdays.split(",") if day),
        month_day=month_day,
        anchor=anchor,  # type: ignore[arg-type]
    )


def rotation_of(chore: Chore) -> list[int]:
    return [member.user_id for member in chore.rotation]


CHORES = Chore.__table__


def _member_list() -> Any:
    """The chore's members as "position:user_id,...": they come with the chore in one row."""
    members = ChoreMember.__table__
    return (
        select(
            func.aggregate_strings(
                cast(members.c.position, String) + ":" + cast(members.c.user_id, String),
                literal_column("','"),  # type: ignore[arg-type]
            )
        )
        .where(members.c.chore_id == CHORES.c.id)
        .scalar_subquery()
        .label("members")
    )


def _chore_rows() -> Select[Any]:
    completions, users = Completion.__table__, User.__table__
    assignee = users.alias("assignee")
    last_done = (
        select(func.max(completions.c.done_at))
        .where(completions.c.chore_id == CHORES.c.id, completions.c.kind == "done")
        .scalar_subquery()
    )
    return select(
        CHORES,
        assignee.c.display_name.label("assignee_name"),
        last_done.label("last_done_at"),
        _member_list(),
    ).select_from(CHORES.outerjoin(assignee, assignee.c.id == CHORES.c.assignee_id))


# The chore reads are built once per shape: building a statement cost more than running it,
# and each shape is then compiled once (app.core.reads).
_CHORE_ROWS = _chore_rows().where(CHORES.c.household_id == bindparam("household_id"))
_CHORE = _CHORE_ROWS.where(CHORES.c.id == bindparam("chore_id"))
# A tap's locked read: what completing reads of the chore, and no more (its last completion and
# its assignee's name cost the server a subquery and a join).
_LOCKED_CHORE = (
    select(
        *(
            CHORES.c[name]
            for name in (
                "name",
                "category",
                "points",
                "estimated_minutes",
                "archived",
                "start_date",
                "next_due",
                "assignee_id",
                "assignment",
                *ChoreFields.__annotations__,
            )
        ),
        _member_list(),
    )
    .where(CHORES.c.household_id == bindparam("household_id"), CHORES.c.id == bindparam("chore_id"))
    .with_for_update()
)


def rotation_members(encoded: str | None) -> tuple[int, ...]:
    """The members of a chore read's `members` column, in rotation order."""
    if not encoded:
        return ()
    if "," not in encoded:  # most chores: one member or none
        return (int(encoded.partition(":")[2]),)
    pairs = (item.split(":") for item in encoded.split(","))
    return tuple(int(user) for _, user in sorted((int(position), user) for position, user in pairs))


def _view(row: Any) -> ChoreView:
    """A row of a chore read: SQLAlchemy's or the driver's, both with attributes by name."""
    return ChoreView(
        id=row.id,
        name=row.name,
        category=row.category,
        notes=row.notes,
        estimated_minutes=row.estimated_minutes,
        points=row.points,
        archived=row.archived,
        recurrence=rule_of(row),
        assignment=AssignmentPlan(row.assignment, rotation_members(row.members)),
        assignee=Person.of(row.assignee_id, row.assignee_name),
        start_date=row.start_date,
        next_due=row.next_due,
        due_time=row.due_time,
        last_done_at=row.last_done_at,
        created_at=row.created_at,
    )


@lru_cache(maxsize=8)
def _chore_list(category: bool, assignee: bool, archived: bool) -> Select[Any]:
    """The chore list with the filters given (eight shapes at most)."""
    statement = _CHORE_ROWS
    if category:
        statement = statement.where(CHORES.c.category == bindparam("category"))
    if assignee:
        statement = statement.where(CHORES.c.assignee_id == bindparam("assignee"))
    if archived:
        statement = statement.where(CHORES.c.archived == bindparam("archived"))
    return statement.order_by(CHORES.c.category, CHORES.c.name, CHORES.c.id)


async def list_chores(
    reads: Reads,
    member: Member,
    *,
    category: str | None = None,
    assignee: int | None = None,
    archived: bool | None = False,
) -> list[ChoreView]:
    statement = _chore_list(category is not None, assignee is not None, archived is not None)
    params = {"household_id": member.household.id, "category": category, "assignee": assignee}
    rows = await reads.all(statement, {**params, "archived": archived})
    return [_view(row) for row in rows]


def get_view(db: Session, member: Member, chore_id: int) -> ChoreView:
    """The chore as its reads show it, in the caller's session (after its own change)."""
    params = {"household_id": member.household.id, "chore_id": chore_id}
    row = db.execute(_CHORE, params).one_or_none()
    if row is None:
        raise NotFoundError("Chore")
    return _view(row)


def get_for_update(db: Session, member: Member, chore_id: int) -> Chore:
    """The chore, locked so that concurrent changes of it serialize."""
    begin_changes(db)
    # Its rotation comes in the same statement (not a second one, as the relationship's
    # selectin loading would); only the chore's row is locked.
    chore = db.scalar(
        select(Chore)
        .options(joinedload(Chore.rotation))
        .where(Chore.id == chore_id, Chore.household_id == member.household.id)
        .with_for_update(of=Chore)
    )
    if chore is None:
        raise NotFoundError("Chore")
    return chore


def locked_row(db: Session, member: Member, chore_id: int) -> Any:
    """What a tap reads of the chore, as a row (its rotation in `members`), locked as by
    `get_for_update`: for a change that writes with statements, not through the ORM."""
    begin_changes(db)
    params = {"household_id": member.household.id, "chore_id": chore_id}
    row = db.execute(_LOCKED_CHORE, params).one_or_none()
    if row is None:
        raise NotFoundError("Chore")
    return row


def require_members(db: Session, household_id: int, user_ids: Sequence[int]) -> None:
    if not user_ids:
        return
    found = set(
        db.scalars(
            select(Membership.user_id).where(
                Membership.household_id == household_id, Membership.user_id.in_(user_ids)
            )
        )
    )
    missing = [user_id for user_id in user_ids if user_id not in found]
    if missing:
        raise InvalidError(
            ErrorCode.NOT_A_MEMBER,
            f"Not members of this household: {', '.join(str(m) for m in missing)}",
        )


def _apply_recurrence(chore: Chore, recurrence: RecurrenceIn) -> Rule:
    rule = recurrence.rule()
    chore.recurrence = rule.kind
    chore.every = rule.every
    chore.unit = rule.unit
    chore.weekdays = ",".join(str(day) for day in rule.weekdays)
    chore.month_day = rule.month_day
    chore.anchor = rule.anchor
    return rule


def _apply_assignment(chore: Chore, assignment: AssignmentIn) -> None:
    chore.assignment = assignment.mode
    chore.rotation = [
        ChoreMember(user_id=user_id, position=position)
        for position, user_id in enumerate(assignment.members)
    ]
    if chore.assignee_id not in assignment.members:
        chore.assignee_id = assignment.members[0] if assignment.members else None


def build(household: HouseholdClock, data: ChoreCreateIn, day: date) -> Chore:
    """A new chore (not yet added to the session); `day` is the household's today."""
    chore = Chore(
        household_id=household.id,
        name=data.name,
        category=data.category,
        notes=data.notes,
        estimated_minutes=data.estimated_minutes,
        points=data.points,
        archived=False,
        rotation=[],
        assignee_id=None,
        due_time=data.due_time,
    )
    rule = _apply_recurrence(chore, data.recurrence)
    _apply_assignment(chore, data.assignment)
    # Never done means due now: a new chore without a start date is due today.
    chore.start_date = first_due(rule, data.start_date or day)
    chore.next_due = chore.start_date
    return chore


def create(db: Session, member: Member, data: ChoreCreateIn) -> Chore:
    require_members(db, member.household.id, data.assignment.members)
    chore = build(member.household, data, today(member.household))
    db.add(chore)
    db.commit()
    return chore


def update(db: Session, member: Member, chore_id: int, data: ChoreUpdateIn) -> Chore:
    chore = get_for_update(db, member, chore_id)
    fields = data.model_fields_set
    for name in ("name", "category", "notes", "points", "archived"):
        value = getattr(data, name)
        if name in fields and value is not None:
            setattr(chore, name, value)
    for name in ("estimated_minutes", "due_time"):  # null clears these
        if name in fields:
            setattr(chore, name, getattr(data, name))
    if data.assignment is not None:
        require_members(db, member.household.id, data.assignment.members)
        _apply_assignment(chore, data.assignment)
    rule = rule_of(chore)
    if data.recurrence is not None:
        rule = _apply_recurrence(chore, data.recurrence)
    if data.start_date is not None:
        chore.start_date = first_due(rule, data.start_date)
        chore.next_due = chore.start_date
    elif data.recurrence is not None:
        # A new rule takes effect from the current due date (or today for a finished chore).
        chore.start_date = first_due(rule, chore.next_due or today(member.household))
        chore.next_due = chore.start_date
    if data.next_due is not None:
        chore.next_due = data.next_due
    db.commit()
    return chore


def delete_chore(db: Session, member: Member, chore_id: int) -> None:
    db.delete(get_for_update(db, member, chore_id))
    db.commit()


def forget_member(db: Session, household_id: int, user_id: int) -> None:
    """A member left: take them out of rotations and assignments (their history stays)."""
    chores = list(
        db.scalars(
            select(Chore)
            .join(ChoreMember, ChoreMember.chore_id == Chore.id)
            .where(Chore.household_id == household_id, ChoreMember.user_id == user_id)
        )
    )
    for chore in chores:
        remaining = [uid for uid in rotation_of(chore) if uid != user_id]
        mode: Assignment = chore.assignment  # type: ignore[assignment]
        if not remaining or mode == "fixed":
            mode, remaining = "none", []
        _apply_assignment(chore, AssignmentIn(mode=mode, members=remaining))


# The original app's windows, which the household is used to: a week is today + 7 and a month
# today + 30, both to the end of that day.
WINDOW_DAYS: dict[DueWindow, int] = {
    "overdue": -1,
    "today": 0,
    "tomorrow": 1,
    "week": 7,
    "month": 30,
}


def window_end(window: DueWindow, day: date) -> date:
    return day + timedelta(days=WINDOW_DAYS[window])


@lru_cache(maxsize=2)
def _due_list(assignee: bool) -> Select[Any]:
    statement = _CHORE_ROWS.where(
        CHORES.c.archived.is_(False),
        CHORES.c.next_due.is_not(None),
        CHORES.c.next_due <= bindparam("until"),
    )
    if assignee:
        statement = statement.where(CHORES.c.assignee_id == bindparam("assignee"))
    # Within a day, chores with a time by it, then the rest (NULLs sort differently per database).
    due_time = CHORES.c.due_time
    return statement.order_by(
        CHORES.c.next_due,
        due_time.is_(None),
        due_time,
        CHORES.c.category,
        CHORES.c.name,
        CHORES.c.id,
    )


async def due(
    reads: Reads, member: Member, window: DueWindow, assignee: int | None
) -> list[DueEntry]:
    """Chores due up to the end of the window, overdue ones included, in one statement."""
    day = today(member.household)
    params = {"household_id": member.household.id, "until": window_end(window, day)}
    rows = await reads.all(_due_list(assignee is not None), {**params, "assignee": assignee})
    return [DueEntry(_view(row), row.next_due, max(0, (day - row.next_due).days)) for row in rows]


_NAMES = (
    select(User.id, User.display_name)
    .join(Membership, Membership.user_id == User.id)
    .where(Membership.household_id == bindparam("household_id"))
)
# How many times each member did each least-done chore of the household.
_LEAST_DONE_COUNTS = (
    select(Completion.chore_id, Completion.done_by, func.count().label("count"))
    .join(Chore, Chore.id == Completion.chore_id)
    .where(
        Chore.household_id == bindparam("household_id"),
        Chore.assignment == "least_done",
        Completion.kind == "done",
    )
    .group_by(Completion.chore_id, Completion.done_by)
)


async def calendar(
    reads: Reads,
    household: HouseholdClock,
    start: date,
    end: date,
    user_id: int | None = None,
    include_unassigned: bool = False,
) -> list[Occurrence]:
    """Occurrences projected from each chore's rule, in [start, end]: all of them, or those of
    `user_id` (and, with `include_unassigned`, those nobody is assigned to)."""
    if end < start:
        raise InvalidError(ErrorCode.BAD_RANGE, "'to' must not be before 'from'")
    if (end - start).days >= MAX_CALENDAR_DAYS:
        raise InvalidError(
            ErrorCode.BAD_RANGE, f"The range may span at most {MAX_CALENDAR_DAYS} days"
        )
    # Three statements at most: the chores due by the end (with their rotations), the members'
    # names, and for least-done rotations how often each member did each chore.
    household_id = {"household_id": household.id}
    chores = await reads.all(_due_list(False), {**household_id, "until": end})
    names: dict[int | None, str] = {
        row.id: row.display_name for row in await reads.all(_NAMES, household_id)
    }
    done: dict[int, dict[int, int]] = {}
    if any(chore.assignment == "least_done" for chore in chores):
        for row in await reads.all(_LEAST_DONE_COUNTS, household_id):
            if row.done_by is not None:  # an account deleted since
                done.setdefault(row.chore_id, {})[row.done_by] = row.count
    items: list[Occurrence] = []
    for chore in chores:
        dates = occurrences(rule_of(chore), start=chore.start_date, first=chore.next_due, until=end)
        rotation = list(rotation_members(chore.members))
        if chore.assignment == "least_done":
            who = _least_done_turns(rotation, chore.assignee_id, done.get(chore.id, {}), len(dates))
        else:
            who = projected_assignees(chore.assignment, rotation, chore.assignee_id, len(dates))
        for day, assignee in zip(dates, who, strict=True):
            theirs = assignee == user_id or (include_unassigned and assignee is None)
            if day < start or (user_id is not None and not theirs):
                continue
            items.append(
                Occurrence(
                    chore_id=chore.id,
                    name=chore.name,
                    category=chore.category,
                    date=day,
                    due_time=chore.due_time,
                    assignee=Person.of(assignee, names.get(assignee)),
                )
            )
    items.sort(
        key=lambda item: (
            item.date,
            item.due_time is None,
            item.due_time or time.min,
            item.category,
            item.name,
            item.chore_id,
        )
    )
    return items


def _least_done_turns(
    members: list[int], current: int | None, done: dict[int, int], count: int
) -> list[int | None]:
    """A least-done rotation's next assignees, supposing each does their turn: the member with the
    fewest completions so far (ties in rotation order after the last one) is up next."""
    turns: list[int | None] = [current][:count]
    counts = dict(done)
    while len(turns) < count:
        last = turns[-1]
        if last is not None:
            counts[last] = counts.get(last, 0) + 1
        turns.append(next_assignee("least_done", members, last, counts))
    return turns
