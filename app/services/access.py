"""Who the caller is inside one household: the single authorization check of scoped routes."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select

from app.core.config import Settings
from app.core.db import utcnow
from app.core.reads import Reads
from app.core.security import keyed_hash
from app.domain.errors import ForbiddenError, NotFoundError, UnauthenticatedError
from app.models import ApiToken, Household, Membership, Role, User, UserSession


class HouseholdClock(Protocol):
    """What the date rules read of a household: a HouseholdView or an ORM Household."""

    @property
    def id(self) -> int: ...

    @property
    def time_zone(self) -> str: ...


@dataclass(frozen=True)
class HouseholdView:
    """The household as its members see it, read with the caller's authorization."""

    id: int
    name: str
    time_zone: str
    language: str
    created_at: datetime
    revision: int


@dataclass(frozen=True)
class Member:
    """The caller as a member of one household: what every household-scoped route acts as."""

    user_id: int
    display_name: str
    household: HouseholdView
    role: Role
    by_token: bool = False  # an API token's holder, not a person logged in


def _member_rows() -> Any:
    sessions, users, memberships, households = (
        UserSession.__table__,
        User.__table__,
        Membership.__table__,
        Household.__table__,
    )
    return (
        select(sessions.c.user_id, users.c.display_name, memberships.c.role, households)
        .select_from(
            sessions.join(users, users.c.id == sessions.c.user_id)
            .outerjoin(
                memberships,
                (memberships.c.user_id == sessions.c.user_id)
                & (memberships.c.household_id == bindparam("household_id")),
            )
            .outerjoin(households, households.c.id == memberships.c.household_id)
        )
        .where(
            sessions.c.token_hash == bindparam("token_hash"),
            sessions.c.expires_at > bindparam("now"),
        )
    )


def _token_rows() -> Any:
    tokens, users, memberships, households = (
        ApiToken.__table__,
        User.__table__,
        Membership.__table__,
        Household.__table__,
    )
    return (
        select(
            tokens.c.user_id,
            tokens.c.household_id.label("token_household_id"),
            tokens.c.scope,
            users.c.display_name,
            memberships.c.role,
            households,
        )
        .select_from(
            tokens.join(users, users.c.id == tokens.c.user_id)
            .outerjoin(
                memberships,
                (memberships.c.user_id == tokens.c.user_id)
                & (memberships.c.household_id == tokens.c.household_id),
            )
            .outerjoin(households, households.c.id == memberships.c.household_id)
        )
        .where(tokens.c.token_hash == bindparam("token_hash"))
    )


# Built once: they run on every household request, and building one costs more than running it.
_MEMBER_ROWS = _member_rows()
_TOKEN_ROWS = _token_rows()


async def member_of(
    reads: Reads, settings: Settings, token: str | None, household_id: int, minimum: Role
) -> Member:
    """The session, its user, their role and the household, in one statement.

    No valid session gets 401; outsiders get 404 (existence is not leaked); members below
    `minimum` get 403.
    """
    row = None
    if token:
        row = await reads.one_or_none(
            _MEMBER_ROWS,
            {
                "household_id": household_id,
                "token_hash": keyed_hash(settings.secret, token),
                "now": utcnow(),
            },
        )
    return _member(row, minimum)


async def member_by_api_token(
    reads: Reads, settings: Settings, token: str, household_id: int, minimum: Role
) -> Member:
    """The holder of an API token, in one statement. A token opens its own household only (any
    other answers 404, as to an outsider), as a viewer (`read`) or at most a member (`write`),
    and only while its owner is a member."""
    row = await reads.one_or_none(_TOKEN_ROWS, {"token_hash": keyed_hash(settings.secret, token)})
    if row is None:
        raise UnauthenticatedError()
    if row.token_household_id != household_id:
        raise NotFoundError("Household")
    return _member(row, minimum, scope=row.scope)


def _member(row: Any, minimum: Role, scope: str | None = None) -> Member:
    if row is None:
        raise UnauthenticatedError()
    if row.role is None:
        raise NotFoundError("Household")
    household = HouseholdView(
        id=row.id,
        name=row.name,
        time_zone=row.time_zone,
        language=row.language,
        # Aware in UTC from either path (psycopg's own answers in the connection's zone).
        created_at=row.created_at.astimezone(UTC),
        revision=row.revision,
    )
    role = Role(row.role)
    if scope is not None:
        role = Role.VIEWER if scope == "read" or role is Role.VIEWER else Role.MEMBER
    member = Member(
        user_id=row.user_id,
        display_name=row.display_name,
        household=household,
        role=role,
        by_token=scope is not None,
    )
    if member.role.rank < minimum.rank:
        raise ForbiddenError(_refusal(member))
    return member


def _refusal(member: Member) -> str:
    if member.by_token:
        return "This token cannot do this: read tokens only read, and no token administers"
    return "Viewers can only look" if member.role is Role.VIEWER else "Only admins can do this"
