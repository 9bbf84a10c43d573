"""Personal API tokens: a member's credential for scripts and home automation in one household."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.security import keyed_hash, new_api_token
from app.domain.errors import ForbiddenError, NotFoundError
from app.models import ApiToken, Role
from app.services.access import Member


def create(
    db: Session, settings: Settings, member: Member, name: str, scope: str
) -> tuple[ApiToken, str]:
    """A new token and its secret, which is not kept. Only a person logged in makes tokens (a
    token cannot make more of itself), and a write token needs a member's write power."""
    if member.by_token:
        raise ForbiddenError("Tokens are made by a person logged in, not by another token")
    if scope == "write" and member.role.rank < Role.MEMBER.rank:
        raise ForbiddenError("Viewers can only make read tokens")
    secret = new_api_token()
    token = ApiToken(
        user_id=member.user_id,
        household_id=member.household.id,
        name=name,
        scope=scope,
        token_hash=keyed_hash(settings.secret, secret),
    )
    db.add(token)
    db.commit()
    return token, secret


def mine(db: Session, member: Member) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken)
            .where(ApiToken.household_id == member.household.id)
            .where(ApiToken.user_id == member.user_id)
            .order_by(ApiToken.created_at, ApiToken.id)
        )
    )


def revoke(db: Session, member: Member, token_id: int) -> None:
    """A person revokes their own tokens (removing a member ends all of theirs)."""
    token = db.get(ApiToken, token_id)
    if token is None or (token.household_id, token.user_id) != (
        member.household.id,
        member.user_id,
    ):
        raise NotFoundError("Token")
    db.delete(token)
    db.commit()
