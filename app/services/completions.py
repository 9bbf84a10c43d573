"""Doing chores: complete, skip, undo, and the history with its edits and statistics."""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from sqlalchemy import Select, Table, and_, bindparam, func, insert, select, tuple_
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from app.core import metrics
from app.core.db import UTCDateTime, utcnow
from app.core.reads import Reads
from app.domain.errors import ConflictError, ErrorCode, InvalidError, NotFoundError
from app.domain.recurrence import local_date, next_due
from app.domain.rotation import next_assignee
from app.domain.views import CategoryTotals, CompletionView, MemberTotals, Person, Stats
from app.models import Chore, Completion, Membership, TapReceipt, User, revisions
from app.schemas.completions import CompleteIn, CompletionUpdateIn
from app.services import chores
from app.services.access import HouseholdClock, Member

COMPLETIONS, CHORES = cast(Table, Completion.__table__), cast(Table, Chore.__table__)

# Phones' clocks drift: a completion a few minutes "in the future" is still now.
CLOCK_SKEW = timedelta(minutes=5)
MAX_RANGE_DAYS = 3 * 366


def _member_name(db: Session, household_id: int, user_id: int) -> str:
    name = db.scalar(
        select(User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.household_id == household_id, Membership.user_id == user_id)
    )
    if name is None:
        raise InvalidError(ErrorCode.NOT_A_MEMBER, "done_by must be a member of this household")
    return name


def _check_done_at(done_at: datetime) -> datetime:
    if done_at > utcnow() + CLOCK_SKEW:
        raise InvalidError(ErrorCode.DONE_IN_FUTURE, "done_at must not be in the future")
    return done_at.astimezone(UTC)


# Receipts keep the first answer to a tap as the read model's JSON.
_ANSWER: TypeAdapter[CompletionView] = TypeAdapter(CompletionView)


def _receipt(
    db: Session, member: Member, chore_id: int, key: str | None, action: str
) -> TapReceipt | None:
    """The receipt of a tap already carried out under `key`. Read with the chore locked: a
    resent tap racing its first waits for it, then finds its receipt."""
    if key is None:
        return None
    receipt = db.get(TapReceipt, (member.user_id, key))
    if receipt is not None and (receipt.chore_id, receipt.action) != (chore_id, action):
        raise ConflictError(ErrorCode.CONFLICT, "This Idempotency-Key belongs to another tap")
    return receipt


def _keep_receipt(
    db: Session, member: Member, chore_id: int, key: str | None, action: str, body: str | None
) -> None:
    if key is not None:
        db.add(
            TapReceipt(
                user_id=member.user_id,
                key=key,
                household_id=member.household.id,
                chore_id=chore_id,
                action=action,
                body=body,
            )
        )


def record(
    db: Session,
    member: Member,
    chore_id: int,
    data: CompleteIn,
    kind: str,
    key: str | None = None,
) -> CompletionView:
    """Completes or skips the chore's current occurrence and moves it (and its rotation) on.
    With an Idempotency-Key `key`, a tap already recorded under it answers as it did then.

    The hot write of the app: the chore with its rotation in one locked read, then one statement
    that writes (`_write`), and the answer built from what is known. Plain rows and statements
    built once, not ORM objects: those were half of a tap's time in the worker."""
    chore = chores.locked_row(db, member, chore_id)
    receipt = _receipt(db, member, chore_id, key, kind)
    if receipt is not None and receipt.body is not None:
        return _ANSWER.validate_json(receipt.body)
    if chore.archived:
        raise ConflictError(ErrorCode.CHORE_ARCHIVED, "This chore is archived; restore it first")
    if chore.next_due is None:
        raise ConflictError(ErrorCode.CHORE_FINISHED, "This one-off chore is already done")
    done_by = data.done_by or member.user_id
    doer = (
        member.display_name
        if done_by == member.user_id
        else _member_name(db, member.household.id, done_by)
    )
    done_at = _check_done_at(data.done_at) if data.done_at else utcnow()
    done = kind == "done"
    counts = None
    if chore.assignment == "least_done":
        counts = _done_counts(db, chore_id)
        if done:  # this very completion counts too
            counts[done_by] = counts.get(done_by, 0) + 1
    now = utcnow()
    answer = CompletionView(
        id=0,  # the write's
        chore_id=chore_id,
        chore_name=chore.name,
        category=chore.category,
        due_date=chore.next_due,
        kind=kind,
        done_by=Person(done_by, doer),
        done_at=done_at,
        recorded_by=Person(member.user_id, member.display_name),
        points=chore.points if done else 0,
        minutes=(chore.estimated_minutes or 0) if done else 0,
    )
    entry = {
        "household_id": member.household.id,
        "chore_id": chore_id,
        "due_date": chore.next_due,
        "kind": kind,
        "done_by": done_by,
        "done_at": done_at,
        "recorded_by": member.user_id,
        "points": answer.points,
        "minutes": answer.minutes,
        "assignee_before": chore.assignee_id,
        "created_at": now,
    }
    moved = {
        "next_due": next_due(
            chores.rule_of(chore),
            start=chore.start_date,
            scheduled=chore.next_due,
            done_on=local_date(done_at, member.household.time_zone),
        ),
        "assignee_id": next_assignee(
            chore.assignment,
            list(chores.rotation_members(chore.members)),
            chore.assignee_id,
            counts,
        ),
        "updated_at": now,
    }
    answer.id = _write(db, entry, moved)
    if key is not None:
        _keep_receipt(db, member, chore_id, key, kind, _ANSWER.dump_json(answer).decode())
    db.commit()
    return answer


