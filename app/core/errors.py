"""One error shape for the whole API: {"detail": <message>, "code": <stable machine code>}."""

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError


class ErrorBody(BaseModel):
    detail: str
    code: str


class AppError(Exception):
    def __init__(
        self,
        status_code: int,
        code: str,
        detail: str,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
        # More machine-readable context, e.g. the per-row errors of an import.
        self.extra = dict(extra or {})


def not_found(what: str) -> AppError:
    return AppError(404, "not_found", f"{what} not found")


def forbidden(detail: str) -> AppError:
    return AppError(403, "forbidden", detail)


def conflict(code: str, detail: str) -> AppError:
    return AppError(409, code, detail)


def error_response(
    status_code: int,
    code: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {**(extra or {}), "detail": detail, "code": code},
        status_code=status_code,
        headers=dict(headers or {}),
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return error_response(exc.status_code, exc.code, exc.detail, exc.headers, exc.extra)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # A race lost against a concurrent write; the transaction was rolled back as a whole.
        return error_response(409, "conflict", "The change conflicts with another change; retry")

    async def _db_down(_request: Request, _exc: Exception) -> JSONResponse:
        return error_response(
            503,
            "database_unavailable",
            "The database is unavailable; try again shortly",
            {"Retry-After": "5"},
        )

    app.add_exception_handler(OperationalError, _db_down)
    app.add_exception_handler(InterfaceError, _db_down)
