from typing import TYPE_CHECKING, Literal

from pydantic import Field

from app.models import Household, Role
from app.schemas.common import Input, Instant, Language, Model, Name, TimeZone

if TYPE_CHECKING:
    from app.services.access import HouseholdView


class HouseholdCreateIn(Input):
    name: Name
    time_zone: TimeZone | None = None
    language: Language = "ja"


class HouseholdUpdateIn(Input):
    name: Name | None = None
    time_zone: TimeZone | None = None
    language: Language | None = None


class HouseholdOut(Model):
    id: int
    name: str
    time_zone: str
    language: Language
    created_at: Instant
    role: Role

    @classmethod
    def of(cls, household: "Household | HouseholdView", role: str) -> "HouseholdOut":
        return cls(
            id=household.id,
            name=household.name,
            time_zone=household.time_zone,
            language=household.language,
            created_at=household.created_at,
            role=Role(role),
        )


class MemberOut(Model):
    user_id: int
    display_name: str
    email: str
    role: Role
    joined_at: Instant


class MemberUpdateIn(Input):
    role: Role


class InviteCreateIn(Input):
    role: Role = Role.MEMBER
    expires_in_hours: int | None = Field(default=None, ge=1, le=24 * 30)


class InviteOut(Model):
    id: int
    role: Role
    created_at: Instant
    expires_at: Instant
    used_at: Instant | None


class InviteCreatedOut(InviteOut):
    code: str


class InvitePreviewOut(Model):
    household_name: str
    role: Role
    expires_at: Instant
    # Set only when the caller is already a member: the app takes them to the household.
    household_id: int | None = None


ApiScope = Literal["read", "write"]


class ApiTokenCreateIn(Input):
    name: Name
    scope: ApiScope = "read"


class ApiTokenOut(Model):
    id: int
    name: str
    scope: ApiScope
    created_at: Instant


class ApiTokenCreatedOut(ApiTokenOut):
    """The token itself is shown this once: only a keyed hash of it is kept."""

    token: str
