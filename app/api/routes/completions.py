from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.api.cached import household_json
from app.api.deps import DbDep, Reader, Writer
from app.core.errors import ERROR_RESPONSES
from app.schemas.common import MAX_ID
from app.schemas.completions import CompletionOut, CompletionUpdateIn, StatsOut
from app.services import completions

router = APIRouter(
    prefix="/api/households/{household_id}", tags=["completions"], responses=ERROR_RESPONSES
)

CompletionId = Annotated[int, Path(ge=1, le=MAX_ID)]
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


@router.get("/completions", response_model=list[CompletionOut])
async def list_completions(
    request: Request,
    member: Reader,
    db: DbDep,
    start: From = None,
    end: To = None,
    done_by: Annotated[int | None, Query(alias="member", ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> Response:
    """History of a date range (household-local days; default the last 30)."""
    first, last = completions.date_range(member.household, start, end, default_days=30)
    return await household_json(
        request,
        member,
        ("completions", first, last, done_by, limit),
        list[CompletionOut],
        lambda: completions.history(db, member.household, first, last, done_by, limit),
    )


@router.patch("/completions/{completion_id}")
def update_completion(
    completion_id: CompletionId, data: CompletionUpdateIn, member: Writer, db: DbDep
) -> CompletionOut:
    return completions.update(db, member, completion_id, data)


@router.delete("/completions/{completion_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_completion(completion_id: CompletionId, member: Writer, db: DbDep) -> Response:
    completions.delete(db, member, completion_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/stats", response_model=StatsOut)
async def stats(
    request: Request, member: Reader, db: DbDep, start: From = None, end: To = None
) -> Response:
    """Per member and per category over a date range (default the last 7 days)."""
    first, last = completions.date_range(member.household, start, end, default_days=7)
    return await household_json(
        request,
        member,
        ("stats", first, last),
        StatsOut,
        lambda: completions.stats(db, member.household, first, last),
    )
