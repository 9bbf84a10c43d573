from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response, status

from app.api.deps import (
    SESSION_COOKIE,
    CurrentUser,
    DbDep,
    PasswordsDep,
    SessionToken,
    SettingsDep,
    client_address,
)
from app.core.config import Settings
from app.core.errors import ERROR_RESPONSES
from app.domain.errors import ConflictError, ErrorCode
from app.models import User
from app.schemas.accounts import (
    AuthOptionsOut,
    LoginIn,
    PasswordChangeIn,
    PasswordResetIn,
    PasswordResetRequestIn,
    ProfileUpdateIn,
    RegisterIn,
    UserOut,
)
from app.services import accounts, password_resets

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=ERROR_RESPONSES)


def _set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.is_production,
        path="/",
    )


def _user_out(user: User) -> UserOut:
    return UserOut.model_validate(user)


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(
    data: RegisterIn, response: Response, db: DbDep, settings: SettingsDep, passwords: PasswordsDep
) -> UserOut:
    user, token = accounts.register(db, settings, passwords, data)
    _set_session_cookie(response, settings, token)
    return _user_out(user)


@router.post("/login")
def login(
    data: LoginIn,
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    address: Annotated[str, Depends(client_address)],
    token: SessionToken = None,
) -> UserOut:
    user, new_token = accounts.login(db, settings, passwords, data, address, token)
    _set_session_cookie(response, settings, new_token)
    return _user_out(user)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(db: DbDep, settings: SettingsDep, token: SessionToken = None) -> Response:
    if token:
        accounts.logout(db, settings, token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me")
def me(user: CurrentUser) -> UserOut:
    return _user_out(user)


@router.patch("/me")
def update_me(data: ProfileUpdateIn, user: CurrentUser, db: DbDep) -> UserOut:
    return _user_out(accounts.update_profile(db, user, data))


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    data: PasswordChangeIn,
    user: CurrentUser,
    db: DbDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
) -> Response:
    token = accounts.change_password(db, settings, passwords, user, data)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _set_session_cookie(response, settings, token)
    return response


@router.post("/password-reset", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(
    data: PasswordResetIn, db: DbDep, settings: SettingsDep, passwords: PasswordsDep
) -> Response:
    """Redeems an admin's reset link: the new password, every other session ended, logged in."""
    _user, token = password_resets.redeem(db, settings, passwords, data.token, data.new_password)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _set_session_cookie(response, settings, token)
    return response


@router.get("/options")
def auth_options(settings: SettingsDep) -> AuthOptionsOut:
    return AuthOptionsOut(password_reset_by_mail=settings.mail_url is not None)


@router.post("/password-reset-request", status_code=status.HTTP_202_ACCEPTED)
def request_password_reset(
    data: PasswordResetRequestIn,
    request: Request,
    background: BackgroundTasks,
    db: DbDep,
    settings: SettingsDep,
) -> Response:
    """Mails a reset link to the address, if it is an account's. The answer is the same
    either way (it tells no one which addresses have accounts), and comes before the mail."""
    if settings.mail_url is None:
        raise ConflictError(
            ErrorCode.MAIL_UNAVAILABLE,
            "This server sends no mail: an admin of your household can make you a reset link",
        )
    made = password_resets.mail_link(db, settings, data.email)
    if made is not None:
        user, token = made
        base = settings.public_url or str(request.base_url).rstrip("/")
        link = f"{base}{password_resets.PAGE}{token}"
        background.add_task(password_resets.mail, settings, user.email, user.language, link)
    return Response(status_code=status.HTTP_202_ACCEPTED)
