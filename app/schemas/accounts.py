from app.schemas.common import Email, Instant, Language, Model, Name, Password


class RegisterIn(Model):
    email: Email
    password: Password
    display_name: Name
    language: Language | None = None


class LoginIn(Model):
    email: Email
    password: str


class PasswordChangeIn(Model):
    current_password: str
    new_password: Password


class ProfileUpdateIn(Model):
    display_name: Name | None = None
    language: Language | None = None


class UserOut(Model):
    id: int
    email: str
    display_name: str
    language: Language | None
    created_at: Instant
