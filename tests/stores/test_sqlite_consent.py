"""The SQLite consent registry: atomic batches, idempotent withdrawal, lookup by many hashes, migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.audit.record import subject_hash
from gateway.consent.validate import ConsentDraft, ConsentRecord
from gateway.errors import ConfigError
from gateway.stores.sqlite_consent import SCRIPTS, SqliteConsentStore

AT = datetime(2026, 6, 1, 12, 0, 0, 123000, tzinfo=UTC)
KEY = b"k" * 32


def draft(n: int, exporter: str = "sip-precision-manufacturing") -> ConsentDraft:
    return ConsentDraft(
        exporter=exporter,
        subject_type="cn_mobile",
        subject_hash=subject_hash(KEY, "cn_mobile", f"1380013{n:04d}"),
        recipients=("sg-hr",),
        purposes=("payroll",),
        categories=("PI.BASIC", "PI.CONTACT"),
        separate=True,
        given_by="individual",
        notice={"purpose": "Payroll", "recipient_name": "Merlion People Services Pte. Ltd."},
        given_at=datetime(2026, 3, 1, 1, tzinfo=UTC),
        expires_at=datetime(2027, 3, 1, 1, tzinfo=UTC),
        language="zh",
        collection_method="web form",
    )


def _stored_bytes(directory: Path) -> bytes:
    """Every byte the consent store wrote: the database and its WAL."""
    return b"".join(p.read_bytes() for p in sorted(directory.glob("consents.sqlite3*")))


def sign(record: ConsentRecord) -> str:
    return f"receipt-for-{record.id}"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteConsentStore]:
    s = SqliteConsentStore(tmp_path / "consents.sqlite3")
    await s.open()
    yield s
    await s.close()


async def test_added_records_read_back_equal(store: SqliteConsentStore) -> None:
    """What add returns is what get reads: same draft, UUID id, recording time, receipt."""
    [added] = await store.add([draft(1)], AT, sign)
    assert len(added.id) == 36
    assert added.receipt == f"receipt-for-{added.id}"
    assert await store.get(added.id) == added
    assert await store.get("no-such-id") is None


async def test_a_batch_is_all_or_nothing(store: SqliteConsentStore) -> None:
    """A receipt that cannot be made for the third record leaves none of the batch stored."""

    def failing(record: ConsentRecord) -> str:
        if record.draft.subject_hash == draft(3).subject_hash:
            raise RuntimeError("signer down")
        return "ok"

    with pytest.raises(RuntimeError):
        await store.add([draft(n) for n in range(5)], AT, failing)
    assert await store.lookup("sip-precision-manufacturing", [draft(n).subject_hash for n in range(5)]) == {}
    first = await store.add([draft(n) for n in range(5)], AT, sign)
    assert len({r.id for r in first}) == 5


async def test_a_failed_insert_rolls_back_the_batch(store: SqliteConsentStore) -> None:
    """A database error mid-batch (a duplicate id) stores none of it, and the store stays usable."""
    [kept] = await store.add([draft(0)], AT, sign)
    records = [ConsentRecord(f"id-{n}", draft(n), AT, None, "r") for n in range(1, 4)]
    records.append(ConsentRecord(kept.id, draft(9), AT, None, "r"))  # collides with the stored one
    with pytest.raises(sqlite3.IntegrityError):
        store._add_sync(records, sign)  # the worker's own step, to force the collision
    assert await store.get("id-1") is None
    assert len(await store.add([draft(5)], AT, sign)) == 1


async def test_withdrawal_is_idempotent_and_keeps_the_first_time(store: SqliteConsentStore) -> None:
    [added] = await store.add([draft(1)], AT, sign)
    first = await store.withdraw(added.id, AT + timedelta(days=1))
    again = await store.withdraw(added.id, AT + timedelta(days=2))
    assert first is not None
    assert again is not None
    assert first.withdrawn_at == again.withdrawn_at == AT + timedelta(days=1)
    [consent] = (await store.lookup("sip-precision-manufacturing", [added.draft.subject_hash]))[
        added.draft.subject_hash
    ]
    assert consent.withdrawn
    assert await store.withdraw("no-such-id", AT) is None


async def test_another_exporter_cannot_withdraw(store: SqliteConsentStore) -> None:
    [added] = await store.add([draft(1)], AT, sign)
    assert await store.withdraw(added.id, AT, exporter="sip-energy-grid") is None
    got = await store.get(added.id)
    assert got is not None
    assert got.withdrawn_at is None
    withdrawn = await store.withdraw(added.id, AT, exporter="sip-precision-manufacturing")
    assert withdrawn is not None
    assert withdrawn.withdrawn_at == AT


async def test_lookup_answers_many_hashes_per_exporter(store: SqliteConsentStore) -> None:
    """Each hash gets all its exporter's consents (withdrawn too); other exporters' and unknown hashes are absent."""
    ours = await store.add([draft(n) for n in range(300)] + [draft(7)], AT, sign)
    await store.add([draft(8, exporter="sip-energy-grid")], AT, sign)
    await store.withdraw(ours[7].id, AT)
    wanted = [draft(n).subject_hash for n in (7, 8, 299)] + ["0" * 64]
    found = await store.lookup("sip-precision-manufacturing", wanted)
    assert set(found) == {draft(7).subject_hash, draft(8).subject_hash, draft(299).subject_hash}
    assert {c.id for c in found[draft(7).subject_hash]} == {ours[7].id, ours[300].id}
    assert [c.withdrawn for c in found[draft(7).subject_hash] if c.id == ours[7].id] == [True]
    assert [c.id for c in found[draft(8).subject_hash]] == [ours[8].id]
    assert await store.lookup("sip-precision-manufacturing", []) == {}


async def test_by_subject_lists_one_individual_oldest_first(store: SqliteConsentStore) -> None:
    later = replace(draft(1), given_at=datetime(2026, 4, 1, tzinfo=UTC))
    b, a = await store.add([later, draft(1)], AT, sign)
    assert [r.id for r in await store.by_subject("sip-precision-manufacturing", draft(1).subject_hash)] == [a.id, b.id]
    assert await store.by_subject("sip-energy-grid", draft(1).subject_hash) == []


async def test_reopening_is_idempotent_and_keeps_the_records(tmp_path: Path) -> None:
    path = tmp_path / "consents.sqlite3"
    s = SqliteConsentStore(path)
    await s.open()
    [added] = await s.add([draft(1)], AT, sign)
    await s.close()
    s = SqliteConsentStore(path)
    await s.open()
    assert await s.get(added.id) == added
    await s.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(SCRIPTS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {row[1] for row in db.execute("PRAGMA index_list(consents)")}
    assert "consents_by_subject" in indexes


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "consents.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(SCRIPTS) + 1}")
    s = SqliteConsentStore(path)
    with pytest.raises(ConfigError, match="newer"):
        await s.open()
    await s.close()


async def test_no_raw_identifier_reaches_the_file(tmp_path: Path) -> None:
    """Only keyed hashes are stored: the phone numbers behind them are nowhere in the database or its WAL."""
    s = SqliteConsentStore(tmp_path / "consents.sqlite3")
    await s.open()
    await s.add([draft(n) for n in range(20)], AT, sign)
    data = _stored_bytes(tmp_path)
    await s.close()
    assert draft(3).subject_hash.encode() in data
    assert all(f"1380013{n:04d}".encode() not in data for n in range(20))
