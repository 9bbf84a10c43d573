"""Login throttling per account and per client address, kept in the database so every pod agrees."""

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import AppError
from app.models import LoginFailure


def check(db: Session, settings: Settings, email: str, address: str) -> None:
    """Raises 429 with Retry-After when either the account or the address used up its attempts.

    On PostgreSQL, concurrent attempts on one account or address queue on advisory locks held
    until the caller commits, so a burst cannot slip past the count between check and record.
    """
    if db.get_bind().dialect.name == "postgresql":
        for key in (f"login-account:{email}", f"login-address:{address}"):
            db.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
    now = utcnow()
    since = now - timedelta(seconds=settings.login_window_seconds)
    limits = (
        (LoginFailure.email == email, settings.login_max_failures_per_account),
        (LoginFailure.address == address, settings.login_max_failures_per_address),
    )
    for condition, limit in limits:
        count, oldest = db.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                condition, LoginFailure.at > since
            )
        ).one()
        if count >= limit:
            raise _too_many(now, oldest, settings)


def _too_many(now: datetime, oldest: datetime, settings: Settings) -> AppError:
    retry_after = max(
        1,
        math.ceil(
            (oldest + timedelta(seconds=settings.login_window_seconds) - now).total_seconds()
        ),
    )
    return AppError(
        429,
        "too_many_attempts",
        f"Too many failed logins; try again in {retry_after} seconds",
        {"Retry-After": str(retry_after)},
    )


def record_failure(db: Session, settings: Settings, email: str, address: str) -> None:
    now = utcnow()
    db.execute(
        delete(LoginFailure).where(
            LoginFailure.at <= now - timedelta(seconds=settings.login_window_seconds)
        )
    )
    db.add(LoginFailure(email=email, address=address, at=now))


def clear_account(db: Session, email: str) -> None:
    db.execute(delete(LoginFailure).where(LoginFailure.email == email))
