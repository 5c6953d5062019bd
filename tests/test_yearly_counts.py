"""The yearly volume bands on live counts: 100,001 distinct individuals sent in many small transfers over two routes,
through the data path with its counter store, the clock injected.

The sandbox's policy (policies/sip-sg, parameters contract_personal: 100000) reads the 2024 Provisions as
reference/regulatory.md does: fewer than 100,000 individuals since 1 January (Art 5(4), "不满10万人") are exempt, and
from the 100,000th (Art 8, "10万人以上") a standard contract or certification is needed. So the band changes with the
transfer whose individuals bring the year-to-date count, this transfer included, to 100,000.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.config import Route
from gateway.keys import SigningKey
from gateway.model import Consent
from gateway.pipeline import Answer, Gateway, IncomingRequest, run
from gateway.policy.compiled import expand_category
from gateway.ports import CounterStore, UpstreamRequest, UpstreamResponse
from gateway.stores.memory import MemoryCounters
from gateway.stores.sqlite_counters import SqliteCounterStore
from gateway.web.app import prepare
from tests.conftest import make_config

EXPORTER = "sip-precision-manufacturing"
NOTICE = frozenset({"recipient_name", "recipient_contact", "purpose", "method", "categories", "rights_procedure"})
BATCH = 1000


async def _counted(counters: CounterStore, exporter: str, year: int) -> tuple[int, int]:
    """(personal, sensitive) individuals ``exporter`` has sent in ``year``, as a decision would see them."""
    async with counters.counting(exporter, year, {}) as held:
        return held.year_to_date({})


@dataclass
class Everyone:
    """A consent registry in which every individual gave separate consent for every recipient and purpose: the
    consent requirements are met, so the volume bands alone decide."""

    categories: frozenset[str]

    async def lookup(self, exporter: str, subject_hashes: Collection[str]) -> Mapping[str, tuple[Consent, ...]]:
        consent = Consent(
            id="c-all",
            recipients=frozenset({"sg-service", "sg-hr", "sg-regional-hq"}),
            purposes=frozenset({"customer_service", "payroll"}),
            categories=self.categories,
            separate=True,
            given_by="individual",
            notice=NOTICE,
            given_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        return dict.fromkeys(subject_hashes, (consent,))


@dataclass
class Clock:
    at: datetime

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return 0.0


@dataclass
class Recorded:
    leaves: list[bytes] = field(default_factory=list)

    async def append(self, leaf: bytes, *, sealed: Mapping[str, bytes] | None = None) -> int:
        self.leaves.append(leaf)
        return len(self.leaves) - 1

    def enqueue(self, leaf: bytes) -> None:
        self.leaves.append(leaf)


class Echo:
    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        return UpstreamResponse(200, {"Content-Type": "application/json"}, b"{}")


class Body:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    async def read(self, limit: int) -> bytes:
        return self.raw


@pytest.fixture(params=["sqlite", "memory"])
async def counters(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CounterStore]:
    """The gateway's SQLite counters and the in-memory ones."""
    if request.param == "memory":
        yield MemoryCounters()
        return
    store = SqliteCounterStore(tmp_path / "counters.sqlite3")
    await store.open()
    yield store
    await store.close()


async def _as_stored(path: Path, year: int) -> tuple[int, int]:
    """The counts a store opened afresh on ``path`` reads back: what a restarted gateway would decide on."""
    again = SqliteCounterStore(path)
    await again.open()
    try:
        await again.load(EXPORTER, year)
        return again.year_to_date(EXPORTER, year, {})
    finally:
        await again.close()


def _gateway(tmp_path: Path, signing_key: SigningKey, counters: CounterStore, clock: Clock) -> Gateway:
    config = make_config(tmp_path, signing_key, "http://recipient.invalid")
    prepared = prepare(config)
    levels = prepared.policy.levels
    routes = dict(config.routes) | {
        "sg-service": Route("sg-service", "http://service.invalid", "sg-service", "customer_service", "general"),
        "sg-regional-hq": Route("sg-regional-hq", "http://hq.invalid", "sg-regional-hq", "payroll", "general"),
    }
    return Gateway(
        policy=prepared.policy,
        verifier=prepared.verifier,
        routes=routes,
        limits=replace(config.limits, max_body_bytes=1 << 22),
        audit=Recorded(),
        upstream=Echo(),
        clock=clock,
        subject_key=prepared.subject_key,
        new_id=lambda: "d",
        consents=Everyone(frozenset(expand_category("PI.*", levels) | expand_category("SPI.*", levels))),
        counters=counters,
    )


def _people(numbers: range) -> bytes:
    return json.dumps(
        {"tickets": [{"ticket": f"T-{n}", "email": f"customer{n}@example.com"} for n in numbers]}
    ).encode()


