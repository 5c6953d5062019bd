"""The audit log in PostgreSQL, shared by several gateway nodes: every node appends, one node sequences.

A record is durable when its node's INSERT commits (one multi-row statement per group of appends, with its sealed
evidence, which also notifies the other nodes). It has no index yet: exactly one node, the *sequencer*, gives
records their place in the log. The sequencer holds a session-level advisory lock on a connection of its own and,
on that same connection (so a node that lost it cannot commit as sequencer), takes unsequenced records in id order,
extends the hash chain and the Merkle tree (RFC 9162: the complete subtrees each record finishes are stored, as
:mod:`gateway.stores.sqlite_audit` does) and commits indexes, chain values, subtrees, the records' filter columns and
the log's head in one transaction, which notifies every node. ``append`` returns the record's index once it is
sequenced. When the sequencer's connection ends (its process died, the network failed) PostgreSQL frees the lock
and another node, trying every second, takes over from the head stored in the database.

Tables live in the connection's current schema; the lock key and the notification channels are derived from that
schema, so that several deployments (or tests) can share one database without crossing.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections.abc import Coroutine, Generator, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog
from psycopg import sql
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from gateway.audit.chain import GENESIS, chain_next, chain_step, leaf_hash, verify_chain
from gateway.audit.checkpoint import Checkpoint
from gateway.audit.merkle import EMPTY_ROOT, completed_nodes, range_hash
from gateway.audit.note import NoteInvalid, NoteVerifier, open_note
from gateway.errors import AuditCorrupt, AuditUnavailable, ConfigError
from gateway.metrics import AuditCommitObserver
from gateway.stores.pg_audit_read import PgAuditReader
from gateway.stores.postgres import migrate, open_pool, schema_lock_key
from gateway.stores.sqlite_audit import FileVerified

__all__ = ["SCRIPTS", "PgAuditLog", "verify_database"]

SCRIPTS = [
    """
