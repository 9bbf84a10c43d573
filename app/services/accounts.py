"""Accounts: registration, login with throttling, password change, profile."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.security import Passwords
from app.domain.errors import ConflictError, ErrorCode, RefusedError, UnauthenticatedError
from app.models import User
from app.schemas.accounts import LoginIn, PasswordChangeIn, ProfileUpdateIn, RegisterIn
from app.services import sessions, throttle


def register(
    db: Session, settings: Settings, passwords: Passwords, data: RegisterIn
) -> tuple[User, str]:
    if db.scalar(select(User.id).where(User.email == data.email)) is not None:
        raise ConflictError(ErrorCode.EMAIL_TAKEN, "An account with this email already exists")
    user = User(
        email=data.email,
        display_name=data.display_name,
        password_hash=passwords.hash(data.password),
        language=data.language,
    )
    db.add(user)
    db.flush()
    token = sessions.create(db, settings, user)
    db.commit()
    return user, token


def login(
    db: Session,
    settings: Settings,
    passwords: Passwords,
    data: LoginIn,
    address: str,
    previous_token: str | None,
) -> tuple[User, str]:
    throttle.check(db, settings, data.email, address)
    user = db.scalar(select(User).where(User.email == data.email))
    # verify() also runs for unknown accounts so that timing does not reveal which exist.
    valid = passwords.verify(user.password_hash if user else None, data.password)
    if user is None or not valid:
        throttle.record_failure(db, settings, data.email, address)
        db.commit()
        raise UnauthenticatedError(ErrorCode.INVALID_CREDENTIALS, "Incorrect email or password")
    if passwords.needs_rehash(user.password_hash):
        # An account imported from the original app: its bcrypt hash becomes argon2id now,
        # the only time the password is known.
        user.password_hash = passwords.hash(data.password)
    throttle.record_success(db, user, address)
    # A fresh token on every login: a session id planted before login is never promoted.
    if previous_token:
        sessions.revoke(db, settings, previous_token)
    token = sessions.create(db, settings, user)
    db.commit()
    return user, token


def logout(db: Session, settings: Settings, token: str) -> None:
    sessions.revoke(db, settings, token)
    db.commit()


def change_password(
    db: Session, settings: Settings, passwords: Passwords, user: User, data: PasswordChangeIn
) -> str:
    """Revokes every session of the user (other devices included) and returns a new one."""
    if not passwords.verify(user.password_hash, data.current_password):
        raise RefusedError(ErrorCode.WRONG_PASSWORD, "The current password is not correct")
    user.password_hash = passwords.hash(data.new_password)
    sessions.revoke_all(db, user.id)
    token = sessions.create(db, settings, user)
    db.commit()
    return token


def update_profile(db: Session, user: User, data: ProfileUpdateIn) -> User:
    if data.display_name is not None:
        user.display_name = data.display_name
    if "language" in data.model_fields_set:
        user.language = data.language
    db.commit()
    return user
