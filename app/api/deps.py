"""Request-scoped dependencies: the database session, the caller, the caller's household role."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Cookie, Depends, Header, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.core import logs
from app.core.config import Settings
from app.core.reads import Reads
from app.core.security import Passwords
from app.domain.errors import UnauthenticatedError
from app.models import Role, User
from app.schemas.common import MAX_ID
from app.services import access, sessions

SESSION_COOKIE = "htm_session"


# Dependencies that do no I/O are async: FastAPI runs sync ones on a thread, a hop each.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_passwords(request: Request) -> Passwords:
    passwords: Passwords = request.app.state.passwords
    return passwords


async def get_reads(request: Request) -> Reads:
    reads: Reads = request.app.state.reads
    return reads


async def get_db(request: Request) -> AsyncIterator[Session]:
    # Opening a session does no I/O. Closing one does (a rollback) only while it still holds a
    # connection: then it runs on the threadpool, never on the event loop.
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
DbDep = Annotated[Session, Depends(get_db)]
ReadsDep = Annotated[Reads, Depends(get_reads)]
SessionToken = Annotated[str | None, Cookie(alias=SESSION_COOKIE, include_in_schema=False)]


def current_user(db: DbDep, settings: SettingsDep, token: SessionToken = None) -> User:
    if token:
        session = sessions.resolve(db, settings, token)
        if session is not None:
            logs.note_user(session.user.id)
            return session.user
    raise UnauthenticatedError()


CurrentUser = Annotated[User, Depends(current_user)]


def maybe_user(db: DbDep, settings: SettingsDep, token: SessionToken = None) -> User | None:
    """The caller if logged in, for the few routes that also answer anyone else."""
    session = sessions.resolve(db, settings, token) if token else None
    return session.user if session is not None else None


MaybeUser = Annotated[User | None, Depends(maybe_user)]


def bearer(authorization: str | None) -> str | None:
    """The token of `Authorization: Bearer <token>`. Other schemes are not the app's (a
    browser may replay Basic credentials of a proxy on its own) and are ignored."""
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    if not credentials.strip():
        raise UnauthenticatedError()
    return credentials.strip()


def household_member(minimum: Role) -> Callable[..., Awaitable[access.Member]]:
    """The single authorization check of household-scoped routes. It reads only: the household's
    revision follows its writes in the data layer (app.models.revisions)."""

    # Every household request solves this: each sub-dependency less is measurable on a Pi.
    async def dependency(
        request: Request,
        household_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        token: SessionToken = None,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> access.Member:
        state = request.app.state
        # With a bearer token the cookie is not looked at: that is what lets the CSRF defence
        # pass such requests (app.core.middleware).
        api_token = bearer(authorization)
        if api_token is not None:
            member = await access.member_by_api_token(
                state.reads, state.settings, api_token, household_id, minimum
            )
        else:
            member = await access.member_of(
                state.reads, state.settings, token, household_id, minimum
            )
        logs.note_user(member.user_id)
        return member

    return dependency


Reader = Annotated[access.Member, Depends(household_member(Role.VIEWER))]
Writer = Annotated[access.Member, Depends(household_member(Role.MEMBER))]
Admin = Annotated[access.Member, Depends(household_member(Role.ADMIN))]


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