CREATE TABLE audit_entries (
    id    BIGSERIAL PRIMARY KEY,
    leaf  BYTEA NOT NULL,
    node  TEXT NOT NULL,
    idx   BIGINT UNIQUE,
    chain BYTEA,
    CHECK ((idx IS NULL) = (chain IS NULL))
);
CREATE INDEX audit_entries_unsequenced ON audit_entries (id) WHERE idx IS NULL;
CREATE TABLE audit_evidence (
    entry_id   BIGINT NOT NULL REFERENCES audit_entries (id),
    sealed_for TEXT NOT NULL,
    sealed     BYTEA NOT NULL,
    PRIMARY KEY (entry_id, sealed_for)
);
CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TABLE audit_record_index (
    idx        BIGINT PRIMARY KEY,
    time       TEXT COLLATE "C",
    kind       TEXT COLLATE "C",
    exporter   TEXT COLLATE "C",
    recipient  TEXT COLLATE "C",
    effect     TEXT COLLATE "C",
    categories TEXT[] COLLATE "C"
);
CREATE INDEX audit_record_index_exporter ON audit_record_index (exporter, idx);
CREATE INDEX audit_record_index_recipient ON audit_record_index (recipient, idx);
CREATE INDEX audit_record_index_time ON audit_record_index (time);
CREATE INDEX audit_record_index_categories ON audit_record_index USING GIN (categories);
CREATE TABLE audit_checkpoints (
    size BIGINT PRIMARY KEY,
    time TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE audit_head (
    one   BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    size  BIGINT NOT NULL,
    chain BYTEA NOT NULL
);
INSERT INTO audit_head (one, size, chain) VALUES (TRUE, 0, decode(repeat('00', 32), 'hex'));
""",
]

# One statement, so one implicit transaction: the records, their evidence (joined to the records by position in
# the batch: ``batch`` is materialised, so each row's id is drawn once) and the notification to the sequencer.
_INSERT = """
WITH batch AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('audit_entries', 'id')) AS id, u.leaf, u.ord
    FROM unnest(%(leaves)s::bytea[]) WITH ORDINALITY AS u(leaf, ord)
), entries AS (
    INSERT INTO audit_entries (id, leaf, node) SELECT id, leaf, %(node)s FROM batch
), evidence AS (
    INSERT INTO audit_evidence (entry_id, sealed_for, sealed)
    SELECT b.id, s.sealed_for, s.sealed
    FROM unnest(%(ords)s::bigint[], %(names)s::text[], %(blobs)s::bytea[]) AS s(ord, sealed_for, sealed)
    JOIN batch b ON b.ord = s.ord
), notified AS (
    SELECT pg_notify(%(channel)s, '') AS done
)
SELECT b.id FROM batch b CROSS JOIN notified ORDER BY b.ord
"""

_PENDING = "SELECT id, leaf FROM audit_entries WHERE idx IS NULL ORDER BY id LIMIT %s"

# Everything one sequencing step writes, in one statement; its count lets the step refuse (roll back) a batch
# that someone else sequenced meanwhile, which the lock and the head's row lock should make impossible.
_SEQUENCE = """
WITH sequenced AS (
    UPDATE audit_entries e SET idx = u.idx, chain = u.chain
    FROM unnest(%(ids)s::bigint[], %(idxs)s::bigint[], %(chains)s::bytea[]) AS u(id, idx, chain)
    WHERE e.id = u.id AND e.idx IS NULL
    RETURNING e.id
), nodes AS (
    INSERT INTO audit_nodes (level, idx, hash)
    SELECT * FROM unnest(%(levels)s::int[], %(positions)s::bigint[], %(hashes)s::bytea[])
), indexed AS (
    INSERT INTO audit_record_index (idx, time, kind, exporter, recipient, effect, categories)
    SELECT idx, time, kind, exporter, recipient, effect, categories
    FROM jsonb_to_recordset(%(index)s::jsonb) AS r(
        idx bigint, time text, kind text, exporter text, recipient text, effect text, categories text[]
    )
), head AS (
    UPDATE audit_head SET size = %(size)s, chain = %(chain)s WHERE size = %(before)s RETURNING size
)
SELECT (SELECT count(*) FROM sequenced), (SELECT count(*) FROM head), pg_notify(%(channel)s, %(size)s::text)
"""

# The head and the right edge of its tree: for each one bit of the size, the last complete subtree at that level.
# One statement, so the nodes belong to the head it reads.
_HEAD = """
SELECT h.size, h.chain, f.level, f.hash
FROM audit_head h
LEFT JOIN LATERAL (
    SELECT l.level, n.hash
    FROM generate_series(0, 62) AS l(level)
    LEFT JOIN audit_nodes n ON n.level = l.level AND n.idx = (h.size >> l.level) - 1
    WHERE (h.size >> l.level) & 1 = 1
) f ON TRUE
"""

Sealed = Mapping[str, bytes]  # regulator key name -> the original body sealed to that key
_NOTHING_SEALED: Sealed = {}
_LINGER_SECONDS = 0.01  # how long an enqueued record waits for an append to ride with
_POLL_SECONDS = 0.5  # fallback for a lost notification: look again this often
_LOCK_RETRY_SECONDS = 1.0  # a node that is not sequencing tries the lock this often
_SEQUENCE_TIMEOUT = 15.0  # an append that is not sequenced by then fails (the record stays durable)
_CLOSE_WAIT_SECONDS = 5.0
_BATCH = 1000  # records per sequencing transaction
_RECENT = 4 * _BATCH  # how many ids of sequenced records the sequencer remembers, for its own node's writer
_log = structlog.get_logger("gateway.audit")


@dataclass(eq=False, slots=True)
class _Entry:
    """A record submitted by this node, from submission until it is sequenced, lost or given up on."""

    leaf: bytes
    sealed: Sealed
    future: asyncio.Future[int] | None  # the caller's, for an awaited append
    settled: asyncio.Future[None]
    id: int | None = None
    deadline: float = 0.0


@dataclass(slots=True)
class _Head:
    size: int
    chain: bytes
    frontier: dict[int, bytes] = field(default_factory=dict)  # level -> last complete subtree at that level


class _HeadMoved(Exception):
    """The head in the database is not the one this sequencer extends (it reloads and tries again)."""


def channels(schema: str) -> tuple[str, str]:
    """The notification channels of the log in ``schema``: new records, and new sequenced size."""
    tag = hashlib.sha256(schema.encode()).hexdigest()[:16]
    return f"audit_entries_{tag}", f"audit_sequenced_{tag}"


# Whether any session holds the sequencer's lock: a 64-bit advisory key shows in pg_locks as classid (its high half)
# and objid (its low half), with objsubid 1. The key is SQL of a fixed name, no value from outside.
_SEQUENCER_HELD = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "  # noqa: S608
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    f"AND ((classid::bigint << 32) | objid::bigint) = {schema_lock_key('gateway.audit.sequencer')})"
)


def _unavailable(what: str, error: BaseException) -> AuditUnavailable:
    """The error a caller sees: the class of the database error only, never a DSN or a record."""
    return AuditUnavailable(f"{what}: {error.__class__.__name__}")


def _append_to_frontier(frontier: dict[int, bytes], index: int, hashed: bytes) -> list[tuple[int, int, bytes]]:
    """The subtrees leaf ``index`` completes; ``frontier`` (the right edge's last node per level) is updated."""
    done = completed_nodes(index, hashed, lambda level, _: frontier[level])
    for level, _, value in done:
        frontier[level] = value
    return done


def _head_of(rows: Iterable[tuple[Any, ...]]) -> _Head:
    """The head and its frontier from the rows of :data:`_HEAD`."""
    head: _Head | None = None
    for size, chain, level, value in rows:
        if head is None:
            head = _Head(int(size), bytes(chain))
        if level is not None:
            if value is None:
                raise AuditCorrupt(f"the subtree ({level}, {(head.size >> level) - 1}) is missing", index=head.size - 1)
            head.frontier[int(level)] = bytes(value)
    if head is None:
        raise AuditCorrupt("the audit log's head row is missing")
    return head


def _root(head: _Head) -> bytes:
    return range_hash(0, head.size, lambda level, _: head.frontier[level]) if head.size else EMPTY_ROOT


def _text(value: object) -> str | None:
    """A filter column's value: text only, and without NUL (which PostgreSQL text cannot hold)."""
    return value if isinstance(value, str) and "\x00" not in value else None


_INDEXED = ("time", "kind", "exporter", "recipient", "effect")


def _index_row(index: int, leaf: bytes) -> dict[str, object] | None:
    """What the records API filters on; none for a leaf that is not a JSON object (no filter finds it)."""
    try:
        record = json.loads(leaf)
    except ValueError:  # UnicodeDecodeError included
        return None
    if not isinstance(record, dict):
        return None
    row: dict[str, object] = {name: _text(record.get(name)) for name in _INDEXED}
    categories = record.get("categories")  # filtered on by key, as SQLite's json_each(leaf, '$.categories') does
    row["categories"] = [key for key in categories if _text(key)] if isinstance(categories, dict) else None
    row["idx"] = index
    return row


class PgAuditLog:
    """:class:`gateway.stores.audit_store.AuditStore` on PostgreSQL, shared by the nodes appending to it."""

    def __init__(self, dsn: str, *, node: str, sequence_timeout: float = _SEQUENCE_TIMEOUT) -> None:
        self._dsn = dsn
        self.node = node
        self._timeout = sequence_timeout
        self._pool: AsyncConnectionPool | None = None
        self._entries_channel = self._sequenced_channel = ""
        self._size = 0
        self._open = False
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        # appending (this node's records)
        self._pending: list[_Entry] = []
        self._writing: asyncio.Task[None] | None = None
        self._urgent = False
        self._timer: asyncio.TimerHandle | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._unsettled: set[_Entry] = set()
        self._awaiting: dict[int, _Entry] = {}  # committed, not yet sequenced, by entry id
        self._look = asyncio.Event()  # look up the indexes of awaiting records now
        self._notified = 0  # sequencing notifications received
        self._recent: dict[int, int] = {}  # entry id -> index, of records this node sequenced before knowing the id
        self.batches = 0  # insert commits made by this node
        self.on_commit: AuditCommitObserver | None = None  # told each commit's group size and seconds (metrics)
        # sequencing (while this node holds the lock)
        self._sequencing = False
        self._wake = asyncio.Event()
        self.sequenced_batches = 0

    # --- life cycle ---------------------------------------------------------------------------------------------------

    async def open(self) -> None:
        """Create the tables if needed, start listening, and try once to become the sequencer."""
        self._pool = await open_pool(self._dsn, name="audit", min_size=1, max_size=4)
        try:
            async with self._pool.connection() as conn:
                await migrate(conn, "audit", SCRIPTS)
                cursor = await conn.execute("SELECT current_schema(), (SELECT size FROM audit_head)")
                row = await cursor.fetchone()
        except (psycopg.Error, PoolTimeout) as e:
            await self._pool.close()
            self._pool = None
            raise _unavailable("the audit tables cannot be opened", e) from e
        except BaseException:
            await self._pool.close()
            self._pool = None
            raise
        if row is None or row[1] is None:
            await self._pool.close()
            self._pool = None
            raise AuditCorrupt("the audit log's head row is missing")
        self._entries_channel, self._sequenced_channel = channels(str(row[0]))
        self._size = int(row[1])
        self._open = True
        loop = asyncio.get_running_loop()
        listening: asyncio.Future[None] = loop.create_future()
        tried: asyncio.Future[None] = loop.create_future()
        self._listener = self._spawn(self._listen(listening))
        self._spawn(self._candidate(tried))
        self._spawn(self._resolve())
        await asyncio.wait([listening, tried], timeout=10)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Commit what is queued and wait briefly for this node's records to be sequenced (by this node, if it is
        the sequencer), then step down and close."""
        if not self._open:
            return
        self._closing = True
        self._schedule()
        await self._idle.wait()
        if self._unsettled:
            await asyncio.wait([e.settled for e in self._unsettled], timeout=_CLOSE_WAIT_SECONDS)
        self._open = False
        self._stop.set()
        self._wake.set()
        self._look.set()
        if self._listener is not None:
            self._listener.cancel()  # it waits for notifications, with nothing to finish
        tasks = list(self._tasks)
        if tasks:
            _, running = await asyncio.wait(tasks, timeout=_CLOSE_WAIT_SECONDS)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        unsequenced = AuditUnavailable("the audit log closed before the record was sequenced (it is durable)")
        for entry in list(self._unsettled):
            self._settle(entry, unsequenced)
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    async def _pause(self, seconds: float) -> None:
        """Sleep, or less if the log is closing."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    # --- what the gateway sees ----------------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Records sequenced, as far as this node knows (from notifications and its own sequencing)."""
        return self._size

    @property
    def sequencing(self) -> bool:
        """Whether this node holds the sequencer's lock (it builds the tree, and signs checkpoints)."""
        return self._sequencing

    async def ready(self) -> None:
        """The database answers, and some node (this one or another) holds the sequencer's lock, so appends are
        being given their indexes."""
        if self._pool is None:
            raise AuditUnavailable("the audit log is not open")
        if self._sequencing:
            return
        try:
            async with self._pool.connection() as conn:
                row = await (await conn.execute(_SEQUENCER_HELD)).fetchone()
        except (psycopg.Error, PoolTimeout) as e:
            raise _unavailable("the audit database does not answer", e) from e
        if row is None or not row[0]:
            raise AuditUnavailable("no node is sequencing the audit log")

    def reader(self) -> PgAuditReader:
        """A read-only reader on a connection of its own, opened in the calling thread."""
        return PgAuditReader(self._dsn)

    async def append(self, leaf: bytes, *, sealed: Sealed | None = None) -> int:
        """Append a record (and its sealed evidence, in the same commit) and return its index once it is durable
        and sequenced; :class:`AuditUnavailable` if it cannot be committed, or is not sequenced in time."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._submit(leaf, sealed or _NOTHING_SEALED, future)
        return await future

    def enqueue(self, leaf: bytes) -> None:
        """Append a record with the next commit, without waiting for it."""
        self._submit(leaf, _NOTHING_SEALED, None)

    async def flush(self) -> None:
        """Return once every record submitted so far is sequenced, lost to a failure, or given up on."""
        waiting = [e.settled for e in self._unsettled]
        if not waiting:
            return
        self._urgent = True
        self._schedule()
        await asyncio.wait(waiting)

    async def tip(self) -> tuple[int, bytes]:
        """The size and root of the sequenced tree, read together from the database."""
        try:
            async with self._connection() as conn:
                cursor = await conn.execute(_HEAD)
                head = _head_of(await cursor.fetchall())
        except (psycopg.Error, PoolTimeout) as e:
            raise _unavailable("reading the audit log's head failed", e) from e
        return head.size, _root(head)

    async def save_checkpoint(self, size: int, time: str, note: str) -> None:
        """Keep a signed checkpoint (the first one kept for a size stays)."""
        try:
            async with self._connection() as conn:
                await conn.execute(
                    "INSERT INTO audit_checkpoints (size, time, note) VALUES (%s, %s, %s) "
                    "ON CONFLICT (size) DO NOTHING",
                    (size, time, note),
                )
        except (psycopg.Error, PoolTimeout) as e:
            raise _unavailable("saving a checkpoint failed", e) from e

    def _connection(self) -> AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]:
        if self._pool is None:
            raise AuditUnavailable("the audit log is closed")
        return self._pool.connection()

    # --- committing this node's records -------------------------------------------------------------------------------

    def _submit(self, leaf: bytes, sealed: Sealed, future: asyncio.Future[int] | None) -> None:
        if not self._open:
            raise AuditUnavailable("the audit log is not open")
        entry = _Entry(leaf, sealed, future, asyncio.get_running_loop().create_future())
        self._pending.append(entry)
        self._unsettled.add(entry)
        self._idle.clear()
        self._urgent = self._urgent or future is not None
        self._schedule()

    def _schedule(self) -> None:
        """Start a commit now if someone waits for one, else within the linger time; nothing if one is running."""
        if self._writing is not None:
            return  # _release schedules again
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
        self._writing = asyncio.get_running_loop().create_task(self._write(batch))

    async def _write(self, batch: list[_Entry]) -> None:
        notified = self._notified
        started = time.perf_counter()
        try:
            ids = await self._insert(batch)
        except Exception as e:  # noqa: BLE001 - whatever the fault, the batch's writers get an answer
            if not isinstance(e, AuditUnavailable):
                e = _unavailable("audit commit failed", e)
            lost = sum(1 for entry in batch if entry.future is None)
            _log.error("audit_commit_failed", error=e.detail, unawaited_records_lost=lost)
            for entry in batch:
                self._settle(entry, e)
        else:
            self.batches += 1
            if self.on_commit is not None:
                try:
                    self.on_commit(len(batch), time.perf_counter() - started)
                except Exception as e:  # noqa: BLE001 - a metrics fault must never fail the log
                    _log.error("audit_commit_observer_failed", error=e.__class__.__name__)
            deadline = asyncio.get_running_loop().time() + self._timeout
            for entry, entry_id in zip(batch, ids, strict=True):
                entry.id, entry.deadline = entry_id, deadline
                self._awaiting[entry_id] = entry
                index = self._recent.pop(entry_id, None)
                if index is not None:  # this node's sequencer was quicker than this coroutine
                    self._settle(entry, index)
            if self._sequencing:
                self._wake.set()
            elif self._notified != notified:  # a sequencer may have answered before these ids were known here
                self._look.set()
        # the writers woken run before the next commit starts, so that what they append in reply rides it
        asyncio.get_running_loop().call_soon(self._release)

    async def _insert(self, batch: list[_Entry]) -> list[int]:
        """Commit a batch of records with their evidence; their entry ids, in order."""
        ords, names, blobs = [], [], []
        for position, entry in enumerate(batch, start=1):
            for name, blob in entry.sealed.items():
                ords.append(position)
                names.append(name)
                blobs.append(blob)
        params = {
            "leaves": [entry.leaf for entry in batch],
            "node": self.node,
            "ords": ords,
            "names": names,
            "blobs": blobs,
            "channel": self._entries_channel,
        }
        try:
            async with self._connection() as conn:
                cursor = await conn.execute(_INSERT, params)
                rows = await cursor.fetchall()
        except (psycopg.Error, PoolTimeout) as e:
            raise _unavailable("audit commit failed", e) from e
        return [int(row[0]) for row in rows]

    def _release(self) -> None:
        self._writing = None
        self._schedule()

    def _settle(self, entry: _Entry, outcome: int | AuditUnavailable) -> None:
        if entry.id is not None:
            self._awaiting.pop(entry.id, None)
        self._unsettled.discard(entry)
        if isinstance(outcome, int):
            self._size = max(self._size, outcome + 1)
        future = entry.future
        if future is not None and not future.done():
            if isinstance(outcome, int):
                future.set_result(outcome)
            else:
                future.set_exception(outcome)
        if not entry.settled.done():
            entry.settled.set_result(None)

    # --- learning the indexes of this node's records ------------------------------------------------------------------

    async def _listen(self, ready: asyncio.Future[None]) -> None:
        """Receive both channels' notifications on a connection of their own, reconnecting when it is lost."""
        while not self._stop.is_set():
            try:
                conn = await psycopg.AsyncConnection.connect(self._dsn, autocommit=True)
                async with conn:
                    for channel in (self._entries_channel, self._sequenced_channel):
                        await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    if not ready.done():
                        ready.set_result(None)
                    self._look.set()  # what was missed while not listening
                    self._wake.set()
                    async for note in conn.notifies():
                        self._on_notify(note.channel, note.payload)
            except psycopg.Error as e:
                _log.warning("audit_listen_lost", node=self.node, error=e.__class__.__name__)
            except Exception as e:  # noqa: BLE001 - a fault must not end listening for the life of the process
                _log.exception("audit_listen_fault", node=self.node, error=e.__class__.__name__)
            finally:
                if not ready.done():
                    ready.set_result(None)
            await self._pause(_LOCK_RETRY_SECONDS)

    def _on_notify(self, channel: str, payload: str) -> None:
        if channel == self._entries_channel:
            if self._sequencing:
                self._wake.set()
        elif channel == self._sequenced_channel:
            self._notified += 1
            if payload.isdigit():
                self._size = max(self._size, int(payload))
            if self._awaiting and not self._sequencing:  # the sequencer answers its own node's records itself
                self._look.set()

    async def _resolve(self) -> None:
        """Look up the indexes of this node's committed records when told to, and every half second regardless;
        fail those not sequenced in time."""
        while not self._stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(self._look.wait(), _POLL_SECONDS)
            self._look.clear()
            if not self._awaiting:
                continue
            await self._look_up(list(self._awaiting))
            now = asyncio.get_running_loop().time()
            late = [entry for entry in self._awaiting.values() if entry.deadline <= now]
            if late:
                _log.error("audit_not_sequenced", node=self.node, records=len(late), seconds=self._timeout)
                error = AuditUnavailable(
                    f"the record is durable but was not sequenced within {self._timeout:g} s: no node sequences the log"
                )
                for entry in late:
                    self._settle(entry, error)

    async def _look_up(self, ids: list[int]) -> None:
        try:
            async with self._connection() as conn:
                cursor = await conn.execute(
                    "SELECT id, idx FROM audit_entries WHERE id = ANY(%s::bigint[]) AND idx IS NOT NULL", (ids,)
                )
                rows = await cursor.fetchall()
        except Exception as e:  # noqa: BLE001 - looked up again at the next notification or poll
            _log.warning("audit_lookup_failed", node=self.node, error=e.__class__.__name__)
            return
        for entry_id, index in rows:
            entry = self._awaiting.get(int(entry_id))
            if entry is not None:
                self._settle(entry, int(index))

    # --- sequencing ---------------------------------------------------------------------------------------------------

    async def _candidate(self, tried: asyncio.Future[None]) -> None:
        """Try for the sequencer's lock every second; hold it, and sequence, until the connection is lost or the
        log closes (closing the connection releases the lock)."""
        key = schema_lock_key("gateway.audit.sequencer")
        while not self._stop.is_set():
            conn: psycopg.AsyncConnection[Any] | None = None
            try:
                conn = await psycopg.AsyncConnection.connect(self._dsn, autocommit=True)
                while not self._stop.is_set():
                    cursor = await conn.execute(f"SELECT pg_try_advisory_lock({key})")
                    row = await cursor.fetchone()
                    if row is not None and row[0]:
                        await self._lead(conn, tried)
                        break
                    if not tried.done():
                        tried.set_result(None)
                    await self._pause(_LOCK_RETRY_SECONDS)
            except (psycopg.Error, AuditCorrupt) as e:
                _log.error("audit_sequencer_failed", node=self.node, error=e.__class__.__name__)
            except Exception as e:  # noqa: BLE001 - a fault must not end sequencing for the life of the process
                _log.exception("audit_sequencer_fault", node=self.node, error=e.__class__.__name__)
            finally:
                if self._sequencing and not self._stop.is_set():
                    _log.warning("audit_sequencer_stepped_down", node=self.node)
                self._sequencing = False
                if not tried.done():
                    tried.set_result(None)
                if conn is not None:
                    await conn.close()
            await self._pause(_LOCK_RETRY_SECONDS)

    async def _lead(self, conn: psycopg.AsyncConnection[Any], tried: asyncio.Future[None]) -> None:
        head = await _load_head(conn)
        self._sequencing = True
        _log.info("audit_sequencing", node=self.node, size=head.size)
        if not tried.done():
            tried.set_result(None)
        self._look.set()  # records a previous sequencer answered while this node was not listening to itself
        while not self._stop.is_set():
            self._wake.clear()
            try:
                before, head = head.size, await self._sequence(conn, head)
            except _HeadMoved:
                _log.warning("audit_head_moved", node=self.node)
                head = await _load_head(conn)
                continue
            if head.size - before < _BATCH:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), _POLL_SECONDS)

    async def _sequence(self, conn: psycopg.AsyncConnection[Any], head: _Head) -> _Head:
        """Give the oldest unsequenced records (up to :data:`_BATCH`) their indexes, in one transaction; the new
        head."""
        cursor = await conn.execute(_PENDING, (_BATCH,))
        pending = await cursor.fetchall()
        if not pending:
            return head
        frontier, chain = dict(head.frontier), head.chain
        ids, idxs, chains, levels, positions, hashes, index = [], [], [], [], [], [], []
        for offset, (entry_id, leaf) in enumerate(pending):
            i = head.size + offset
            hashed = leaf_hash(bytes(leaf))
            chain = chain_step(chain, hashed)
            ids.append(int(entry_id))
            idxs.append(i)
            chains.append(chain)
            for level, position, value in _append_to_frontier(frontier, i, hashed):
                levels.append(level)
                positions.append(position)
                hashes.append(value)
            row = _index_row(i, bytes(leaf))
            if row is not None:
                index.append(row)
        size = head.size + len(pending)
        async with conn.transaction():
            cursor = await conn.execute("SELECT size, chain FROM audit_head FOR UPDATE")
            stored = await cursor.fetchone()
            if stored is None or (int(stored[0]), bytes(stored[1])) != (head.size, head.chain):
                raise _HeadMoved
            cursor = await conn.execute(
                _SEQUENCE,
                {
                    "ids": ids,
                    "idxs": idxs,
                    "chains": chains,
                    "levels": levels,
                    "positions": positions,
                    "hashes": hashes,
                    "index": Jsonb(index),
                    "size": size,
                    "chain": chain,
                    "before": head.size,
                    "channel": self._sequenced_channel,
                },
            )
            counts = await cursor.fetchone()
            if counts is None or (int(counts[0]), int(counts[1])) != (len(ids), 1):
                raise _HeadMoved
        self._size = max(self._size, size)
        self.sequenced_batches += 1
        for entry_id, i in zip(ids, idxs, strict=True):
            entry = self._awaiting.get(entry_id)
            if entry is not None:
                self._settle(entry, i)
            else:  # another node's record, or this node's before its writer learnt the id
                self._recent[entry_id] = i
        for old in list(itertools.islice(self._recent, max(0, len(self._recent) - _RECENT))):
            del self._recent[old]
        return _Head(size, chain, frontier)


