"""Metrics, traces, trace ids in the logs, and the probes, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from gateway.config import Config
from gateway.errors import CountersUnavailable
from gateway.keys import SigningKey
from gateway.telemetry import configure_logging
from gateway.web import observability
from gateway.web.app import build_app
from gateway.web.observability import READY_CHECKS, NotReady
from gateway.web.state import AUDIT, GATEWAY, IN_FLIGHT
from gateway.web.stats_api import COUNTERS
from tests.conftest import EMAIL, IDENTIFIERS, MOBILE, REPO, RESIDENT_ID, make_config

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

EXPORTER = "sip-precision-manufacturing"
EMPLOYEE = {"employee_no": "E-1", "mobile": MOBILE, "email": EMAIL}
PAYROLL_ID = {"employee_no": "E-2", "id_card": RESIDENT_ID}
TRANSFER_TEMPLATE = "/transfer/{route}/{path}"
ALLOWED_STEPS = [
    "gateway.authenticate",
    "gateway.read",
    "gateway.classify",
    "gateway.facts",
    "gateway.decide",
    "gateway.audit_decision",
    "gateway.forward",
]
# A caller's trace: the gateway joins it; its tracestate and baggage (free text) must not reach the recipient.
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CALLER_HEADERS = {
    "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01",
    "tracestate": f"vendor=mobile-{MOBILE}",
    "baggage": f"user.email={EMAIL}",
}


@dataclass
class Recipient:
    """A recipient that records what it receives, and answers 500 on ``/fail``."""

    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> web.Application:
        async def record(request: web.Request) -> web.Response:
            self.received.append({"path": request.path, "headers": dict(request.headers), "body": await request.read()})
            return web.json_response({"ok": request.path != "/fail"}, status=500 if request.path == "/fail" else 200)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", record)
        return app


@dataclass
class Observed:
    """A running gateway (with its app), its recipient, the spans it made and its log."""

    url: str
    app: web.Application
    config: Config
    recipient: Recipient
    spans: InMemorySpanExporter | None
    log: io.StringIO
    client: aiohttp.ClientSession
    token: str

    async def send(
        self,
        body: dict[str, Any] | None,
        *,
        path: str = "/transfer/sg-hr/employees/E-10293",
        purpose: str = "payroll",
        scenario: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> int:
        sent = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", "Gateway-Purpose": purpose}
        if scenario is not None:
            sent["Gateway-Scenario"] = scenario
        sent |= headers or {}
        data = json.dumps(body).encode() if body is not None else None
        async with self.client.post(self.url + path, data=data, headers=sent) as r:
            await r.read()
            return r.status

    async def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        async with self.client.get(self.url + path, headers=headers) as r:
            return r.status, dict(r.headers), await r.read()

    async def metrics(self) -> tuple[str, dict[tuple[str, frozenset[tuple[str, str]]], float]]:
        """The exposition text, and every sample by (name, labels)."""
        await self.app[AUDIT].flush()  # the outcome records ride a commit of their own, after the answers
        status, headers, raw = await self.get("/metrics")
        assert status == 200
        assert headers["Content-Type"] == CONTENT_TYPE_LATEST
        text = raw.decode()
        samples = {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        return text, samples

    def finished(self) -> list[ReadableSpan]:
        assert self.spans is not None
        return list(self.spans.get_finished_spans())


async def _start(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token: str, *, traced: bool
) -> AsyncIterator[Observed]:
    recipient = Recipient()
    upstream = await aiohttp_server(recipient.app())
    config = make_config(tmp_path, signing_key, str(upstream.make_url("")).rstrip("/"))
    policies = tmp_path / "policies"  # a copy, so that a test can break it for a refused reload
    shutil.copytree(REPO / "policies", policies)
    config = replace(config, policy_dir=policies / "sip-sg")
    exporter: InMemorySpanExporter | None = None
    provider: TracerProvider | None = None
    if traced:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    log = io.StringIO()
    configure_logging(log)
    app = build_app(config, reload_on_sighup=False, tracer_provider=provider)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as client:
        yield Observed(str(server.make_url("")).rstrip("/"), app, config, recipient, exporter, log, client, token)
    if provider is not None:
        provider.shutdown()


@pytest.fixture
async def observed(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> AsyncIterator[Observed]:
    async for harness in _start(aiohttp_server, tmp_path, signing_key, token_for(), traced=True):
        yield harness


@pytest.fixture
async def untraced(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str]
) -> AsyncIterator[Observed]:
    async for harness in _start(aiohttp_server, tmp_path, signing_key, token_for(), traced=False):
        yield harness


async def _send_mix(gw: Observed) -> None:
    """Two allowed transfers of the same person, two refused ones (sensitive data; a purpose not agreed)."""
    assert await gw.send(EMPLOYEE) == 200
    assert await gw.send(EMPLOYEE) == 200
    assert await gw.send(PAYROLL_ID, scenario="general") == 403
    assert await gw.send(EMPLOYEE, purpose="marketing") == 403


def _labels(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


def _logged(gw: Observed, event: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in gw.log.getvalue().splitlines() if line]
    return [line for line in lines if line["event"] == event]


# --- metrics -----------------------------------------------------------------------------------------------------


async def test_metrics_count_decisions_steps_commits_and_requests(
    observed: Observed, token_for: Callable[..., str]
) -> None:
    """Every counter and histogram count matches the transfers sent; no personal data in any of it."""
    await _send_mix(observed)
    text, samples = await observed.metrics()

    def value(name: str, **labels: str) -> float:
        return samples[(name, _labels(**labels))]

    assert value("gateway_transfers_total", decision="allowed", rule="CN-EX-HR-01", recipient="sg-hr") == 2
    assert value("gateway_transfers_total", decision="refused", rule="CN-SPI-01", recipient="sg-hr") == 1
    assert value("gateway_transfers_total", decision="refused", rule="RCPT-PURPOSE-01", recipient="sg-hr") == 1
    assert sum(v for (name, _), v in samples.items() if name == "gateway_transfers_total") == 4
    assert value("gateway_transfer_categories_total", category="PI.CONTACT", decision="allowed") == 2
    assert value("gateway_transfer_categories_total", category="PI.CONTACT", decision="refused") == 1
    assert value("gateway_transfer_categories_total", category="SPI.GOV_ID", decision="refused") == 1
    # the same person twice: one individual this year, none with sensitive data (the refused one is not counted)
    assert value("gateway_individuals", exporter=EXPORTER, kind="personal") == 1
    assert value("gateway_individuals", exporter=EXPORTER, kind="sensitive") == 0

    for step in ALLOWED_STEPS[:-1]:
        assert value("gateway_step_duration_seconds_count", step=step) == 4, step
    assert value("gateway_step_duration_seconds_count", step="gateway.forward") == 2
    assert value("gateway_step_duration_seconds_bucket", step="gateway.forward", le="+Inf") == 2

    # 4 decision records and 2 outcome records, in however many commits
    commits = value("gateway_audit_group_size_count")
    assert 1 <= commits <= 6
    assert value("gateway_audit_group_size_sum") == 6
    assert value("gateway_audit_append_duration_seconds_count") == commits
    assert value("gateway_audit_append_duration_seconds_sum") > 0

    transfer = {"method": "POST", "route": TRANSFER_TEMPLATE}
    assert value("gateway_http_requests_total", **transfer, status_class="2xx") == 2
    assert value("gateway_http_requests_total", **transfer, status_class="4xx") == 2
    assert value("gateway_http_request_duration_seconds_count", **transfer, status_class="4xx") == 2
    assert "process_cpu_seconds_total" in text or "process_" not in text  # where /proc exists, process metrics

    for identifier in (*IDENTIFIERS, "E-10293", "employees"):
        assert identifier not in text, f"{identifier} reached /metrics"
    labels = {v for (_, pairs) in samples for _, v in pairs}
    assert not any(i in label for i in IDENTIFIERS for label in labels)


async def test_policy_reloads_are_counted(observed: Observed, token_for: Callable[..., str]) -> None:
    """An applied reload and a refused one (the policy broken on disk) are counted by outcome."""
    operator = {"Authorization": f"Bearer {token_for('sip-park-operations', roles=('operator',))}"}
    async with observed.client.post(observed.url + "/v1/admin/policy/reload", headers=operator) as r:
        assert r.status == 200
    (observed.config.policy_dir / "policy.yaml").write_text("rules: [\n", encoding="utf-8")
    async with observed.client.post(observed.url + "/v1/admin/policy/reload", headers=operator) as r:
        assert r.status == 422
    _, samples = await observed.metrics()
    assert samples[("gateway_policy_reloads_total", _labels(outcome="applied"))] == 1
    assert samples[("gateway_policy_reloads_total", _labels(outcome="refused"))] == 1


async def test_metrics_without_tracing(untraced: Observed) -> None:
    """With tracing off no span is made and no log line has a trace id; metrics are counted all the same."""
    assert untraced.app[GATEWAY].tracer is None
    assert await untraced.send(EMPLOYEE, headers=CALLER_HEADERS) == 200
    _, samples = await untraced.metrics()
    assert samples[("gateway_step_duration_seconds_count", _labels(step="gateway.forward"))] == 1
    (line,) = _logged(untraced, "transfer")
    assert "trace_id" not in line
    assert "traceparent" not in untraced.recipient.received[0]["headers"]


# --- traces ------------------------------------------------------------------------------------------------------


async def test_server_span_per_request_with_step_children(observed: Observed) -> None:
    """One SERVER span per transfer, with the HTTP conventions' attributes and one child span per step."""
    await _send_mix(observed)
    spans = observed.finished()
    servers = [s for s in spans if s.kind is SpanKind.SERVER]
    assert len(servers) == 4
    for server, status in zip(servers, (200, 200, 403, 403), strict=True):
        assert server.name == f"POST {TRANSFER_TEMPLATE}"
        assert server.context is not None
        port = int(observed.url.rsplit(":", 1)[1])
        assert dict(server.attributes or {}) == {
            "http.request.method": "POST",
            "http.route": TRANSFER_TEMPLATE,
            "http.response.status_code": status,
            "url.scheme": "http",
            "server.address": "127.0.0.1",
            "server.port": port,
            "network.protocol.version": "1.1",
        }
        assert server.status.status_code is StatusCode.UNSET  # a 4xx is the caller's, not the server's, error
        steps = _children(spans, server)
        expected = ALLOWED_STEPS if status == 200 else ALLOWED_STEPS[:-1]
        assert [s.name for s in steps] == expected
        assert all(s.context is not None and s.context.trace_id == server.context.trace_id for s in steps)
    assert len(spans) == 4 + 2 * 7 + 2 * 6 + 2  # servers, steps, and the two forwards' CLIENT spans
    everything = repr([(s.name, dict(s.attributes or {}), s.events) for s in spans])
    for identifier in (*IDENTIFIERS, "E-10293", "employees"):
        assert identifier not in everything, f"{identifier} reached a span"


