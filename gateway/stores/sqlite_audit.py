"""The audit log in SQLite (the embedded default): append-only, hash-chained, with group commit.

Beside each record the same commit stores the complete Merkle subtrees (RFC 9162) that the record finishes, so the
tree's root and any inclusion or consistency proof cost O(log n) reads (:class:`TreeReader`). A file written before
the subtrees were stored gets them computed from its records when it is opened.

One writer thread owns the write connection. Appends queue up while a commit is in progress and go together in
the next one, so concurrent requests share a disk flush; an append to an idle log is committed at once, with no
timer. ``append`` returns when the record is durable (WAL with ``synchronous=FULL``: the commit is fsynced).
``enqueue`` returns at once; its record rides the next commit, which an ``append`` starts at once or, when none
comes, a short linger timer starts, so that a lone client's next decision does not queue behind a commit made
only for the previous transfer's outcome.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import time
from collections.abc import Generator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from gateway.audit.chain import GENESIS, chain_next, chain_step, leaf_hash, verify_chain
from gateway.audit.checkpoint import Checkpoint
from gateway.audit.merkle import EMPTY_ROOT, completed_nodes, consistency_proof, inclusion_proof, range_hash
from gateway.audit.note import NoteInvalid, NoteVerifier, open_note
from gateway.errors import AuditCorrupt, AuditUnavailable, ConfigError
from gateway.metrics import AuditCommitObserver
from gateway.stores.migrations import connect

if TYPE_CHECKING:
    from gateway.stores.sqlite_audit_read import AuditReader

__all__ = ["FileVerified", "SqliteAuditLog", "TreeReader", "read_records", "verify_file"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    idx   INTEGER PRIMARY KEY,
    leaf  BLOB NOT NULL,
    chain BLOB NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS record_index (
    idx       INTEGER PRIMARY KEY,
    time      TEXT,
    kind      TEXT,
    exporter  TEXT,
    recipient TEXT,
    effect    TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS record_index_exporter ON record_index (exporter, idx);
CREATE INDEX IF NOT EXISTS record_index_recipient ON record_index (recipient, idx);
CREATE INDEX IF NOT EXISTS record_index_time ON record_index (time);
CREATE TABLE IF NOT EXISTS evidence (
    idx       INTEGER NOT NULL,
    sealed_for TEXT NOT NULL,
    sealed    BLOB NOT NULL,
    PRIMARY KEY (idx, sealed_for)
) STRICT;
CREATE TABLE IF NOT EXISTS checkpoints (
    size INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    note TEXT NOT NULL
) STRICT;
"""

# What the records API filters on, taken from the leaves by SQLite in the commit that adds them (or, for a file
# written before the table existed, when it is opened). A leaf that is not JSON gets no row and no filter finds it.
_INDEX_RECORDS = """
INSERT OR IGNORE INTO record_index (idx, time, kind, exporter, recipient, effect)
SELECT idx, json_extract(t, '$.time'), json_extract(t, '$.kind'), json_extract(t, '$.exporter'),
       json_extract(t, '$.recipient'), json_extract(t, '$.effect')
FROM (SELECT idx, CAST(leaf AS TEXT) AS t FROM records WHERE idx >= ? AND idx < ?)
WHERE json_valid(t) AND json_type(t) = 'object'
"""

Sealed = Mapping[str, bytes]  # regulator key name -> the original body sealed to that key
_Pending = tuple[bytes, Sealed, "asyncio.Future[int] | None"]
_NOTHING_SEALED: Sealed = {}
_LINGER_SECONDS = 0.01
_log = structlog.get_logger("gateway.audit")


