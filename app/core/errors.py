"""One error shape for the whole API: {"detail": <message>, "code": <stable code>, ...}.

Validation errors, unknown routes and the app's own errors all use it, so clients (and the
OpenAPI schema, which documents it for every 4XX) need to know only one.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from app.domain.errors import (
    ConflictError,
    DomainError,
    ErrorCode,
    ForbiddenError,
    GoneError,
    InvalidError,
    NotFoundError,
    RefusedError,
    ThrottledError,
    TooLargeError,
    UnauthenticatedError,
    UpstreamError,
)


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class RowErrors(BaseModel):
    row: int
    errors: list[str]


class ErrorBody(BaseModel):
    detail: str
    code: ErrorCode
    errors: list[FieldError] | None = None  # code "validation_error": one entry per field
    rows: list[RowErrors] | None = None  # code "import_invalid": the rows that failed


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "The request cannot be served as sent"},
    503: {"model": ErrorBody, "description": "The database is unavailable"},
}


# The one place a domain error becomes an HTTP status.
_STATUS: dict[type[DomainError], int] = {
    RefusedError: 400,
    UnauthenticatedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    GoneError: 410,
    TooLargeError: 413,
    InvalidError: 422,
    ThrottledError: 429,
    UpstreamError: 502,
}


def status_of(error: DomainError) -> int:
    return _STATUS[type(error)]


def error_response(
    status_code: int,
    code: ErrorCode,
    detail: str,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {**(extra or {}), "detail": detail, "code": code},
        status_code=status_code,
        headers=dict(headers or {}),
    )


def _field(loc: Sequence[Any]) -> list[str | int]:
    # "body"/"query"/"path" say where, not what: the field name is what a person needs.
    parts = [p if isinstance(p, int) else str(p) for p in loc]
    return parts[1:] if len(parts) > 1 and parts[0] in {"body", "query", "path"} else parts


def _validation(exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": _field(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type"))}
        for e in exc.errors()
    ]
    summary = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in errors
    )
    return error_response(
        422, ErrorCode.VALIDATION_ERROR, f"Invalid input: {summary}", extra={"errors": errors}
    )


_HTTP_CODES = {
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.TOO_LARGE,
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, ThrottledError) else None
        return error_response(status_of(exc), exc.code, exc.detail, headers, exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation(exc)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, ErrorCode.HTTP_ERROR)
        return error_response(exc.status_code, code, str(exc.detail), exc.headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # A race lost against a concurrent write; the transaction was rolled back as a whole.
        return error_response(
            409, ErrorCode.CONFLICT, "The change conflicts with another change; retry"
        )

    async def _db_down(_request: Request, _exc: Exception) -> JSONResponse:
        return error_response(
            503,
            ErrorCode.DATABASE_UNAVAILABLE,
            "The database is unavailable; try again shortly",
            {"Retry-After": "5"},
        )

    async def _busy(_request: Request, _exc: Exception) -> JSONResponse:
        # Every pooled connection stayed busy for DB_POOL_TIMEOUT: shed load, do not queue.
        return error_response(
            503, ErrorCode.BUSY, "The server is busy; try again shortly", {"Retry-After": "1"}
        )

    app.add_exception_handler(OperationalError, _db_down)
    app.add_exception_handler(InterfaceError, _db_down)
    # The same, from the authorization check's own connections (app.core.reads).
    app.add_exception_handler(psycopg.OperationalError, _db_down)
    app.add_exception_handler(psycopg.InterfaceError, _db_down)
    app.add_exception_handler(PoolTimeout, _busy)
