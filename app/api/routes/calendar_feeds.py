from typing import Annotated

from fastapi import APIRouter, Body, Path, Response, status

from app.api.deps import DbDep, ReadsDep, SettingsDep, Writer
from app.core.errors import ERROR_RESPONSES
from app.schemas.completions import FeedCreateIn, FeedOut
from app.services import calendar_feeds

router = APIRouter(prefix="/api", tags=["calendar"], responses=ERROR_RESPONSES)


@router.post("/households/{household_id}/calendar-feed", status_code=status.HTTP_201_CREATED)
def create_feed(
    member: Writer,
    db: DbDep,
    settings: SettingsDep,
    data: Annotated[FeedCreateIn | None, Body()] = None,
) -> FeedOut:
    """A new secret feed URL of the caller's upcoming chores, and with `include_unassigned`
    those anyone may do (replaces any previous one)."""
    options = data or FeedCreateIn()
    feed, token = calendar_feeds.create(db, settings, member, options.include_unassigned)
    return FeedOut(
        url=calendar_feeds.path_for(token),
        created_at=feed.created_at,
        include_unassigned=feed.include_unassigned,
    )


@router.delete("/households/{household_id}/calendar-feed", status_code=status.HTTP_204_NO_CONTENT)
def revoke_feed(member: Writer, db: DbDep) -> Response:
    calendar_feeds.revoke(db, member)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/calendar/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
async def feed(
    token: Annotated[str, Path(min_length=20, max_length=64)],
    reads: ReadsDep,
    settings: SettingsDep,
) -> Response:
    """The iCalendar file itself: the secret token is the only credential (no cookie)."""
    body = await calendar_feeds.render(reads, settings, token)
    return Response(body, media_type="text/calendar; charset=utf-8")