def _lock_exclusively(path: Path) -> int:
    """Hold an exclusive lock on ``path`` for as long as the returned descriptor is open.

    The chain is extended from the writer's memory of its head, so two processes appending to one file would
    both fail; the second is refused at start-up instead. Several nodes share a log through PostgreSQL.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        raise ConfigError(f"another gateway process is using this audit log ({e.strerror})", file=str(path)) from e
    return fd


class SqliteAuditLog:
    """:class:`gateway.ports.AuditLog` on one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-writer")
        self._db: sqlite3.Connection | None = None
        self._size = 0
        self._head = GENESIS
        self._frontier: dict[int, bytes] = {}  # level -> the last complete subtree at that level (right edge)
        self._pending: list[_Pending] = []
        self._writing: asyncio.Future[int] | None = None
        self._urgent = False  # an awaited append is pending: commit as soon as the writer is free
        self._closing = False
        self._timer: asyncio.TimerHandle | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self.batches = 0  # commits made: appends / batches is the mean group size
        self._submitted = 0  # records handed to this log since it was opened
        self._settled = 0  # of those, records whose commit has finished (committed, or lost to a failure)
        self._flushes: list[tuple[int, asyncio.Future[None]]] = []
        self._lock: int | None = None
        self.on_commit: AuditCommitObserver | None = None  # told (records, seconds) after each durable commit

    async def open(self) -> None:
        """Open (creating if needed) and check that the last record continues the chain, so appends extend a sound
        tail; :class:`AuditCorrupt` if it does not (the full check is ``gateway audit verify``)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._open_sync)

    def _open_sync(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_exclusively(self.path.with_name(self.path.name + ".lock"))
        try:
            self._db = self._open_db()
        except BaseException:
            os.close(self._lock)
            self._lock = None
            raise

    def _open_db(self) -> sqlite3.Connection:
        db = connect(self.path)
        db.executescript(_SCHEMA)
        tail = db.execute("SELECT idx, leaf, chain FROM records ORDER BY idx DESC LIMIT 2").fetchall()
        if tail:
            (last, leaf, chain), previous = tail[0], tail[1:]
            before = bytes(previous[0][2]) if previous else GENESIS
            if (
                int(last) != len(previous) + (int(previous[0][0]) if previous else 0)
                or chain_next(before, leaf) != chain
            ):
                db.close()
                raise AuditCorrupt(
                    f"the last record ({last}) does not continue the chain; run 'gateway audit verify'", index=int(last)
                )
            self._size, self._head = int(last) + 1, bytes(chain)
        self._frontier = _load_frontier(db, self._size)
        _index_unindexed(db, self._size)
        return db

    @property
    def size(self) -> int:
        """Records committed so far."""
        return self._size

    @property
    def sequencing(self) -> bool:
        """A log of one node: this node always builds the tree and signs checkpoints."""
        return True

    def reader(self) -> AuditReader:
        """A read-only reader on a connection of its own."""
        from gateway.stores.sqlite_audit_read import AuditReader  # noqa: PLC0415 - it builds on TreeReader, below

        return AuditReader(self.path)

    async def append(self, leaf: bytes, *, sealed: Sealed | None = None) -> int:
        """Append a record (and its sealed evidence, in the same commit) and return its index once it is durable;
        :class:`AuditUnavailable` if it cannot be."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._submit(leaf, sealed or _NOTHING_SEALED, future)
        return await future

    def enqueue(self, leaf: bytes) -> None:
        """Append a record with the next commit, without waiting for it."""
        self._submit(leaf, _NOTHING_SEALED, None)

    def _submit(self, leaf: bytes, sealed: Sealed, future: asyncio.Future[int] | None) -> None:
        if self._db is None:
            raise AuditUnavailable("the audit log is not open")
        self._pending.append((leaf, sealed, future))
        self._submitted += 1
        self._idle.clear()
        self._urgent = self._urgent or future is not None
        self._schedule()

    def _schedule(self) -> None:
        """Start a commit now if someone waits for one, else within the linger time; nothing if one is running."""
        if self._writing is not None:
            return  # _finish schedules again
        if not self._pending:
            self._idle.set()
            return
        if self._urgent or self._closing:
            self._start_batch()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(_LINGER_SECONDS, self._start_batch)

    def _start_batch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writing is not None or not self._pending:
            return
        batch, self._pending, self._urgent = self._pending, [], False
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        self._writing = loop.run_in_executor(self._executor, self._write, [(leaf, sealed) for leaf, sealed, _ in batch])
        self._writing.add_done_callback(lambda done: self._finish(done, batch, started))

    def _write(self, entries: list[tuple[bytes, Sealed]]) -> int:
        """Runs on the writer thread: chain and commit one batch; returns the index of its first record."""
        db = self._db
        if db is None:
            raise AuditUnavailable("the audit log is closed")
        first, head, rows = self._size, self._head, []
        frontier = dict(self._frontier)
        nodes: list[tuple[int, int, bytes]] = []
        evidence: list[tuple[int, str, bytes]] = []
        for i, (leaf, sealed) in enumerate(entries):
            hashed = leaf_hash(leaf)
            head = chain_step(head, hashed)
            rows.append((first + i, leaf, head))
            nodes.extend(_append_to_frontier(frontier, first + i, hashed))
            evidence.extend((first + i, name, blob) for name, blob in sealed.items())
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO records (idx, leaf, chain) VALUES (?, ?, ?)", rows)
            db.executemany("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
            db.execute(_INDEX_RECORDS, (first, first + len(entries)))
            if evidence:
                db.executemany("INSERT INTO evidence (idx, sealed_for, sealed) VALUES (?, ?, ?)", evidence)
            db.execute("COMMIT")
        except sqlite3.Error as e:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise AuditUnavailable(f"audit commit failed: {e.__class__.__name__}") from e
        self._size, self._head, self._frontier = first + len(entries), head, frontier
        self.batches += 1
        return first

    def _finish(self, done: asyncio.Future[int], batch: list[_Pending], started: float) -> None:
        """Wake the batch's writers; the next commit starts once they have run, so that the records they append
        in reply ride it together rather than trickling into a commit of their own (which halves the group)."""
        error = done.exception()
        self._settled += len(batch)
        if error is not None:
            lost = sum(1 for _, _, future in batch if future is None)
            _log.error("audit_commit_failed", error=error.__class__.__name__, unawaited_records_lost=lost)
        for offset, (_, _, future) in enumerate(batch):
            if future is None or future.done():
                continue
            if error is None:
                future.set_result(done.result() + offset)
            else:
                future.set_exception(
                    error
                    if isinstance(error, AuditUnavailable)
                    else AuditUnavailable(f"audit commit failed: {error.__class__.__name__}")
                )
        waiting, self._flushes = self._flushes, []
        for target, flushed in waiting:
            if self._settled < target:
                self._flushes.append((target, flushed))
            elif not flushed.done():
                flushed.set_result(None)
        asyncio.get_running_loop().call_soon(self._release)
        if error is None and self.on_commit is not None:
            try:
                self.on_commit(len(batch), time.perf_counter() - started)
            except Exception as e:  # noqa: BLE001 - an observer's fault must not touch the log
                _log.error("audit_commit_observer_failed", error=e.__class__.__name__)

    def _release(self) -> None:
        self._writing = None
        self._schedule()

    async def flush(self) -> None:
        """Return once every record submitted so far (enqueued ones included) is committed or lost to a failure."""
        if self._settled >= self._submitted:
            return
        flushed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._flushes.append((self._submitted, flushed))
        self._urgent = True
        self._schedule()
        await flushed

    async def ready(self) -> None:
        """The file answers a query on the writer thread (behind any commit in progress)."""

        def probe() -> None:
            if self._db is None:
                raise AuditUnavailable("the audit log is not open")
            self._db.execute("SELECT 1")

        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, probe)
        except sqlite3.Error as e:
            raise AuditUnavailable(f"the audit log does not answer: {e.__class__.__name__}") from e

    async def tip(self) -> tuple[int, bytes]:
        """The size and root of the committed tree, read on the writer thread so no commit is half seen."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._tip)

    def _tip(self) -> tuple[int, bytes]:
        frontier, size = self._frontier, self._size
        return size, (range_hash(0, size, lambda level, _: frontier[level]) if size else EMPTY_ROOT)

    async def save_checkpoint(self, size: int, time: str, note: str) -> None:
        """Keep a signed checkpoint, so that the log's history of checkpoints can be served and audited."""

        def save() -> None:
            if self._db is None:
                raise AuditUnavailable("the audit log is closed")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO checkpoints (size, time, note) VALUES (?, ?, ?)", (size, time, note)
                )
            except sqlite3.Error as e:
                raise AuditUnavailable(f"saving a checkpoint failed: {e.__class__.__name__}") from e

        await asyncio.get_running_loop().run_in_executor(self._executor, save)

    async def close(self) -> None:
        """Commit what is queued, then close."""
        self._closing = True
        self._schedule()
        await self._idle.wait()
        if self._db is not None:
            db, self._db = self._db, None
            await asyncio.get_running_loop().run_in_executor(self._executor, db.close)
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None
        self._executor.shutdown(wait=True)


