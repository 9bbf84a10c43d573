"""Who the caller is inside one household: the single authorization check of scoped routes."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import forbidden, not_found
from app.models import Household, Membership, Role, User


@dataclass(frozen=True)
class Member:
    """The caller as a member of one household: what every household-scoped route acts as."""

    user: User
    household: Household
    role: Role


def member_of(db: Session, user: User, household_id: int, minimum: Role) -> Member:
    """Outsiders get 404 (existence is not leaked); members below `minimum` get 403."""
    row = db.execute(
        select(Household, Membership.role)
        .join(Membership, Membership.household_id == Household.id)
        .where(Household.id == household_id, Membership.user_id == user.id)
    ).one_or_none()
    if row is None:
        raise not_found("Household")
    household, role = row
    member = Member(user=user, household=household, role=Role(role))
    if member.role.rank < minimum.rank:
        raise forbidden(
            "Viewers can only look" if member.role is Role.VIEWER else "Only admins can do this"
        )
    return member
