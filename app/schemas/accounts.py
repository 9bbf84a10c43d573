from typing import Annotated

from pydantic import StringConstraints

from app.schemas.common import Email, Input, Instant, Language, Model, Name, Password


class RegisterIn(Input):
    email: Email
    password: Password
    display_name: Name
    language: Language | None = None


class LoginIn(Input):
    email: Email
    password: str


class PasswordChangeIn(Input):
    current_password: str
    new_password: Password


class PasswordResetIn(Input):
    token: Annotated[str, StringConstraints(min_length=20, max_length=64)]
    new_password: Password


class PasswordResetRequestIn(Input):
    email: Email


class AuthOptionsOut(Model):
    """What the login page may offer."""

    password_reset_by_mail: bool


class PasswordResetOut(Model):
    """The link to give the member (say it, or send it by a message app); it works once."""

    url: str
    expires_at: Instant


class ProfileUpdateIn(Input):
    display_name: Name | None = None
    language: Language | None = None


class UserOut(Model):
    id: int
    email: str
    display_name: str
    language: Language | None
    created_at: Instant
