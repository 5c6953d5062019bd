"""Yearly counts of distinct individuals, and tallies of transfers, in PostgreSQL: exact across gateway nodes.

:class:`gateway.ports.CounterStore` for several nodes sharing one database. Nothing is resident: a decision reads
what it needs inside :meth:`PgCounterStore.counting`, one transaction on a pooled connection that

1. takes a transaction-level advisory lock on the exporter-year (a 64-bit key from the schema, exporter and year),
   so decisions on one exporter-year are serialised across every node, and waits for it;
2. reads, after the lock (READ COMMITTED: each statement sees what was committed before it began), the year's
   totals and which of the transfer's individuals are counted already, and whether as sensitive;
3. yields a :class:`gateway.ports.YearCount` that counts on what was read, without awaiting;
4. on a clean exit writes the individuals reserved and adds them to the totals, then commits, which releases the
   lock only once the count is durable; on an exception rolls back, so nothing is reserved.

The statements of steps 1-2, and of step 4, go to the server in one round trip each (pipeline mode). A transfer
that names nobody takes no lock (it can reserve nobody) and reads the totals only. The transfer's individuals are
looked up one primary-key probe each (a LATERAL subquery the planner cannot flatten): ``subject = ANY(...)`` was
planned, while the table's statistics lagged behind its growth, as a scan of the whole exporter-year (1.2 ms at 6,000
rows, growing with the year).

``year_totals`` holds each exporter-year's (personal, sensitive) counts, kept equal to the ``individuals`` rows by
the same transactions, so neither a decision nor ``/v1/stats`` counts rows. Transfer tallies are group-committed in
the background (as the SQLite store does), each batch adding its counts to the stored ones, so every node's
``stats`` reads the same numbers once each node has flushed.

Faults (the database unreachable, a connection dropped, the lock not granted within ``lock_timeout``) become
:class:`gateway.errors.CountersUnavailable`, whose detail names the exception class only (never the DSN, never a
hash). A connection found broken before anything was written (an idle pooled connection whose server went away)
is replaced and the hold retried once, so a database restart costs no transfer that a fresh connection can serve.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import partial

import psycopg
import structlog
from psycopg import pq
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from gateway.errors import CountersUnavailable
from gateway.ports import TransferEvent, YearCount
from gateway.stores.postgres import migrate, open_pool
from gateway.stores.sqlite_counters import ExporterStats, _assemble, _digests, tally_keys

__all__ = ["SCRIPTS", "PgCounterStore"]

SCRIPTS: tuple[str, ...] = (
    # 1: the individuals each exporter has sent abroad per calendar year (China Standard Time), by keyed hash; their
    # totals per exporter-year; and decided transfers for /v1/stats, per exporter, year, recipient and outcome: the
    # number of transfers (dimension 'transfers', value ''), and of those holding each category or relying on each
    # mechanism ('' none).
    """
    CREATE TABLE individuals (
        exporter  TEXT NOT NULL,
        year      INTEGER NOT NULL,
        subject   BYTEA NOT NULL CHECK (length(subject) = 32),  -- the HMAC-SHA-256 of the identifier, never it
        sensitive BOOLEAN NOT NULL,                              -- once sent with sensitive personal information
        PRIMARY KEY (exporter, year, subject)
    );
    CREATE TABLE year_totals (
        exporter  TEXT NOT NULL,
        year      INTEGER NOT NULL,
        personal  BIGINT NOT NULL,
        sensitive BIGINT NOT NULL,
        PRIMARY KEY (exporter, year)
    );
    CREATE TABLE tallies (
        exporter  TEXT NOT NULL,
        year      INTEGER NOT NULL,
        recipient TEXT NOT NULL,
        allowed   BOOLEAN NOT NULL,
        dimension TEXT NOT NULL CHECK (dimension IN ('transfers', 'category', 'mechanism')),
        value     TEXT NOT NULL,
        count     BIGINT NOT NULL,
        PRIMARY KEY (exporter, year, recipient, allowed, dimension, value)
    )
    """,
)

# Whole statements, written out: no SQL is assembled from input.
_BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"  # a fresh snapshot per statement: the reads see past the lock
_BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"  # the lock-free look: one snapshot for both reads
_LIMITS = (  # a node that stalls while holding the lock loses its session, and with it the lock
    "SELECT set_config('lock_timeout', %s, true), set_config('idle_in_transaction_session_timeout', %s, true)"
)
_LOCK = (
    "SELECT pg_advisory_xact_lock(hashtextextended("
    "'gateway.counters:' || current_schema() || ':' || %s::text || ':' || %s::text, 0))"
)
_TOTALS = "SELECT personal, sensitive FROM year_totals WHERE exporter = %s AND year = %s"
_KNOWN = (  # one primary-key probe per subject, whatever the statistics say (see the module's description)
    "SELECT u.s, i.sensitive FROM unnest(%s::bytea[]) AS u(s) CROSS JOIN LATERAL "
    "(SELECT sensitive FROM individuals WHERE exporter = %s AND year = %s AND subject = u.s OFFSET 0) AS i"
)
_UPSERT_INDIVIDUALS = (
    "INSERT INTO individuals (exporter, year, subject, sensitive) "
    "SELECT %s, %s, s, f FROM unnest(%s::bytea[], %s::boolean[]) AS u(s, f) "
    "ON CONFLICT (exporter, year, subject) DO UPDATE SET sensitive = individuals.sensitive OR excluded.sensitive"
)
_ADD_TOTALS = (
    "INSERT INTO year_totals (exporter, year, personal, sensitive) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (exporter, year) DO UPDATE SET personal = year_totals.personal + excluded.personal, "
    "sensitive = year_totals.sensitive + excluded.sensitive"
)
_ADD_TALLIES = (  # rows in key order, so that two nodes' batches lock shared rows in the same order
    "INSERT INTO tallies (exporter, year, recipient, allowed, dimension, value, count) "
    "SELECT * FROM unnest(%s::text[], %s::integer[], %s::text[], %s::boolean[], %s::text[], %s::text[], "
    "%s::bigint[]) "
    "ON CONFLICT (exporter, year, recipient, allowed, dimension, value) DO UPDATE SET count = tallies.count + "
    "excluded.count"
)
_READ_TOTALS = (
    "SELECT exporter, personal, sensitive FROM year_totals "
    "WHERE year = %s AND (%s::text IS NULL OR exporter = %s::text)"
)
_READ_TALLIES = (
    "SELECT exporter, year, recipient, allowed, dimension, value, count FROM tallies "
    "WHERE year = %s AND (%s::text IS NULL OR exporter = %s::text)"
)
_DEFAULT_LINGER = 0.02  # seconds from the first tally to its commit, when no commit is running
_RETRY_AFTER = 1.0  # seconds before a failed tally commit is retried (unless flush asks sooner)

_TallyKey = tuple[str, int, str, int, str, str]  # exporter, year, recipient, allowed, dimension, value
_log = structlog.get_logger("gateway.counters")


def _unavailable(e: BaseException) -> CountersUnavailable:
    return CountersUnavailable(f"the year's count of individuals cannot be read or saved ({e.__class__.__name__})")


class _Held:
    """:class:`gateway.ports.YearCount` over what one hold read: the year's totals, and which of the hold's
    individuals were counted already (digest -> sensitive). Reservations stay here until the hold commits."""

    __slots__ = ("_known", "_live", "_personal", "_scope", "_sensitive", "added", "base")

    def __init__(self, totals: tuple[int, int], scope: frozenset[bytes], known: dict[bytes, bool]) -> None:
        self.base = totals
        self._personal, self._sensitive = totals
        self._scope = scope
        self._known = known
        self._live = True
        self.added: dict[bytes, bool] = {}  # rows to write: new individuals, and upgrades to sensitive

    def _of(self, subjects: Mapping[str, bool]) -> dict[bytes, bool]:
        if not self._live:
            raise RuntimeError("the hold on the year has ended")
        digests = _digests(subjects)
        if not self._scope.issuperset(digests):
            raise ValueError("a subject is not among those the hold on the year was taken for")
        return digests

    def year_to_date(self, subjects: Mapping[str, bool]) -> tuple[int, int]:
        known = self._known
        personal, sensitive = self._personal, self._sensitive
        for digest, is_sensitive in self._of(subjects).items():
            was = known.get(digest)
            if was is None:
                personal += 1
            if is_sensitive and not was:
                sensitive += 1
        return personal, sensitive

    def reserve(self, subjects: Mapping[str, bool]) -> None:
        known = self._known
        for digest, is_sensitive in self._of(subjects).items():
            was = known.get(digest)
            if was is None:
                self._personal += 1
            elif was or not is_sensitive:
                continue
            if is_sensitive:
                self._sensitive += 1
            known[digest] = is_sensitive
            self.added[digest] = is_sensitive

    def end(self) -> tuple[int, int]:
        """Close the hold; the (personal, sensitive) it adds to the totals."""
        self._live = False
        return self._personal - self.base[0], self._sensitive - self.base[1]


class PgCounterStore:
    """Distinct individuals per exporter and year, and transfer tallies, in PostgreSQL shared by several nodes."""

    def __init__(
        self,
        dsn: str,
        *,
        node: str = "",
        linger: float = _DEFAULT_LINGER,
        wait: float = 5.0,
        max_connections: int = 8,
    ) -> None:
        """``wait``: seconds a hold may wait for a pooled connection, and for the exporter-year's lock, before the
        store is reported unavailable; ``max_connections``: the pool's size, the most decisions this node holds
        at once."""
        self._dsn = make_conninfo(dsn, application_name=f"gateway-counters {node}".strip()[:63])
        self.node = node
        self._linger = linger
        self._wait = wait
        self._limits = (f"{int(wait * 1000)}ms", f"{int(max(wait, 1.0) * 2000)}ms")
        self._max_connections = max_connections
        self._pool: AsyncConnectionPool | None = None
        self._deltas: Counter[_TallyKey] = Counter()  # tallies not yet handed to a commit
        self._writing: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.batches = 0  # tally commits made

    # ------------------------------------------------------------------------------------------- life cycle ---

    async def open(self) -> None:
        """Connect and bring the schema up to date; :class:`gateway.errors.ConfigError` if the database cannot be
        reached or is newer than this gateway."""
        pool = await open_pool(self._dsn, name="counters", max_size=self._max_connections)
        try:
            async with pool.connection() as conn:
                await migrate(conn, "counters", SCRIPTS)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        """Write the tallies queued so far, then close. A final write that fails is logged, with what it lost (the
        individuals are never pending: each hold commits its own)."""
        try:
            await self.flush()
        except CountersUnavailable as e:
            cause = (e.__cause__ or e).__class__.__name__
            _log.error("counter_changes_lost", error=cause, node=self.node, individuals=0, tallies=len(self._deltas))
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def _connected(self) -> AsyncConnectionPool:
        if self._pool is None:
            raise RuntimeError("the counter store is not open")
        return self._pool

    async def ready(self) -> None:
        """The database answers a query."""
        try:
            async with self._connected().connection() as conn:
                await conn.execute("SELECT 1")
        except (psycopg.Error, PoolTimeout, RuntimeError) as e:
            raise _unavailable(e) from e

    # -------------------------------------------------------------------------------------- the data path ---

    @asynccontextmanager
    async def counting(self, exporter: str, year: int, subjects: Mapping[str, bool]) -> AsyncIterator[YearCount]:
        """Hold ``exporter``'s ``year`` for one decision about ``subjects`` (see the module's description)."""
        digests = _digests(subjects)  # ValueError for what is not a keyed hash, before any connection is taken
        pool = self._connected()
        conn, held = await self._hold(pool, exporter, year, digests)
        try:
            try:
                yield held
            except BaseException:
                held.end()
                await self._abandon(conn)
                raise
            personal, sensitive = held.end()
            try:
                async with conn.pipeline():
                    if held.added:
                        rows = sorted(held.added.items())
                        await conn.execute(
                            _UPSERT_INDIVIDUALS, (exporter, year, [d for d, _ in rows], [s for _, s in rows])
                        )
                        await conn.execute(_ADD_TOTALS, (exporter, year, personal, sensitive))
                    if conn.info.transaction_status != pq.TransactionStatus.IDLE:  # the lock-free look has none
                        await conn.execute("COMMIT")
            except psycopg.Error as e:
                await self._abandon(conn)
                _log.error("counters_unavailable", step="commit", error=e.__class__.__name__, node=self.node)
                raise _unavailable(e) from e
        finally:
            await pool.putconn(conn)

    async def _hold(
        self, pool: AsyncConnectionPool, exporter: str, year: int, digests: dict[bytes, bool]
    ) -> tuple[psycopg.AsyncConnection[TupleRow], _Held]:
        """A connection in a transaction holding the exporter-year (when there is someone to count), and what it
        read. Retried once on a fresh connection when the first was found broken, having written nothing."""
        for attempt in (1, 2):
            try:
                conn = await pool.getconn(timeout=self._wait)
            except psycopg.Error as e:  # PoolTimeout: no connection could be had in time
                _log.error("counters_unavailable", step="connect", error=e.__class__.__name__, node=self.node)
                raise _unavailable(e) from e
            try:
                held = await self._read(conn, exporter, year, digests)
            except psycopg.Error as e:
                broken = conn.closed
                await self._abandon(conn)
                await pool.putconn(conn)
                if broken and attempt == 1:
                    _log.warning("counters_connection_replaced", error=e.__class__.__name__, node=self.node)
                    await pool.check()  # replace the other idle connections that died with it
                    continue
                _log.error("counters_unavailable", step="hold", error=e.__class__.__name__, node=self.node)
                raise _unavailable(e) from e
            except BaseException:
                await self._abandon(conn)
                await pool.putconn(conn)
                raise
            return conn, held
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def _read(
        self, conn: psycopg.AsyncConnection[TupleRow], exporter: str, year: int, digests: dict[bytes, bool]
    ) -> _Held:
        if digests:
            held = await self._look(conn, exporter, year, digests)
            if held is not None:
                return held
        async with conn.pipeline():
            await conn.execute(_BEGIN)
            await conn.execute(_LIMITS, self._limits)
            if digests:
                await conn.execute(_LOCK, (exporter, str(year)))
            totals = await conn.execute(_TOTALS, (exporter, year))
            known = await conn.execute(_KNOWN, (list(digests), exporter, year)) if digests else None
            row = await totals.fetchone()
            found = {} if known is None else {bytes(s): bool(f) for s, f in await known.fetchall()}
        counted = (0, 0) if row is None else (int(row[0]), int(row[1]))
        return _Held(counted, frozenset(digests), found)

    @staticmethod
    async def _look(
        conn: psycopg.AsyncConnection[TupleRow], exporter: str, year: int, digests: dict[bytes, bool]
    ) -> _Held | None:
        """Without the lock, in one snapshot: the hold, when every individual of the transfer is counted already
        (as sensitive, where the transfer holds sensitive data of theirs); else None (the connection left idle).

        Such a transfer can reserve nobody, so it cannot move the count: deciding on the totals of a snapshot places
        it, in the serial order of decisions, before every transfer that committed after the snapshot. Resending
        known people (a monthly payroll to the same staff) then waits for no other node's decision.
        """
        async with conn.pipeline():
            await conn.execute(_BEGIN_SNAPSHOT)
            totals = await conn.execute(_TOTALS, (exporter, year))
            known = await conn.execute(_KNOWN, (list(digests), exporter, year))
            await conn.execute("ROLLBACK")
            row = await totals.fetchone()
            found = {bytes(s): bool(f) for s, f in await known.fetchall()}
        if row is None or any(d not in found or (sensitive and not found[d]) for d, sensitive in digests.items()):
            return None
        return _Held((int(row[0]), int(row[1])), frozenset(digests), found)

    @staticmethod
    async def _abandon(conn: psycopg.AsyncConnection[TupleRow]) -> None:
        """Roll back what the connection has begun; close it when it cannot say (the pool then replaces it)."""
        if conn.closed:
            return
        try:
            if conn.info.transaction_status != pq.TransactionStatus.IDLE:
                await conn.execute("ROLLBACK")
        except psycopg.Error:
            await conn.close()

    # ----------------------------------------------------------------------------------------- tallies ---

    def record_transfer(self, event: TransferEvent) -> None:
        """Tally one decided transfer: as a transfer, under each of its categories, and under its mechanism."""
        for key in tally_keys(event):
            self._deltas[key] += 1
        self._schedule(self._linger)

    def _schedule(self, delay: float) -> None:
        """Start a commit within ``delay``, unless one is running or already timed."""
        if self._writing is None and self._timer is None and self._deltas:
            self._timer = asyncio.get_running_loop().call_later(delay, self._start_batch)

    def _start_batch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writing is not None or not self._deltas:
            return
        deltas, self._deltas = self._deltas, Counter()
        self._writing = asyncio.get_running_loop().create_task(self._write(deltas))
        self._writing.add_done_callback(partial(self._finish, deltas))

    async def _write(self, deltas: Counter[_TallyKey]) -> None:
        """One statement (so one transaction) for the batch."""
        rows = sorted(deltas.items())
        columns = [[key[i] for key, _ in rows] for i in range(6)]
        columns[3] = [bool(a) for a in columns[3]]
        pool = self._connected()
        async with pool.connection(timeout=self._wait) as conn:
            try:
                await conn.execute(_ADD_TALLIES, (*columns, [count for _, count in rows]))
            except psycopg.Error:
                if conn.closed:  # not retried here (it may have committed), but the next try gets a live connection
                    await pool.check()
                raise
        self.batches += 1

    def _finish(self, deltas: Counter[_TallyKey], done: asyncio.Task[None]) -> None:
        """After a commit: on failure put the batch back (retried later, or by flush); then go on."""
        self._writing = None
        error = None if done.cancelled() else done.exception()
        if error is not None or done.cancelled():
            _log.error(
                "counter_commit_failed",
                error="CancelledError" if error is None else error.__class__.__name__,
                node=self.node,
                tallies=len(deltas),
            )
            deltas.update(self._deltas)
            self._deltas = deltas
            self._schedule(_RETRY_AFTER)
        elif self._deltas:
            self._start_batch()  # they waited a whole commit already

    async def flush(self) -> None:
        """Return once every tally recorded so far is committed (individuals are, once their hold has ended);
        :class:`gateway.errors.CountersUnavailable` if a commit fails (its tallies stay queued and are retried)."""
        while True:
            if self._writing is None:
                if not self._deltas:
                    return
                self._start_batch()
            writing = self._writing
            assert writing is not None
            await asyncio.wait([writing])
            if writing.cancelled():
                raise CountersUnavailable("the transfer tallies could not be saved (CancelledError)")
            if (error := writing.exception()) is not None:
                raise _unavailable(error) from error

    # ----------------------------------------------------------------------------------------- statistics ---

    async def stats(self, year: int, exporter: str | None = None) -> list[ExporterStats]:
        """Each exporter's ``year`` (only ``exporter``'s, if given), sorted by exporter, from the database after
        this node's tallies are flushed: every node that has flushed answers the same."""
        await self.flush()
        try:
            async with self._connected().connection(timeout=self._wait) as conn, conn.pipeline():
                totals = await conn.execute(_READ_TOTALS, (year, exporter, exporter))
                tallies = await conn.execute(_READ_TALLIES, (year, exporter, exporter))
                counted_rows = await totals.fetchall()
                tally_rows = await tallies.fetchall()
        except psycopg.Error as e:
            raise _unavailable(e) from e
        counted = {str(who): (int(p), int(s)) for who, p, s in counted_rows}
        found: list[tuple[_TallyKey, int]] = [
            ((str(e), int(y), str(r), int(bool(a)), str(d), str(v)), int(c)) for e, y, r, a, d, v, c in tally_rows
        ]
        return _assemble(year, counted, found, exporter)