async def _load_head(conn: psycopg.AsyncConnection[Any]) -> _Head:
    """The stored head and its frontier, after checking that the last record continues the chain, so that the new
    sequencer extends a sound tail (:class:`AuditCorrupt` if not; the full check is ``gateway audit verify``)."""
    cursor = await conn.execute(_HEAD)
    head = _head_of(await cursor.fetchall())
    if head.size:
        cursor = await conn.execute(
            "SELECT idx, leaf, chain FROM audit_entries WHERE idx >= %s AND idx < %s ORDER BY idx",
            (head.size - 2, head.size),
        )
        tail = await cursor.fetchall()
        before = bytes(tail[0][2]) if len(tail) == 2 else GENESIS
        last = tail[-1] if tail else None
        if (
            last is None
            or len(tail) != min(head.size, 2)
            or int(last[0]) != head.size - 1
            or bytes(last[2]) != head.chain
            or chain_next(before, bytes(last[1])) != head.chain
        ):
            raise AuditCorrupt(
                f"the last record ({head.size - 1}) does not continue the chain; run 'gateway audit verify --dsn'",
                index=head.size - 1,
            )
    return head


# --- verification -----------------------------------------------------------------------------------------------------


def verify_database(dsn: str, verifier: NoteVerifier | None = None) -> FileVerified:
    """Verify the shared audit log from its records up, as :func:`gateway.stores.sqlite_audit.verify_file` does a
    file: the hash chain over the sequenced records (dense from index 0), every stored subtree against the tree
    recomputed from the leaves, the head, and every stored checkpoint against the recomputed root at its size (and,
    given ``verifier``, its signature). Rows are streamed from one snapshot. :class:`AuditCorrupt` names the first
    record or checkpoint that does not hold; :class:`AuditUnavailable` if the database cannot be read."""
    try:
        with psycopg.connect(dsn, connect_timeout=10) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            found = conn.execute("SELECT to_regclass('audit_head') IS NOT NULL").fetchone()
            if found is None or not found[0]:
                raise ConfigError("this database (its schema on the search path) holds no audit log")
            return _verify(conn, verifier)
    except psycopg.Error as e:
        raise _unavailable("the audit database cannot be read", e) from e