async def test_caller_trace_is_joined_and_propagated(observed: Observed) -> None:
    """The gateway's spans join the caller's trace; the recipient gets the CLIENT span's traceparent, and neither
    the caller's tracestate nor its baggage."""
    assert await observed.send(EMPLOYEE, headers=CALLER_HEADERS) == 200
    spans = observed.finished()
    (server,) = [s for s in spans if s.kind is SpanKind.SERVER]
    assert server.parent is not None
    assert server.parent.is_remote
    assert (f"{server.parent.trace_id:032x}", f"{server.parent.span_id:016x}") == (CALLER_TRACE, CALLER_SPAN)
    (forward,) = [s for s in _children(spans, server) if s.name == "gateway.forward"]
    (client,) = _children(spans, forward)
    assert client.kind is SpanKind.CLIENT
    assert client.name == "POST"
    upstream = observed.config.routes["sg-hr"].upstream
    assert dict(client.attributes or {}) == {
        "http.request.method": "POST",
        "url.scheme": "http",
        "server.address": "127.0.0.1",
        "server.port": int(upstream.rsplit(":", 1)[1]),
        "http.response.status_code": 200,
    }
    assert client.context is not None
    (received,) = observed.recipient.received
    assert received["headers"]["traceparent"] == f"00-{CALLER_TRACE}-{client.context.span_id:016x}-01"
    assert "tracestate" not in received["headers"]
    assert "baggage" not in received["headers"]


