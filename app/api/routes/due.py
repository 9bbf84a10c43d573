from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api.cached import household_json
from app.api.deps import Reader
from app.core.errors import ERROR_RESPONSES
from app.domain.views import DueEntry, Occurrence
from app.schemas.chores import CalendarItem, DueItem, DueQuery
from app.schemas.common import MAX_ID, DateRangeQuery
from app.services import chores

router = APIRouter(prefix="/api/households/{household_id}", tags=["due"], responses=ERROR_RESPONSES)


@router.get("/due", response_model=list[DueItem])
async def due(
    request: Request,
    member: Reader,
    query: Annotated[DueQuery, Query()],
) -> Response:
    """Chores due by the end of the window (overdue ones included), mine or anyone's."""
    window, assignee = query.window, query.assignee
    who = None if assignee is None else member.user_id if assignee == "me" else int(assignee)
    if who is not None and who > MAX_ID:
        return Response(b"[]", media_type="application/json")  # no member has such an id
    return await household_json(
        request,
        member,
        ("due", window, who),
        list[DueEntry],
        lambda reads: chores.due(reads, member, window, who),
    )


@router.get("/calendar", response_model=list[CalendarItem])
async def calendar(
    request: Request,
    member: Reader,
    query: Annotated[DateRangeQuery, Query()],
) -> Response:
    """Upcoming occurrences projected from the rules (default: the next 4 weeks)."""
    first = query.start or chores.today(member.household)
    last = query.end or first + timedelta(days=27)
    return await household_json(
        request,
        member,
        ("calendar", first, last),
        list[Occurrence],
        lambda reads: chores.calendar(reads, member.household, first, last),
    )
