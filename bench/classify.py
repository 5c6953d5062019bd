"""Classifier benchmark: precision and recall per detector on the labelled corpus, and throughput on one core.

    .venv/bin/python bench/classify.py [--count 6000] [--seed 20261128] [--quick]

Quality: the seeded corpus of bench/corpus.py (synthetic records, labels from how each was built) is scanned and
scored per detector; detectors with a check character must reach precision 0.99 and recall 0.98, the others 0.95
and 0.90 (the targets of the classifier's issue). Throughput: JSON bodies of about 1 KB, 32 KB and 1 MB cut from the
same corpus, scanned after parsing, beside ``json.loads`` on the same bytes and a naive scanner (ten regular
expressions over every string) measured in the same run, so the numbers compare on whatever machine runs them.
The exit status is 1 when a detector misses its target.
"""

from __future__ import annotations

import argparse
import gc
import json
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


def _bodies(records: list[corpus.Record]) -> list[tuple[str, bytes]]:
    """JSON arrays of consecutive corpus records, each about the size asked for."""
    out = []
    docs = [r.doc for r in records]
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


def throughput(records: list[corpus.Record], budget: float) -> None:
    """Print MB/s of the scanner, json.loads and the naive baseline for small, medium and large bodies."""
    print()
    print(
        f"{'body':<8}{'bytes':>10}{'json.loads':>12}{'scan':>9}{'loads+scan':>12}{'naive 10 re':>13}{'us/KB scan':>12}"
    )
    per_kb: list[float] = []
    for name, body in _bodies(records):
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
    throughput(records, 1.0 if args.quick else 4.0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
