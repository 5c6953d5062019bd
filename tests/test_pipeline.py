"""The data path with its ports faked: the order of the steps, failing closed, and the spans it records."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.classify import Classifier
from gateway.errors import AuditUnavailable
from gateway.keys import SigningKey
from gateway.model import Classification, Json
from gateway.pipeline import Gateway, IncomingRequest, run
from gateway.ports import UpstreamRequest, UpstreamResponse
from gateway.stores.memory import MemoryCounters
from gateway.stores.sqlite_consent import SqliteConsentStore
from gateway.web.app import prepare
from tests.conftest import MOBILE, make_config

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@dataclass
class Journal:
    """What the fakes saw, in order."""

    events: list[str] = field(default_factory=list)
    forwarded: list[UpstreamRequest] = field(default_factory=list)


@dataclass
class FakeAudit:
    journal: Journal
    fail: bool = False

    async def append(self, leaf: bytes, *, sealed: Mapping[str, bytes] | None = None) -> int:
        if self.fail:
            raise AuditUnavailable("disk gone")
        self.journal.events.append(f"append:{json.loads(leaf)['kind']}")
        return len(self.journal.events)

    def enqueue(self, leaf: bytes) -> None:
        self.journal.events.append(f"enqueue:{json.loads(leaf)['kind']}")


@dataclass
class FakeUpstream:
    journal: Journal

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        self.journal.events.append("forward")
        self.journal.forwarded.append(request)
        return UpstreamResponse(200, {"Content-Type": "application/json"}, b"{}")


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return 0.0


class Body:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    async def read(self, limit: int) -> bytes:
        return self.raw


def _gateway(tmp_path: Path, signing_key: SigningKey, journal: Journal, *, fail: bool = False) -> Gateway:
    config = make_config(tmp_path, signing_key, "http://recipient.invalid")
    prepared = prepare(config)
    return Gateway(
        policy=prepared.policy,
        verifier=prepared.verifier,
        routes=config.routes,
        limits=config.limits,
        audit=FakeAudit(journal, fail),
        upstream=FakeUpstream(journal),
        clock=FixedClock(),
        subject_key=prepared.subject_key,
        new_id=lambda: "decision-1",
    )


def _request(token: str, body: dict[str, object]) -> IncomingRequest:
    return IncomingRequest(
        method="POST",
        route="sg-hr",
        path="/employees",
        query="",
        content_type="application/json",
        authorization=f"Bearer {token}",
        purpose="payroll",
        scenario=None,
        accept=None,
        body=Body(json.dumps(body).encode()),
    )


@pytest.fixture
def token(token_for: Callable[..., str]) -> str:
    return str(token_for(now=NOW.timestamp()))


async def test_decision_is_durable_before_anything_is_forwarded(
    tmp_path: Path, signing_key: SigningKey, token: str
) -> None:
    """The decision record is appended (awaited) before the forward; the outcome is recorded after it."""
    journal = Journal()
    answer = await run(_gateway(tmp_path, signing_key, journal), _request(token, {"mobile": MOBILE}))
    assert answer.status == 200
    assert journal.events == ["append:decision", "forward", "enqueue:outcome"]
    assert json.loads(journal.forwarded[0].body) == {"mobile": "*******8000"}
    assert journal.forwarded[0].url == "http://recipient.invalid/employees"


async def test_audit_failure_forwards_nothing(tmp_path: Path, signing_key: SigningKey, token: str) -> None:
    """When the decision cannot be recorded the answer is 503 and the recipient is never called."""
    journal = Journal()
    answer = await run(_gateway(tmp_path, signing_key, journal, fail=True), _request(token, {"mobile": MOBILE}))
    assert (answer.status, answer.problem) == (503, "audit-unavailable")
    assert journal.forwarded == []


class BrokenCounters(MemoryCounters):
    """Counters that count in memory but cannot save: a full disk under the counters' file."""

    async def flush(self) -> None:
        raise OSError("no space left on device")


async def test_counts_that_cannot_be_saved_forward_nothing(tmp_path: Path, signing_key: SigningKey, token: str) -> None:
    """An allowed transfer whose individuals cannot be counted durably is refused (503): nothing leaves uncounted."""
    journal = Journal()
    gw = replace(_gateway(tmp_path, signing_key, journal), counters=BrokenCounters())
    answer = await run(gw, _request(token, {"mobile": MOBILE}))
    assert (answer.status, answer.problem) == (503, "counters-unavailable")
    assert journal.forwarded == []
    assert journal.events == ["append:decision"]  # the decision itself is on record


async def test_steps_are_traced_when_a_tracer_is_given(tmp_path: Path, signing_key: SigningKey, token: str) -> None:
    """With tracing configured, each step of the data path is a span, in order."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    gw = _gateway(tmp_path, signing_key, Journal())
    gw.tracer = provider.get_tracer("test")
    await run(gw, _request(token, {"mobile": MOBILE}))
    assert [span.name for span in exporter.get_finished_spans()] == [
        "gateway.authenticate",
        "gateway.read",
        "gateway.classify",
        "gateway.facts",
        "gateway.decide",
        "gateway.audit_decision",
        "gateway.forward",
    ]


async def test_the_policys_classifier_classifies(tmp_path: Path, signing_key: SigningKey, token: str) -> None:
    """Bodies are classified by the classifier the policy compiled (its classification section), not a default."""
    seen: list[object] = []

    class Spy(Classifier):
        def scan(self, doc: Json) -> Classification:
            seen.append(doc)
            return super().scan(doc)

    journal = Journal()
    gateway = _gateway(tmp_path, signing_key, journal)
    gateway.policy = replace(gateway.policy, classifier=Spy())
    answer = await run(gateway, _request(token, {"mobile": MOBILE}))
    assert answer.status == 200
    assert seen == [{"mobile": MOBILE}]


async def test_a_consent_registry_that_cannot_be_read_decides_nothing(
    tmp_path: Path, signing_key: SigningKey, token: str
) -> None:
    """The real SQLite registry, closed under the gateway (its disk gone): 503 consents-unavailable, nothing
    forwarded, and no decision taken without the consents it should have seen."""
    journal = Journal()
    registry = SqliteConsentStore(tmp_path / "consents.sqlite3")  # never opened: every read fails
    gw = replace(_gateway(tmp_path, signing_key, journal), consents=registry)
    answer = await run(gw, _request(token, {"mobile": MOBILE}))
    assert (answer.status, answer.problem) == (503, "consents-unavailable")
    assert journal.forwarded == []
    assert journal.events == []
    assert MOBILE not in answer.body.decode()
