"""What the web layer and the checkpoint publisher need of an audit log, whichever database holds it.

:class:`gateway.ports.AuditLog` is the data path's view (append). An :class:`AuditStore` adds what serving the
trail needs: the committed size, signed checkpoints, and :class:`AuditReading`, a synchronous reader that the web
layer runs in a worker thread (records by filter, proofs, exports, sealed evidence).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["AuditReading", "AuditStore", "RecordFilter"]


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """What a records query keeps; ``None`` keeps everything. Times are RFC 3339 UTC as records write them."""

    since: str | None = None  # time >= since
    until: str | None = None  # time < until
    exporter: str | None = None
    recipient: str | None = None
    category: str | None = None
    effect: str | None = None
    kind: str | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)


class AuditReading(Protocol):
    """A read-only view of the log, used from one worker thread and then closed."""

    def record(self, index: int) -> bytes | None: ...

    def records(self, where: RecordFilter, *, after: int, limit: int, below: int) -> list[tuple[int, bytes]]:
        """Up to ``limit`` records with ``after < index < below`` that pass ``where``, in index order."""
        ...

    def export_rows(self, first: int, end: int) -> Iterator[tuple[int, bytes, list[bytes]]]:
        """``(index, leaf, the subtree hashes it completes from level 0 up)`` for records ``first <= index < end``."""
        ...

    def node(self, level: int, index: int) -> bytes:
        """A stored subtree hash."""
        ...

    def evidence(self, index: int) -> dict[str, bytes]:
        """The record's sealed evidence by regulator key name (empty when none was sealed)."""
        ...

    def latest_checkpoint(self) -> tuple[int, str] | None: ...

    def checkpoint(self, size: int) -> str | None: ...

    def root(self, size: int) -> bytes: ...

    def inclusion_proof(self, index: int, size: int) -> list[bytes]: ...

    def consistency_proof(self, first: int, second: int) -> list[bytes]: ...

    def close(self) -> None: ...


class AuditStore(Protocol):
    """An audit log as the gateway serves it: appended to by the data path, read by regulators."""

    @property
    def size(self) -> int:
        """Records committed (sequenced, where nodes share the log) as far as this node knows."""
        ...

    @property
    def sequencing(self) -> bool:
        """Whether this node builds the tree and signs checkpoints (always, for a log of one node)."""
        ...

    async def open(self) -> None: ...

    async def ready(self) -> None:
        """Return if the log is reachable and being sequenced; raise :class:`gateway.errors.AuditUnavailable`
        saying why not."""
        ...

    async def close(self) -> None:
        """Commit what is queued, then close."""
        ...

    async def append(self, leaf: bytes, *, sealed: Mapping[str, bytes] | None = None) -> int: ...

    def enqueue(self, leaf: bytes) -> None: ...

    async def flush(self) -> None:
        """Return once every record submitted so far is committed (and sequenced) or lost to a failure."""
        ...

    async def tip(self) -> tuple[int, bytes]:
        """The committed size and its root."""
        ...

    async def save_checkpoint(self, size: int, time: str, note: str) -> None: ...

    def reader(self) -> AuditReading:
        """A new reader; call from the worker thread that will use it."""
        ...