def read_records(path: Path) -> Generator[tuple[int, bytes, bytes], None, None]:
    """The ``(index, leaf, chain value)`` rows of an audit file, in index order."""
    if not path.exists():
        raise FileNotFoundError(path)
    # The generator may be finished by the garbage collector on another thread: allow that thread to close it.
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)) as db:
        for idx, leaf, chain in db.execute("SELECT idx, leaf, chain FROM records ORDER BY idx"):
            yield int(idx), bytes(leaf), bytes(chain)


@dataclass(frozen=True, slots=True)
class FileVerified:
    """What ``gateway audit verify --db`` checked: records, the root of their tree, and stored checkpoints."""

    records: int
    root: bytes
    checkpoints: int


def verify_file(path: Path, verifier: NoteVerifier | None = None) -> FileVerified:
    """Verify an audit file from its records up: the hash chain, the stored subtrees against a tree recomputed from
    the leaves, and every stored checkpoint against the recomputed root at its size (and, given ``verifier``, its
    signature). :class:`AuditCorrupt` names the first record or checkpoint that does not hold."""
    if not path.exists():
        raise FileNotFoundError(path)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # a file written before checkpoints were kept has none to check
        rows = db.execute("SELECT size, note FROM checkpoints").fetchall() if "checkpoints" in tables else []
    checkpoints: dict[int, str] = {int(size): str(note) for size, note in rows}
    frontier: dict[int, bytes] = {}
    seen = 0

    def check_checkpoint(size: int) -> None:
        note = checkpoints.get(size)
        if note is None:
            return
        expected = range_hash(0, size, lambda level, _: frontier[level])
        text = open_note(note, [verifier])[0] if verifier is not None else note[: note.find("\n\n") + 1]
        stated = Checkpoint.parse(text)
        if (stated.size, stated.root) != (size, expected):
            raise AuditCorrupt(f"the checkpoint of size {size} does not match the records' tree", index=size - 1)

    def leaves() -> Generator[tuple[int, bytes, bytes], None, None]:
        nonlocal seen
        with closing(read_records(path)) as rows:
            for index, leaf, chain in rows:
                yield index, leaf, chain
                _append_to_frontier(frontier, index, leaf_hash(leaf))
                seen = index + 1
                check_checkpoint(seen)

    try:
        count, _ = verify_chain(leaves())
        if 0 in checkpoints:
            check_checkpoint(0)
    except NoteInvalid as e:
        raise AuditCorrupt(f"a stored checkpoint does not verify: {e}") from e
    beyond = [size for size in checkpoints if size > count]
    if beyond:
        raise AuditCorrupt(f"a checkpoint of size {beyond[0]} is stored, but only {count} records", index=count)
    root = range_hash(0, count, lambda level, _: frontier[level])
    if count and "nodes" in tables:  # a file from before the subtrees were stored gets them when the gateway opens it
        with closing(TreeReader(path)) as tree:
            stored = tree.root(count)
        if stored != root:
            raise AuditCorrupt("the stored subtrees do not match the tree of the records; reopen the log to rebuild")
    return FileVerified(count, root, len(checkpoints))


