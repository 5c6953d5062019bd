"""The consent registries' contract: the same tests on SQLite and on PostgreSQL, and the same values from both."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from gateway.consent.validate import ConsentDraft, ConsentRecord
from gateway.errors import ConfigError
from gateway.stores import pg_consent, sqlite_consent
from gateway.stores.factory import ConsentRegistry
from gateway.stores.pg_consent import PgConsentStore
from gateway.stores.sqlite_consent import SqliteConsentStore
from tests.postgres import fresh_schema
from tests.stores.test_sqlite_consent import AT, draft, sign

Make = Callable[[], ConsentRegistry]
EXPORTER = "sip-precision-manufacturing"


@pytest.fixture(params=["sqlite", "postgresql"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Make:
    """Makes an unopened store; every store it makes shares one database (a file, or a schema of its own)."""
    if request.param == "sqlite":
        return lambda: SqliteConsentStore(tmp_path / "consents.sqlite3")
    dsn: str = request.getfixturevalue("pg_dsn")
    return lambda: PgConsentStore(dsn)


@pytest.fixture
async def store(make: Make) -> AsyncIterator[ConsentRegistry]:
    s = make()
    await s.open()
    yield s
    await s.close()


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[Make, Make]]:
    """One SQLite and one PostgreSQL store, to compare what they give back."""
    with fresh_schema() as dsn:
        yield (lambda: SqliteConsentStore(tmp_path / "consents.sqlite3")), (lambda: PgConsentStore(dsn))


async def test_added_records_read_back_equal(store: ConsentRegistry) -> None:
    """What add returns is what get reads: same draft, UUID id, recording time, receipt."""
    [added] = await store.add([draft(1)], AT, sign)
    assert len(added.id) == 36
    assert added.receipt == f"receipt-for-{added.id}"
    assert await store.get(added.id) == added
    assert await store.get("no-such-id") is None


async def test_a_batch_is_all_or_nothing(store: ConsentRegistry) -> None:
    """A receipt that cannot be made for the third record leaves none of the batch stored."""

    def failing(record: ConsentRecord) -> str:
        if record.draft.subject_hash == draft(3).subject_hash:
            raise RuntimeError("signer down")
        return "ok"

    with pytest.raises(RuntimeError):
        await store.add([draft(n) for n in range(5)], AT, failing)
    assert await store.lookup(EXPORTER, [draft(n).subject_hash for n in range(5)]) == {}
    first = await store.add([draft(n) for n in range(5)], AT, sign)
    assert len({r.id for r in first}) == 5
    assert await store.add([], AT, sign) == []


async def test_a_failed_insert_rolls_back_the_batch(store: ConsentRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database error mid-batch (the fourth record's id collides with a stored one) stores none of it, and the
    store stays usable."""
    [kept] = await store.add([draft(0)], AT, sign)
    ids = iter([uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3), uuid.UUID(kept.id)])
    with monkeypatch.context() as m:
        m.setattr(uuid, "uuid4", lambda: next(ids))
        with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
            await store.add([draft(n) for n in range(1, 5)], AT, sign)
    assert await store.get(str(uuid.UUID(int=1))) is None
    assert await store.lookup(EXPORTER, [draft(n).subject_hash for n in range(1, 5)]) == {}
    assert len(await store.add([draft(5)], AT, sign)) == 1


async def test_withdrawal_is_idempotent_and_keeps_the_first_time(store: ConsentRegistry) -> None:
    [added] = await store.add([draft(1)], AT, sign)
    first = await store.withdraw(added.id, AT + timedelta(days=1))
    again = await store.withdraw(added.id, AT + timedelta(days=2))
    assert first is not None
    assert again is not None
    assert first.withdrawn_at == again.withdrawn_at == AT + timedelta(days=1)
    assert await store.get(added.id) == first
    [consent] = (await store.lookup(EXPORTER, [added.draft.subject_hash]))[added.draft.subject_hash]
    assert consent.withdrawn
    assert await store.withdraw("no-such-id", AT) is None


async def test_another_exporter_cannot_withdraw(store: ConsentRegistry) -> None:
    [added] = await store.add([draft(1)], AT, sign)
    assert await store.withdraw(added.id, AT, exporter="sip-energy-grid") is None
    got = await store.get(added.id)
    assert got is not None
    assert got.withdrawn_at is None
    withdrawn = await store.withdraw(added.id, AT, exporter=EXPORTER)
    assert withdrawn is not None
    assert withdrawn.withdrawn_at == AT
    assert await store.withdraw(added.id, AT + timedelta(days=1), exporter="sip-energy-grid") is None


async def test_lookup_answers_many_hashes_per_exporter(store: ConsentRegistry) -> None:
    """Each hash gets all its exporter's consents (withdrawn too); other exporters' and unknown hashes are absent."""
    ours = await store.add([draft(n) for n in range(300)] + [draft(7)], AT, sign)
    await store.add([draft(8, exporter="sip-energy-grid")], AT, sign)
    await store.withdraw(ours[7].id, AT)
    wanted = {draft(n).subject_hash for n in (7, 8, 299)} | {"0" * 64}
    found = await store.lookup(EXPORTER, wanted)
    assert set(found) == {draft(7).subject_hash, draft(8).subject_hash, draft(299).subject_hash}
    assert {c.id for c in found[draft(7).subject_hash]} == {ours[7].id, ours[300].id}
    assert [c.withdrawn for c in found[draft(7).subject_hash] if c.id == ours[7].id] == [True]
    assert [c.id for c in found[draft(8).subject_hash]] == [ours[8].id]
    assert found[draft(299).subject_hash] == (ours[299].consent(),)
    assert await store.lookup(EXPORTER, []) == {}


