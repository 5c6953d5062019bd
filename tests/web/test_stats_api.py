"""``/v1/stats`` over real HTTP: who sees what, counts and tallies, distances to thresholds, expiry warnings."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from structlog.testing import capture_logs

from gateway.keys import SigningKey
from gateway.policy.load import load_policy
from gateway.ports import TransferEvent
from gateway.stores.sqlite_counters import SqliteCounterStore
from gateway.web.app import build_app
from gateway.web.openapi_stats import STATS_PATHS, STATS_SCHEMAS
from gateway.web.state import GATEWAY
from gateway.web.stats_api import (
    COUNTERS,
    Threshold,
    ThresholdRule,
    log_expiring_mechanisms,
    read_thresholds,
    thresholds_of,
)
from tests.conftest import make_config

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
Mint = Callable[..., str]

OURS, THEIRS, SINGAPOREAN = "sip-precision-manufacturing", "sip-energy-grid", "sg-merlion-retail"
NOW = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # already 1 January 2027, 01:00, in China Standard Time


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def monotonic(self) -> float:
        return time.monotonic()


def person(n: int) -> str:
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()


@dataclass
class Stats:
    url: str
    client: aiohttp.ClientSession
    store: SqliteCounterStore
    mint: Mint

    async def get(self, *roles: str, org: str = OURS, **params: str) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.mint(org, roles=roles, now=NOW.timestamp())}"} if roles else {}
        async with self.client.get(self.url + "/v1/stats", headers=headers, params=params) as r:
            return r.status, json.loads(await r.read())


@pytest.fixture
async def stats(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Mint
) -> AsyncIterator[Stats]:
    config = make_config(tmp_path, signing_key, "http://127.0.0.1:9")  # nothing is forwarded here
    app = build_app(config, reload_on_sighup=False)
    server = await aiohttp_server(app)
    store = app[COUNTERS]  # the gateway's own counter store
    assert isinstance(store, SqliteCounterStore)  # the embedded default, without a database.dsn
    app[GATEWAY].clock = FixedClock()
    async with aiohttp.ClientSession() as client:
        yield Stats(str(server.make_url("")).rstrip("/"), client, store, token_for)


async def _fill(s: Stats) -> None:
    """2026: we sent 3 people (1 with sensitive data) to sg-hr and were refused once towards sg-legacy-payroll;
    they sent 2 people; 2027 holds one transfer of ours."""
    for exporter, year in [(OURS, 2026), (THEIRS, 2026), (OURS, 2027)]:
        await s.store.load(exporter, year)
    s.store.reserve(OURS, 2026, {person(1): False, person(2): False, person(3): True})
    s.store.reserve(THEIRS, 2026, {person(1): False, person(4): False})
    s.store.reserve(OURS, 2027, {person(1): False})
    s.store.record_transfer(TransferEvent(OURS, 2026, "sg-hr", True, ("PI.CONTACT", "SPI.GOV_ID"), "CN_SCC"))
    s.store.record_transfer(TransferEvent(OURS, 2026, "sg-legacy-payroll", False, ("PI.CONTACT",), None))
    s.store.record_transfer(TransferEvent(THEIRS, 2026, "sg-hr", True, ("PI.CONTACT",), "CN_EX_SMALL"))
    s.store.record_transfer(TransferEvent(OURS, 2027, "sg-hr", True, ("PI.CONTACT",), "CN_SCC"))


def _by_exporter(body: Any) -> dict[str, Any]:
    return {e["exporter"]: e for e in body["exporters"]}


async def test_a_regulator_sees_every_exporter_with_counts_tallies_and_thresholds(stats: Stats) -> None:
    """Every exporter the policy admits, counted; distances to the policy's thresholds with rules and references."""
    await _fill(stats)
    status, body = await stats.get("regulator", year="2026")
    assert status == 200
    assert body["year"] == 2026
    assert body["thresholds_available"] is True
    every = _by_exporter(body)
    assert set(every) == {OURS, THEIRS, SINGAPOREAN}
    ours = every[OURS]
    assert ours["individuals"] == {"personal": 3, "sensitive": 1}
    assert ours["transfers"] == {"allowed": 1, "refused": 1}
    assert ours["by_recipient"] == {
        "sg-hr": {"allowed": 1, "refused": 0},
        "sg-legacy-payroll": {"allowed": 0, "refused": 1},
    }
    assert ours["by_category"]["PI.CONTACT"] == {"allowed": 1, "refused": 1}
    assert ours["by_mechanism"] == {"CN_SCC": {"allowed": 1, "refused": 0}, "none": {"allowed": 0, "refused": 1}}
    distances = {(t["metric"], t["threshold"]): t for t in ours["thresholds"]}
    small = distances[("ytd_personal", 100_000)]
    assert (small["current"], small["remaining"], small["crossed"]) == (3, 99_997, False)
    assert {r["id"] for r in small["rules"]} == {"CN-SCC-01", "CN-VOL-SMALL-01"}
    assert all(r["legal"] for r in small["rules"])
    assert small["parameters"] == ["contract_personal"]
    first_sensitive = distances[("ytd_sensitive", 1)]
    assert (first_sensitive["remaining"], first_sensitive["crossed"]) == (0, True)
    assert set(distances) == {("ytd_personal", 100_000), ("ytd_personal", 1_000_000)} | {
        ("ytd_sensitive", 1),
        ("ytd_sensitive", 10_000),
    }
    assert every[THEIRS]["individuals"] == {"personal": 2, "sensitive": 0}
    assert every[SINGAPOREAN]["thresholds"] == []  # the PRC bands apply to exports from China only
    assert every[SINGAPOREAN]["transfers"] == {"allowed": 0, "refused": 0}


