"""Household revisions kept by the data layer: no write can forget them.

Cached reads are keyed by the household's revision (app.core.cache). Every ORM session of the
app replaces the revision of each household whose rows it writes or locks, in the same
transaction (a rollback takes the new revision back with the change), and before it writes or
locks any other row of that household: the UPDATE locks the household row, so writes to one
household queue on it, always in the same order, and cannot deadlock. Once per transaction and
household: the transaction is what a cached read can see.

Three ways into the database, one hook each:
- a flush (added, changed or deleted objects): before it, from the objects' household (a
  chore's members change with the chore's collection, which marks the chore changed);
- a bulk UPDATE or DELETE, and a SELECT ... FOR UPDATE, of a household's table: before it,
  for the households of the rows it matches (the same WHERE, in a subquery);
- a new display name: the households of the person (it shows in their lists).
"""

from typing import Any

from sqlalchemy import ColumnElement, event, inspect, select, update
from sqlalchemy.orm import InstanceState, ORMExecuteState, Session, sessionmaker

from app.models.accounts import User
from app.models.households import Household, Membership, new_revision

_REVISED = "revised_households"


def _household_column(entity: Any) -> ColumnElement[int] | None:
    """The column naming the household of a mapped class's rows, if they belong to one."""
    if entity is Household:
        return Household.id  # type: ignore[return-value]
    column: ColumnElement[int] | None = getattr(entity, "household_id", None)
    return column


def _revise(session: Session, household_ids: Any) -> None:
    """New revisions for the households (ids or a subquery) not yet revised in the transaction."""
    revised: set[int] = session.info.setdefault(_REVISED, set())
    if isinstance(household_ids, set | list):
        household_ids = sorted(set(household_ids) - revised)
        if not household_ids:
            return
    elif revised:
        household_ids = household_ids.where(Household.id.not_in(revised))
    changed = session.execute(
        update(Household)
        .where(Household.id.in_(household_ids))
        .values(revision=new_revision())
        .returning(Household.id),
        execution_options={"revisions_applied": True, "synchronize_session": False},
    )
    revised.update(changed.scalars())


def _households_of(session: Session, state: InstanceState[Any]) -> set[int]:
    obj = state.object
    if isinstance(obj, User):
        if not state.attrs.display_name.history.has_changes():
            return set()
        return set(
            session.scalars(
                select(Membership.household_id).where(Membership.user_id == obj.id),
                execution_options={"revisions_applied": True},
            )
        )
    value = obj.id if isinstance(obj, Household) else getattr(obj, "household_id", None)
    return {value} if value is not None else set()


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    ids: set[int] = set()
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in (*session.new, *changed, *session.deleted):
        ids |= _households_of(session, inspect(obj))
    if ids:
        _revise(session, ids)


def _before_execute(state: ORMExecuteState) -> None:
    if state.execution_options.get("revisions_applied"):
        return
    statement: Any = state.statement
    locking = state.is_select and getattr(statement, "_for_update_arg", None) is not None
    if not (locking or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    column = _household_column(mapper.class_) if mapper is not None else None
    if column is not None:
        _revise(state.session, select(column).where(*statement._where_criteria))


def _forget(session: Session) -> None:
    session.info.pop(_REVISED, None)


def track(factory: sessionmaker[Session]) -> None:
    """Keeps the household revisions for every session the factory makes."""
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "do_orm_execute", _before_execute)
    event.listen(factory, "after_commit", _forget)
    event.listen(factory, "after_rollback", _forget)