async def test_by_subject_lists_one_individual_oldest_first(store: ConsentRegistry) -> None:
    later = replace(draft(1), given_at=datetime(2026, 4, 1, tzinfo=UTC))
    b, a = await store.add([later, draft(1)], AT, sign)
    assert [r.id for r in await store.by_subject(EXPORTER, draft(1).subject_hash)] == [a.id, b.id]
    assert await store.by_subject("sip-energy-grid", draft(1).subject_hash) == []


async def test_consents_given_at_the_same_time_are_ordered_by_id(store: ConsentRegistry) -> None:
    """Ties on given_at are broken by id, as bytes compare (upper-case ids before lower-case ones)."""
    records = [ConsentRecord(i, draft(1), AT, None, "r") for i in ("b-2", "B-1", "a-3", "A-4", "10")]
    await _insert(store, records)
    expected = sorted(r.id for r in records)
    assert [r.id for r in await store.by_subject(EXPORTER, draft(1).subject_hash)] == expected
    found = await store.lookup(EXPORTER, [draft(1).subject_hash])
    assert [c.id for c in found[draft(1).subject_hash]] == expected


async def test_times_keep_milliseconds_and_read_back_in_utc(store: ConsentRegistry) -> None:
    """Times are kept to the millisecond (truncated, as receipts state them) and come back in UTC, whatever zone
    they were given in; the notice keeps its fields in the order given, Chinese text included."""
    east8 = datetime(2026, 3, 1, 9, 30, 15, 987654, tzinfo=UTC).astimezone(timezone(timedelta(hours=8)))
    notice = {"recipient_name": "新加坡薪酬服务", "purpose": "Payroll", "contact": "dpo@example.sg"}
    given = replace(draft(1), given_at=east8, expires_at=None, notice=notice, separate=False, recipients=())
    [added] = await store.add([given], east8, sign)
    got = await store.get(added.id)
    assert got is not None
    assert got.draft.given_at == got.recorded_at == datetime(2026, 3, 1, 9, 30, 15, 987000, tzinfo=UTC)
    assert got.draft.given_at.tzinfo is UTC
    assert got.draft.expires_at is None
    assert list(got.draft.notice) == list(notice)
    assert dict(got.draft.notice) == notice
    assert (got.draft.separate, got.draft.recipients) == (False, ())


async def _insert(store: ConsentRegistry, records: list[ConsentRecord]) -> None:
    """Store records with the ids given (each store's own step after signing)."""
    if isinstance(store, SqliteConsentStore):
        await store._run(lambda: store._add_sync(records, lambda r: r.receipt))
    else:
        assert isinstance(store, PgConsentStore)
        await store._insert(records)


async def test_reopening_is_idempotent_and_keeps_the_records(store: ConsentRegistry, make: Make) -> None:
    [added] = await store.add([draft(1)], AT, sign)
    await store.close()
    again = make()
    await again.open()
    assert await again.get(added.id) == added
    await again.close()


async def test_a_database_newer_than_the_code_is_refused(make: Make, tmp_path: Path) -> None:
    s = make()
    if isinstance(s, SqliteConsentStore):
        with sqlite3.connect(s.path) as db:
            db.execute(f"PRAGMA user_version = {len(sqlite_consent.SCRIPTS) + 1}")
    else:
        assert isinstance(s, PgConsentStore)
        with psycopg.connect(s._dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE gateway_schema (store TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            conn.execute("INSERT INTO gateway_schema VALUES ('consent', %s)", (len(pg_consent.SCRIPTS) + 1,))
    with pytest.raises(ConfigError, match="newer"):
        await s.open()
    await s.close()


async def test_both_stores_give_back_the_same_values(both: tuple[Make, Make]) -> None:
    """The same records, with the same ids, read back equal from SQLite and PostgreSQL, through every method."""
    stores = [make() for make in both]
    drafts: list[ConsentDraft] = [draft(n) for n in range(6)]
    drafts.append(replace(draft(2), given_at=datetime(2026, 1, 1, 0, 0, 0, 1500, tzinfo=UTC), expires_at=None))
    records = [ConsentRecord(f"id-{n:02d}", d, AT, None, f"receipt-{n}") for n, d in enumerate(drafts)]
    seen = []
    for s in stores:
        await s.open()
        await _insert(s, records)
        hashes = [d.subject_hash for d in drafts] + ["f" * 64]
        seen.append(
            (
                [await s.get(r.id) for r in records],
                await s.withdraw("id-03", AT + timedelta(hours=1)),
                await s.withdraw("id-03", AT + timedelta(hours=2), exporter=EXPORTER),
                await s.withdraw("id-04", AT, exporter="sip-energy-grid"),
                await s.by_subject(EXPORTER, draft(2).subject_hash),
                await s.lookup(EXPORTER, hashes),
            )
        )
        await s.close()
    sqlite_seen, pg_seen = seen
    assert pg_seen == sqlite_seen
    assert sqlite_seen[0][:6] == records[:6]  # whole milliseconds: read back as given
    assert sqlite_seen[0][6] != records[6]  # 1.5 ms: truncated to 1 ms, by both
    _, _, _, _, listed, _ = pg_seen
    assert [r.id for r in listed] == ["id-06", "id-02"]
