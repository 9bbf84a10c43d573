"""Household revisions kept by the data layer: no write can forget them.

Cached reads are keyed by the household's revision (app.core.cache). Every ORM session of the
app notes the households whose rows it changes, and gives each a new revision in the same
transaction, as its last statement before COMMIT (a rollback takes it back with the change).
A cached read therefore sees the new revision exactly when it can see the change.

The bump locks the household's row, so it comes last: writes to one household queue on that row
only for the moment of their commit, not for their whole transaction. It also keeps the lock
order that makes the writes deadlock-free: a transaction locks a household's memberships, then
its chores, then their history, and the household row last. (A transaction that waits for the
household row holds no lock that the holder of that row waits for: the holder is committing.)
Deleting a household follows the same order (app.services.households.delete).

The ways into the database, all noting the households for the commit:
- a flush (added, changed or deleted objects): from the objects' household (a chore's members
  change with the chore's collection, which marks the chore changed);
- a statement that names its household (`changes(household_id)` as its execution options);
- any other bulk UPDATE or DELETE of a household's table: the households of the rows it
  matches, read first with the same WHERE (rare paths: revocations, sign-outs);
- a new display name: the households of the person (it shows in their lists).
The hot write (completing a chore) instead carries the new revision in its own statement, on
PostgreSQL (`BUMP` as a data-modifying CTE, executed with `REVISED`): one round trip fewer.

Rows that no cached read shows (classes with `household_reads = False`: the reminders, which
the sender writes every minute) keep the revision, and with it the household's cache.
"""

from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, event, inspect, select, update
from sqlalchemy.orm import InstanceState, ORMExecuteState, Session, sessionmaker

from app.models.accounts import User
from app.models.households import Household, Membership, new_revision

_CHANGED = "changed_households"
_NAMED = "household_changed"
# Execution options of a statement that gives the households it changes their new revisions.
REVISED = {"revisions_applied": True}


def changes(household_id: int) -> dict[str, int]:
    """Execution options of a statement that changes rows of the household: noted as they are,
    without reading the households of the rows first."""
    return {_NAMED: household_id}


# The statement that gives a household a new revision, built once: see `bumped`. (Parameters
# named as a column of the updated table would set that column too.)
_HOUSEHOLDS = cast(Table, Household.__table__)
BUMP = (
    update(_HOUSEHOLDS)
    .where(_HOUSEHOLDS.c.id == bindparam("bumped_household"))
    .values(revision=bindparam("new_revision"))
)


def bumped(household_id: int) -> dict[str, int]:
    """The parameters of `BUMP` for the household."""
    return {"bumped_household": household_id, "new_revision": new_revision()}


def _household_column(entity: Any) -> ColumnElement[int] | None:
    """The column naming the household of a mapped class's rows, if they belong to one."""
    if entity is Household:
        return Household.id  # type: ignore[return-value]
    if not getattr(entity, "household_reads", True):
        return None
    column: ColumnElement[int] | None = getattr(entity, "household_id", None)
    return column


def _note(session: Session, household_ids: Any) -> None:
    changed: set[int] = session.info.setdefault(_CHANGED, set())
    changed.update(household_ids)


def _households_of(session: Session, state: InstanceState[Any]) -> set[int]:
    obj = state.object
    if isinstance(obj, User):
        if not state.attrs.display_name.history.has_changes():
            return set()
        return set(
            session.scalars(
                select(Membership.household_id).where(Membership.user_id == obj.id),
                execution_options=REVISED,
            )
        )
    if not getattr(obj, "household_reads", True):
        return set()
    value = obj.id if isinstance(obj, Household) else getattr(obj, "household_id", None)
    return {value} if value is not None else set()


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in (*session.new, *changed, *session.deleted):
        _note(session, _households_of(session, inspect(obj)))


def _before_execute(state: ORMExecuteState) -> None:
    if state.execution_options.get("revisions_applied"):
        return
    named = state.execution_options.get(_NAMED)
    if named is not None:
        _note(state.session, (named,))
        return
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    column = _household_column(mapper.class_) if mapper is not None else None
    if column is not None:
        matched = select(column).where(*state.statement._where_criteria).distinct()  # type: ignore[attr-defined]
        _note(state.session, state.session.scalars(matched, execution_options=REVISED))


def _before_commit(session: Session) -> None:
    session.flush()  # the last changes name their households too
    # One statement per household, in id order: two transactions that change the same
    # households (a person's new name shows in all of theirs) lock them in the same order.
    for household_id in sorted(session.info.pop(_CHANGED, ())):
        session.execute(
            BUMP,
            bumped(household_id),
            execution_options={**REVISED, "synchronize_session": False},
        )


def _forget(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def track(factory: sessionmaker[Session]) -> None:
    """Keeps the household revisions for every session the factory makes."""
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "do_orm_execute", _before_execute)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_rollback", _forget)
