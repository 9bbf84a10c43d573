"""Who the caller is inside one household: the single authorization check of scoped routes."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import forbidden, not_authenticated, not_found
from app.core.security import keyed_hash
from app.models import Household, Membership, Role, User, UserSession


@dataclass(frozen=True)
class Member:
    """The caller as a member of one household: what every household-scoped route acts as."""

    user: User
    household: Household
    role: Role


def member_of(
    db: Session, settings: Settings, token: str | None, household_id: int, minimum: Role
) -> Member:
    """The session, its user and their role in the household, in one statement.

    No valid session gets 401; outsiders get 404 (existence is not leaked); members below
    `minimum` get 403.
    """
    row = None
    if token:
        row = db.execute(
            select(User, Household, Membership.role)
            .select_from(UserSession)
            .join(User, User.id == UserSession.user_id)
            .outerjoin(
                Membership,
                (Membership.user_id == User.id) & (Membership.household_id == household_id),
            )
            .outerjoin(Household, Household.id == Membership.household_id)
            .where(
                UserSession.token_hash == keyed_hash(settings.secret, token),
                UserSession.expires_at > utcnow(),
            )
        ).one_or_none()
    if row is None:
        raise not_authenticated()
    user, household, role = row
    if household is None:
        raise not_found("Household")
    member = Member(user=user, household=household, role=Role(role))
    if member.role.rank < minimum.rank:
        raise forbidden(
            "Viewers can only look" if member.role is Role.VIEWER else "Only admins can do this"
        )
    return member
