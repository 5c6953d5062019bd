"""Yearly counts of distinct individuals, and tallies of transfers, in one SQLite file.

:class:`gateway.ports.CounterStore` for the embedded gateway. The truth for decisions is in memory: for each resident
(exporter, year), the set of individuals counted (32-byte keyed hashes) and the subset with sensitive personal
information. ``year_to_date`` and ``reserve`` only read and change those sets, without awaiting, so on the one event
loop the counting and reserving of one transfer cannot interleave with another's. SQLite keeps what they changed:
new rows go to one writer thread in batches (group commit), started within ``linger`` seconds of the first change,
or at once after a commit when more waited. ``close`` writes everything still queued.

Durability: WAL with ``synchronous=FULL`` by default, so a committed batch survives a power cut; a crash loses the
changes not yet committed (those of the last few tens of milliseconds), which the audit trail's fsynced decision
records (they hold the subjects' keyed hashes) can rebuild. ``synchronous=NORMAL`` saved only about 10% per commit
when measured, hence FULL. Memory, measured with tracemalloc: each individual costs a 32-byte ``bytes`` object (80
bytes allocated) and a set slot; 1,000,000 individuals of one exporter-year take about 99 MB, 132 MB if all are
sensitive (they are in both sets, sharing the object). Resident years are never dropped while the process runs.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar

import structlog

from gateway.errors import CountersUnavailable
from gateway.ports import TransferEvent, YearCount
from gateway.stores.migrations import open_store

__all__ = ["SCRIPTS", "ExporterStats", "SqliteCounterStore", "Tally", "tally_keys"]

SCRIPTS: tuple[str, ...] = (
    # 1: the individuals each exporter has sent abroad per calendar year (China Standard Time), by keyed hash.
    """
    CREATE TABLE individuals (
        exporter  TEXT NOT NULL,
        year      INTEGER NOT NULL,
        subject   BLOB NOT NULL,     -- the 32-byte HMAC-SHA-256 of the identifier, never the identifier
        sensitive INTEGER NOT NULL,  -- 1 once sent with sensitive personal information
        PRIMARY KEY (exporter, year, subject)
    ) STRICT, WITHOUT ROWID
    """,
    # 2: decided transfers for /v1/stats, per exporter, year, recipient and outcome: the number of transfers
    # (dimension 'transfers', value ''), and of those holding each category or relying on each mechanism ('' none).
    """
    CREATE TABLE tallies (
        exporter  TEXT NOT NULL,
        year      INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        allowed   INTEGER NOT NULL,
        dimension TEXT NOT NULL CHECK (dimension IN ('transfers', 'category', 'mechanism')),
        value     TEXT NOT NULL,
        count     INTEGER NOT NULL,
        PRIMARY KEY (exporter, year, recipient, allowed, dimension, value)
    ) STRICT, WITHOUT ROWID
    """,
)

_UPSERT_INDIVIDUAL = (
    "INSERT INTO individuals (exporter, year, subject, sensitive) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (exporter, year, subject) DO UPDATE SET sensitive = MAX(sensitive, excluded.sensitive)"
)
_UPSERT_TALLY = (
    "INSERT INTO tallies (exporter, year, recipient, allowed, dimension, value, count) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (exporter, year, recipient, allowed, dimension, value) DO UPDATE SET count = count + excluded.count"
)
_READ_YEAR = "SELECT subject, sensitive FROM individuals WHERE exporter = ? AND year = ?"
_COUNT_YEAR = (
    "SELECT exporter, COUNT(*), SUM(sensitive) FROM individuals WHERE year = ? AND (? IS NULL OR exporter = ?) "
    "GROUP BY exporter"
)
_READ_TALLIES = "SELECT exporter, year, recipient, allowed, dimension, value, count FROM tallies"
_DEFAULT_LINGER = 0.02  # seconds from the first change to its commit, when no commit is running
_DIGEST_BYTES = 32

_Key = tuple[str, int]  # (exporter, year)
_Row = tuple[str, int, bytes, int]  # an individuals row
_TallyKey = tuple[str, int, str, int, str, str]  # exporter, year, recipient, allowed, dimension, value
_T = TypeVar("_T")
_log = structlog.get_logger("gateway.counters")


class _Year:
    """One resident exporter-year: everyone counted, and those counted as sensitive (a subset)."""

    __slots__ = ("personal", "sensitive")

    def __init__(self) -> None:
        self.personal: set[bytes] = set()
        self.sensitive: set[bytes] = set()


@dataclass(frozen=True, slots=True)
class Tally:
    """Transfers allowed and refused."""

    allowed: int = 0
    refused: int = 0

    def add(self, allowed: bool, count: int) -> Tally:
        if allowed:
            return Tally(self.allowed + count, self.refused)
        return Tally(self.allowed, self.refused + count)


@dataclass(frozen=True, slots=True)
class ExporterStats:
    """One exporter's year: distinct individuals, and decided transfers by recipient, category and mechanism
    (``None``: no mechanism relied on)."""

    exporter: str
    year: int
    personal: int = 0
    sensitive: int = 0
    transfers: Tally = Tally()
    by_recipient: dict[str, Tally] = field(default_factory=dict)
    by_category: dict[str, Tally] = field(default_factory=dict)
    by_mechanism: dict[str | None, Tally] = field(default_factory=dict)


def tally_keys(event: TransferEvent) -> list[_TallyKey]:
    """The tally rows one decided transfer adds 1 to: as a transfer, under each category, under its mechanism."""
    base = (event.exporter, event.year, event.recipient, int(event.allowed))
    keys = [(*base, "transfers", "")]
    keys.extend((*base, "category", c) for c in sorted(set(event.categories)))
    keys.append((*base, "mechanism", event.mechanism or ""))
    return keys


def _digests(subjects: Mapping[str, bool]) -> dict[bytes, bool]:
    """The subjects as 32-byte digests (sensitive if any spelling of the same hash says so)."""
    out: dict[bytes, bool] = {}
    for key, sensitive in subjects.items():
        try:
            digest = bytes.fromhex(key)
        except ValueError:
            digest = b""
        if len(digest) != _DIGEST_BYTES:
            raise ValueError("a subject is named by its keyed hash: 64 hexadecimal digits")  # never echo the value
        out[digest] = out.get(digest, False) or sensitive
    return out


class SqliteCounterStore:
    """Distinct individuals per exporter and year, and transfer tallies, in SQLite; resident years in memory."""

    def __init__(
        self,
        path: Path,
        *,
        linger: float = _DEFAULT_LINGER,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
    ) -> None:
        self.path = path
        self._linger = linger
        self._synchronous = synchronous
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="counter-writer")
        self._db: sqlite3.Connection | None = None
        self._years: dict[_Key, _Year] = {}
        self._loading: dict[_Key, asyncio.Task[None]] = {}
        self._tallies: Counter[_TallyKey] = Counter()  # every tally, committed or not (small: loaded whole)
        self._rows: list[_Row] = []  # changes of individuals not yet handed to the writer
        self._deltas: Counter[_TallyKey] = Counter()
        self._writing: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.batches = 0  # commits made

    # ------------------------------------------------------------------------------------------- life cycle ---

    async def open(self) -> None:
        """Open (creating if needed), bring the schema up to date, and read the transfer tallies."""
        await self._run(self._open_sync)

    def _open_sync(self) -> None:
        db = open_store(self.path, SCRIPTS, self._synchronous)
        try:
            for exporter, year, recipient, allowed, dimension, value, count in db.execute(_READ_TALLIES):
                self._tallies[(exporter, int(year), recipient, int(allowed), dimension, value)] = int(count)
        except BaseException:
            db.close()
            raise
        self._db = db

    async def close(self) -> None:
        """Write everything counted so far, then close. A final write that fails is logged, with what it lost."""
        try:
            await self.flush()
        except sqlite3.Error as e:
            lost = {"individuals": len(self._rows), "tallies": len(self._deltas)}
            _log.error("counter_changes_lost", error=e.__class__.__name__, **lost)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._db is not None:
            db, self._db = self._db, None
            await self._run(db.close)
        self._executor.shutdown(wait=True)

    async def ready(self) -> None:
        """The file answers a query on the writer thread."""
        try:
            await self._run(lambda: self._conn().execute("SELECT 1").fetchone())
        except (sqlite3.Error, RuntimeError) as e:
            raise CountersUnavailable(f"the counters do not answer ({e.__class__.__name__})") from e

    async def _run(self, work: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    # -------------------------------------------------------------------------------------- the data path ---

    async def load(self, exporter: str, year: int) -> None:
        """Make (exporter, year) resident, reading its individuals once; concurrent loads share one read."""
        key = (exporter, year)
        if key in self._years:
            return
        task = self._loading.get(key)
        if task is None:
            task = self._loading[key] = asyncio.get_running_loop().create_task(self._load(key))
            task.add_done_callback(lambda _: self._loading.pop(key, None))
        await asyncio.shield(task)

    async def _load(self, key: _Key) -> None:
        state = await self._run(partial(self._read_year, key))
        self._years.setdefault(key, state)

    def _read_year(self, key: _Key) -> _Year:
        state = _Year()
        for subject, sensitive in self._conn().execute(_READ_YEAR, key):
            digest = bytes(subject)
            state.personal.add(digest)
            if sensitive:
                state.sensitive.add(digest)
        return state

    @asynccontextmanager
    async def counting(self, exporter: str, year: int, subjects: Mapping[str, bool]) -> AsyncIterator[YearCount]:
        """The resident year for one decision. One process owns the file and nothing awaits between a decision's
        count and its reservation, so the event loop is the hold; the reservations are applied when the block ends
        without an exception (still without awaiting)."""
        await self.load(exporter, year)
        held = _ResidentYear(self, exporter, year)
        yield held
        for reserved in held.reserved:
            self.reserve(exporter, year, reserved)

    def _resident(self, exporter: str, year: int) -> _Year:
        state = self._years.get((exporter, year))
        if state is None:
            raise RuntimeError("the exporter's year is not loaded: await load(exporter, year) first")
        return state

    def year_to_date(self, exporter: str, year: int, subjects: Mapping[str, bool]) -> tuple[int, int]:
        """(personal, sensitive) individuals this year, ``subjects`` included, each person once."""
        state = self._resident(exporter, year)
        personal, sensitive = len(state.personal), len(state.sensitive)
        for digest, is_sensitive in _digests(subjects).items():
            if digest not in state.personal:
                personal += 1
            if is_sensitive and digest not in state.sensitive:
                sensitive += 1
        return personal, sensitive

    def reserve(self, exporter: str, year: int, subjects: Mapping[str, bool]) -> None:
        """Count ``subjects`` as sent; the new individuals and upgrades to sensitive are queued for the writer."""
        state = self._resident(exporter, year)
        queued = len(self._rows)
        for digest, is_sensitive in _digests(subjects).items():
            if is_sensitive and digest not in state.sensitive:
                state.personal.add(digest)
                state.sensitive.add(digest)
                self._rows.append((exporter, year, digest, 1))
            elif digest not in state.personal:
                state.personal.add(digest)
                self._rows.append((exporter, year, digest, int(is_sensitive)))
        if len(self._rows) > queued:
            self._schedule()

    def record_transfer(self, event: TransferEvent) -> None:
        """Tally one decided transfer: as a transfer, under each of its categories, and under its mechanism."""
        for key in tally_keys(event):
            self._tallies[key] += 1
            self._deltas[key] += 1
        self._schedule()

    # ----------------------------------------------------------------------------------------- the writer ---

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the counter store is not open")
        return self._db

    def _schedule(self) -> None:
        """Start a commit within the linger time, unless one is running or already timed."""
        if self._writing is None and self._timer is None and (self._rows or self._deltas):
            self._timer = asyncio.get_running_loop().call_later(self._linger, self._start_batch)

    def _start_batch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writing is not None or not (self._rows or self._deltas):
            return
        rows, deltas = self._rows, self._deltas
        self._rows, self._deltas = [], Counter()
        self._writing = asyncio.get_running_loop().run_in_executor(self._executor, self._write, rows, deltas)
        self._writing.add_done_callback(partial(self._finish, rows, deltas))

    def _write(self, rows: list[_Row], deltas: Counter[_TallyKey]) -> None:
        """Runs on the writer thread: one transaction for the batch."""
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(_UPSERT_INDIVIDUAL, rows)
            db.executemany(_UPSERT_TALLY, [(*key, count) for key, count in deltas.items()])
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        self.batches += 1

    def _finish(self, rows: list[_Row], deltas: Counter[_TallyKey], done: asyncio.Future[None]) -> None:
        """After a commit: on failure put the batch back in front (retried after the linger time); then go on."""
        self._writing = None
        error = None if done.cancelled() else done.exception()
        if error is not None:
            _log.error("counter_commit_failed", error=error.__class__.__name__, individuals=len(rows))
            self._rows[:0] = rows
            deltas.update(self._deltas)
            self._deltas = deltas
            self._schedule()
        elif self._rows or self._deltas:
            self._start_batch()  # they waited a whole commit already

    async def flush(self) -> None:
        """Return once everything counted so far is committed; the commit's error if one fails (its changes stay
        queued and are retried)."""
        while True:
            if self._writing is None:
                if not (self._rows or self._deltas):
                    return
                self._start_batch()
            writing = self._writing
            assert writing is not None
            await asyncio.wait([writing])
            if not writing.cancelled() and (error := writing.exception()) is not None:
                raise error

    # ----------------------------------------------------------------------------------------- statistics ---

    async def stats(self, year: int, exporter: str | None = None) -> list[ExporterStats]:
        """Each exporter's ``year`` (only ``exporter``'s, if given), sorted by exporter: individuals from memory for
        resident years and from the database otherwise, transfers from the tallies."""
        counted = await self._run(partial(self._count_year, year, exporter))
        for (who, when), state in self._years.items():
            if when == year and (exporter is None or who == exporter):
                counted[who] = (len(state.personal), len(state.sensitive))
        return _assemble(year, counted, self._tallies.items(), exporter)

    def _count_year(self, year: int, exporter: str | None) -> dict[str, tuple[int, int]]:
        rows = self._conn().execute(_COUNT_YEAR, (year, exporter, exporter))
        return {who: (int(personal), int(sensitive or 0)) for who, personal, sensitive in rows}


class _ResidentYear:
    """:class:`gateway.ports.YearCount` over a resident exporter-year."""

    __slots__ = ("_exporter", "_store", "_year", "reserved")

    def __init__(self, store: SqliteCounterStore, exporter: str, year: int) -> None:
        self._store, self._exporter, self._year = store, exporter, year
        self.reserved: list[Mapping[str, bool]] = []  # applied by counting() on a clean exit

    def year_to_date(self, subjects: Mapping[str, bool]) -> tuple[int, int]:
        """As :meth:`SqliteCounterStore.year_to_date`, with what this hold reserved so far included."""
        if not self.reserved:
            return self._store.year_to_date(self._exporter, self._year, subjects)
        merged: dict[str, bool] = {}
        for batch in (*self.reserved, subjects):
            for key, sensitive in batch.items():
                merged[key] = merged.get(key, False) or sensitive
        return self._store.year_to_date(self._exporter, self._year, merged)

    def reserve(self, subjects: Mapping[str, bool]) -> None:
        self.reserved.append(subjects)


def _assemble(
    year: int,
    counted: Mapping[str, tuple[int, int]],
    tallies: Iterable[tuple[_TallyKey, int]],
    only: str | None,
) -> list[ExporterStats]:
    """Per-exporter statistics from individual counts and tally rows."""
    made: dict[str, ExporterStats] = {}

    def of(exporter: str) -> ExporterStats:
        found = made.get(exporter)
        if found is None:
            personal, sensitive = counted.get(exporter, (0, 0))
            found = made[exporter] = ExporterStats(exporter, year, personal, sensitive)
        return found

    for exporter in counted:
        of(exporter)
    for (exporter, when, recipient, allowed, dimension, value), count in tallies:
        if when != year or (only is not None and exporter != only) or count == 0:
            continue
        s = of(exporter)
        if dimension == "transfers":
            made[exporter] = s = replace(s, transfers=s.transfers.add(bool(allowed), count))
            s.by_recipient[recipient] = s.by_recipient.get(recipient, Tally()).add(bool(allowed), count)
        elif dimension == "category":
            s.by_category[value] = s.by_category.get(value, Tally()).add(bool(allowed), count)
        else:
            mechanism = value or None
            s.by_mechanism[mechanism] = s.by_mechanism.get(mechanism, Tally()).add(bool(allowed), count)
    return [made[e] for e in sorted(made)]
