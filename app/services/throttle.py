"""Login throttling, kept in the database so every pod agrees.

Three limits, so that guessing stays expensive without letting a stranger lock the owner out:

- per account and address pair, exponential back-off: after a few free failures each further
  one doubles the wait (capped at the window), so one place cannot guess fast;
- per address, a count: one place cannot spray many accounts;
- per account, a count that applies only to addresses the account never logged in from: many
  places cannot share the guessing of one account, and the owner, back at an address they
  logged in from before, is not locked out by a stranger who knows their e-mail.
"""

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.domain.errors import ThrottledError
from app.models import LoginAddress, LoginFailure, User


def check(db: Session, settings: Settings, email: str, address: str) -> None:
    """Raises 429 with Retry-After when the attempt must wait.

    On PostgreSQL, concurrent attempts on one account or address queue on advisory locks held
    until the caller commits, so a burst cannot slip past the count between check and record.
    """
    if db.get_bind().dialect.name == "postgresql":
        for key in (f"login-account:{email}", f"login-address:{address}"):
            db.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)

    def failures(*conditions: ColumnElement[bool]) -> tuple[int, datetime, datetime]:
        count, oldest, latest = db.execute(
            select(func.count(), func.min(LoginFailure.at), func.max(LoginFailure.at)).where(
                *conditions,
                LoginFailure.at > now - window,
            )
        ).one()
        return count, oldest, latest

    count, _, latest = failures(LoginFailure.email == email, LoginFailure.address == address)
    if count >= settings.login_free_failures_per_pair:
        doublings = count - settings.login_free_failures_per_pair
        wait = min(window, timedelta(seconds=settings.login_backoff_seconds * 2**doublings))
        if latest + wait > now:
            raise _too_many(latest + wait - now)
    count, oldest, _ = failures(LoginFailure.address == address)
    if count >= settings.login_max_failures_per_address:
        raise _too_many(oldest + window - now)
    count, oldest, _ = failures(LoginFailure.email == email)
    if count >= settings.login_max_failures_per_account and not _known(
        db, settings, email, address
    ):
        raise _too_many(oldest + window - now)


def _known(db: Session, settings: Settings, email: str, address: str) -> bool:
    since = utcnow() - timedelta(days=settings.login_known_address_days)
    return (
        db.scalar(
            select(LoginAddress.user_id)
            .join(User, User.id == LoginAddress.user_id)
            .where(
                User.email == email, LoginAddress.address == address, LoginAddress.last_at > since
            )
        )
        is not None
    )


def _too_many(wait: timedelta) -> ThrottledError:
    return ThrottledError(max(1, math.ceil(wait.total_seconds())))


def record_failure(db: Session, settings: Settings, email: str, address: str) -> None:
    now = utcnow()
    db.execute(
        delete(LoginFailure).where(
            LoginFailure.at <= now - timedelta(seconds=settings.login_window_seconds)
        )
    )
    db.add(LoginFailure(email=email, address=address, at=now))


def record_success(db: Session, user: User, address: str) -> None:
    """The pair's failures are forgiven and the address becomes one the account is known at.
    Others' failures on the account stay: the owner's login does not reset a stranger's count."""
    db.execute(
        delete(LoginFailure).where(
            LoginFailure.email == user.email, LoginFailure.address == address
        )
    )
    known = db.get(LoginAddress, (user.id, address))
    if known is None:
        db.add(LoginAddress(user_id=user.id, address=address))
    else:
        known.last_at = utcnow()
