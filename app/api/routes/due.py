from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import DbDep, Reader
from app.core.errors import ERROR_RESPONSES
from app.schemas.chores import CalendarItem, DueItem, DueWindow
from app.schemas.common import MAX_ID
from app.services import chores

router = APIRouter(prefix="/api/households/{household_id}", tags=["due"], responses=ERROR_RESPONSES)


@router.get("/due")
def due(
    member: Reader,
    db: DbDep,
    window: DueWindow = "today",
    assignee: Annotated[str | None, Query(pattern=r"^(me|[1-9][0-9]{0,9})$")] = None,
) -> list[DueItem]:
    """Chores due by the end of the window (overdue ones included), mine or anyone's."""
    who = None if assignee is None else member.user.id if assignee == "me" else int(assignee)
    if who is not None and who > MAX_ID:
        return []  # no member has such an id
    return chores.due(db, member, window, who)


@router.get("/calendar")
def calendar(
    member: Reader,
    db: DbDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> list[CalendarItem]:
    """Upcoming occurrences projected from the rules (default: the next 4 weeks)."""
    start = start or chores.today(member.household)
    end = end or start + timedelta(days=27)
    return chores.calendar(db, member.household, start, end)
