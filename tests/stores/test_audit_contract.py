"""What every audit store does, whichever database holds it: SQLite (one node, a file) and PostgreSQL (shared by
nodes). Each test runs on both; the PostgreSQL runs are skipped, with the reason, where no server answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from gateway.audit.checkpoint import Checkpoint
from gateway.audit.merkle import completed_nodes, leaf_hash, root, verify_consistency, verify_inclusion
from gateway.audit.note import NoteSigner
from gateway.metrics import CommitObservable
from gateway.stores.audit_store import AuditReading, AuditStore, RecordFilter
from gateway.stores.pg_audit import PgAuditLog, verify_database
from gateway.stores.sqlite_audit import FileVerified, SqliteAuditLog, verify_file

_T = TypeVar("_T")
SIGNER = NoteSigner.generate("audit.example/contract")


@dataclass(frozen=True)
class Backend:
    """A way to make (unopened) stores on one backing database, and to verify that database from its records up."""

    name: str
    make: Callable[[], AuditStore]
    verify: Callable[[], FileVerified]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        path = tmp_path / "audit.sqlite3"
        return Backend("sqlite", lambda: SqliteAuditLog(path), lambda: verify_file(path, SIGNER.verifier))
    dsn: str = request.getfixturevalue("pg_dsn")
    return Backend("postgresql", lambda: PgAuditLog(dsn, node="n1"), lambda: verify_database(dsn, SIGNER.verifier))


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[AuditStore]:
    opened = backend.make()
    await opened.open()
    yield opened
    await opened.close()


async def _read(store: AuditStore, work: Callable[[AuditReading], _T]) -> _T:
    """As the web layer reads: a fresh reader in a worker thread, closed after use."""

    def run() -> _T:
        reader = store.reader()
        try:
            return work(reader)
        finally:
            reader.close()

    return await asyncio.to_thread(run)


def _leaf(n: int) -> bytes:
    return json.dumps({"n": n}, separators=(",", ":")).encode()


async def test_appends_get_dense_indexes_in_order(store: AuditStore) -> None:
    assert [await store.append(_leaf(i)) for i in range(10)] == list(range(10))
    assert store.size == 10
    assert store.sequencing


async def test_concurrent_appends_are_durable_with_distinct_indexes(store: AuditStore, backend: Backend) -> None:
    """200 appends at once: each gets its own index, holding its own leaf and evidence, and the log verifies."""
    leaves = [_leaf(i) for i in range(200)]
    indexes = await asyncio.gather(
        *(
            store.append(leaf, sealed={"regulator": b"sealed-%d" % i} if i % 3 == 0 else None)
            for i, leaf in enumerate(leaves)
        )
    )
    assert sorted(indexes) == list(range(200))
    stored = await _read(store, lambda r: {i: (r.record(i), r.evidence(i)) for i in range(200)})
    for i, index in enumerate(indexes):
        assert stored[index] == (leaves[i], {"regulator": b"sealed-%d" % i} if i % 3 == 0 else {})
    assert await _read(store, lambda r: r.record(200)) is None
    await store.close()
    assert backend.verify().records == 200


async def test_tip_and_roots_are_rfc9162_over_the_leaves(store: AuditStore) -> None:
    """The tip's root, and the reader's root of every prefix, are the Merkle tree hash computed from the leaves."""
    leaves = [_leaf(i) for i in range(37)]
    await asyncio.gather(*(store.append(leaf) for leaf in leaves[:20]))
    for leaf in leaves[20:]:
        await store.append(leaf)
    in_order = await _read(store, lambda r: [r.record(i) for i in range(37)])
    hashes = [leaf_hash(leaf) for leaf in in_order if leaf is not None]
    assert sorted(in_order, key=lambda b: json.loads(b or b"{}")["n"]) == leaves
    assert await store.tip() == (37, root(hashes))
    roots = await _read(store, lambda r: [r.root(size) for size in range(38)])
    assert roots == [root(hashes[:size]) for size in range(38)]


async def test_empty_log_has_the_empty_root(store: AuditStore) -> None:
    assert await store.tip() == (0, root([]))
    assert store.size == 0


async def test_inclusion_and_consistency_proofs_verify(store: AuditStore) -> None:
    leaves = [_leaf(i) for i in range(23)]
    for leaf in leaves:
        await store.append(leaf)
    hashes = [leaf_hash(leaf) for leaf in leaves]

    def check(reader: AuditReading) -> None:
        for size in range(1, 24):
            top = reader.root(size)
            for index in range(size):
                verify_inclusion(index, size, hashes[index], reader.inclusion_proof(index, size), top)
            for first in range(1, size + 1):
                verify_consistency(first, size, reader.root(first), top, reader.consistency_proof(first, size))

    await _read(store, check)


async def test_export_rows_and_nodes_are_the_subtrees_each_record_completes(store: AuditStore) -> None:
    leaves = [_leaf(i) for i in range(70)]
    for leaf in leaves[:-1]:
        store.enqueue(leaf)
    await store.append(leaves[-1])
    nodes: dict[tuple[int, int], bytes] = {}
    expected: dict[int, list[bytes]] = {}
    for i, leaf in enumerate(leaves):
        done = completed_nodes(i, leaf_hash(leaf), lambda level, idx: nodes[(level, idx)])
        nodes.update({(level, idx): value for level, idx, value in done})
        expected[i] = [value for _, _, value in done]
    for first in (0, 1, 31, 64):
        rows = await _read(store, lambda r, first=first: list(r.export_rows(first, 70)))  # type: ignore[misc]
        assert [(i, leaf) for i, leaf, _ in rows] == [(i, leaves[i]) for i in range(first, 70)]
        assert all(got == expected[i] for i, _, got in rows)
    assert await _read(store, lambda r: r.node(5, 1)) == nodes[(5, 1)]


def _record(n: int) -> dict[str, object]:
    return {
        "n": n,
        "kind": ("decision", "outcome", "rejection")[n % 3],
        "time": f"2026-11-{1 + n % 28:02d}T09:30:00.{n:03d}Z",
        "exporter": ("acme", "globex")[n % 2],
        "recipient": f"r{n % 4}",
        "effect": ("allow", "deny")[n % 5 == 0],
        "categories": {"PI.CONTACT": 1} if n % 4 == 0 else {"SPI.HEALTH": 2, "PI.BASIC": 1},
    }


@pytest.mark.parametrize(
    "where",
    [
        RecordFilter(),
        RecordFilter(exporter="acme"),
        RecordFilter(kind="outcome"),
        RecordFilter(category="SPI.HEALTH"),
        RecordFilter(category="PI.CONTACT", exporter="acme"),
        RecordFilter(effect="deny", recipient="r0"),
        RecordFilter(since="2026-11-10T00:00:00Z", until="2026-11-20T00:00:00Z"),
        RecordFilter(category="NONE.SUCH"),
    ],
    ids=lambda w: ",".join(f"{k}={getattr(w, k)}" for k in w.__slots__ if getattr(w, k) is not None) or "all",
)
async def test_records_are_filtered_and_paged(store: AuditStore, where: RecordFilter) -> None:
    records = [_record(n) for n in range(60)]
    for record in records:
        await store.append(json.dumps(record).encode())
    await store.append(b"not json")  # indexed by nothing, found only unfiltered

    def keeps(record: dict[str, object]) -> bool:
        fields = ("exporter", "recipient", "effect", "kind")
        return (
            all(getattr(where, f) in (None, record[f]) for f in fields)
            and (where.since is None or str(record["time"]) >= where.since)
            and (where.until is None or str(record["time"]) < where.until)
            and (where.category is None or where.category in record["categories"])  # type: ignore[operator]
        )

    wanted = [i for i, record in enumerate(records) if keeps(record)] + ([60] if where.empty else [])
    got = await _read(store, lambda r: [i for i, _ in r.records(where, after=-1, limit=1000, below=61)])
    assert got == wanted
    pages: list[int] = []
    after = -1
    while True:
        page = await _read(store, lambda r, after=after: r.records(where, after=after, limit=7, below=50))  # type: ignore[misc]
        pages += [i for i, _ in page]
        if len(page) < 7:
            break
        after = page[-1][0]
    assert pages == [i for i in wanted if i < 50]


async def test_checkpoints_are_kept_and_read_back(store: AuditStore, backend: Backend) -> None:
    for i in range(5):
        await store.append(_leaf(i))
    assert await _read(store, lambda r: r.latest_checkpoint()) is None
    notes = {}
    for size in (3, 5):
        top = await _read(store, lambda r, size=size: r.root(size))  # type: ignore[misc]
        notes[size] = Checkpoint(SIGNER.name, size, top).sign([SIGNER])
        await store.save_checkpoint(size, "2026-11-28T00:00:00.000Z", notes[size])
    await store.save_checkpoint(5, "2026-11-29T00:00:00.000Z", "a second note for a size is not kept")
    assert await _read(store, lambda r: r.latest_checkpoint()) == (5, notes[5])
    assert await _read(store, lambda r: (r.checkpoint(3), r.checkpoint(4))) == (notes[3], None)
    await store.close()
    assert backend.verify() == FileVerified(5, root([leaf_hash(_leaf(i)) for i in range(5)]), 2)


async def test_reopening_keeps_the_size_and_continues_the_chain(backend: Backend) -> None:
    first = backend.make()
    await first.open()
    for i in range(3):
        await first.append(_leaf(i))
    await first.close()
    second = backend.make()
    await second.open()
    try:
        assert second.size == 3
        assert await second.append(_leaf(3)) == 3
        assert await second.tip() == (4, root([leaf_hash(_leaf(i)) for i in range(4)]))
    finally:
        await second.close()
    assert backend.verify().records == 4


async def test_enqueued_records_are_flushed(store: AuditStore) -> None:
    for i in range(5):
        store.enqueue(_leaf(i))
    await asyncio.wait_for(store.flush(), timeout=10)
    assert (await store.tip())[0] == 5
    assert store.size == 5
    assert await _read(
        store, lambda r: [leaf for _, leaf in r.records(RecordFilter(), after=-1, limit=10, below=5)]
    ) == [_leaf(i) for i in range(5)]
    await store.flush()  # nothing pending: returns at once


async def test_enqueued_records_are_committed_on_close(backend: Backend) -> None:
    store = backend.make()
    await store.open()
    for i in range(4):
        store.enqueue(_leaf(i))
    await store.close()
    assert backend.verify().records == 4


async def test_every_commit_is_reported_to_the_observer(store: AuditStore) -> None:
    """The metrics' observer hears each commit once, with its group size: the sizes add up to the records."""
    assert isinstance(store, CommitObservable)
    heard: list[tuple[int, float]] = []
    store.on_commit = lambda size, seconds: heard.append((size, seconds))
    await asyncio.gather(*(store.append(_leaf(n)) for n in range(40)))
    store.enqueue(_leaf(40))
    await store.flush()
    assert sum(size for size, _ in heard) == 41
    assert all(size >= 1 and seconds >= 0 for size, seconds in heard)
    assert len(heard) < 41  # concurrent appends shared commits