async def test_the_year_defaults_to_the_current_one_in_china_standard_time(stats: Stats) -> None:
    """At 17:00 UTC on 31 December it is already the next year in Suzhou."""
    await _fill(stats)
    status, body = await stats.get("regulator")
    assert status == 200
    assert body["year"] == 2027
    assert _by_exporter(body)[OURS]["individuals"] == {"personal": 1, "sensitive": 0}
    assert _by_exporter(body)[THEIRS]["transfers"] == {"allowed": 0, "refused": 0}


async def test_an_enterprise_sees_only_its_own_statistics(stats: Stats) -> None:
    """Its own entry, even unasked; another exporter's is refused."""
    await _fill(stats)
    status, body = await stats.get("enterprise", year="2026")
    assert status == 200
    assert [e["exporter"] for e in body["exporters"]] == [OURS]
    status, body = await stats.get("enterprise", year="2026", exporter=THEIRS)
    assert status == 403
    assert body["type"] == "/problems/role-missing"
    status, body = await stats.get("regulator", year="2026", exporter=THEIRS)
    assert status == 200
    assert [e["exporter"] for e in body["exporters"]] == [THEIRS]


@pytest.mark.parametrize(
    ("roles", "params", "status", "kind"),
    [
        ((), {}, 401, "token-missing"),
        (("operator",), {}, 403, "role-missing"),
        (("regulator",), {"year": "26"}, 400, "query-invalid"),
        (("regulator",), {"year": "\uff11\uff12\uff13\uff14"}, 400, "query-invalid"),
        (("regulator",), {"year": "1999"}, 400, "query-invalid"),
    ],
)
async def test_refusals_are_problem_documents(
    stats: Stats, roles: tuple[str, ...], params: dict[str, str], status: int, kind: str
) -> None:
    got, body = await stats.get(*roles, **params)
    assert (got, body["type"]) == (status, f"/problems/{kind}")


async def test_expiry_warnings_for_the_recipients_concerned(stats: Stats) -> None:
    """The expired contract of sg-legacy-payroll is a warning for the regulator, and for the exporter that sent to
    that recipient, not for one that did not."""
    await _fill(stats)
    _, body = await stats.get("regulator", year="2026")
    legacy = {
        "recipient": "sg-legacy-payroll",
        "mechanism": "CN_SCC",
        "reference": "SIP-SCC-2023-0011",
        "valid_until": "2026-02-28",
        "working_days_left": -212,  # 2026 has 248 working days, 37 of them by 28 February; then 1 January 2027
        "expired": True,
        "calendar_complete": False,  # 1 January 2027 is counted as in no notice yet
    }
    assert legacy in body["warnings"]
    every = _by_exporter(body)
    assert every[OURS]["warnings"] == [legacy]
    assert every[THEIRS]["warnings"] == []
    _, theirs = await stats.get("enterprise", org=THEIRS, year="2026")
    assert theirs["warnings"] == []


