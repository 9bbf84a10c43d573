from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile

from app.api.deps import DbDep, Reader, ReadsDep, Writer
from app.core.errors import ERROR_RESPONSES
from app.schemas.common import DateRangeQuery
from app.schemas.completions import ImportResult
from app.services import chore_csv, completions

router = APIRouter(
    prefix="/api/households/{household_id}", tags=["import-export"], responses=ERROR_RESPONSES
)

CSV_TYPE = "text/csv; charset=utf-8"


def _attachment(body: str, filename: str) -> Response:
    return Response(
        body,
        media_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/chores/import", status_code=201)
async def import_chores(
    file: Annotated[UploadFile, File(description="CSV: category,task_name,frequency or an export")],
    member: Writer,
    db: DbDep,
) -> ImportResult:
    raw = await file.read(chore_csv.MAX_BYTES + 1)
    ids, kind = chore_csv.import_chores(db, member, raw)
    return ImportResult(created=len(ids), format=kind, chore_ids=ids)


@router.get(
    "/chores/export.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}}
)
async def export_chores(member: Reader, reads: ReadsDep) -> Response:
    return _attachment(await chore_csv.export_chores(reads, member), "chores.csv")


@router.get(
    "/completions/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_completions(
    member: Reader,
    reads: ReadsDep,
    query: Annotated[DateRangeQuery, Query()],
) -> Response:
    start, end = completions.date_range(member.household, query.start, query.end, 365)
    entries = await completions.history(reads, member.household, start, end)
    return _attachment(chore_csv.export_history(entries, member.household.time_zone), "history.csv")
