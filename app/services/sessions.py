"""Server-side sessions: create, resolve from the cookie's token, revoke."""

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.core.security import keyed_hash, new_session_token
from app.models import User, UserSession


def create(db: Session, settings: Settings, user: User) -> str:
    """Adds a session for the user (the caller commits) and returns the cookie token."""
    token = new_session_token()
    db.add(
        UserSession(
            user_id=user.id,
            token_hash=keyed_hash(settings.secret, token),
            expires_at=utcnow() + timedelta(days=settings.session_ttl_days),
        )
    )
    return token


def resolve(db: Session, settings: Settings, token: str) -> UserSession | None:
    return db.scalar(
        select(UserSession).where(
            UserSession.token_hash == keyed_hash(settings.secret, token),
            UserSession.expires_at > utcnow(),
        )
    )


def revoke(db: Session, settings: Settings, token: str) -> None:
    db.execute(
        delete(UserSession).where(UserSession.token_hash == keyed_hash(settings.secret, token))
    )


def revoke_all(db: Session, user_id: int) -> None:
    db.execute(delete(UserSession).where(UserSession.user_id == user_id))
