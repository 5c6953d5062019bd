"""The consent registry in PostgreSQL, shared by every gateway node: the same API as
:class:`gateway.stores.sqlite_consent.SqliteConsentStore`, and the same values back.

Lists are ``text[]``; the notice is ``json`` (not ``jsonb``, which would reorder its fields: the receipt and the API
show them in the order given); times are ``timestamptz`` written from the same RFC 3339 text SQLite stores
(milliseconds, UTC) and read back in UTC, so a record reads back equal whichever store holds it. Individuals are
named by their keyed hash only; the identifier never reaches this module.

Database faults are not translated: they reach the caller as :class:`psycopg.Error` (a pool that cannot hand out a
connection in time raises :class:`psycopg_pool.PoolTimeout`, one of them), as the SQLite store lets
:class:`sqlite3.Error` through; :mod:`gateway.errors` has no consent-store-unavailable kind yet.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from gateway.audit.record import timestamp
from gateway.consent.validate import ConsentDraft, ConsentRecord
from gateway.errors import ConsentsUnavailable
from gateway.model import Consent
from gateway.stores.postgres import migrate, open_pool
from gateway.stores.sqlite_consent import Sign

__all__ = ["SCRIPTS", "PgConsentStore"]

SCRIPTS: tuple[str, ...] = (
    # 1: consent records, found by exporter and subject hash.
    """
    CREATE TABLE consents (
        id                TEXT PRIMARY KEY,
        exporter          TEXT NOT NULL,
        subject_type      TEXT NOT NULL,
        subject_hash      TEXT NOT NULL,
        recipients        TEXT[] NOT NULL,
        purposes          TEXT[] NOT NULL,
        categories        TEXT[] NOT NULL,   -- vocabulary ids, expanded
        separate          BOOLEAN NOT NULL,
        given_by          TEXT NOT NULL,
        notice            JSON NOT NULL,     -- notice field -> text shown, in the order given
        given_at          TIMESTAMPTZ(3) NOT NULL,
        expires_at        TIMESTAMPTZ(3),
        language          TEXT NOT NULL,
        collection_method TEXT NOT NULL,
        recorded_at       TIMESTAMPTZ(3) NOT NULL,
        withdrawn_at      TIMESTAMPTZ(3),
        receipt           TEXT NOT NULL      -- the signed consent receipt (compact JWS)
    );
    CREATE INDEX consents_by_subject ON consents (exporter, subject_hash)
    """,
)

_COLUMNS = (
    "id, exporter, subject_type, subject_hash, recipients, purposes, categories, separate, given_by, notice, "
    "given_at, expires_at, language, collection_method, recorded_at, withdrawn_at, receipt"
)
# Whole statements, written out: no SQL is assembled from input. Ids sort bytewise, as SQLite sorts them.
_INSERT = (
    f"INSERT INTO consents ({_COLUMNS}) "  # noqa: S608 - a constant column list
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::json, %s, %s, %s, %s, %s, %s, %s)"
)
_BY_ID = f"SELECT {_COLUMNS} FROM consents WHERE id = %s"  # noqa: S608 - a constant column list
_BY_SUBJECTS = (
    f"SELECT {_COLUMNS} FROM consents "  # noqa: S608 - a constant column list
    'WHERE exporter = %s AND subject_hash = ANY(%s::text[]) ORDER BY given_at, id COLLATE "C"'
)
_FACTS = (  # what decide() reads, for the data path's lookup
    "SELECT subject_hash, id, recipients, purposes, categories, separate, given_by, notice, given_at, expires_at, "
    "withdrawn_at IS NOT NULL FROM consents "
    'WHERE exporter = %s AND subject_hash = ANY(%s::text[]) ORDER BY given_at, id COLLATE "C"'
)
_WITHDRAW = (
    "UPDATE consents SET withdrawn_at = %s WHERE id = %s AND withdrawn_at IS NULL "
    "AND (%s::text IS NULL OR exporter = %s::text)"
)


def _utc(t: datetime | None) -> datetime | None:
    """A ``timestamptz`` as SQLite's store returns its text: in UTC (``datetime.UTC``)."""
    return None if t is None else t.astimezone(UTC)


def _text(t: datetime | None) -> str | None:
    """A time as both stores keep it: RFC 3339 UTC, milliseconds (truncated)."""
    return None if t is None else timestamp(t)


def _row(record: ConsentRecord) -> tuple[Any, ...]:
    d = record.draft
    return (
        record.id,
        d.exporter,
        d.subject_type,
        d.subject_hash,
        list(d.recipients),
        list(d.purposes),
        list(d.categories),
        bool(d.separate),
        d.given_by,
        json.dumps(dict(d.notice), ensure_ascii=False),
        _text(d.given_at),
        _text(d.expires_at),
        d.language,
        d.collection_method,
        _text(record.recorded_at),
        _text(record.withdrawn_at),
        record.receipt,
    )


