"""The interfaces the data path needs from the outside world. Implementations live in ``stores/`` and ``web/``."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.model import Consent

__all__ = [
    "AuditLog",
    "BodySource",
    "Clock",
    "ConsentStore",
    "CounterStore",
    "TransferEvent",
    "Upstream",
    "UpstreamRequest",
    "UpstreamResponse",
    "YearCount",
]


class AuditLog(Protocol):
    """Append-only store of audit records (canonical JSON leaves)."""

    async def append(self, leaf: bytes, *, sealed: Mapping[str, bytes] | None = None) -> int:
        """Make ``leaf`` durable, with the evidence ``sealed`` for it (regulator key name -> blob) in the same
        commit, and return its index; raise :class:`gateway.errors.AuditUnavailable` if not."""
        ...

    def enqueue(self, leaf: bytes) -> None:
        """Append ``leaf`` with the next commit, without waiting."""
        ...


class ConsentStore(Protocol):
    """The consent registry, as the data path reads it."""

    async def lookup(self, exporter: str, subject_hashes: Collection[str]) -> Mapping[str, tuple[Consent, ...]]:
        """Every consent record ``exporter`` holds for each of ``subject_hashes`` (keyed hashes, as records name
        individuals), withdrawn and expired ones included: the decision says why each does or does not cover."""
        ...


class YearCount(Protocol):
    """One exporter's year, held for one transfer's decision (see :meth:`CounterStore.counting`)."""

    def year_to_date(self, subjects: Mapping[str, bool]) -> tuple[int, int]:
        """(personal, sensitive) individuals this year, these ``subjects`` included, each person once."""
        ...

    def reserve(self, subjects: Mapping[str, bool]) -> None:
        """Count ``subjects`` (a subset of those the hold was taken for) as sent."""
        ...


class CounterStore(Protocol):
    """Distinct individuals each exporter has sent abroad per calendar year (China Standard Time), exact.

    ``subjects`` maps an individual's keyed hash to whether the transfer holds sensitive personal information of
    theirs. A decision counts inside :meth:`counting`: what it yields sees every reservation made before it, by this
    node or any other sharing the store, and no other decision on the same exporter-year reserves meanwhile, so two
    transfers can never both pass a threshold that only one of them may cross.
    """

    def counting(
        self, exporter: str, year: int, subjects: Mapping[str, bool]
    ) -> AbstractAsyncContextManager[YearCount]:
        """Hold ``exporter``'s ``year`` for one decision about ``subjects``; the reservations made on what it yields
        are kept when the block ends without an exception (durable once :meth:`flush` returns), and dropped
        otherwise. :class:`gateway.errors.CountersUnavailable` if the store cannot be reached."""
        ...

    def record_transfer(self, event: TransferEvent) -> None:
        """Tally one decided transfer for ``/v1/stats``."""
        ...

    async def flush(self) -> None:
        """Return once everything reserved so far is durable; raise if it cannot be."""
        ...


@dataclass(frozen=True, slots=True)
class TransferEvent:
    """One decided transfer, as the statistics count it."""

    exporter: str
    year: int
    recipient: str
    allowed: bool
    categories: tuple[str, ...]
    mechanism: str | None  # the mechanism id relied on, if any


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for latencies."""
        ...


class BodySource(Protocol):
    async def read(self, limit: int) -> bytes:
        """The request body; :class:`gateway.errors.RequestRejected` (``body-too-large``) past ``limit`` bytes."""
        ...


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Upstream(Protocol):
    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        """Forward to the recipient; :class:`gateway.errors.UpstreamFailed` on refusal, reset or timeout."""
        ...
