"""Shadow mode: counting where a candidate policy would decide otherwise, logging each difference without data."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.keys import SigningKey
from gateway.model import Decision, Effect, MechanismRef, RuleHit
from gateway.pipeline import Gateway
from gateway.policy.live import LivePolicy, Loaded
from gateway.policy.shadow import ShadowStats, differs
from gateway.telemetry import configure_logging
from gateway.web.app import SystemClock, prepare
from tests.conftest import make_config
from tests.web.test_admin import VERSION_A, VERSION_B, policy_tree, write_policy

LIVE, SHADOW = "sha256:live", "sha256:shadow"
SCC = MechanismRef("CN_SCC", "SIP-SCC-2026-0042")


def _decision(effect: Effect, rule: str | None, revision: str, mechanism: MechanismRef | None = None) -> Decision:
    hit = RuleHit(rule, effect, f"reason of {rule}", "PIPL Art 38") if rule else None
    return Decision(effect, hit, (hit,) if hit else (), revision, mechanism)


def _stats() -> ShadowStats:
    stats = ShadowStats()
    stats.reset(LIVE, SHADOW)
    return stats


@pytest.mark.parametrize(
    ("shadow", "different"),
    [
        pytest.param(_decision(Effect.ALLOW, "CN-PI-SCC-01", SHADOW, SCC), False, id="same"),
        pytest.param(_decision(Effect.DENY, "CN-PI-SCC-01", SHADOW), True, id="effect"),
        pytest.param(_decision(Effect.ALLOW, "CN-PI-SCC-02", SHADOW, SCC), True, id="rule"),
        pytest.param(_decision(Effect.ALLOW, "CN-PI-SCC-01", SHADOW, MechanismRef("CN_CERT", "C-1")), True, id="mech"),
        pytest.param(_decision(Effect.DENY, None, SHADOW), True, id="nothing-matched"),
    ],
)
def test_differs_by_effect_rule_or_mechanism(shadow: Decision, different: bool) -> None:
    live = _decision(Effect.ALLOW, "CN-PI-SCC-01", LIVE, SCC)
    assert differs(live, shadow) is different


def test_counts_per_pair_of_rules_and_logs_each_difference() -> None:
    log = io.StringIO()
    configure_logging(log)
    stats = _stats()
    allow = _decision(Effect.ALLOW, "CN-PI-SCC-01", LIVE, SCC)
    stats.observe("d-1", allow, _decision(Effect.ALLOW, "CN-PI-SCC-01", SHADOW, SCC))
    stats.observe("d-2", allow, _decision(Effect.DENY, "RCPT-PURPOSE-01", SHADOW))
    stats.observe("d-3", allow, _decision(Effect.DENY, "RCPT-PURPOSE-01", SHADOW))
    assert (stats.evaluated, stats.differing) == (3, 2)
    assert stats.summary() == {
        "evaluated": 3,
        "differing": 2,
        "pairs": [
            {"live_rule": "CN-PI-SCC-01", "shadow_rule": "CN-PI-SCC-01", "count": 1},
            {"live_rule": "CN-PI-SCC-01", "shadow_rule": "RCPT-PURPOSE-01", "count": 2},
        ],
    }
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    assert [line["decision_id"] for line in lines] == ["d-2", "d-3"]
    assert {k: v for k, v in lines[0].items() if k not in {"timestamp", "level"}} == {
        "event": "policy_shadow_differs",
        "decision_id": "d-2",
        "live_effect": "allow",
        "live_rule": "CN-PI-SCC-01",
        "live_mechanism": "CN_SCC",
        "live_revision": LIVE,
        "shadow_effect": "deny",
        "shadow_rule": "RCPT-PURPOSE-01",
        "shadow_mechanism": None,
        "shadow_revision": SHADOW,
    }


def test_observations_of_other_revisions_are_not_counted() -> None:
    """A decision made before a reload but observed after it belongs to the old pair: it is set aside."""
    stats = _stats()
    stats.observe("d-1", _decision(Effect.ALLOW, "A", "sha256:old"), _decision(Effect.DENY, "B", SHADOW))
    assert (stats.evaluated, stats.differing, stats.stale) == (0, 0, 1)
    stats.observe("d-2", _decision(Effect.ALLOW, "A", LIVE), _decision(Effect.ALLOW, "A", SHADOW))
    stats.reset("sha256:next", SHADOW)
    assert (stats.evaluated, stats.differing, stats.stale, stats.summary()["pairs"]) == (0, 0, 0, [])


class _Audit:
    def __init__(self) -> None:
        self.leaves: list[bytes] = []

    async def append(self, leaf: bytes, *, sealed: Mapping[str, bytes] | None = None) -> int:
        self.leaves.append(leaf)
        return len(self.leaves) - 1

    def enqueue(self, leaf: bytes) -> None:
        self.leaves.append(leaf)


async def test_live_policy_hands_the_shadow_to_the_data_path(tmp_path: Path, signing_key: SigningKey) -> None:
    """A Gateway with ``shadow`` and ``shadow_stats`` fields gets both at start and after each reload."""
    live_dir = policy_tree(tmp_path, VERSION_A)
    shadow_dir = policy_tree(tmp_path, VERSION_B, name="reload-test-next")
    config = replace(make_config(tmp_path, signing_key, "http://127.0.0.1:9"), policy_dir=live_dir)
    prepared = prepare(replace(config, shadow_policy_dir=shadow_dir))
    audit = _Audit()
    gw = Gateway(
        policy=prepared.policy,
        verifier=prepared.verifier,
        routes=config.routes,
        limits=config.limits,
        audit=audit,
        upstream=None,  # type: ignore[arg-type]  # nothing is forwarded here
        clock=SystemClock(),
        subject_key=prepared.subject_key,
        new_id=lambda: "d",
    )
    assert prepared.shadow is not None
    live = LivePolicy(gw, prepared.loader, prepared.live, prepared.shadow, shadow_dir=shadow_dir)
    assert gw.shadow is prepared.shadow.policy
    assert gw.shadow_stats is live.stats
    assert (live.stats.live_revision, live.stats.shadow_revision) == (gw.policy.revision, gw.shadow.revision)

    write_policy(shadow_dir, "# a comment only\n" + VERSION_B)
    result = await live.reload(requested_by="ops-li", via="admin-api")
    assert (result.changed, result.shadow_changed) == (False, False)

    write_policy(live_dir, VERSION_B)
    write_policy(shadow_dir, VERSION_A)
    result = await live.reload(requested_by="ops-li", via="admin-api")
    assert (result.changed, result.shadow_changed) == (True, True)
    assert (gw.policy.revision, gw.shadow.revision) == (prepared.shadow.policy.revision, prepared.policy.revision)
    assert (live.stats.live_revision, live.stats.shadow_revision) == (gw.policy.revision, gw.shadow.revision)
    (record,) = [json.loads(leaf) for leaf in audit.leaves]
    assert (record["kind"], record["requested_by"]) == ("policy", "ops-li")


def test_loaded_at_is_utc(tmp_path: Path, signing_key: SigningKey) -> None:
    config = replace(make_config(tmp_path, signing_key, "http://127.0.0.1:9"), policy_dir=policy_tree(tmp_path))
    loaded: Loaded = prepare(config).live
    assert loaded.loaded_at.tzinfo is not None
    assert loaded.loaded_at.utcoffset() == datetime.now(UTC).utcoffset()