def _record(row: Sequence[Any]) -> ConsentRecord:
    (rid, exporter, kind, hashed, recipients, purposes, categories, separate, given_by, notice, *rest) = row
    given_at, expires_at, language, method, recorded_at, withdrawn_at, receipt = rest
    draft = ConsentDraft(
        exporter=exporter,
        subject_type=kind,
        subject_hash=hashed,
        recipients=tuple(recipients),
        purposes=tuple(purposes),
        categories=tuple(categories),
        separate=bool(separate),
        given_by=given_by,
        notice=notice,
        given_at=given_at.astimezone(UTC),
        expires_at=_utc(expires_at),
        language=language,
        collection_method=method,
    )
    return ConsentRecord(rid, draft, recorded_at.astimezone(UTC), _utc(withdrawn_at), receipt)


class _Sets:
    """Arrays (and the keys of JSON objects) as frozensets, each distinct value made once: the consents of one
    exporter repeat a few recipient, purpose, category and notice lists. Bounded, so it never grows unchecked."""

    _MAX = 4096

    def __init__(self) -> None:
        self._seen: dict[tuple[str, ...], frozenset[str]] = {}

    def __call__(self, items: Iterable[str]) -> frozenset[str]:
        key = tuple(items)  # a JSON object gives its keys
        found = self._seen.get(key)
        if found is None:
            found = frozenset(key)
            if len(self._seen) >= self._MAX:
                self._seen.clear()
            self._seen[key] = found
        return found


class PgConsentStore:
    """Consent records in PostgreSQL; :meth:`lookup` is the data path's port."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._pool: AsyncConnectionPool | None = None
        self._sets = _Sets()

    async def open(self) -> None:
        """Connect and bring the schema up to date; :class:`gateway.errors.ConfigError` if the database cannot be
        reached or is newer than this gateway."""
        pool = await open_pool(self._dsn, name="consents")
        try:
            async with pool.connection() as conn:
                await migrate(conn, "consent", SCRIPTS)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def _connected(self) -> AsyncConnectionPool:
        if self._pool is None:
            raise RuntimeError("the consent store is not open")
        return self._pool

    async def ready(self) -> None:
        """The database answers a query."""
        async with self._connected().connection() as conn:
            await conn.execute("SELECT 1")

    async def add(self, drafts: Iterable[ConsentDraft], at: datetime, sign: Sign) -> list[ConsentRecord]:
        """Store ``drafts`` in one transaction, each with a new UUID, recorded ``at``, and the receipt ``sign``
        makes for it; all or none."""
        records = [ConsentRecord(str(uuid.uuid4()), draft, at) for draft in drafts]
        signed = [ConsentRecord(r.id, r.draft, r.recorded_at, None, sign(r)) for r in records]
        await self._insert(signed)
        return signed

    async def _insert(self, records: list[ConsentRecord]) -> None:
        """One transaction for the batch (rolled back whole if any row fails)."""
        if not records:
            return
        async with self._connected().connection() as conn, conn.transaction(), conn.cursor() as cursor:
            await cursor.executemany(_INSERT, [_row(r) for r in records])

    async def get(self, consent_id: str) -> ConsentRecord | None:
        async with self._connected().connection() as conn:
            row = await (await conn.execute(_BY_ID, (consent_id,))).fetchone()
        return None if row is None else _record(row)

    async def withdraw(self, consent_id: str, at: datetime, *, exporter: str | None = None) -> ConsentRecord | None:
        """Mark the consent withdrawn ``at`` (a second withdrawal keeps the first time); None if there is no such
        consent (of ``exporter``, when given)."""
        async with self._connected().connection() as conn, conn.transaction():
            await conn.execute(_WITHDRAW, (timestamp(at), consent_id, exporter, exporter))
            row = await (await conn.execute(_BY_ID, (consent_id,))).fetchone()
        found = None if row is None else _record(row)
        return None if found is None or (exporter is not None and found.draft.exporter != exporter) else found

    async def by_subject(self, exporter: str, subject_hash: str) -> list[ConsentRecord]:
        """``exporter``'s consents for one individual, oldest first."""
        async with self._connected().connection() as conn:
            rows = await (await conn.execute(_BY_SUBJECTS, (exporter, [subject_hash]))).fetchall()
        return [_record(row) for row in rows]

    async def lookup(self, exporter: str, subject_hashes: Collection[str]) -> Mapping[str, tuple[Consent, ...]]:
        """Every consent ``exporter`` holds for each of ``subject_hashes``, withdrawn and expired ones included."""
        if not subject_hashes:
            return {}
        try:
            async with self._connected().connection() as conn:
                rows = await (await conn.execute(_FACTS, (exporter, list(subject_hashes)))).fetchall()
        except (psycopg.Error, RuntimeError) as e:  # PoolTimeout is a psycopg.Error; RuntimeError: not open
            raise ConsentsUnavailable(f"the consent registry cannot be read ({e.__class__.__name__})") from e
        sets = self._sets
        found: dict[str, list[Consent]] = {}
        for hashed, cid, recipients, purposes, categories, separate, given_by, notice, given, expires, gone in rows:
            consent = Consent(
                cid,
                sets(recipients),
                sets(purposes),
                sets(categories),
                bool(separate),
                given_by,
                sets(notice),
                given.astimezone(UTC),
                _utc(expires),
                bool(gone),
            )
            found.setdefault(hashed, []).append(consent)
        return {h: tuple(consents) for h, consents in found.items()}
