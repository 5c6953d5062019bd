"""The checkpoint publisher: what it signs, that it commits queued records first, and that a fault never stops it."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from gateway.audit.checkpoint import open_checkpoint
from gateway.audit.merkle import EMPTY_ROOT
from gateway.audit.note import NoteSigner
from gateway.audit.publisher import CheckpointPublisher
from gateway.errors import AuditUnavailable

ORIGIN = "sip-sg-gateway.example/audit"


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return 0.0


class FakeLog:
    """A log of ``size`` records whose queued ones become committed on flush; faults are scripted."""

    def __init__(self, faults: list[BaseException] | None = None) -> None:
        self.size, self.queued = 0, 0
        self.saved: list[tuple[int, str, str]] = []
        self.faults = faults or []
        self.saved_once = asyncio.Event()
        self.sequencing = True  # a node that does not sequence the log publishes only on demand

    async def flush(self) -> None:
        self.size += self.queued
        self.queued = 0

    async def tip(self) -> tuple[int, bytes]:
        if self.faults:
            raise self.faults.pop(0)
        return self.size, EMPTY_ROOT if self.size == 0 else bytes([self.size % 256]) * 32

    async def save_checkpoint(self, size: int, time: str, note: str) -> None:
        self.saved.append((size, time, note))
        self.saved_once.set()


async def test_a_checkpoint_covers_queued_records_and_is_signed_once_per_size() -> None:
    signer = NoteSigner.generate(ORIGIN)
    log = FakeLog()
    publisher = CheckpointPublisher(log, signer, Clock(), interval=10)
    log.queued = 3
    first = await publisher.publish()
    checkpoint = open_checkpoint(first.note, [signer.verifier], ORIGIN)
    assert (first.size, checkpoint.size, checkpoint.root) == (3, 3, bytes([3]) * 32)
    assert await publisher.publish() == first  # nothing new: the same checkpoint, not saved again
    assert [(size, time) for size, time, _ in log.saved] == [(3, "2026-11-28T09:00:00.000Z")]
    assert publisher.verifier_key == signer.verifier.vkey


async def test_the_interval_loop_outlives_faults() -> None:
    """An unavailable log and an unexpected fault are logged; the next round publishes."""
    log = FakeLog(faults=[AuditUnavailable("disk full"), RuntimeError("bug")])
    publisher = CheckpointPublisher(log, NoteSigner.generate(ORIGIN), Clock(), interval=0)
    running = asyncio.get_running_loop().create_task(publisher.run())
    try:
        await asyncio.wait_for(log.saved_once.wait(), timeout=5)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert log.faults == []
    assert publisher.latest is not None
    assert publisher.latest.size == 0


async def test_only_the_sequencing_node_publishes_on_the_interval() -> None:
    """A node that does not build the tree leaves the interval's checkpoints to the one that does, until it takes
    over; asked directly, it still answers."""
    log = FakeLog()
    log.sequencing = False
    publisher = CheckpointPublisher(log, NoteSigner.generate(ORIGIN), Clock(), interval=0)
    running = asyncio.get_running_loop().create_task(publisher.run())
    try:
        for _ in range(20):
            await asyncio.sleep(0)
        assert log.saved == []
        log.sequencing = True  # the sequencing node died and this one took over
        await asyncio.wait_for(log.saved_once.wait(), timeout=5)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert [size for size, _, _ in log.saved] == [0]
