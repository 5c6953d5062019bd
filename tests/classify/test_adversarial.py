"""Hostile bodies finish in linear time and bounded memory.

Each input is about a megabyte (or a quarter, where a megabyte would only repeat the point) of the kind that makes
backtracking regular expressions or quadratic loops blow up: a megabyte of digits, near-matches repeated without
end, very long strings with no separator, every Unicode whitespace character. The bound per input is generous (a
quadratic scan of a megabyte would take minutes); memory is measured with tracemalloc against the input's size.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable

import pytest

from gateway.classify import scan, scan_text
from gateway.model import Json

MB = 1_000_000
SECONDS = 20.0  # per input: a linear scan takes well under a few seconds even on a loaded CI machine
MEMORY_FACTOR = 12  # peak traced allocation per byte of input

WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


INPUTS: dict[str, Callable[[], Json]] = {
    "a megabyte of digits": lambda: {"value": "1" * MB},
    "digits under an id key": lambda: {"sfzh": "3" * MB},
    "digits separated by single spaces": lambda: {"note": _repeat("1 ", MB)},
    "digits and dashes": lambda: {"note": _repeat("12-", MB)},
    "near-miss mobiles": lambda: {"note": _repeat("1391234567 ", MB)},
    "near-miss resident ids": lambda: {"note": _repeat("11010519491231002", MB)},
    "near-miss NRICs": lambda: {"remark": _repeat("S1234567 ", MB)},
    "near-miss e-mail": lambda: {"remark": _repeat("a@b.", MB)},
    "dots and digits": lambda: {"remark": _repeat("1.2.3.", MB)},
    "colons and hex": lambda: {"remark": _repeat("2001:db8:", MB)},
    "coordinates without end": lambda: {"remark": _repeat("31.2989,", MB)},
    "PEM headers without keys": lambda: {"remark": _repeat("-----BEGIN PRIVATE KEY-----", MB)},
    "cues without values": lambda: {"remark": _repeat("诊断：密码 姓名：出生日期：地址：", MB // 4)},
    "plate prefixes": lambda: {"remark": _repeat("苏E1234", MB // 4)},
    "one long word": lambda: {"remark": "a" * MB},
    "one long capital word": lambda: {"remark": "A" * MB},
    "one long Han string": lambda: {"remark": "张" * (MB // 4)},
    "every Unicode whitespace": lambda: {"remark": _repeat(WHITESPACE + "13912345678", MB)},
    "whitespace only": lambda: {"remark": _repeat(WHITESPACE, MB)},
    "a million short values": lambda: {"values": ["13912345678", "x", "S1234567D", ""] * (MB // 40)},
    "very deep nesting": lambda: _deep(100_000),
    "many keys announcing weak detectors": lambda: {f"name{i}": "张伟" for i in range(MB // 20)},
}


def _deep(depth: int) -> Json:
    doc: Json = "13912345678"
    for _ in range(depth):
        doc = {"a": [doc]}
    return doc


@pytest.mark.parametrize("name", list(INPUTS))
def test_hostile_input_finishes_in_linear_time_and_bounded_memory(name: str) -> None:
    doc = INPUTS[name]()
    size = len(repr(doc)) if name != "very deep nesting" else 100_000 * 12
    tracemalloc.start()
    started = time.perf_counter()
    try:
        found = scan(doc)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < SECONDS, f"{name}: {elapsed:.1f} s"
    assert peak < MEMORY_FACTOR * size + 50 * MB, f"{name}: {peak / MB:.0f} MB traced for {size / MB:.1f} MB"
    assert isinstance(found.findings, tuple)


def test_time_grows_linearly_with_size() -> None:
    """Four times the near-misses take about four times as long, not sixteen (the bound leaves room for noise)."""

    def timed(size: int) -> float:
        doc: Json = {"note": _repeat("1391234567 S1234567 a@b. 1.2.3. ", size)}
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            scan(doc)
            best = min(best, time.perf_counter() - started)
        return best

    small, large = timed(MB // 8), timed(MB // 2)
    assert large / small < 10, f"{small:.3f} s for 125 kB, {large:.3f} s for 500 kB"


def test_scan_text_on_hostile_strings() -> None:
    """Log scrubbing uses scan_text on strings it did not choose: the same bounds hold."""
    for text in ("9" * MB, _repeat("+86 139 ", MB), _repeat(WHITESPACE, MB // 4)):
        started = time.perf_counter()
        scan_text(text)
        assert time.perf_counter() - started < SECONDS
