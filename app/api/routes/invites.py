from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from app.api.deps import Admin, CurrentUser, DbDep, MaybeUser, SettingsDep
from app.core.errors import ERROR_RESPONSES
from app.models import Role
from app.schemas.common import MAX_ID
from app.schemas.households import (
    HouseholdOut,
    InviteCreatedOut,
    InviteCreateIn,
    InviteOut,
    InvitePreviewOut,
)
from app.services import households

router = APIRouter(prefix="/api", tags=["invites"], responses=ERROR_RESPONSES)

Code = Annotated[str, Path(min_length=4, max_length=32)]


@router.get("/households/{household_id}/invites")
def list_invites(member: Admin, db: DbDep) -> list[InviteOut]:
    return [InviteOut.model_validate(i) for i in households.invites(db, member.household.id)]


@router.post("/households/{household_id}/invites", status_code=status.HTTP_201_CREATED)
def create_invite(
    data: InviteCreateIn, member: Admin, db: DbDep, settings: SettingsDep
) -> InviteCreatedOut:
    invite, code = households.create_invite(db, settings, member, data)
    return InviteCreatedOut(**InviteOut.model_validate(invite).model_dump(), code=code)


@router.delete(
    "/households/{household_id}/invites/{invite_id}", status_code=status.HTTP_204_NO_CONTENT
)
def revoke_invite(
    invite_id: Annotated[int, Path(ge=1, le=MAX_ID)], member: Admin, db: DbDep
) -> Response:
    households.revoke_invite(db, member, invite_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/invites/{code}")
def preview_invite(
    code: Code, user: MaybeUser, db: DbDep, settings: SettingsDep
) -> InvitePreviewOut:
    """Which household invites, as what: shown before logging in too."""
    invite, household, member = households.preview_invite(db, settings, code, user)
    return InvitePreviewOut(
        household_name=household.name,
        role=Role(invite.role),
        expires_at=invite.expires_at,
        household_id=household.id if member else None,
    )


@router.post("/invites/{code}/accept")
def accept_invite(code: Code, user: CurrentUser, db: DbDep, settings: SettingsDep) -> HouseholdOut:
    return HouseholdOut.of(*households.accept_invite(db, settings, user, code))
