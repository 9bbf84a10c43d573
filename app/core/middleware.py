"""ASGI middleware: CSRF defence for the cookie session; request ids, metrics and log lines."""

import time

from opentelemetry import trace
from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import logs
from app.domain.errors import ErrorCode

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-requested-with"
CSRF_VALUE = "XMLHttpRequest"

REQUESTS = Counter("http_requests_total", "HTTP requests handled", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time spent handling HTTP requests",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
# Probes and scrapes, every few seconds on every pod: logged only when they fail.
QUIET_ROUTES = frozenset({"/health", "/readiness", "/metrics"})


class CSRFMiddleware:
    """Unsafe API requests must carry a custom header and come from our own origin.

    A cross-site form cannot set the header, and a cross-site script cannot send it without a CORS
    preflight that only the configured origins pass. Works unchanged behind nginx, which forwards
    Host and the header.
    """

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed_origins = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and scope["path"].startswith("/api/")
        ):
            problem = self._problem(scope)
            if problem:
                response = JSONResponse({"detail": problem, "code": ErrorCode.CSRF_REJECTED}, 403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope) -> str | None:
        headers = Headers(scope=scope)
        if headers.get("authorization", "").lower().startswith("bearer "):
            # An API token, not the cookie, authenticates it (app.api.deps.bearer): a cross-site
            # page cannot know a token, and browsers never add a bearer header on their own.
            return None
        if headers.get(CSRF_HEADER) != CSRF_VALUE:
            return f"Missing the X-Requested-With: {CSRF_VALUE} header"
        origin = headers.get("origin")
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        if origin and origin != own and origin not in self.allowed_origins:
            return "Cross-site request refused"
        return None


class RequestMiddleware:
    """Per request: the request id (taken from nginx or made here, echoed back), the Prometheus
    metrics and the one JSON log line (app.core.logs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        context = logs.start_request(
            logs.request_id_from(Headers(scope=scope).get(logs.REQUEST_ID_HEADER))
        )
        # The request's span (when traced) carries the id: Tempo finds a trace from a log line.
        trace.get_current_span().set_attribute("http.request.id", context.request_id)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[logs.REQUEST_ID_HEADER] = context.request_id
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            # Route templates, not raw paths: ids in paths would explode the label set, and
            # invite codes and feed tokens in paths must not reach the logs.
            label = getattr(route, "path", "unmatched")
            duration = time.perf_counter() - started
            REQUESTS.labels(scope["method"], label, str(status)).inc()
            LATENCY.labels(scope["method"], label).observe(duration)
            if label not in QUIET_ROUTES or status >= 400:
                logs.REQUEST_LOGGER.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "route": label,
                        "status": status,
                        "duration_ms": round(duration * 1000, 2),
                        "user_id": context.user_id,
                    },
                )
