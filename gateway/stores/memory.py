"""In-memory stores: an empty consent registry and exact counters that live as long as the process.

They serve tests and tools that decide without a database (``gateway policy explain``), and are the defaults of a
:class:`gateway.pipeline.Gateway` built without stores. The gateway itself runs on the SQLite stores.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager

from gateway.model import Consent
from gateway.ports import TransferEvent

__all__ = ["MemoryCounters", "NoConsents"]


class NoConsents:
    """A consent registry that holds nothing."""

    async def lookup(self, exporter: str, subject_hashes: Collection[str]) -> Mapping[str, tuple[Consent, ...]]:
        return {}


class MemoryCounters:
    """:class:`gateway.ports.CounterStore` in memory: each exporter's individuals per year, each person once."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int], dict[str, bool]] = {}
        self.events: list[TransferEvent] = []

    @asynccontextmanager
    async def counting(self, exporter: str, year: int, subjects: Mapping[str, bool]) -> AsyncIterator[_MemoryYear]:
        """Nothing awaits between the decision's count and its reservation, so the event loop is the hold; the
        reservations are applied when the block ends without an exception."""
        held = _MemoryYear(self._seen.setdefault((exporter, year), {}))
        yield held
        for h, sensitive in held.reserved.items():
            held.seen[h] = held.seen.get(h, False) or sensitive

    def record_transfer(self, event: TransferEvent) -> None:
        self.events.append(event)

    async def flush(self) -> None:
        """Nothing to write: memory is all there is."""


class _MemoryYear:
    def __init__(self, seen: dict[str, bool]) -> None:
        self.seen = seen
        self.reserved: dict[str, bool] = {}

    def year_to_date(self, subjects: Mapping[str, bool]) -> tuple[int, int]:
        """Everyone counted, this hold's reservations and ``subjects`` included, each person once."""
        seen = dict(self.seen)
        for h, flag in self.reserved.items():
            seen[h] = seen.get(h, False) or flag
        personal = len(seen) + sum(1 for h in subjects if h not in seen)
        sensitive = sum(seen.values()) + sum(1 for h, s in subjects.items() if s and not seen.get(h, False))
        return personal, sensitive

    def reserve(self, subjects: Mapping[str, bool]) -> None:
        for h, sensitive in subjects.items():
            self.reserved[h] = self.reserved.get(h, False) or sensitive
