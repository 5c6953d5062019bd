"""The consent registry in one SQLite file: :class:`gateway.ports.ConsentStore` and what the consent API needs.

WAL with ``synchronous=FULL``, so a recorded consent survives a power cut once ``add`` returns. Every statement runs
on one worker thread over one connection, so writes are serialised without a lock and the event loop never waits on
the disk. Individuals are named by their keyed hash only; the identifier never reaches this module.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from gateway.audit.record import timestamp
from gateway.consent.validate import ConsentDraft, ConsentRecord
from gateway.errors import ConsentsUnavailable
from gateway.model import Consent
from gateway.stores.migrations import open_store

__all__ = ["SCRIPTS", "SqliteConsentStore"]

SCRIPTS: tuple[str, ...] = (
    # 1: consent records, found by exporter and subject hash.
    """
    CREATE TABLE consents (
        id TEXT PRIMARY KEY,
        exporter TEXT NOT NULL,
        subject_type TEXT NOT NULL,
        subject_hash TEXT NOT NULL,
        recipients TEXT NOT NULL,     -- JSON array of recipient ids
        purposes TEXT NOT NULL,       -- JSON array
        categories TEXT NOT NULL,     -- JSON array of vocabulary ids, expanded
        separate INTEGER NOT NULL,
        given_by TEXT NOT NULL,
        notice TEXT NOT NULL,         -- JSON object: notice field -> text shown
        given_at TEXT NOT NULL,       -- RFC 3339 UTC, milliseconds
        expires_at TEXT,
        language TEXT NOT NULL,
        collection_method TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        withdrawn_at TEXT,
        receipt TEXT NOT NULL         -- the signed consent receipt (compact JWS)
    );
    CREATE INDEX consents_by_subject ON consents (exporter, subject_hash)
    """,
)

# Whole statements, written out: no SQL is assembled from strings.
_INSERT = (
    "INSERT INTO consents (id, exporter, subject_type, subject_hash, recipients, purposes, categories, separate, "
    "given_by, notice, given_at, expires_at, language, collection_method, recorded_at, withdrawn_at, receipt) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_BY_ID = (
    "SELECT id, exporter, subject_type, subject_hash, recipients, purposes, categories, separate, given_by, notice, "
    "given_at, expires_at, language, collection_method, recorded_at, withdrawn_at, receipt FROM consents WHERE id = ?"
)
_BY_SUBJECTS = (
    "SELECT id, exporter, subject_type, subject_hash, recipients, purposes, categories, separate, given_by, notice, "
    "given_at, expires_at, language, collection_method, recorded_at, withdrawn_at, receipt FROM consents "
    "WHERE exporter = ? AND subject_hash IN (SELECT value FROM json_each(?)) ORDER BY given_at, id"
)
_FACTS = (  # what decide() reads, for the data path's lookup
    "SELECT subject_hash, id, recipients, purposes, categories, separate, given_by, notice, given_at, expires_at, "
    "withdrawn_at FROM consents "
    "WHERE exporter = ? AND subject_hash IN (SELECT value FROM json_each(?)) ORDER BY given_at, id"
)
_WITHDRAW = "UPDATE consents SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL AND (? IS NULL OR exporter = ?)"
_T = TypeVar("_T")
Sign = Callable[[ConsentRecord], str]


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _row(record: ConsentRecord) -> tuple[Any, ...]:
    d = record.draft
    return (
        record.id,
        d.exporter,
        d.subject_type,
        d.subject_hash,
        json.dumps(list(d.recipients)),
        json.dumps(list(d.purposes)),
        json.dumps(list(d.categories)),
        int(d.separate),
        d.given_by,
        json.dumps(dict(d.notice), ensure_ascii=False),
        timestamp(d.given_at),
        None if d.expires_at is None else timestamp(d.expires_at),
        d.language,
        d.collection_method,
        timestamp(record.recorded_at),
        None if record.withdrawn_at is None else timestamp(record.withdrawn_at),
        record.receipt,
    )


def _record(row: Sequence[Any]) -> ConsentRecord:
    (rid, exporter, kind, hashed, recipients, purposes, categories, separate, given_by, notice, *rest) = row
    given_at, expires_at, language, method, recorded_at, withdrawn_at, receipt = rest
    draft = ConsentDraft(
        exporter=exporter,
        subject_type=kind,
        subject_hash=hashed,
        recipients=tuple(json.loads(recipients)),
        purposes=tuple(json.loads(purposes)),
        categories=tuple(json.loads(categories)),
        separate=bool(separate),
        given_by=given_by,
        notice=json.loads(notice),
        given_at=datetime.fromisoformat(given_at),
        expires_at=_time(expires_at),
        language=language,
        collection_method=method,
    )
    return ConsentRecord(rid, draft, datetime.fromisoformat(recorded_at), _time(withdrawn_at), receipt)


class _Sets:
    """JSON arrays (and the keys of JSON objects) as frozensets, each distinct text parsed once: the consents of
    one exporter repeat a few recipient, purpose, category and notice lists. Bounded, so it never grows unchecked."""

    _MAX = 4096

    def __init__(self) -> None:
        self._seen: dict[str, frozenset[str]] = {}

    def __call__(self, text: str) -> frozenset[str]:
        found = self._seen.get(text)
        if found is None:
            found = frozenset(json.loads(text))  # an object gives its keys
            if len(self._seen) >= self._MAX:
                self._seen.clear()
            self._seen[text] = found
        return found


class SqliteConsentStore:
    """Consent records in SQLite; :meth:`lookup` is the data path's port."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="consent-store")
        self._db: sqlite3.Connection | None = None
        self._sets = _Sets()  # used on the worker thread only

    async def open(self) -> None:
        """Open (creating if needed) and bring the schema up to date."""
        await self._run(self._open_sync)

    def _open_sync(self) -> None:
        self._db = open_store(self.path, SCRIPTS)

    async def close(self) -> None:
        if self._db is not None:
            await self._run(self._db.close)
            self._db = None
        self._executor.shutdown(wait=True)

    async def _run(self, work: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the consent store is not open")
        return self._db

    async def ready(self) -> None:
        """The file answers a query."""
        await self._run(lambda: self._conn().execute("SELECT 1").fetchone())

    async def add(self, drafts: Iterable[ConsentDraft], at: datetime, sign: Sign) -> list[ConsentRecord]:
        """Store ``drafts`` in one transaction, each with a new UUID, recorded ``at``, and the receipt ``sign``
        makes for it; all or none."""
        records = [ConsentRecord(str(uuid.uuid4()), draft, at) for draft in drafts]
        return await self._run(partial(self._add_sync, records, sign))

    def _add_sync(self, records: list[ConsentRecord], sign: Sign) -> list[ConsentRecord]:
        signed = [ConsentRecord(r.id, r.draft, r.recorded_at, None, sign(r)) for r in records]
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(_INSERT, map(_row, signed))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return signed

    async def get(self, consent_id: str) -> ConsentRecord | None:
        return await self._run(partial(self._get_sync, consent_id))

    def _get_sync(self, consent_id: str) -> ConsentRecord | None:
        row = self._conn().execute(_BY_ID, (consent_id,)).fetchone()
        return None if row is None else _record(row)

    async def withdraw(self, consent_id: str, at: datetime, *, exporter: str | None = None) -> ConsentRecord | None:
        """Mark the consent withdrawn ``at`` (a second withdrawal keeps the first time); None if there is no such
        consent (of ``exporter``, when given)."""
        return await self._run(partial(self._withdraw_sync, consent_id, at, exporter))

    def _withdraw_sync(self, consent_id: str, at: datetime, exporter: str | None) -> ConsentRecord | None:
        db = self._conn()
        db.execute(_WITHDRAW, (timestamp(at), consent_id, exporter, exporter))
        found = self._get_sync(consent_id)
        return None if found is None or (exporter is not None and found.draft.exporter != exporter) else found

    async def by_subject(self, exporter: str, subject_hash: str) -> list[ConsentRecord]:
        """``exporter``'s consents for one individual, oldest first."""
        return await self._run(partial(self._by_subjects_sync, exporter, [subject_hash]))

    def _by_subjects_sync(self, exporter: str, hashes: Collection[str]) -> list[ConsentRecord]:
        rows = self._conn().execute(_BY_SUBJECTS, (exporter, json.dumps(list(hashes))))
        return [_record(row) for row in rows]

    async def lookup(self, exporter: str, subject_hashes: Collection[str]) -> Mapping[str, tuple[Consent, ...]]:
        """Every consent ``exporter`` holds for each of ``subject_hashes``, withdrawn and expired ones included."""
        if not subject_hashes:
            return {}
        try:
            return await self._run(partial(self._lookup_sync, exporter, subject_hashes))
        except (sqlite3.Error, RuntimeError) as e:  # RuntimeError: the store is not open
            raise ConsentsUnavailable(f"the consent registry cannot be read ({e.__class__.__name__})") from e

    def _lookup_sync(self, exporter: str, hashes: Collection[str]) -> dict[str, tuple[Consent, ...]]:
        sets, parse = self._sets, datetime.fromisoformat
        found: dict[str, list[Consent]] = {}
        for (
            hashed,
            cid,
            recipients,
            purposes,
            categories,
            separate,
            given_by,
            notice,
            given,
            expires,
            withdrawn,
        ) in self._conn().execute(_FACTS, (exporter, json.dumps(list(hashes)))):
            consent = Consent(
                cid,
                sets(recipients),
                sets(purposes),
                sets(categories),
                bool(separate),
                given_by,
                sets(notice),
                parse(given),
                None if expires is None else parse(expires),
                withdrawn is not None,
            )
            found.setdefault(hashed, []).append(consent)
        return {h: tuple(consents) for h, consents in found.items()}
