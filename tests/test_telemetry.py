"""Scrubbing personal data from log events before they are written."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from gateway.classify import scrub_text
from gateway.errors import RequestRejected
from gateway.telemetry import (
    DEFAULT_SERVICE_NAME,
    StepSpan,
    StepTimer,
    add_trace_context,
    configure_logging,
    configure_tracing,
    error_type,
    extract_context,
    inject_traceparent,
    scrub_personal_data,
    span_exporter,
    tracer_provider,
    tracing_resource,
)

RESIDENT_ID = "11010519491231002X"  # GB 11643-1999 worked example
MOBILE = "13800138000"  # the customary placeholder number
EMAIL = "wang.fang@example.com"  # RFC 2606 domain
IDENTIFIERS = (RESIDENT_ID, MOBILE, EMAIL)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"resident id {RESIDENT_ID} rejected", "resident id {SPI.GOV_ID} rejected"),
        (f"call {MOBILE} before noon", "call {PI.CONTACT} before noon"),
        (f"mail {EMAIL}, then wait", "mail {PI.CONTACT}, then wait"),
        (
            f"id={RESIDENT_ID}; tel={MOBILE}; mail={EMAIL}",
            "id={SPI.GOV_ID}; tel={PI.CONTACT}; mail={PI.CONTACT}",
        ),
        (f"身份证号{RESIDENT_ID}\uff0c手机号{MOBILE}", "身份证号{SPI.GOV_ID}\uff0c手机号{PI.CONTACT}"),
        (RESIDENT_ID, "{SPI.GOV_ID}"),
        ("transfer dec-0001 allowed by CN-PI-SCC-01 in 12 ms", "transfer dec-0001 allowed by CN-PI-SCC-01 in 12 ms"),
        ("", ""),
    ],
    ids=["resident-id", "mobile", "email", "all-three", "chinese-context", "whole-value", "no-personal-data", "empty"],
)
def test_scrub_text(text: str, expected: str) -> None:
    """Identifiers in free text are replaced by {CATEGORY}; the rest of the text is kept as it was."""
    assert scrub_text(text) == expected


def test_processor_scrubs_nested_values() -> None:
    """The structlog processor scrubs strings inside nested dicts, lists and tuples, and keeps other values."""
    event: dict[str, Any] = {
        "event": "transfer_refused",
        "detail": f"body quoted {MOBILE}",
        "context": {"rows": [{"note": f"id {RESIDENT_ID}"}, [f"to {EMAIL}"]], "count": 3, "ok": False},
        "pair": ("plain", EMAIL),
        "latency_ms": 12.5,
        "missing": None,
    }
    out = scrub_personal_data(None, "info", event)
    assert dict(out) == {
        "event": "transfer_refused",
        "detail": "body quoted {PI.CONTACT}",
        "context": {"rows": [{"note": "id {SPI.GOV_ID}"}, ["to {PI.CONTACT}"]], "count": 3, "ok": False},
        "pair": ["plain", "{PI.CONTACT}"],
        "latency_ms": 12.5,
        "missing": None,
    }
    assert not any(i in repr(out) for i in IDENTIFIERS)


def test_processor_scrubs_identifier_given_as_integer() -> None:
    """A mobile number logged as an integer is scrubbed too (the classifier reads integers as their digits)."""
    out = scrub_personal_data(None, "info", {"event": "lookup", "phone": int(MOBILE), "rows": [int(MOBILE)]})
    assert MOBILE not in repr(dict(out))


def test_processor_scrubs_identifier_used_as_dict_key() -> None:
    """An identifier that appears as a key of a nested dict does not survive into the log line."""
    out = scrub_personal_data(None, "info", {"event": "per_subject", "results": {MOBILE: "sent", EMAIL: "failed"}})
    assert not any(i in repr(dict(out)) for i in IDENTIFIERS)


# --- trace ids in log lines, tracing set-up, propagation ---------------------------------------------------------


def _provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_log_lines_carry_the_current_spans_ids() -> None:
    """Inside a recorded span a log line has its trace and span ids as W3C hex; outside one it has none."""
    stream = io.StringIO()
    configure_logging(stream)
    log = structlog.get_logger("test")
    provider, _ = _provider()
    with provider.get_tracer("test").start_as_current_span("work") as span:
        log.info("inside", note=f"call {MOBILE}")
    log.info("outside")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    context = span.get_span_context()
    assert inside["trace_id"] == f"{context.trace_id:032x}"
    assert inside["span_id"] == f"{context.span_id:016x}"
    assert inside["note"] == "call {PI.CONTACT}"  # the scrubbing stays
    assert "trace_id" not in outside
    provider.shutdown()


def test_non_recording_span_adds_no_ids() -> None:
    """A span that is not recorded (tracing off, or a caller's trace not sampled) adds nothing."""
    parent = trace.NonRecordingSpan(trace.SpanContext(1, 2, is_remote=True))
    with trace.use_span(parent):
        event = add_trace_context(None, "info", {"event": "x"})
    assert dict(event) == {"event": "x"}


@pytest.mark.parametrize(("kind", "expected"), [("none", None), ("console", ConsoleSpanExporter)])
def test_span_exporter(kind: str, expected: type | None) -> None:
    exporter = span_exporter(kind)
    assert (type(exporter) if exporter is not None else None) is expected


def test_otlp_exporter_reads_the_standard_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``otlp`` is OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (traces at /v1/traces)."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.internal:4318")
    exporter = span_exporter("otlp")
    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "http://collector.internal:4318/v1/traces"