# Parameters named as a column of a table written would also set that column: "entry_" and
# "moved_" name none.
_ADD = (
    insert(COMPLETIONS)
    .values({c.key: bindparam(f"entry_{c.key}") for c in COMPLETIONS.columns if c.key != "id"})
    .returning(COMPLETIONS.c.id)
)
_MOVE = (
    sql_update(CHORES)
    .where(CHORES.c.id == bindparam("entry_chore_id"))
    .values({key: bindparam(f"moved_{key}") for key in ("next_due", "assignee_id", "updated_at")})
)
# The entry, the chore moved on and the household's new revision in one statement of
# data-modifying CTEs (PostgreSQL): with the locked read and COMMIT, three round trips where the
# unit of work took five. Built once: building it cost more than running it.
_RECORD = (
    select(_ADD.cte("entry").c.id)
    .add_cte(_MOVE.cte("move"))
    .add_cte(revisions.BUMP.cte("revision"))
)


def _write(db: Session, entry: dict[str, Any], moved: dict[str, Any]) -> int:
    """Adds the completion `entry` and moves its chore on (`moved`); answers the entry's id."""
    metrics.note_completions(db, 1)
    household_id = entry["household_id"]
    params = {f"entry_{key}": value for key, value in entry.items()}
    params.update((f"moved_{key}", value) for key, value in moved.items())
    if db.get_bind().dialect.name == "postgresql":
        params.update(revisions.bumped(household_id))
        entry_id = db.scalar(_RECORD, params, execution_options=revisions.REVISED)
    else:  # SQLite has no data-modifying CTEs
        options = revisions.changes(household_id)
        entry_id = db.scalar(_ADD, params, execution_options=options)
        db.execute(_MOVE, params, execution_options=options)
    assert entry_id is not None
    return int(entry_id)


_DONE_COUNTS = (
    select(COMPLETIONS.c.done_by, func.count())
    .where(COMPLETIONS.c.chore_id == bindparam("chore_id"), COMPLETIONS.c.kind == "done")
    .group_by(COMPLETIONS.c.done_by)
)


def _done_counts(db: Session, chore_id: int) -> dict[int, int]:
    rows = db.execute(_DONE_COUNTS, {"chore_id": chore_id})
    return {user_id: count for user_id, count in rows if user_id is not None}


def _latest(db: Session, chore_id: int) -> Completion | None:
    return db.scalar(
        select(Completion)
        .where(Completion.chore_id == chore_id)
        .order_by(Completion.id.desc())
        .limit(1)
    )


def _rewind(db: Session, chore: Chore, entry: Completion) -> None:
    """Removes the chore's latest entry and puts back the due date and assignee it replaced."""
    chore.next_due = entry.due_date
    members = chores.rotation_of(chore)
    chore.assignee_id = (
        entry.assignee_before if entry.assignee_before in members else chore.assignee_id
    )
    db.delete(entry)


