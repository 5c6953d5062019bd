"""Logs and traces.

Logs are structlog JSON lines, one per transfer, built by a list of small processors. One of them,
:func:`scrub_personal_data`, runs the classifier over every string value and replaces what it finds with the
category name, so personal data cannot reach a log line even through an unexpected field. Traces use
OpenTelemetry and are exported only when configured.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from gateway.classify import scrub_text

__all__ = ["configure_logging", "configure_tracing", "scrub_personal_data"]


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


def configure_logging(stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """JSON lines on ``stream`` (standard output by default)."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.format_exc_info,
            scrub_personal_data,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(stream or sys.stdout),
        cache_logger_on_first_use=False,
    )


def configure_tracing(exporter: str | None) -> TracerProvider | None:
    """Export spans when ``exporter`` is ``console``; otherwise spans stay no-ops and cost next to nothing."""
    if exporter is None or exporter == "none":
        return None
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    trace.set_tracer_provider(provider)
    return provider
