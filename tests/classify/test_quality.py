"""Precision and recall per detector on a slice of the labelled corpus, held to the targets of bench/classify.py.

The benchmark prints the full table on 6,000 records; this test keeps the first 1,500 (the corpus is a prefix of
itself, see bench/corpus.py) so that a change that costs a detector its precision or recall fails CI, not only a
benchmark someone has to remember to run.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402
from classify import CHECKSUM_DETECTORS, TARGETS  # noqa: E402

from gateway.classify import DETECTOR_CATEGORIES, scan  # noqa: E402

RECORDS = 1_500


@cache
def _scores() -> dict[str, corpus.Counts]:
    records = corpus.generate(RECORDS)
    predictions = [[(f.pointer, f.detector, f.start, f.end) for f in scan(r.doc).findings] for r in records]
    return corpus.score(records, predictions)


@pytest.mark.parametrize("detector", sorted(DETECTOR_CATEGORIES))
def test_detector_meets_its_targets_on_the_corpus(detector: str) -> None:
    counts = _scores()[detector]
    want_precision, want_recall = TARGETS[detector in CHECKSUM_DETECTORS]
    assert counts.tp + counts.fn >= 40, f"too few {detector} labels in the first {RECORDS} records to judge"
    assert counts.precision >= want_precision, f"{detector}: {counts}"
    assert counts.recall >= want_recall, f"{detector}: {counts}"