async def test_server_errors_carry_error_type(observed: Observed) -> None:
    """A 5xx (here the recipient's, passed through) sets error.type and the ERROR status on both spans."""
    assert await observed.send(EMPLOYEE, path="/transfer/sg-hr/fail") == 500
    spans = observed.finished()
    (server,) = [s for s in spans if s.kind is SpanKind.SERVER]
    (client,) = [s for s in spans if s.kind is SpanKind.CLIENT]
    for span in (server, client):
        assert (span.attributes or {})["error.type"] == "500"
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description is None


async def test_fixed_routes_record_their_path_and_unmatched_ones_do_not(observed: Observed) -> None:
    """url.path only for a route without variables; a 404 has neither route nor path; probes make no span."""
    assert (await observed.get("/v1/stats"))[0] == 401
    assert (await observed.get(f"/nothing/{MOBILE}"))[0] == 404
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert (await observed.get(probe))[0] == 200
    stats, missing = observed.finished()
    assert (stats.name, (stats.attributes or {})["url.path"]) == ("GET /v1/stats", "/v1/stats")
    assert missing.name == "GET"
    assert "http.route" not in (missing.attributes or {})
    assert "url.path" not in (missing.attributes or {})
    assert (missing.attributes or {})["http.response.status_code"] == 404


