"""Password reset without mail: an admin makes a single-use link for a member of their household.

An account may belong to several households. A link opens the account, and so every household
in it: only an admin of each of them may make one, or admin power in one household would reach
into another.
"""

import logging
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.core.security import Passwords, keyed_hash, new_session_token
from app.domain.errors import ErrorCode, ForbiddenError, NotFoundError, UnauthenticatedError
from app.models import Membership, PasswordReset, Role, User
from app.services import notifier, sessions
from app.services.access import Member

log = logging.getLogger(__name__)

# The path of the app's page that takes the token; the token rides in the fragment, which
# browsers never send to a server (nor to its access log).
PAGE = "/reset-password#"


def issue(
    db: Session, settings: Settings, admin: Member, user_id: int
) -> tuple[PasswordReset, str]:
    """A new link for the member (any older one dies); the caller is an admin, checked by the
    route. Returns the link's record and its token, which is not kept."""
    if db.get(Membership, (admin.household.id, user_id)) is None:
        raise NotFoundError("Member")
    mine = select(Membership.household_id).where(
        Membership.user_id == admin.user_id, Membership.role == Role.ADMIN
    )
    elsewhere = db.scalar(
        select(Membership.household_id)
        .where(Membership.user_id == user_id, Membership.household_id.not_in(mine))
        .limit(1)
    )
    if elsewhere is not None:
        raise ForbiddenError(
            "This person is also in a household you do not administer: an admin of every "
            "household they are in can make the link, or they change their password themselves"
        )
    db.execute(delete(PasswordReset).where(PasswordReset.user_id == user_id))
    token = new_session_token()
    reset = PasswordReset(
        user_id=user_id,
        household_id=admin.household.id,
        created_by=admin.user_id,
        token_hash=keyed_hash(settings.secret, token),
        expires_at=utcnow() + timedelta(hours=settings.password_reset_ttl_hours),
    )
    db.add(reset)
    db.commit()
    return reset, token


# A person asking again within this time gets no second mail (a stranger cannot flood them).
MAIL_EVERY = timedelta(minutes=10)


def mail_link(db: Session, settings: Settings, email: str) -> tuple[User, str] | None:
    """A new link for the account of `email`, to be mailed to that address; None when there is
    no such account or one was mailed moments ago. The caller answers the same either way."""
    user = db.scalar(select(User).where(User.email == email))
    if user is None:
        return None
    recent = db.scalar(
        select(PasswordReset.id).where(
            PasswordReset.user_id == user.id,
            PasswordReset.household_id.is_(None),
            PasswordReset.expires_at
            > utcnow() + timedelta(hours=settings.password_reset_ttl_hours) - MAIL_EVERY,
        )
    )
    if recent is not None:
        return None
    db.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    token = new_session_token()
    db.add(
        PasswordReset(
            user_id=user.id,
            household_id=None,
            created_by=user.id,
            token_hash=keyed_hash(settings.secret, token),
            expires_at=utcnow() + timedelta(hours=settings.password_reset_ttl_hours),
        )
    )
    db.commit()
    return user, token


def mail(settings: Settings, email: str, language: str | None, link: str) -> None:
    """The link, by mail to the account's address, in the person's language."""
    assert settings.mail_url is not None
    url = settings.mail_url.get_secret_value()
    to = f"{url}{'&' if '?' in url else '?'}to={quote(email, safe='@')}"
    hours = settings.password_reset_ttl_hours
    if language == "en":
        title = "Reset your password"
        body = f"Open this link within {hours} hours to choose a new password:\n{link}"
    else:
        title = "パスワードの再設定"
        body = f"{hours}時間以内にこのリンクを開いて、新しいパスワードを決めてください。\n{link}"
    outcome = notifier.send_apprise(to, title, body)
    if not outcome.ok:
        log.warning("password reset mail not sent: %s", outcome.error)


def redeem(
    db: Session, settings: Settings, passwords: Passwords, token: str, new_password: str
) -> tuple[User, str]:
    """Sets the new password, ends every session of the account and the link, and logs in."""
    reset = db.scalar(
        select(PasswordReset).where(
            PasswordReset.token_hash == keyed_hash(settings.secret, token),
            PasswordReset.expires_at > utcnow(),
        )
    )
    if reset is None:
        raise UnauthenticatedError(
            ErrorCode.INVALID_CREDENTIALS,
            "This reset link is not valid: it was used, replaced or has expired. Ask an admin "
            "for a new one",
        )
    user = db.get_one(User, reset.user_id)
    user.password_hash = passwords.hash(new_password)
    db.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    sessions.revoke_all(db, user.id)
    session = sessions.create(db, settings, user)
    db.commit()
    return user, session
