"""Signed checkpoints of the audit log: published on an interval while records arrive, and on demand.

The publisher asks the log for its committed size and root, signs the C2SP checkpoint with the gateway's key and
has the log keep it, so that the history of checkpoints can be served and a witness can hold the gateway to each.
Ed25519 signatures are deterministic: signing the same size twice gives the same note.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

import structlog

from gateway.audit.checkpoint import Checkpoint
from gateway.audit.note import NoteSigner
from gateway.audit.record import timestamp
from gateway.errors import AuditUnavailable
from gateway.ports import Clock

__all__ = ["CheckpointLog", "CheckpointPublisher", "Published"]

_log = structlog.get_logger("gateway.audit")


class CheckpointLog(Protocol):
    @property
    def sequencing(self) -> bool:
        """Whether this node builds the tree (only that node signs checkpoints on the interval)."""
        ...

    async def flush(self) -> None:
        """Commit every record accepted so far."""
        ...

    async def tip(self) -> tuple[int, bytes]:
        """The committed size and its root."""
        ...

    async def save_checkpoint(self, size: int, time: str, note: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Published:
    """A signed checkpoint: the tree size it commits to and its signed note."""

    size: int
    note: str


class CheckpointPublisher:
    """Signs and keeps checkpoints of one log under one origin (the signing key's name)."""

    def __init__(self, log: CheckpointLog, signer: NoteSigner, clock: Clock, interval: float) -> None:
        self._log, self._signer, self._clock, self.interval = log, signer, clock, interval
        self._lock = asyncio.Lock()
        self.latest: Published | None = None

    @property
    def origin(self) -> str:
        return self._signer.name

    @property
    def verifier_key(self) -> str:
        """The key regulators verify checkpoints with, in the signed-note text form."""
        return self._signer.verifier.vkey

    def sign(self, size: int, root: bytes) -> str:
        """The signed note of the tree of ``size`` records with ``root`` (for exports cut at a given size)."""
        return Checkpoint(self.origin, size, root).sign([self._signer])

    async def publish(self) -> Published:
        """A checkpoint covering every record accepted so far (queued outcomes are committed first); the latest one
        if the log has not grown since."""
        async with self._lock:
            await self._log.flush()
            size, root = await self._log.tip()
            if self.latest is not None and self.latest.size == size:
                return self.latest
            note = self.sign(size, root)
            await self._log.save_checkpoint(size, timestamp(self._clock.now()), note)
            self.latest = Published(size, note)
            _log.info("audit_checkpoint", size=size)
            return self.latest

    async def run(self) -> None:
        """Publish every ``interval`` seconds while this node sequences the log, until cancelled; a failure is
        logged and retried next time."""
        while True:
            try:
                if self._log.sequencing:
                    await self.publish()
            except AuditUnavailable as e:
                _log.error("audit_checkpoint_failed", problem=e.kind)
            except Exception as e:  # noqa: BLE001 - a fault must not end checkpoints for the life of the process
                _log.exception("audit_checkpoint_fault", error=e.__class__.__name__)
            await asyncio.sleep(self.interval)
