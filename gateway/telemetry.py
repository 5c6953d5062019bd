"""Logs and traces.

Logs are structlog JSON lines, one per transfer, built by a list of small processors. One of them,
:func:`scrub_personal_data`, runs the classifier over every string value and replaces what it finds with the
category name, so personal data cannot reach a log line even through an unexpected field; another,
:func:`add_trace_context`, adds the W3C trace and span ids of the current span, so a log line leads to its trace.

Traces use OpenTelemetry and are exported only when configured (``telemetry.traces``: ``console``, or ``otlp`` to
the collector at ``OTEL_EXPORTER_OTLP_ENDPOINT`` over OTLP/HTTP). Spans never carry an exception's message or
stack (they may quote a body, a path or a token): a failed span has ``error.type`` (the problem kind, or the
exception's class) and the status ERROR without a description. Only ``traceparent`` crosses the gateway: baggage
and ``tracestate`` are free text of the caller's and would leave the country unclassified.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, MutableMapping
from contextlib import AbstractContextManager
from importlib import metadata
from time import perf_counter
from types import TracebackType
from typing import Any, TextIO

import structlog
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from gateway.classify import scrub_text
from gateway.metrics import Observe

__all__ = [
    "DEFAULT_SERVICE_NAME",
    "StepSpan",
    "StepTimer",
    "add_trace_context",
    "configure_logging",
    "configure_tracing",
    "error_type",
    "extract_context",
    "inject_traceparent",
    "mark_error",
    "scrub_personal_data",
    "span_exporter",
    "tracer_provider",
    "tracing_resource",
]

DEFAULT_SERVICE_NAME = "sip-sg-gateway"

# W3C Trace Context only, whatever OTEL_PROPAGATORS says: the global propagator also carries baggage, free text
# of the caller's that the gateway would otherwise forward to the recipient unclassified.
_TRACE_CONTEXT = TraceContextTextMapPropagator()


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        scrubbed = scrub_text(text)  # identifiers sent as numbers, as the classifier also reads them
        return value if scrubbed == text else scrubbed
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    return value


# Fields whose values the gateway makes itself (ids it generates, event names): nothing from a request reaches them.
_GATEWAY_MADE = frozenset({"event", "decision_id"})


def scrub_personal_data(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: no identifier the classifier knows survives into a log line."""
    for key, value in event.items():
        if key not in _GATEWAY_MADE:
            event[key] = _scrub(value)
    return event


def add_trace_context(_logger: object, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: ``trace_id`` and ``span_id`` (lower-case hex, as in ``traceparent``) of the span being
    recorded now, if any."""
    span = trace.get_current_span()
    if span.is_recording():
        context = span.get_span_context()
        event["trace_id"] = trace.format_trace_id(context.trace_id)
        event["span_id"] = trace.format_span_id(context.span_id)
    return event


def configure_logging(stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """JSON lines on ``stream`` (standard output by default)."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.format_exc_info,
            scrub_personal_data,
            add_trace_context,  # after the scrubbing, which has no business with the ids the gateway makes
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(stream or sys.stdout),
        cache_logger_on_first_use=False,
    )


def _version() -> str:
    try:
        return metadata.version("sip-sg-gateway")
    except metadata.PackageNotFoundError:
        return "unknown"


def tracing_resource() -> Resource:
    """The gateway as a traced service: ``service.name`` from ``OTEL_SERVICE_NAME`` (default ``sip-sg-gateway``),
    its version, and whatever ``OTEL_RESOURCE_ATTRIBUTES`` adds."""
    name = os.environ.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE_NAME
    return Resource.create({SERVICE_NAME: name, SERVICE_VERSION: _version()})


def span_exporter(kind: str) -> SpanExporter | None:
    """The exporter ``telemetry.traces`` names: ``none``, ``console`` (standard error) or ``otlp`` (OTLP/HTTP to
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, with their headers and timeouts)."""
    if kind == "none":
        return None
    if kind == "console":
        return ConsoleSpanExporter(out=sys.stderr)
    if kind == "otlp":
        # imported only when configured: it brings an HTTP client and protobuf along
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

        return OTLPSpanExporter()
    raise ValueError(f"unknown trace exporter {kind!r}")


def tracer_provider(kind: str) -> TracerProvider | None:
    """A provider exporting in batches to :func:`span_exporter`, or None when traces are off."""
    exporter = span_exporter(kind)
    if exporter is None:
        return None
    provider = TracerProvider(resource=tracing_resource())
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configure_tracing(exporter: str | None) -> TracerProvider | None:
    """Export spans as ``exporter`` says and make that the global provider; with ``none`` (or None) nothing is set,
    and the application makes no spans at all."""
    provider = tracer_provider(exporter or "none")
    if provider is not None:
        trace.set_tracer_provider(provider)
    return provider


def extract_context(headers: Mapping[str, str]) -> otel_context.Context:
    """The caller's trace (W3C ``traceparent``) as the parent of the gateway's spans; empty when there is none."""
    return _TRACE_CONTEXT.extract(headers)


def inject_traceparent(headers: dict[str, str]) -> None:
    """Add the current span's ``traceparent`` to ``headers``; ``tracestate`` stays behind (see the module)."""
    carrier: dict[str, str] = {}
    _TRACE_CONTEXT.inject(carrier)
    traceparent = carrier.get("traceparent")
    if traceparent is not None:
        headers["traceparent"] = traceparent


def error_type(error: BaseException) -> str:
    """A low-cardinality name for a failure: the gateway's problem kind, else the exception's class."""
    kind = getattr(error, "kind", None)
    if isinstance(kind, str):
        return kind
    cls = type(error)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def mark_error(span: Span, error: str) -> None:
    """``error.type`` and the status ERROR, without a description (an exception's text may quote personal data)."""
    span.set_attribute("error.type", error)
    span.set_status(Status(StatusCode.ERROR))


class StepTimer:
    """One step of the data path, timed (tracing off: the cheapest context manager that does it)."""

    __slots__ = ("_observe", "_started")

    def __init__(self, observe: Observe) -> None:
        self._observe = observe
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = perf_counter()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._observe(perf_counter() - self._started)


class StepSpan(AbstractContextManager[object]):
    """One step of the data path: a span when a tracer is given, its duration observed when ``observe`` is."""

    __slots__ = ("_name", "_observe", "_scope", "_span", "_started", "_tracer")

    def __init__(self, tracer: Tracer | None, name: str, observe: Observe | None) -> None:
        self._tracer = tracer
        self._name = name
        self._observe = observe
        self._scope: AbstractContextManager[Span] | None = None
        self._span: Span | None = None
        self._started = 0.0

    def __enter__(self) -> object:
        if self._tracer is not None:
            self._scope = self._tracer.start_as_current_span(
                self._name, record_exception=False, set_status_on_exception=False
            )
            self._span = self._scope.__enter__()
        self._started = perf_counter()
        return self._span

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._observe is not None:
            self._observe(perf_counter() - self._started)
        if self._scope is not None:
            if error is not None and self._span is not None:
                mark_error(self._span, error_type(error))
            self._scope.__exit__(kind, error, traceback)