def _append_to_frontier(frontier: dict[int, bytes], index: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """The subtrees leaf ``index`` completes; ``frontier`` (the right edge's last node per level) is updated."""
    done = completed_nodes(index, leaf, lambda level, _: frontier[level])
    for level, _, value in done:
        frontier[level] = value
    return done


def _load_frontier(db: sqlite3.Connection, size: int) -> dict[int, bytes]:
    """The right edge of the stored tree of ``size`` records, computing the subtrees of a file that predates them."""
    stored = db.execute("SELECT COUNT(*) FROM nodes WHERE level = 0").fetchone()[0]
    if stored != size:
        _backfill(db, size)
    frontier: dict[int, bytes] = {}
    for level in range(size.bit_length()):
        count = size >> level
        if count:
            row = db.execute("SELECT hash FROM nodes WHERE level = ? AND idx = ?", (level, count - 1)).fetchone()
            if row is None:
                raise AuditCorrupt(f"the subtree ({level}, {count - 1}) is missing", index=size - 1)
            frontier[level] = bytes(row[0])
    return frontier


def _index_unindexed(db: sqlite3.Connection, size: int) -> None:
    """Fill the records' filter table for records written before it existed (one transaction, once)."""
    indexed = db.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM record_index").fetchone()[0]
    if indexed < size:
        db.execute("BEGIN IMMEDIATE")
        db.execute(_INDEX_RECORDS, (int(indexed), size))
        db.execute("COMMIT")
        _log.info("audit_records_indexed", records=size - int(indexed))


def _backfill(db: sqlite3.Connection, size: int) -> None:
    """Compute every stored subtree from the records, in one transaction (a file written before they existed)."""
    frontier: dict[int, bytes] = {}
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("DELETE FROM nodes")
        for idx, leaf in db.execute("SELECT idx, leaf FROM records ORDER BY idx").fetchall():
            nodes = _append_to_frontier(frontier, int(idx), leaf_hash(bytes(leaf)))
            db.executemany("INSERT INTO nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    _log.info("audit_subtrees_backfilled", records=size)


class TreeReader:
    """Roots and proofs of an audit file's Merkle tree, read from its stored subtrees (read-only connection)."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise FileNotFoundError(path)
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def _node(self, level: int, index: int) -> bytes:
        row = self._db.execute("SELECT hash FROM nodes WHERE level = ? AND idx = ?", (level, index)).fetchone()
        if row is None:
            raise AuditCorrupt(f"the subtree ({level}, {index}) is not stored", index=index << level)
        return bytes(row[0])

    def _range(self, lo: int, hi: int) -> bytes:
        return range_hash(lo, hi, self._node)

    def root(self, size: int) -> bytes:
        """The root of the tree of the first ``size`` records."""
        return self._range(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof(index, size, self._range)

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        return consistency_proof(first, second, self._range)

    def close(self) -> None:
        self._db.close()
