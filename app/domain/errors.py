"""What the rules refuse, in the domain's terms. The API's edge (app.core.errors) maps each kind
to one HTTP status; services never speak HTTP."""

import enum
from collections.abc import Mapping


class ErrorCode(enum.StrEnum):
    """Every stable code an error body can carry: the frontend has a message for each."""

    NOT_AUTHENTICATED = "not_authenticated"
    INVALID_CREDENTIALS = "invalid_credentials"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    EMAIL_TAKEN = "email_taken"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (a code, not a password)
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    LAST_ADMIN = "last_admin"
    ALREADY_MEMBER = "already_member"
    INVITE_USED = "invite_used"
    INVITE_EXPIRED = "invite_expired"
    NOT_A_MEMBER = "not_a_member"
    DONE_IN_FUTURE = "done_in_future"
    CHORE_ARCHIVED = "chore_archived"
    CHORE_FINISHED = "chore_finished"
    NOTHING_TO_UNDO = "nothing_to_undo"
    BAD_RANGE = "bad_range"
    IMPORT_INVALID = "import_invalid"
    IMPORT_EMPTY = "import_empty"
    BAD_HEADER = "bad_header"
    BAD_ENCODING = "bad_encoding"
    FILE_TOO_LARGE = "file_too_large"
    TOO_MANY_ROWS = "too_many_rows"
    # Raised by the edge itself, not by rules:
    CSRF_REJECTED = "csrf_rejected"
    DATABASE_UNAVAILABLE = "database_unavailable"
    BUSY = "busy"
    CONFLICT = "conflict"
    VALIDATION_ERROR = "validation_error"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    TOO_LARGE = "too_large"
    HTTP_ERROR = "http_error"
    BAD_NOTIFY_URL = "bad_notify_url"
    NOTIFY_FAILED = "notify_failed"
    MAIL_UNAVAILABLE = "mail_unavailable"
    PUSH_UNAVAILABLE = "push_unavailable"


class DomainError(Exception):
    def __init__(
        self, code: ErrorCode, detail: str, extra: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        # More machine-readable context, e.g. the per-row errors of an import.
        self.extra = dict(extra or {})


class UnauthenticatedError(DomainError):
    """Who is asking is not known (or not proven)."""

    def __init__(self, code: ErrorCode = ErrorCode.NOT_AUTHENTICATED, detail: str = "") -> None:
        super().__init__(code, detail or "Log in first")


class ForbiddenError(DomainError):
    """Known, but their role does not allow it."""

    def __init__(self, detail: str) -> None:
        super().__init__(ErrorCode.FORBIDDEN, detail)


class NotFoundError(DomainError):
    """No such thing, or none the caller may know of."""

    def __init__(self, what: str) -> None:
        super().__init__(ErrorCode.NOT_FOUND, f"{what} not found")


class ConflictError(DomainError):
    """The thing's current state does not allow it."""


class GoneError(DomainError):
    """The thing existed but can no longer be used (a used or expired invite)."""


class InvalidError(DomainError):
    """Well-formed input the rules refuse."""


class RefusedError(DomainError):
    """A proof that did not hold (the current password)."""


class TooLargeError(DomainError):
    """More than the rules accept at once."""


class UpstreamError(DomainError):
    """A service the app relies on (a notification service) did not take it; worth a retry."""


class ThrottledError(DomainError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            ErrorCode.TOO_MANY_ATTEMPTS,
            f"Too many failed logins; try again in {retry_after} seconds",
        )
        self.retry_after = retry_after