def undo(db: Session, member: Member, chore_id: int, key: str | None = None) -> Chore:
    """Takes the chore's latest entry back. With an Idempotency-Key already used for this undo,
    nothing more is taken back: the answer is the chore as it is now."""
    chore = chores.get_for_update(db, member, chore_id)
    if _receipt(db, member, chore.id, key, "undo") is not None:
        return chore
    entry = _latest(db, chore.id)
    if entry is None:
        raise ConflictError(ErrorCode.NOTHING_TO_UNDO, "This chore has no history to undo")
    _rewind(db, chore, entry)
    _keep_receipt(db, member, chore.id, key, "undo", None)
    db.commit()
    return chore


def _entry_for_change(db: Session, member: Member, completion_id: int) -> tuple[Completion, Chore]:
    entry = db.get(Completion, completion_id)
    if entry is None or entry.household_id != member.household.id:
        raise NotFoundError("Completion")
    chore = chores.get_for_update(db, member, entry.chore_id)
    return entry, chore


def update(
    db: Session, member: Member, completion_id: int, data: CompletionUpdateIn
) -> CompletionView:
    entry, chore = _entry_for_change(db, member, completion_id)
    if data.done_by is not None:
        _member_name(db, member.household.id, data.done_by)
        entry.done_by = data.done_by
    if data.done_at is not None:
        entry.done_at = _check_done_at(data.done_at)
        latest = _latest(db, chore.id)
        if latest is not None and latest.id == entry.id and chore.next_due is not None:
            # Only the latest entry decides the next due date; older ones are history.
            chore.next_due = next_due(
                chores.rule_of(chore),
                start=chore.start_date,
                scheduled=entry.due_date,
                done_on=local_date(entry.done_at, member.household.time_zone),
            )
    out = one(db, member.household, entry.id)
    db.commit()
    return out


def delete(db: Session, member: Member, completion_id: int) -> None:
    entry, chore = _entry_for_change(db, member, completion_id)
    latest = _latest(db, chore.id)
    if latest is not None and latest.id == entry.id:
        _rewind(db, chore, entry)
    else:
        db.delete(entry)
    db.commit()


def date_range(
    household: HouseholdClock, start: date | None, end: date | None, default_days: int
) -> tuple[date, date]:
    end = end or chores.today(household)
    start = start or end - timedelta(days=default_days - 1)
    if end < start:
        raise InvalidError(ErrorCode.BAD_RANGE, "'to' must not be before 'from'")
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidError(ErrorCode.BAD_RANGE, f"The range may span at most {MAX_RANGE_DAYS} days")
    return start, end


