"""The interfaces the data path needs from the outside world. Implementations live in ``stores/`` and ``web/``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = ["AuditLog", "BodySource", "Clock", "Upstream", "UpstreamRequest", "UpstreamResponse"]


class AuditLog(Protocol):
    """Append-only store of audit records (canonical JSON leaves)."""

    async def append(self, leaf: bytes, *, sealed: Mapping[str, bytes] | None = None) -> int:
        """Make ``leaf`` durable, with the evidence ``sealed`` for it (regulator key name -> blob) in the same
        commit, and return its index; raise :class:`gateway.errors.AuditUnavailable` if not."""
        ...

    def enqueue(self, leaf: bytes) -> None:
        """Append ``leaf`` with the next commit, without waiting."""
        ...


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
