"""Traces with OpenTelemetry's in-memory exporter: a request gives a server span named by its
route template, its service calls below it and their SQL statements below those, and its log
line carries the span's trace id while the span carries the log's request id. Off by
default."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from app.core.logs import REQUEST_LOGGER, JsonFormatter
from app.core.tracing import install_tracing
from app.main import create_app
from tests.app.chore_helpers import make_chore
from tests.app.conftest import make_settings
from tests.support.people import household_with, served


@pytest.fixture
def traced(database_url: str) -> Iterator[tuple[FastAPI, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    app = create_app(make_settings(database_url, trace_sample_rate=1.0), span_exporter=exporter)
    # Served: on PostgreSQL the authorization check's span comes from its pooled connections.
    with served(app):
        yield app, exporter
    app.state.tracer_provider.shutdown()
    app.state.engine.dispose()


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The request lines, formatted as they are emitted (the span is current only then)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    REQUEST_LOGGER.addHandler(handler)
    yield stream
    REQUEST_LOGGER.removeHandler(handler)


def test_a_request_is_a_route_span_over_its_sql(
    traced: tuple[FastAPI, InMemorySpanExporter], log_lines: io.StringIO
) -> None:
    app, exporter = traced
    household_id, people = household_with(app)
    admin = people["admin"]
    make_chore(admin, household_id)
    app.state.tracer_provider.force_flush()
    exporter.clear()
    log_lines.truncate(0)
    log_lines.seek(0)

    admin.ok("GET", f"/api/households/{household_id}/chores")
    app.state.tracer_provider.force_flush()
    spans: tuple[ReadableSpan, ...] = exporter.get_finished_spans()
    servers = [span for span in spans if span.kind == SpanKind.SERVER]
    assert [span.name for span in servers] == ["GET /api/households/{household_id}/chores"]
    route = servers[0]
    assert route.attributes is not None
    assert route.attributes["http.route"] == "/api/households/{household_id}/chores"
    # Route → service → SQL: the membership check, then the chores' read, each under the
    # service function that ran it, each below the route.
    services = {span.context.span_id: span for span in spans if span.kind == SpanKind.INTERNAL}
    assert sorted(span.name for span in services.values()) == [
        "access.member_of",
        "chores.list_chores",
    ]
    for service in services.values():
        assert service.parent is not None
        assert service.parent.span_id == route.context.span_id
    sql = [span for span in spans if span.kind == SpanKind.CLIENT]
    assert len(sql) >= 2
    for span in sql:
        assert span.parent is not None
        assert span.parent.span_id in services
        assert span.context.trace_id == route.context.trace_id
        assert span.attributes is not None
        statement = str(span.attributes["db.statement"])
        assert statement.startswith("SELECT")
    statements = " ".join(str(span.attributes["db.statement"]) for span in sql if span.attributes)
    assert "FROM user_sessions" in statements
    assert "FROM chores" in statements

    [line] = [json.loads(text) for text in log_lines.getvalue().splitlines()]
    assert line["trace_id"] == format(route.context.trace_id, "032x")
    assert line["span_id"] == format(route.context.span_id, "016x")
    assert route.attributes["http.request.id"] == line["request_id"]
    # Without nginx in front, the request is named by its trace id.
    assert line["request_id"] == line["trace_id"]


def test_nginx_request_id_is_the_trace_id(
    traced: tuple[FastAPI, InMemorySpanExporter], log_lines: io.StringIO
) -> None:
    app, exporter = traced
    admin = household_with(app)[1]["admin"]
    app.state.tracer_provider.force_flush()
    exporter.clear()
    log_lines.truncate(0)
    log_lines.seek(0)
    nginx_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = admin.get("/api/auth/me", headers={"X-Request-ID": nginx_id})
    assert response.headers["x-request-id"] == nginx_id
    app.state.tracer_provider.force_flush()
    [server] = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert format(server.context.trace_id, "032x") == nginx_id
    [line] = [json.loads(text) for text in log_lines.getvalue().splitlines()]
    assert line["request_id"] == line["trace_id"] == nginx_id


def test_probes_are_not_traced(traced: tuple[FastAPI, InMemorySpanExporter]) -> None:
    app, exporter = traced
    client = household_with(app)[1]["admin"].client
    app.state.tracer_provider.force_flush()
    exporter.clear()
    for path in ("/health", "/readiness", "/metrics"):
        assert client.get(path).status_code == 200
    app.state.tracer_provider.force_flush()
    assert exporter.get_finished_spans() == ()


def test_tracing_is_off_by_default(database_url: str) -> None:
    settings = make_settings(database_url)
    assert settings.trace_sample_rate == 0
    assert install_tracing(FastAPI(), [], settings) is None
