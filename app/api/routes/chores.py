from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response, status

from app.api.cached import household_json, read_model_json
from app.api.deps import DbDep, Reader, Writer
from app.core.errors import ERROR_RESPONSES
from app.domain.views import ChoreView, CompletionView
from app.schemas.chores import ChoreCreateIn, ChoreListQuery, ChoreOut, ChoreUpdateIn
from app.schemas.common import MAX_ID
from app.schemas.completions import CompleteIn, CompletionOut
from app.services import chores, completions
from app.services.access import Member

router = APIRouter(
    prefix="/api/households/{household_id}/chores", tags=["chores"], responses=ERROR_RESPONSES
)

ChoreId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _chore(db: DbDep, member: Member, chore_id: int) -> ChoreView:
    return chores.get_view(db, member, chore_id)


@router.get("", response_model=list[ChoreOut])
async def list_chores(
    request: Request,
    member: Reader,
    query: Annotated[ChoreListQuery, Query()],
) -> Response:
    return await household_json(
        request,
        member,
        ("chores", query.category, query.assignee, query.archived),
        list[ChoreView],
        lambda reads: chores.list_chores(
            reads,
            member,
            category=query.category,
            assignee=query.assignee,
            archived=query.archived,
        ),
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ChoreOut)
def create_chore(data: ChoreCreateIn, member: Writer, db: DbDep) -> ChoreView:
    return _chore(db, member, chores.create(db, member, data).id)


@router.get("/{chore_id}", response_model=ChoreOut)
def get_chore(chore_id: ChoreId, member: Reader, db: DbDep) -> ChoreView:
    return _chore(db, member, chore_id)


@router.patch("/{chore_id}", response_model=ChoreOut)
def update_chore(chore_id: ChoreId, data: ChoreUpdateIn, member: Writer, db: DbDep) -> ChoreView:
    return _chore(db, member, chores.update(db, member, chore_id, data).id)


@router.delete("/{chore_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_chore(chore_id: ChoreId, member: Writer, db: DbDep) -> Response:
    chores.delete_chore(db, member, chore_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


OptionalCompleteIn = Annotated[CompleteIn | None, Body()]
# A phone resending a tap it queued offline names it, so that the tap is recorded once.
TapKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="A key of the client's choosing per tap: resent, the tap answers as before",
    ),
]


@router.post(
    "/{chore_id}/complete", status_code=status.HTTP_201_CREATED, response_model=CompletionOut
)
def complete_chore(
    chore_id: ChoreId,
    member: Writer,
    db: DbDep,
    data: OptionalCompleteIn = None,
    key: TapKey = None,
) -> Response:
    return _recorded(completions.record(db, member, chore_id, data or CompleteIn(), "done", key))


@router.post("/{chore_id}/skip", status_code=status.HTTP_201_CREATED, response_model=CompletionOut)
def skip_chore(
    chore_id: ChoreId,
    member: Writer,
    db: DbDep,
    data: OptionalCompleteIn = None,
    key: TapKey = None,
) -> Response:
    return _recorded(completions.record(db, member, chore_id, data or CompleteIn(), "skipped", key))


def _recorded(entry: CompletionView) -> Response:
    # The hot write's answer, written out as the cached reads are: its validation into
    # CompletionOut first was a tenth of a tap's time (tests/app/test_read_models.py).
    return read_model_json(CompletionView, entry, status.HTTP_201_CREATED)


@router.post("/{chore_id}/undo", response_model=ChoreOut)
def undo_chore(chore_id: ChoreId, member: Writer, db: DbDep, key: TapKey = None) -> ChoreView:
    return _chore(db, member, completions.undo(db, member, chore_id, key).id)
