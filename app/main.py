"""Application factory: settings, database, middleware, routers, probes and the built frontend."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter

from app.api.routes import (
    alerts,
    api_tokens,
    auth,
    calendar_feeds,
    chores,
    completions,
    due,
    household_channel,
    households,
    invites,
    members,
    reminders,
    transfer,
)
from app.core import health, logs, metrics, tracing
from app.core.cache import ResponseCache
from app.core.config import Settings, get_settings
from app.core.db import make_engine, make_session_factory
from app.core.errors import install_error_handlers
from app.core.middleware import CSRF_HEADER, CSRFMiddleware, RequestMiddleware
from app.core.reads import PostgresReads, ThreadpoolReads
from app.core.security import Passwords
from app.domain.errors import NotFoundError
from app.models import revisions
from app.services import reminder_sender

# Matched in this order, one route after another: the household's daily reads and taps first
# (the matching was a tenth of a cached read's time with them last).
API_ROUTERS = (
    due.router,
    completions.router,
    transfer.router,  # before chores: /chores/export.csv is not /chores/{chore_id}
    chores.router,
    auth.router,
    households.router,
    members.router,
    invites.router,
    calendar_feeds.router,
    api_tokens.router,
    reminders.router,
    household_channel.router,
    alerts.router,
)


def create_app(
    settings: Settings | None = None, span_exporter: SpanExporter | None = None
) -> FastAPI:
    """`span_exporter` replaces the OTLP exporter of the traces (the tests' in-memory one)."""
    settings = settings or get_settings()
    logs.configure_logging(settings.log_level)
    app = FastAPI(
        lifespan=_lifespan,
        title="Household task manager",
        version="0.1.0",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        overflow=settings.db_pool_overflow,
        timeout=settings.db_pool_timeout,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    # The authorization check's and the cached reads' statements; on PostgreSQL the lifespan
    # replaces them (app.core.reads).
    app.state.reads = ThreadpoolReads(engine)
    revisions.track(app.state.session_factory)
    metrics.count_completions(app.state.session_factory)
    capacity = settings.db_pool_size + settings.db_pool_overflow
    metrics.POOLS.track("main", engine, capacity)
    app.state.passwords = Passwords(settings)
    app.state.response_cache = ResponseCache(settings.response_cache_mib * 2**20)
    app.state.migration_head = health.migration_head()

    install_error_handlers(app)
    app.add_middleware(CSRFMiddleware, allowed_origins=settings.cors_origins)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Content-Type", CSRF_HEADER, "Idempotency-Key"],
        )
    app.add_middleware(RequestMiddleware)
    # Outermost when on: the request's span is current in every middleware and log line.
    app.state.tracer_provider = tracing.install_tracing(app, [engine], settings, span_exporter)

    for router in API_ROUTERS:
        app.include_router(router)
    app.include_router(health.router)
    _serve_frontend(app, settings)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    # Tests drive the sender themselves, with their own clock.
    sends = settings.reminder_sender == "in-process" and settings.environment != "test"
    stop = (
        reminder_sender.start_in_process(app.state.session_factory, settings, app.state.engine)
        if sends
        else None
    )
    # What the app built at start (routes, schemas, compiled statements: most of its objects)
    # stays for its life: frozen, the full collections no longer walk it. Those walks were the
    # p99 of a tap under load (120 to 140 ms, against 45 to 50 ms frozen: make bench).
    threadpool_reads = app.state.reads
    reads = None
    if app.state.engine.dialect.name == "postgresql":
        provider: TracerProvider | None = app.state.tracer_provider
        reads = app.state.reads = PostgresReads(
            settings.database_url,
            settings.db_pool_size,
            settings.db_pool_timeout,
            provider.get_tracer(__name__) if provider is not None else None,
        )
        metrics.POOLS.track("reads", reads, settings.db_pool_size)
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()
    if reads is not None:
        app.state.reads = threadpool_reads
        await reads.close()
    if stop is not None:
        stop.set()


def _serve_frontend(app: FastAPI, settings: Settings) -> None:
    """For `make run` only: in the cluster nginx serves the build and proxies /api."""
    dist = settings.frontend_dist
    index = dist / "index.html"
    if not index.is_file():
        return
    app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:
        if path == "api" or path.startswith("api/"):
            raise NotFoundError("API route")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        # A page of its own (/login is login.html), as nginx's try_files finds it.
        page = (dist / f"{path}.html").resolve()
        if path and page.is_file() and page.is_relative_to(dist.resolve()):
            return FileResponse(page, headers={"Cache-Control": "no-cache"})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})


app = create_app()
