"""The metrics registry: what each call counts, label values, reload counting and the audit commit observer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from gateway.metrics import CommitObservable, Metrics, count_reload, count_reloads, known_method, status_class
from gateway.model import (
    Classification,
    Decision,
    Effect,
    Facts,
    Finding,
    Principal,
    RuleHit,
    Transfer,
)
from gateway.stores.sqlite_audit import SqliteAuditLog


def _samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = metrics.exposition().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    return _samples(metrics)[(name, frozenset(labels.items()))]


def test_registries_are_per_instance() -> None:
    """Two apps, two registries: nothing is shared, nothing lands in the process-global registry."""
    first, second = Metrics(process=False), Metrics(process=False)
    first.reload(applied=True)
    assert _value(first, "gateway_policy_reloads_total", outcome="applied") == 1
    assert ("gateway_policy_reloads_total", frozenset({("outcome", "applied")})) not in _samples(second)
    registry = CollectorRegistry()
    assert Metrics(registry, process=False).registry is registry


def test_process_collectors_are_optional() -> None:
    assert "python_info" in Metrics().exposition().decode()
    assert "python_info" not in Metrics(process=False).exposition().decode()


def test_step_observers_are_bound_once() -> None:
    metrics = Metrics(process=False)
    observe = metrics.step("gateway.read")
    assert metrics.step("gateway.read") is observe
    observe(0.002)
    metrics.step("gateway.read")(0.004)
    assert _value(metrics, "gateway_step_duration_seconds_count", step="gateway.read") == 2
    assert _value(metrics, "gateway_step_duration_seconds_sum", step="gateway.read") == pytest.approx(0.006)
    assert _value(metrics, "gateway_step_duration_seconds_bucket", step="gateway.read", le="0.0025") == 1


def _transfer() -> Transfer:
    return Transfer(
        decision_id="d-1",
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
        principal=Principal(subject="hr-sync", organisation="sip-precision-manufacturing", roles=frozenset()),
        route="sg-hr",
        recipient="sg-hr",
        jurisdiction="SG",
        purpose="payroll",
        scenario="hr",
        method="POST",
        path="/employees",
        content_type="application/json",
    )


def _classification(*categories: str) -> Classification:
    findings = tuple(
        Finding(category=c, detector="test", pointer=f"/{i}", start=0, end=1, confidence=1.0)
        for i, c in enumerate(categories)
    )
    return Classification(findings=findings, subjects=())


def _decision(effect: Effect, rule: str | None) -> Decision:
    hit = RuleHit(rule_id=rule, effect=effect, reason="because", legal="PIPL") if rule else None
    return Decision(effect=effect, deciding=hit, hits=(hit,) if hit else (), policy_revision="sha256:0")


def test_decisions_are_counted_by_outcome_rule_recipient_and_category() -> None:
    """Allowed and refused decisions, their categories, and the exporter's year from an allowed one only."""
    metrics = Metrics(process=False)
    transfer = _transfer()
    metrics.decided(transfer, _classification("PI.CONTACT", "PI.CONTACT"), _decision(Effect.ALLOW, "R-1"), Facts(5, 1))
    metrics.decided(transfer, _classification("SPI.GOV_ID"), _decision(Effect.DENY, "R-2"), Facts(9, 9))
    metrics.decided(transfer, _classification(), _decision(Effect.DENY, None), Facts(9, 9))
    assert _value(metrics, "gateway_transfers_total", decision="allowed", rule="R-1", recipient="sg-hr") == 1
    assert _value(metrics, "gateway_transfers_total", decision="refused", rule="R-2", recipient="sg-hr") == 1
    assert _value(metrics, "gateway_transfers_total", decision="refused", rule="", recipient="sg-hr") == 1
    assert _value(metrics, "gateway_transfer_categories_total", category="PI.CONTACT", decision="allowed") == 1
    assert _value(metrics, "gateway_transfer_categories_total", category="SPI.GOV_ID", decision="refused") == 1
    exporter = "sip-precision-manufacturing"
    assert _value(metrics, "gateway_individuals", exporter=exporter, kind="personal") == 5
    assert _value(metrics, "gateway_individuals", exporter=exporter, kind="sensitive") == 1


