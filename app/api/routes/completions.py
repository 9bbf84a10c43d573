from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.api.cached import household_json
from app.api.deps import DbDep, Reader, Writer
from app.core.errors import ERROR_RESPONSES
from app.domain.views import CompletionView, Stats
from app.schemas.common import MAX_ID, DateRangeQuery
from app.schemas.completions import CompletionOut, CompletionUpdateIn, HistoryQuery, StatsOut
from app.services import completions

router = APIRouter(
    prefix="/api/households/{household_id}", tags=["completions"], responses=ERROR_RESPONSES
)

CompletionId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/completions", response_model=list[CompletionOut])
async def list_completions(
    request: Request,
    member: Reader,
    query: Annotated[HistoryQuery, Query()],
) -> Response:
    """History of a date range (household-local days; default the last 30), newest first, a
    page at a time (see the query's `before_at` and `before_id`)."""
    first, last = completions.date_range(member.household, query.start, query.end, 30)
    done_by, limit, before = query.done_by, query.limit, query.cursor()
    return await household_json(
        request,
        member,
        ("completions", first, last, done_by, limit, before),
        list[CompletionView],
        lambda reads: completions.history(
            reads, member.household, first, last, done_by, limit, before
        ),
    )


@router.patch("/completions/{completion_id}", response_model=CompletionOut)
def update_completion(
    completion_id: CompletionId, data: CompletionUpdateIn, member: Writer, db: DbDep
) -> CompletionView:
    return completions.update(db, member, completion_id, data)


@router.delete("/completions/{completion_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_completion(completion_id: CompletionId, member: Writer, db: DbDep) -> Response:
    completions.delete(db, member, completion_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/stats", response_model=StatsOut)
async def stats(
    request: Request, member: Reader, query: Annotated[DateRangeQuery, Query()]
) -> Response:
    """Per member and per category over a date range (default the last 7 days)."""
    first, last = completions.date_range(member.household, query.start, query.end, 7)
    return await household_json(
        request,
        member,
        ("stats", first, last),
        Stats,
        lambda reads: completions.stats(reads, member.household, first, last),
    )