async def test_step_failure_is_marked_without_its_message(observed: Observed) -> None:
    """A step that raises (a bad token) has error.type = the problem kind, and no exception event or text."""
    observed.token = "not-a-token"
    assert await observed.send(EMPLOYEE) == 401
    (authenticate,) = [s for s in observed.finished() if s.name == "gateway.authenticate"]
    assert (authenticate.attributes or {})["error.type"] == "token-invalid"
    assert authenticate.status.status_code is StatusCode.ERROR
    assert authenticate.status.description is None
    assert authenticate.events == ()


# --- logs --------------------------------------------------------------------------------------------------------


async def test_log_lines_carry_the_server_spans_ids(observed: Observed) -> None:
    """Each transfer's log line names the trace and span of its request (the SERVER span), as W3C hex."""
    await _send_mix(observed)
    servers = [s for s in observed.finished() if s.kind is SpanKind.SERVER]
    lines = _logged(observed, "transfer")
    assert len(lines) == len(servers) == 4
    for line, server in zip(lines, servers, strict=True):
        assert server.context is not None
        assert line["trace_id"] == trace.format_trace_id(server.context.trace_id)
        assert line["span_id"] == trace.format_span_id(server.context.span_id)
        assert (len(line["trace_id"]), len(line["span_id"])) == (32, 16)


# --- probes ------------------------------------------------------------------------------------------------------


