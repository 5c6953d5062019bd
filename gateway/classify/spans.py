"""Overlap tests over many spans in O(log n) each, so that a string holding thousands of matches stays linear.

A naive "does this span overlap any of those" is quadratic, and a hostile body can hold a hundred thousand terms.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from itertools import accumulate

__all__ = ["overlap_test"]


def overlap_test(intervals: Iterable[tuple[int, int]]) -> Callable[[int, int], bool]:
    """A function telling whether ``[lo, hi)`` overlaps one of ``intervals`` (some start < hi and end > lo)."""
    ordered = sorted(intervals)
    starts = [a for a, _ in ordered]
    furthest = list(accumulate((b for _, b in ordered), max))  # furthest end among the first i intervals

    def overlaps(lo: int, hi: int) -> bool:
        i = bisect_left(starts, hi)
        return i > 0 and furthest[i - 1] > lo

    return overlaps