def instants(household: HouseholdClock, start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants that bound the household-local days [start, end]."""
    zone = ZoneInfo(household.time_zone)
    return (
        datetime.combine(start, time.min, zone).astimezone(UTC),
        datetime.combine(end + timedelta(days=1), time.min, zone).astimezone(UTC),
    )


def _history_rows() -> Select[Any]:
    chores_table, users = Chore.__table__, User.__table__
    doer, recorder = users.alias("doer"), users.alias("recorder")
    return select(
        COMPLETIONS,
        chores_table.c.name.label("chore_name"),
        chores_table.c.category,
        doer.c.display_name.label("doer_name"),
        recorder.c.display_name.label("recorder_name"),
    ).select_from(
        COMPLETIONS.join(chores_table, chores_table.c.id == COMPLETIONS.c.chore_id)
        .outerjoin(doer, doer.c.id == COMPLETIONS.c.done_by)
        .outerjoin(recorder, recorder.c.id == COMPLETIONS.c.recorded_by)
    )


# Built once per shape (app.services.chores says why).
_HISTORY_ROWS = _history_rows().where(COMPLETIONS.c.household_id == bindparam("household_id"))
_ENTRY = _HISTORY_ROWS.where(COMPLETIONS.c.id == bindparam("completion_id"))


def _view(
    entry: Any, chore_name: str, category: str, doer: str | None, recorder: str | None
) -> CompletionView:
    """An entry (a Completion, or a history row with the same columns) and the names it shows."""
    return CompletionView(
        id=entry.id,
        chore_id=entry.chore_id,
        chore_name=chore_name,
        category=category,
        due_date=entry.due_date,
        kind=entry.kind,
        done_by=Person.of(entry.done_by, doer),
        done_at=entry.done_at,
        recorded_by=Person.of(entry.recorded_by, recorder),
        points=entry.points,
        minutes=entry.minutes,
    )


def _row_view(row: Any) -> CompletionView:
    return _view(row, row.chore_name, row.category, row.doer_name, row.recorder_name)


@lru_cache(maxsize=8)
def _history(member: bool, page: bool, limited: bool) -> Select[Any]:
    done_at, entry_id = COMPLETIONS.c.done_at, COMPLETIONS.c.id
    statement = _HISTORY_ROWS.where(done_at >= bindparam("since"), done_at < bindparam("until"))
    if member:
        statement = statement.where(COMPLETIONS.c.done_by == bindparam("member_id"))
    if page:
        # Typed as the column: SQLite compares the stored UTC text, not the caller's offset.
        cursor = tuple_(bindparam("before_at", type_=UTCDateTime()), bindparam("before_id"))
        statement = statement.where(tuple_(done_at, entry_id) < cursor)
    statement = statement.order_by(done_at.desc(), entry_id.desc())
    return statement.limit(bindparam("limit")) if limited else statement


async def history(
    reads: Reads,
    household: HouseholdClock,
    start: date,
    end: date,
    member_id: int | None = None,
    limit: int | None = None,
    before: tuple[datetime, int] | None = None,
) -> list[CompletionView]:
    """The entries of the household-local days [start, end], newest first; with `limit`, one
    page, starting after the entry `before` names (done_at, id) when given: a keyset page, as
    cheap deep in a long history as at its start."""
    since, until = instants(household, start, end)
    before_at, before_id = before or (None, None)
    params = {
        "household_id": household.id,
        "since": since,
        "until": until,
        "member_id": member_id,
        "before_at": before_at,
        "before_id": before_id,
        "limit": limit,
    }
    shape = _history(member_id is not None, before is not None, limit is not None)
    rows = await reads.all(shape, params)
    return [_row_view(row) for row in rows]


def one(db: Session, household: HouseholdClock, completion_id: int) -> CompletionView:
    row = db.execute(
        _ENTRY, {"household_id": household.id, "completion_id": completion_id}
    ).one_or_none()
    if row is None:
        raise NotFoundError("Completion")
    return _row_view(row)


_IN_RANGE = (
    Completion.household_id == bindparam("household_id"),
    Completion.done_at >= bindparam("since"),
    Completion.done_at < bindparam("until"),
)
_IS_DONE = Completion.kind == "done"
_MEMBER_TOTALS = (
    select(
        User.id,
        User.display_name,
        func.count(Completion.id).filter(_IS_DONE),
        func.count(Completion.id).filter(~_IS_DONE),
        func.coalesce(func.sum(Completion.minutes), 0),
        func.coalesce(func.sum(Completion.points), 0),
    )
    .select_from(User)
    .outerjoin(
        Membership,
        (Membership.user_id == User.id) & (Membership.household_id == bindparam("household_id")),
    )
    .outerjoin(Completion, and_(Completion.done_by == User.id, *_IN_RANGE))
    .where((Membership.user_id.is_not(None)) | (Completion.id.is_not(None)))
    .group_by(User.id, User.display_name)
    .order_by(User.display_name, User.id)
)
_CATEGORY_TOTALS = (
    select(
        Chore.category,
        func.count(Completion.id),
        func.coalesce(func.sum(Completion.minutes), 0),
        func.coalesce(func.sum(Completion.points), 0),
    )
    .join(Chore, Chore.id == Completion.chore_id)
    .where(*_IN_RANGE, _IS_DONE)
    .group_by(Chore.category)
    .order_by(Chore.category)
)


async def stats(reads: Reads, household: HouseholdClock, start: date, end: date) -> Stats:
    since, until = instants(household, start, end)
    params = {"household_id": household.id, "since": since, "until": until}
    return Stats(
        from_date=start,
        to_date=end,
        members=tuple(MemberTotals(*row) for row in await reads.all(_MEMBER_TOTALS, params)),
        categories=tuple(CategoryTotals(*row) for row in await reads.all(_CATEGORY_TOTALS, params)),
    )