def _transfer(token: str, route: str, numbers: range, *, preflight: bool = False) -> IncomingRequest:
    return IncomingRequest(
        method="POST",
        route=route,
        path="/tickets",
        query="",
        content_type="application/json",
        authorization=f"Bearer {token}",
        purpose="customer_service" if route == "sg-service" else "payroll",
        scenario="general",
        accept=None,
        body=Body(_people(numbers)),
        preflight=preflight,
    )


def _rule(answer: Answer) -> tuple[int, str | None]:
    return answer.status, answer.rule_id


async def test_the_band_changes_at_the_threshold_and_counts_each_person_once(
    tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str], counters: CounterStore
) -> None:
    clock = Clock(datetime(2026, 12, 31, 12, 0, tzinfo=UTC))  # 20:00 in Suzhou
    gw = _gateway(tmp_path, signing_key, counters, clock)
    token = token_for(EXPORTER, now=clock.at.timestamp(), ttl=10**6)

    # 99,999 individuals in transfers of 1,000 (the last of 999), alternating between two recipients: sg-service
    # holds no mechanism, so only the small-volume exemption carries data to it; sg-hr holds a standard contract,
    # which the policy names whenever the recipient holds one. Both count towards the same exporter's year.
    band = {"sg-service": "CN-VOL-SMALL-01", "sg-hr": "CN-VOL-SCC-01"}
    for start in range(0, 99_999, BATCH):
        route = "sg-service" if (start // BATCH) % 2 == 0 else "sg-hr"
        answer = await run(gw, _transfer(token, route, range(start, min(start + BATCH, 99_999))))
        assert _rule(answer) == (200, band[route]), (start, answer.body[:300])
    assert await _counted(counters, EXPORTER, 2026) == (99_999, 0)

    # resending 1,000 known individuals, on either route, does not move the count
    for route in ("sg-service", "sg-hr"):
        assert _rule(await run(gw, _transfer(token, route, range(5_000, 6_000)))) == (200, band[route])
    assert await _counted(counters, EXPORTER, 2026) == (99_999, 0)

    # a preflight of a new individual shows the next band, and counts nothing
    status, rule = _rule(await run(gw, _transfer(token, "sg-service", range(99_999, 100_000), preflight=True)))
    assert (status, rule) == (403, "CN-SCC-01")
    assert await _counted(counters, EXPORTER, 2026) == (99_999, 0)

    # the 100,000th individual: the exemption no longer applies; a recipient without a contract is refused and the
    # individual, not sent, is not counted
    assert _rule(await run(gw, _transfer(token, "sg-service", range(99_999, 100_000)))) == (403, "CN-SCC-01")
    assert await _counted(counters, EXPORTER, 2026) == (99_999, 0)
    # the same individual and the 100,001st, to the recipient holding the standard contract: the contract band
    answer = await run(gw, _transfer(token, "sg-hr", range(99_999, 100_001)))
    assert _rule(answer) == (200, "CN-VOL-SCC-01")
    assert await _counted(counters, EXPORTER, 2026) == (100_001, 0)
    # from now on even a known individual travels in the contract band
    assert _rule(await run(gw, _transfer(token, "sg-hr", range(0, 1)))) == (200, "CN-VOL-SCC-01")
    assert _rule(await run(gw, _transfer(token, "sg-service", range(0, 1)))) == (403, "CN-SCC-01")

    # 1 January in Suzhou (16:00 UTC on 31 December): the count restarts
    clock.at = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    answer = await run(gw, _transfer(token, "sg-service", range(0, BATCH)))
    assert _rule(answer) == (200, "CN-VOL-SMALL-01")
    assert await _counted(counters, EXPORTER, 2027) == (BATCH, 0)
    assert await _counted(counters, EXPORTER, 2026) == (100_001, 0)
    if isinstance(counters, SqliteCounterStore):  # every allowed transfer waited for its count to be saved
        assert await _as_stored(tmp_path / "counters.sqlite3", 2026) == (100_001, 0)
        assert await _as_stored(tmp_path / "counters.sqlite3", 2027) == (BATCH, 0)


async def test_a_person_in_several_records_counts_once_and_as_sensitive_if_any_record_is(
    tmp_path: Path, signing_key: SigningKey, token_for: Callable[..., str], counters: CounterStore
) -> None:
    """Two records of one person (one e-mail address), one of them with a diagnosis, to the regional headquarters
    (which holds a security assessment covering sensitive data): one individual, counted as sensitive too."""
    clock = Clock(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    gw = _gateway(tmp_path, signing_key, counters, clock)
    token = token_for(EXPORTER, now=clock.at.timestamp(), ttl=10**6)
    body = {"staff": [{"email": "x@example.com", "diagnosis": "diabetes"}, {"email": "x@example.com", "note": "ok"}]}
    request = replace(_transfer(token, "sg-regional-hq", range(0)), body=Body(json.dumps(body).encode()))
    answer = await run(gw, request)
    assert answer.status == 200, answer.body[:300]
    assert await _counted(counters, EXPORTER, 2026) == (1, 1)
