"""Classifier benchmark: precision and recall per detector on the labelled corpus, and throughput on one core.

    .venv/bin/python bench/classify.py [--count 6000] [--seed 20261128] [--quick]

Quality: the seeded corpus of bench/corpus.py (synthetic records, labels from how each was built) is scanned and
scored per detector; detectors with a check character must reach precision 0.99 and recall 0.98, the others 0.95
and 0.90 (the targets of the classifier's issue). Throughput: JSON bodies of about 1 KB, 32 KB and 1 MB cut from the
same corpus, scanned after parsing, beside ``json.loads`` on the same bytes and a naive scanner (ten regular
expressions over every string) measured in the same run, so the numbers compare on whatever machine runs them.
Dense bodies are corpus records only; mixed bodies hold one corpus record in five among shipment lines without
personal data, nearer what an exporter's operational feed looks like. The exit status is 1 when a detector misses
its target.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus

from gateway.classify import scan
from gateway.model import Json

CHECKSUM_DETECTORS = frozenset({"cn_resident_id", "cn_uscc", "sg_nric_fin", "sg_uen", "bank_card", "iban"})
TARGETS = {True: (0.99, 0.98), False: (0.95, 0.90)}  # checksum? -> (precision, recall)
SIZES = (("small", 1_024), ("medium", 32 * 1_024), ("large", 1_024 * 1_024))

# The naive baseline: ten patterns of the kind a hand-rolled DLP filter runs over every string value.
NAIVE = tuple(
    re.compile(p)
    for p in (
        r"[1-9][0-9]{16}[0-9Xx]",
        r"1[3-9][0-9]{9}",
        r"[STFGM][0-9]{7}[A-Z]",
        r"[0-9]{13,19}",
        r"[\w.+-]+@[\w-]+\.[\w.]+",
        r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}",
        r"[89][0-9]{7}",
        r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}",
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
        r"[EG][0-9]{8}",
    )
)


def predictions(doc: Json) -> list[tuple[str, str, int, int | None]]:
    """What the gateway's scanner reports for one record, in the scorer's terms."""
    return [(f.pointer, f.detector, f.start, f.end) for f in scan(doc).findings]


def quality(records: list[corpus.Record]) -> bool:
    """Print precision and recall per detector; whether every detector meets its target."""
    started = time.perf_counter()
    scored = corpus.score(records, [predictions(r.doc) for r in records])
    elapsed = time.perf_counter() - started
    labels = sum(len(r.labels) for r in records)
    print(f"corpus: {len(records)} records, {labels} labels, scanned and scored in {elapsed:.2f} s")
    print(f"{'detector':<28}{'labels':>7}{'tp':>7}{'fp':>6}{'fn':>6}{'precision':>11}{'recall':>8}  target")
    ok = True
    for detector in sorted(scored):
        c = scored[detector]
        want_p, want_r = TARGETS[detector in CHECKSUM_DETECTORS]
        met = c.precision >= want_p and c.recall >= want_r
        ok &= met
        verdict = "ok" if met else "MISSED"
        print(
            f"{detector:<28}{c.tp + c.fn:>7}{c.tp:>7}{c.fp:>6}{c.fn:>6}{c.precision:>11.4f}{c.recall:>8.4f}"
            f"  {want_p:.2f}/{want_r:.2f} {verdict}"
        )
    return ok


_PRODUCTS = (
    "Aluminium housing for industrial sensor, anodised",
    "Servo motor 400 W with brake, IP65",
    "PCB assembly rev C, lead-free",
    "Stainless fastener kit M6, 200 pieces",
    "Lithium battery pack 48 V 20 Ah",
)
_STATUSES = ("created", "packed", "in_transit", "customs", "delivered")


def operational(i: int) -> dict[str, Any]:
    """A record with no personal data (a shipment line of a manufacturer in the park), seeded by ``i``."""
    rng = random.Random(i)
    day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {
        "shipment_id": f"SHP-2026-{rng.randint(0, 999_999):06d}",
        "sku": f"SKU-{rng.randint(10_000, 99_999)}-{rng.choice('ABCD')}",
        "description": rng.choice(_PRODUCTS),
        "qty": rng.randint(1, 500),
        "unit_price": round(rng.uniform(1, 900), 2),
        "currency": rng.choice(("CNY", "SGD", "USD")),
        "status": rng.choice(_STATUSES),
        "warehouse": f"SIP-WH-{rng.randint(1, 9):02d}",
        "created_at": f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+08:00",
        "weight_kg": round(rng.uniform(0.1, 80), 3),
        "dimensions_cm": [rng.randint(5, 120) for _ in range(3)],
        "hs_code": f"{rng.randint(8400, 8599)}.{rng.randint(10, 99)}",
    }


def _bodies(records: list[corpus.Record], mixed: bool) -> list[tuple[str, bytes]]:
    """JSON arrays of consecutive corpus records (``mixed``: one in five, the others operational records with no
    personal data), each about the size asked for."""
    out = []
    docs = [r.doc for r in records]
    if mixed:
        docs = [docs[i // 5] if i % 5 == 0 else operational(i) for i in range(5 * len(docs))]
    for name, size in SIZES:
        chosen: list[Any] = []
        total = 2
        i = 0
        while total < size:
            doc = docs[i % len(docs)]
            chosen.append(doc)
            total += len(json.dumps(doc, ensure_ascii=False).encode()) + 1
            i += 1
        out.append((name, json.dumps(chosen, ensure_ascii=False).encode()))
    return out


def _naive(doc: Json) -> int:
    """The baseline: every pattern over every string."""
    hits = 0
    stack: list[Json] = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            for pattern in NAIVE:
                hits += len(pattern.findall(node))
    return hits


def _rate(fn: Callable[[], object], size: int, budget: float) -> float:
    """MB/s of ``size`` bytes: the median of repeated timings within about ``budget`` seconds."""
    fn()
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while len(times) < 5 or (time.perf_counter() < deadline and len(times) < 200):
        gc.disable()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        gc.enable()
    return size / statistics.median(times) / 1e6


def throughput(records: list[corpus.Record], budget: float, *, mixed: bool) -> None:
    """Print MB/s of the scanner, json.loads and the naive baseline for small, medium and large bodies."""
    print()
    if mixed:
        print("mixed bodies: one corpus record in five, the others operational records without personal data")
    else:
        print("dense bodies: corpus records only (about one value in two is personal data)")
    print(
        f"{'body':<8}{'bytes':>10}{'json.loads':>12}{'scan':>9}{'loads+scan':>12}{'naive 10 re':>13}{'us/KB scan':>12}"
    )
    per_kb: list[float] = []
    for name, body in _bodies(records, mixed):
        doc = json.loads(body)
        loads = _rate(lambda b=body: json.loads(b), len(body), budget)  # type: ignore[misc]
        scanned = _rate(lambda d=doc: scan(d), len(body), budget)  # type: ignore[misc]
        both = _rate(lambda b=body: scan(json.loads(b)), len(body), budget)  # type: ignore[misc]
        naive = _rate(lambda d=doc: _naive(d), len(body), budget)  # type: ignore[misc]
        per_kb.append(1024 / (scanned * 1e6) * 1e6)
        print(
            f"{name:<8}{len(body):>10}{loads:>10.1f}MB{scanned:>7.1f}MB{both:>10.1f}MB{naive:>11.1f}MB{per_kb[-1]:>12.1f}"
        )
    print(f"linearity: time per KB, large / medium = {per_kb[2] / per_kb[1]:.2f} (1.00 is linear)")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=6000, help="corpus records (default 6000)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--quick", action="store_true", help="shorter timings")
    args = parser.parse_args(list(argv) if argv is not None else None)
    records = corpus.generate(args.count, args.seed)
    ok = quality(records)
    throughput(records, 1.0 if args.quick else 4.0, mixed=False)
    throughput(records, 1.0 if args.quick else 4.0, mixed=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