def test_unknown_exporter_is_an_error() -> None:
    with pytest.raises(ValueError, match="jaeger"):
        span_exporter("jaeger")


def test_no_provider_when_traces_are_off() -> None:
    assert tracer_provider("none") is None
    assert configure_tracing("none") is None
    assert configure_tracing(None) is None


def test_provider_names_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    provider = tracer_provider("console")
    assert provider is not None
    assert provider.resource.attributes["service.name"] == DEFAULT_SERVICE_NAME
    provider.shutdown()
    monkeypatch.setenv("OTEL_SERVICE_NAME", "gateway-node-2")
    assert tracing_resource().attributes["service.name"] == "gateway-node-2"


def test_only_traceparent_crosses() -> None:
    """The caller's trace is joined; its tracestate and baggage are not passed on."""
    incoming = {
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "tracestate": f"vendor={MOBILE}",
        "baggage": f"user={EMAIL}",
    }
    context = extract_context(incoming)
    provider, _ = _provider()
    with provider.get_tracer("test").start_as_current_span("forward", context=context) as span:
        headers = {"Content-Type": "application/json"}
        inject_traceparent(headers)
    assert set(headers) == {"Content-Type", "traceparent"}
    assert headers["traceparent"] == f"00-4bf92f3577b34da6a3ce929d0e0e4736-{span.get_span_context().span_id:016x}-01"
    provider.shutdown()


def test_inject_without_a_span_adds_nothing() -> None:
    headers: dict[str, str] = {}
    inject_traceparent(headers)
    assert headers == {}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RequestRejected("token-invalid", f"token of {EMAIL} expired"), "token-invalid"),
        (TimeoutError(), "TimeoutError"),
        (ValueError(MOBILE), "ValueError"),
        (json.JSONDecodeError(f"bad {MOBILE}", "", 0), "json.decoder.JSONDecodeError"),
    ],
)
def test_error_type_names_no_message(error: BaseException, expected: str) -> None:
    assert error_type(error) == expected


def test_step_span_times_and_marks_failures_without_their_text() -> None:
    provider, exporter = _provider()
    observed: list[float] = []
    with pytest.raises(RequestRejected), StepSpan(provider.get_tracer("test"), "gateway.read", observed.append):
        raise RequestRejected("body-malformed", f"not JSON near {RESIDENT_ID}")
    with StepSpan(None, "gateway.classify", observed.append) as span:
        assert span is None
    (failed,) = exporter.get_finished_spans()
    assert failed.name == "gateway.read"
    assert (failed.attributes or {})["error.type"] == "body-malformed"
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description is None
    assert failed.events == ()
    assert len(observed) == 2
    provider.shutdown()


def test_step_timer_observes_without_a_span() -> None:
    observed: list[float] = []
    with pytest.raises(ValueError, match="x"), StepTimer(observed.append):
        raise ValueError("x")
    assert len(observed) == 1
