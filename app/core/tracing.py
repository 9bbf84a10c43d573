"""OpenTelemetry traces of requests, their services and their SQL, off unless TRACE_SAMPLE_RATE
is above 0.

A sampled request gives a server span named by its route template, a span per call of a
service function below it (`chores.due`), and a span per SQL statement below those (text with
placeholders, never the values), exported over OTLP/HTTP to Tempo in the cluster. nginx's
request id (32 hex digits, 128 random bits: a valid trace id) becomes the trace id, so nginx's
access line, the backend's line (app.core.logs) and Tempo share one id. The provider is the
app's own, not the global one: each app of the tests traces into its own exporter.
"""

import functools
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, Tracer, TraceState
from opentelemetry.util.types import Attributes
from sqlalchemy import Engine
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app import services
from app.core.config import Settings
from app.core.logs import REQUEST_ID_HEADER

# Probes and scrapes come every few seconds: their traces would crowd out the requests.
UNTRACED_URLS = "/health$,/readiness$,/metrics$"


_NGINX_REQUEST_ID = re.compile(r"[0-9a-f]{32}")
_incoming: ContextVar[int | None] = ContextVar("incoming_request_id", default=None)
# The tracer of the app serving the current request, for the service spans.
_services_tracer: ContextVar[Tracer | None] = ContextVar("services_tracer", default=None)
_in_service: ContextVar[bool] = ContextVar("in_service", default=False)


class RequestIdGenerator(RandomIdGenerator):
    """Trace ids from nginx's request ids; random ones for requests that do not come through
    nginx."""

    def generate_trace_id(self) -> int:
        return _incoming.get() or super().generate_trace_id()


class IncomingRequestId:
    """Outside the instrumentation's middleware, which starts the request's span: notes nginx's
    id for RequestIdGenerator, and the app's tracer for the service spans."""

    def __init__(self, app: ASGIApp, tracer: Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = Headers(scope=scope).get(REQUEST_ID_HEADER, "") if scope["type"] == "http" else ""
        token = _incoming.set(int(header, 16) if _NGINX_REQUEST_ID.fullmatch(header) else None)
        tracer = _services_tracer.set(self.tracer)
        try:
            await self.app(scope, receive, send)
        finally:
            _services_tracer.reset(tracer)
            _incoming.reset(token)


@contextmanager
def _service(name: str) -> Iterator[None]:
    tracer = _services_tracer.get()
    # One span per service entered from outside: not one per helper of a list's rows.
    if tracer is None or _in_service.get() or not trace.get_current_span().is_recording():
        yield
        return
    inside = _in_service.set(True)
    try:
        with tracer.start_as_current_span(name):
            yield
    finally:
        _in_service.reset(inside)


def _service_span(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def awaited(*args: Any, **kwargs: Any) -> Any:
            with _service(name):
                return await function(*args, **kwargs)

        return awaited

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        with _service(name):
            return function(*args, **kwargs)

    return call


@functools.cache
def instrument_services() -> None:
    """Wraps every public function of app.services once per process, so that a call through
    its module (`chores.due(...)`, as routes and services call each other) is a span of its
    own inside a sampled request, and a plain call everywhere else."""
    for module_info in pkgutil.iter_modules(services.__path__):
        module = importlib.import_module(f"{services.__name__}.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                setattr(module, name, _service_span(f"{module_info.name}.{name}", function))


class RequestRoots(Sampler):
    """A trace starts only at a request, at the rate; SQL outside any request (the readiness
    probe's query, the start) starts none."""

    def __init__(self, rate: float) -> None:
        self._ratio = TraceIdRatioBased(rate)

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind != SpanKind.SERVER:
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"RequestRoots({self._ratio.get_description()})"


def install_tracing(
    app: FastAPI,
    engines: Sequence[Engine],
    settings: Settings,
    exporter: SpanExporter | None = None,
) -> TracerProvider | None:
    if not settings.trace_sample_rate:
        return None
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name}),
        # Spans below a request follow it. The ratio decides for a caller's traceparent too: a
        # client cannot make the Pi trace every request it sends.
        id_generator=RequestIdGenerator(),
        sampler=ParentBased(
            root=RequestRoots(settings.trace_sample_rate),
            remote_parent_sampled=RequestRoots(settings.trace_sample_rate),
            remote_parent_not_sampled=RequestRoots(settings.trace_sample_rate),
        ),
    )
    endpoint = f"{settings.trace_endpoint.rstrip('/')}/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter(endpoint)))
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        meter_provider=NoOpMeterProvider(),
        excluded_urls=UNTRACED_URLS,
        exclude_spans=["receive", "send"],
    )
    # The instrumentation builds its middleware around the app's stack; this goes around it.
    instrumented = app.build_middleware_stack
    services_tracer = provider.get_tracer("app.services")
    app.build_middleware_stack = lambda: IncomingRequestId(instrumented(), services_tracer)  # type: ignore[method-assign]
    instrument_services()
    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    # The pool gauges come from app.core.metrics; the instrumentation's own go nowhere.
    usage = (
        NoOpMeterProvider()
        .get_meter("opentelemetry.instrumentation.sqlalchemy")
        .create_up_down_counter("db.client.connections.usage")
    )
    for engine in engines:
        EngineTracer(tracer, engine, usage)  # type: ignore[no-untyped-call]
    return provider
