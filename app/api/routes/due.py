from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.cached import household_json
from app.api.deps import DbDep, Reader
from app.core.errors import ERROR_RESPONSES
from app.schemas.chores import CalendarItem, DueItem, DueWindow
from app.schemas.common import MAX_ID
from app.services import chores

router = APIRouter(prefix="/api/households/{household_id}", tags=["due"], responses=ERROR_RESPONSES)


@router.get("/due", response_model=list[DueItem])
async def due(
    request: Request,
    member: Reader,
    db: DbDep,
    window: DueWindow = "today",
    assignee: Annotated[str | None, Query(pattern=r"^(me|[1-9][0-9]{0,9})$")] = None,
) -> Response:
    """Chores due by the end of the window (overdue ones included), mine or anyone's."""
    who = None if assignee is None else member.user_id if assignee == "me" else int(assignee)
    if who is not None and who > MAX_ID:
        return Response(b"[]", media_type="application/json")  # no member has such an id
    return await household_json(
        request,
        member,
        ("due", window, who),
        list[DueItem],
        lambda: chores.due(db, member, window, who),
    )


@router.get("/calendar", response_model=list[CalendarItem])
async def calendar(
    request: Request,
    member: Reader,
    db: DbDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """Upcoming occurrences projected from the rules (default: the next 4 weeks)."""
    first = start or chores.today(member.household)
    last = end or first + timedelta(days=27)
    return await household_json(
        request,
        member,
        ("calendar", first, last),
        list[CalendarItem],
        lambda: chores.calendar(db, member.household, first, last),
    )
