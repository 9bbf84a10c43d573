from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from app.api.deps import Admin, DbDep, Reader, SettingsDep
from app.core.errors import ERROR_RESPONSES
from app.models import Membership, Role, User
from app.schemas.accounts import PasswordResetOut
from app.schemas.common import MAX_ID
from app.schemas.households import MemberOut, MemberUpdateIn
from app.services import households, password_resets

router = APIRouter(
    prefix="/api/households/{household_id}/members", tags=["members"], responses=ERROR_RESPONSES
)

UserId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _out(membership: Membership, user: User) -> MemberOut:
    return MemberOut(
        user_id=user.id,
        display_name=user.display_name,
        email=user.email,
        role=Role(membership.role),
        joined_at=membership.joined_at,
    )


@router.get("")
def list_members(member: Reader, db: DbDep) -> list[MemberOut]:
    return [_out(m, u) for m, u in households.members(db, member.household.id)]


@router.patch("/{user_id}")
def change_role(user_id: UserId, data: MemberUpdateIn, member: Admin, db: DbDep) -> MemberOut:
    return _out(*households.change_role(db, member, user_id, data.role))


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(user_id: UserId, member: Reader, db: DbDep) -> Response:
    households.remove(db, member, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{user_id}/password-reset", status_code=status.HTTP_201_CREATED)
def make_password_reset(
    user_id: UserId, member: Admin, db: DbDep, settings: SettingsDep
) -> PasswordResetOut:
    """A single-use link that lets the member set a new password (no mail server needed)."""
    reset, token = password_resets.issue(db, settings, member, user_id)
    return PasswordResetOut(url=password_resets.PAGE + token, expires_at=reset.expires_at)