async def test_health_and_readiness(observed: Observed) -> None:
    """/healthz is up; /readyz is ready with the policy and store checks; both answer even at the in-flight cap."""
    in_flight = observed.app[IN_FLIGHT]
    in_flight.count = in_flight.cap  # as busy as it gets: transfers would be refused now
    status, _, raw = await observed.get("/healthz")
    assert (status, json.loads(raw)) == (200, {"status": "up"})
    status, _, raw = await observed.get("/readyz")
    doc = json.loads(raw)
    assert (status, doc["status"]) == (200, "ready")
    assert {name: result["status"] for name, result in doc["checks"].items()} == dict.fromkeys(
        ("policy", "audit", "consents", "counters"), "pass"
    )
    assert doc["policy_revision"].startswith("sha256:")
    assert (await observed.get("/metrics"))[0] == 200
    in_flight.count = 0


async def test_readiness_fails_with_a_failing_check(observed: Observed, monkeypatch: pytest.MonkeyPatch) -> None:
    """A check that raises or hangs makes /readyz 503, a problem document naming each check, without internals."""

    async def broken() -> None:
        raise ConnectionError("could not connect to postgresql://gateway:s3cret@db.internal/gateway")

    async def hangs() -> None:
        await asyncio.sleep(30)

    async def says_why() -> None:
        raise NotReady("the audit log is not sequenced by this node")

    monkeypatch.setattr(observability, "READY_TIMEOUT", 0.05)
    observed.app[READY_CHECKS].append(("broken", broken))
    observed.app[READY_CHECKS].append(("hangs", hangs))
    observed.app[READY_CHECKS].append(("says-why", says_why))
    status, headers, raw = await observed.get("/readyz")
    assert status == 503
    assert headers["Content-Type"].startswith("application/problem+json")
    doc = json.loads(raw)
    assert {k: doc[k] for k in ("type", "title", "status")} == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
    }
    assert doc["detail"] == "not ready: broken, hangs, says-why failed"
    checks = {name: {k: v for k, v in result.items() if k != "duration_ms"} for name, result in doc["checks"].items()}
    assert checks == {
        "policy": {"status": "pass"},
        "audit": {"status": "pass"},
        "consents": {"status": "pass"},
        "counters": {"status": "pass"},
        "broken": {"status": "fail", "error": "ConnectionError"},
        "hangs": {"status": "fail", "error": "no answer within 0.05 s"},
        "says-why": {"status": "fail", "error": "the audit log is not sequenced by this node"},
    }
    assert "s3cret" not in raw.decode()
    assert "s3cret" not in observed.log.getvalue()
    (warning,) = _logged(observed, "not_ready")
    assert set(warning["failed"]) == {"broken", "hangs", "says-why"}
    await observed.get("/readyz")
    assert len(_logged(observed, "not_ready")) == 1  # a change is logged, not every probe


async def test_request_without_host_names_the_socket(observed: Observed) -> None:
    """An HTTP/1.0 request without ``Host``: server.address is the listening socket's, looked up nowhere."""
    host, port = observed.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /v1/stats HTTP/1.0\r\n\r\n")
    await writer.drain()
    assert (await reader.readline()).startswith(b"HTTP/1.0 401")
    await reader.read()
    writer.close()
    await writer.wait_closed()
    (span,) = observed.finished()
    attributes = dict(span.attributes or {})
    assert (attributes["server.address"], attributes["server.port"]) == ("127.0.0.1", int(port))
    assert attributes["network.protocol.version"] == "1.0"


async def test_a_store_that_does_not_answer_makes_the_node_unready(
    observed: Observed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store checks are the stores' own: a counter store that fails its probe fails readiness, in the
    gateway's words."""

    async def unreachable() -> None:
        raise CountersUnavailable("the counters do not answer (OperationalError)")

    monkeypatch.setattr(observed.app[COUNTERS], "ready", unreachable)
    status, _, raw = await observed.get("/readyz")
    doc = json.loads(raw)
    assert (status, doc["detail"]) == (503, "not ready: counters failed")
    assert doc["checks"]["counters"]["error"] == "the counters do not answer (OperationalError)"
    assert doc["checks"]["audit"]["status"] == "pass"
