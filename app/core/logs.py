"""Structured logs: one JSON object per line on stderr, which the log collector ships as is.

Every line carries the request id (from nginx's X-Request-ID, or a new one) and the trace id of
the current span, so a line found in the logs leads to its trace and back. One line per request
(`app.request`) gives its route template, status, duration and user id.

What never goes in: request paths and query strings (invite codes and calendar feed tokens live
in paths, hence route templates only), bodies, cookies and e-mail addresses. uvicorn's access log
would print raw paths, so it is switched off here and the request line replaces it.
"""

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

REQUEST_ID_HEADER = "x-request-id"
# nginx's $request_id is 32 hex digits; anything else a client sends is replaced, so a header
# cannot smuggle a secret or a fake log field into the line.
_VALID_REQUEST_ID = re.compile(r"[0-9A-Za-z._-]{8,64}")

REQUEST_LOGGER = logging.getLogger("app.request")
# A last net under the rule above: an address inside an error's text (a database's "Key
# (email)=(...) already exists") is masked wherever it appears in a line.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class RequestContext:
    """Mutable on purpose: sync dependencies run on threads with a copy of the context, so they
    fill in the user id on this shared object, not on a context variable of their own."""

    request_id: str
    user_id: int | None = None


_current: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def request_id_from(header: str | None) -> str:
    """nginx's id; else, in a traced request, its trace id (app.core.tracing makes nginx's id the
    trace id too, so with or without nginx one id names the request everywhere); else a new one."""
    if header and _VALID_REQUEST_ID.fullmatch(header):
        return header
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        return format(span.trace_id, "032x")
    return uuid.uuid4().hex


def start_request(request_id: str) -> RequestContext:
    context = RequestContext(request_id)
    _current.set(context)
    return context


def note_user(user_id: int) -> None:
    """Called by the authentication dependencies once they know who is asking."""
    context = _current.get()
    if context is not None:
        context.user_id = user_id


class JsonFormatter(logging.Formatter):
    # Attributes every LogRecord has, and uvicorn's terminal copy of its message: the rest
    # came through `extra=` and become fields.
    _STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
        "message",
        "asctime",
        "taskName",
        "color_message",
    }

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = _current.get()
        if context is not None:
            line["request_id"] = context.request_id
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        for key, value in vars(record).items():
            if key not in self._STANDARD:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        text = json.dumps(line, ensure_ascii=False, default=str)
        # The scan for an address is half a line's cost (8 of 15 µs), and almost no line has one.
        return _EMAIL.sub("<e-mail>", text) if "@" in text else text


class _JsonHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours, told apart from the handlers of whoever else configured the root (pytest)."""


def configure_logging(level: str) -> None:
    """The root logger writes JSON to stderr; uvicorn's loggers go through it. Idempotent: the
    app factory runs once per app, several times in the tests."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(old)
    handler = _JsonHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # Raw paths (invite codes, feed tokens): the app's request line takes its place.
    access = logging.getLogger("uvicorn.access")
    access.handlers = []
    access.propagate = False
    access.disabled = True