def test_mechanism_expiry_is_logged_without_personal_data() -> None:
    """One ``mechanism_expiring`` line per mechanism, with exactly the fields a reader needs."""
    policy = load_policy(Path(__file__).resolve().parents[2] / "policies" / "sip-sg")
    with capture_logs() as logs:
        found = log_expiring_mechanisms(policy, datetime(2026, 2, 1, tzinfo=UTC))
    lines = [entry for entry in logs if entry["event"] == "mechanism_expiring"]
    assert len(lines) == len(found) >= 1
    legacy = next(entry for entry in lines if entry["recipient"] == "sg-legacy-payroll")
    assert set(legacy) == {
        *("event", "log_level", "recipient", "mechanism", "reference"),
        *("valid_until", "working_days_left", "expired"),
    }
    # after Sunday 1 February 2026: 2-13 and 24-27 February, and Saturdays 14 and 28 worked (16-23: Spring Festival)
    assert (legacy["valid_until"], legacy["working_days_left"], legacy["expired"]) == ("2026-02-28", 16, False)


def test_thresholds_are_read_from_every_count_condition() -> None:
    """Nested in any/all/not, parameters resolved, disabled rules ignored, origins joined (None: any exporter)."""
    source = {
        "parameters": {"big": 1000, "label": "text"},
        "rules": [
            {"id": "A", "legal": "Art 1", "when": {"origin": ["CN"], "any": [{"ytd_personal": {"at_least": "$big"}}]}},
            {"id": "B", "legal": "Art 2", "when": {"not": {"ytd_personal": {"below": 1000}}, "origin": ["SG"]}},
            {"id": "C", "legal": "Art 3", "when": {"all": [{"ytd_sensitive": {"at_least": 5, "below": 50}}]}},
            {"id": "D", "legal": "Art 4", "enabled": False, "when": {"ytd_personal": {"at_least": 7}}},
            {"id": "E", "legal": "Art 5", "when": {"ytd_personal": {"at_least": "$label"}}},
        ],
    }
    assert thresholds_of(source) == (
        Threshold(
            "ytd_personal",
            1000,
            (ThresholdRule("A", "Art 1", "at_least"), ThresholdRule("B", "Art 2", "below")),
            ("big",),
            frozenset({"CN", "SG"}),
        ),
        Threshold("ytd_sensitive", 5, (ThresholdRule("C", "Art 3", "at_least"),), (), None),
        Threshold("ytd_sensitive", 50, (ThresholdRule("C", "Art 3", "below"),), (), None),
    )
    assert thresholds_of(None) == ()


def test_thresholds_are_not_read_from_a_policy_file_changed_since_it_was_loaded(
    write_policy_dir: Callable[..., Path],
) -> None:
    """A threshold must be the running revision's: an edited file on disk gives none rather than a wrong one."""
    text = """\
policy: small
vocabulary: vocabulary.yaml
accept_content_types: [application/json]
parameters: {limit: 100}
recipients:
  sg:
    name: SG Co
    jurisdiction: SG
    contact: dpo@example.com
    purposes: [payroll]
rules:
  - id: R1
    description: under the limit
    legal: "Art 5(4)"
    when: {ytd_personal: {below: $limit}}
    effect: allow
"""
    directory = write_policy_dir(text)
    revision = load_policy(directory).revision
    found = read_thresholds(directory, revision)
    assert found is not None
    assert [(t.metric, t.value) for t in found] == [("ytd_personal", 100)]
    (directory / "policy.yaml").write_text(text.replace("limit: 100", "limit: 200"), encoding="utf-8")
    assert read_thresholds(directory, revision) is None


def test_the_openapi_fragment_refers_only_to_schemas_it_defines() -> None:
    """Every ``$ref`` resolves in the fragment (AdminProblem is the shared problem schema)."""
    text = json.dumps([STATS_PATHS, STATS_SCHEMAS])
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs - {"AdminProblem"} <= set(STATS_SCHEMAS)
    assert "/v1/stats" in STATS_PATHS