def _verify(conn: psycopg.Connection[Any], verifier: NoteVerifier | None) -> FileVerified:
    checkpoints = {int(size): str(note) for size, note in conn.execute("SELECT size, note FROM audit_checkpoints")}
    stored_head = conn.execute("SELECT size, chain FROM audit_head").fetchone()
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

    with (
        conn.cursor(name="audit_verify_records") as records,
        conn.cursor(name="audit_verify_nodes") as nodes,
    ):
        records.itersize = nodes.itersize = 2000
        records.execute("SELECT idx, leaf, chain FROM audit_entries WHERE idx IS NOT NULL ORDER BY idx")
        # in the order the writer completes them: by the last leaf each covers, then upwards
        nodes.execute("SELECT level, idx, hash FROM audit_nodes ORDER BY ((idx + 1) << level) - 1, level")
        stored_nodes = iter(nodes)

        def leaves() -> Generator[tuple[int, bytes, bytes], None, None]:
            nonlocal seen
            for index, leaf, chain in records:
                yield int(index), bytes(leaf), bytes(chain) if chain is not None else b""
                for level, position, value in _append_to_frontier(frontier, int(index), leaf_hash(bytes(leaf))):
                    stored = next(stored_nodes, None)
                    if stored is None or (int(stored[0]), int(stored[1]), bytes(stored[2])) != (
                        level,
                        position,
                        value,
                    ):
                        raise AuditCorrupt(
                            f"the stored subtree ({level}, {position}) does not match record {index}'s tree",
                            index=int(index),
                        )
                seen = int(index) + 1
                check_checkpoint(seen)

        try:
            count, chain = verify_chain(leaves())
            if 0 in checkpoints:
                check_checkpoint(0)
        except NoteInvalid as e:
            raise AuditCorrupt(f"a stored checkpoint does not verify: {e}") from e
        extra = next(stored_nodes, None)
        if extra is not None:
            raise AuditCorrupt(f"a subtree ({extra[0]}, {extra[1]}) is stored beyond the {count} records", index=count)
    beyond = [size for size in checkpoints if size > count]
    if beyond:
        raise AuditCorrupt(f"a checkpoint of size {beyond[0]} is stored, but only {count} records", index=count)
    if stored_head is None or (int(stored_head[0]), bytes(stored_head[1])) != (count, chain):
        raise AuditCorrupt(f"the log's head does not match its {count} sequenced records", index=count)
    root = range_hash(0, count, lambda level, _: frontier[level])
    return FileVerified(count, root, len(checkpoints))
