"""What the consent and counter steps cost per transfer, beside the whole decision, for 1, 100 and 1,000 individuals.

For each size, a body of that many customer records (one e-mail address each) goes through the data path's step 4 on
the gateway's real stores, every individual holding a consent record and the exporter's year already under way:

- consent: one lookup of the transfer's individuals in the SQLite consent registry (`ConsentStore.lookup`);
- counters: the exporter's year made resident, then the year-to-date count with this transfer's individuals and
  their reservation (`CounterStore.load`, `year_to_date`, `reserve`);
- decision: classification, keyed hashes, both steps above and `decide()`: steps 3 to 5, what a transfer waits for
  before its audit record is written.

Run: ``.venv/bin/python bench/consent_counts.py [--rounds N]``. Numbers are medians (and p90) over the rounds, each
round on new individuals after the first (counted ones are looked up again, so both cases are covered).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from machine import table  # bench/machine.py, beside this script

from gateway.audit.record import subject_hash_of
from gateway.classify import Classifier
from gateway.consent.validate import parse_consent
from gateway.demo import POLICY_DIR
from gateway.model import Facts, Json, Principal, Transfer
from gateway.policy.context import CORRIDOR_TIME
from gateway.policy.decide import decide
from gateway.policy.facts import individuals
from gateway.policy.load import load_policy
from gateway.stores.sqlite_consent import SqliteConsentStore
from gateway.stores.sqlite_counters import SqliteCounterStore

EXPORTER = "sip-precision-manufacturing"
SIZES = (1, 100, 1000)
KEY = bytes(range(32))
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
NOTICE = {
    "recipient_name": "Tiong Bahru Support Services Pte. Ltd.",
    "recipient_contact": "privacy@tiongbahru-support.example",
    "purpose": "Customer service",
    "method": "Transfer through the SIP gateway",
    "categories": "Contact details",
    "rights_procedure": "Write to the recipient",
}


@dataclass
class Timings:
    consent: list[float]
    counters: list[float]
    decision: list[float]


def _body(first: int, count: int) -> object:
    return {"tickets": [{"ticket": f"T-{n}", "email": f"customer{n}@example.com"} for n in range(first, first + count)]}


def _consent(n: int) -> dict[str, object]:
    return {
        "subject": {"type": "email", "value": f"customer{n}@example.com"},
        "recipients": ["sg-service"],
        "purposes": ["customer_service"],
        "categories": ["PI.*"],
        "separate": True,
        "given_by": "individual",
        "notice": NOTICE,
        "given_at": "2026-01-05T09:00:00+08:00",
    }


async def _timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def measure(workdir: Path, rounds: int) -> dict[int, Timings]:
    policy = load_policy(POLICY_DIR)
    exporter = policy.exporters[EXPORTER]
    consents = SqliteConsentStore(workdir / "consents.sqlite3")
    counters = SqliteCounterStore(workdir / "counters.sqlite3")
    await consents.open()
    await counters.open()
    classifier = Classifier()
    year = NOW.astimezone(CORRIDOR_TIME).year
    transfer = Transfer(
        decision_id="bench",
        received_at=NOW,
        principal=Principal(EXPORTER, "bench", frozenset({"enterprise"})),
        route="sg-service",
        recipient="sg-service",
        jurisdiction="SG",
        purpose="customer_service",
        scenario="general",
        method="POST",
        path="/tickets",
        content_type="application/json",
    )
    # the year under way: 50,000 individuals already counted, each with a consent record
    total = 50_000 + sum(SIZES) * rounds
    drafts = [parse_consent(_consent(n), policy, exporter, KEY, NOW) for n in range(total)]
    for start in range(0, total, 5000):
        await consents.add(drafts[start : start + 5000], NOW, lambda _: "receipt")
    await counters.load(EXPORTER, year)
    counters.reserve(EXPORTER, year, {d.subject_hash: False for d in drafts[:50_000]})

    results: dict[int, Timings] = {}
    first = 50_000
    for size in SIZES:
        t = Timings([], [], [])
        for _ in range(rounds):
            doc: Json = json.loads(json.dumps(_body(first, size)))
            first += size

            async def decision(doc: Json = doc, t: Timings = t) -> object:
                classification = classifier.scan(doc)
                hashes = {s.pointer: subject_hash_of(KEY, s) for s in classification.subjects}
                flags = {hashes[p]: s for p, s in individuals(classification, policy).items()}
                started = time.perf_counter()
                found = await consents.lookup(EXPORTER, set(hashes.values()))
                t.consent.append(time.perf_counter() - started)
                started = time.perf_counter()
                await counters.load(EXPORTER, year)
                personal, sensitive = counters.year_to_date(EXPORTER, year, flags)
                counters.reserve(EXPORTER, year, flags)
                t.counters.append(time.perf_counter() - started)
                facts = Facts(personal, sensitive, {p: found.get(h, ()) for p, h in hashes.items()})
                return decide(policy, transfer, classification, facts, NOW)

            t.decision.append(await _timed(decision))
        results[size] = t
    await counters.close()
    await consents.close()
    return results


def _ms(values: Sequence[float], q: float) -> str:
    ordered = sorted(values)
    return f"{1e3 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.2f}"


def report(results: dict[int, Timings]) -> str:
    rows = []
    for size, t in results.items():
        whole = statistics.median(t.decision)
        steps = statistics.median(t.consent) + statistics.median(t.counters)
        rows.append(
            [
                f"{size:,}",
                _ms(t.consent, 0.5),
                _ms(t.consent, 0.9),
                _ms(t.counters, 0.5),
                _ms(t.counters, 0.9),
                _ms(t.decision, 0.5),
                _ms(t.decision, 0.9),
                f"{100 * steps / whole:.0f}%",
            ]
        )
    header = ["individuals", "consent p50", "p90", "counters p50", "p90", "decision p50", "p90", "steps/decision"]
    return table(header, rows) + "\n(ms per transfer; decision = classify + keyed hashes + consent + counters + decide)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="transfers per size (default 30)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gateway-bench-consent-") as tmp:
        results = asyncio.run(measure(Path(tmp), args.rounds))
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