def test_http_requests_by_method_route_and_status_class() -> None:
    metrics = Metrics(process=False)
    metrics.http("POST", "/transfer/{route}/{path}", "2xx", 0.01)
    metrics.http("POST", "/transfer/{route}/{path}", "2xx", 0.02)
    metrics.http("GET", "", "4xx", 0.001)
    labels = {"method": "POST", "route": "/transfer/{route}/{path}", "status_class": "2xx"}
    assert _value(metrics, "gateway_http_requests_total", **labels) == 2
    assert _value(metrics, "gateway_http_request_duration_seconds_count", **labels) == 2
    assert _value(metrics, "gateway_http_requests_total", method="GET", route="", status_class="4xx") == 1


@pytest.mark.parametrize(
    ("method", "expected"), [("GET", "GET"), ("PATCH", "PATCH"), ("get", "_OTHER"), ("FROBNICATE", "_OTHER")]
)
def test_methods_are_normalised(method: str, expected: str) -> None:
    """A caller cannot mint label values by inventing methods."""
    assert known_method(method) == expected


@pytest.mark.parametrize(("status", "expected"), [(200, "2xx"), (404, "4xx"), (503, "5xx"), (99, "other")])
def test_status_class(status: int, expected: str) -> None:
    assert status_class(status) == expected


class _Live:
    """Stands in for the live policy (anything weak-referable)."""


async def test_reloads_are_counted_by_outcome() -> None:
    metrics = Metrics(process=False)
    live = _Live()
    count_reloads(live, metrics)

    async def applies() -> str:
        return "applied"

    async def refuses() -> str:
        raise ValueError("refused")

    assert await count_reload(live, applies()) == "applied"
    with pytest.raises(ValueError, match="refused"):
        await count_reload(live, refuses())
    assert await count_reload(_Live(), applies()) == "applied"  # an unregistered live policy: nothing counted
    assert _value(metrics, "gateway_policy_reloads_total", outcome="applied") == 1
    assert _value(metrics, "gateway_policy_reloads_total", outcome="refused") == 1


async def test_sqlite_audit_reports_each_commit(tmp_path: Path) -> None:
    """The SQLite log calls its observer once per durable commit with the group size and the commit's seconds."""
    log = SqliteAuditLog(tmp_path / "audit.sqlite3")
    assert isinstance(log, CommitObservable)
    seen: list[tuple[int, float]] = []
    log.on_commit = lambda records, seconds: seen.append((records, seconds))
    await log.open()
    try:
        await asyncio.gather(*(log.append(b'{"n": %d}' % i) for i in range(5)))
        log.enqueue(b'{"n": 5}')
        await log.flush()
    finally:
        await log.close()
    assert sum(records for records, _ in seen) == 6
    assert len(seen) == log.batches
    assert all(seconds > 0 for _, seconds in seen)


async def test_a_failing_observer_does_not_break_the_log(tmp_path: Path) -> None:
    log = SqliteAuditLog(tmp_path / "audit.sqlite3")

    def broken(_records: int, _seconds: float) -> None:
        raise RuntimeError("observer fault")

    log.on_commit = broken
    await log.open()
    try:
        assert await log.append(b"{}") == 0
        assert await log.append(b"{}") == 1
    finally:
        await log.close()


async def test_audit_observer_feeds_the_histograms() -> None:
    metrics = Metrics(process=False)
    metrics.audit_committed(3, 0.004)
    metrics.audit_committed(1, 0.002)
    assert _value(metrics, "gateway_audit_group_size_count") == 2
    assert _value(metrics, "gateway_audit_group_size_sum") == 4
    assert _value(metrics, "gateway_audit_append_duration_seconds_sum") == pytest.approx(0.006)
