"""The SQLite counter store: distinct individuals per exporter and year, exact, persisted; transfer tallies."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.ports import TransferEvent
from gateway.stores.memory import MemoryCounters
from gateway.stores.migrations import migrate
from gateway.stores.sqlite_counters import SCRIPTS, SqliteCounterStore, Tally

EXPORTER, OTHER = "sip-precision-manufacturing", "sip-energy-grid"


def person(n: int) -> str:
    """A keyed hash as the data path names an individual (64 hex digits)."""
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()


def people(ns: range | list[int], sensitive: bool = False) -> dict[str, bool]:
    return {person(n): sensitive for n in ns}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteCounterStore]:
    s = SqliteCounterStore(tmp_path / "counters.sqlite3")
    await s.open()
    yield s
    await s.close()


async def reopen(s: SqliteCounterStore) -> SqliteCounterStore:
    await s.close()
    again = SqliteCounterStore(s.path)
    await again.open()
    return again


async def test_the_same_person_counts_once_across_transfers_to_different_recipients(store: SqliteCounterStore) -> None:
    """Individuals are counted per exporter, whatever the route or recipient that carried them."""
    await store.load(EXPORTER, 2026)
    store.reserve(EXPORTER, 2026, people([1, 2]))  # e.g. route sg-hr to one recipient
    store.reserve(EXPORTER, 2026, people([2, 3]))  # route sg-crm to another
    assert store.year_to_date(EXPORTER, 2026, {}) == (3, 0)


async def test_resending_known_individuals_does_not_move_the_count(store: SqliteCounterStore) -> None:
    """A transfer of people already counted this year adds nobody, and queues nothing to write."""
    await store.load(EXPORTER, 2026)
    store.reserve(EXPORTER, 2026, people(range(10)))
    await store.flush()
    batches = store.batches
    assert store.year_to_date(EXPORTER, 2026, people(range(10))) == (10, 0)
    store.reserve(EXPORTER, 2026, people(range(10)))
    await store.flush()
    assert store.year_to_date(EXPORTER, 2026, {}) == (10, 0)
    assert store.batches == batches


async def test_year_to_date_includes_this_transfers_new_individuals_without_reserving(
    store: SqliteCounterStore,
) -> None:
    """The count a decision sees includes the transfer's new individuals; only reserve makes them count later."""
    await store.load(EXPORTER, 2026)
    store.reserve(EXPORTER, 2026, people([1]))
    assert store.year_to_date(EXPORTER, 2026, people([1, 2, 3])) == (3, 0)
    assert store.year_to_date(EXPORTER, 2026, {}) == (1, 0)


async def test_a_person_first_sent_as_personal_then_with_sensitive_data(store: SqliteCounterStore) -> None:
    """Counted once in personal; then also once in sensitive; never downgraded by a later personal-only transfer."""
    await store.load(EXPORTER, 2026)
    store.reserve(EXPORTER, 2026, people([1]))
    assert store.year_to_date(EXPORTER, 2026, {}) == (1, 0)
    assert store.year_to_date(EXPORTER, 2026, people([1], sensitive=True)) == (1, 1)
    store.reserve(EXPORTER, 2026, people([1], sensitive=True))
    store.reserve(EXPORTER, 2026, people([1]))
    assert store.year_to_date(EXPORTER, 2026, {}) == (1, 1)
    store = await reopen(store)
    await store.load(EXPORTER, 2026)
    assert store.year_to_date(EXPORTER, 2026, {}) == (1, 1)
    await store.close()


async def test_spellings_of_one_hash_are_one_person(store: SqliteCounterStore) -> None:
    """Upper- and lower-case hex of the same hash name the same individual."""
    await store.load(EXPORTER, 2026)
    assert store.year_to_date(EXPORTER, 2026, {person(1): False, person(1).upper(): True}) == (1, 1)


async def test_years_and_exporters_are_counted_apart(store: SqliteCounterStore) -> None:
    """The year is an input: the same people in 2027 are new; another exporter's count is its own."""
    for exporter, year in [(EXPORTER, 2026), (EXPORTER, 2027), (OTHER, 2026)]:
        await store.load(exporter, year)
    store.reserve(EXPORTER, 2026, people(range(5), sensitive=True))
    assert store.year_to_date(EXPORTER, 2027, people(range(5))) == (5, 0)
    store.reserve(EXPORTER, 2027, people(range(2)))
    assert store.year_to_date(EXPORTER, 2026, {}) == (5, 5)
    assert store.year_to_date(EXPORTER, 2027, {}) == (2, 0)
    assert store.year_to_date(OTHER, 2026, {}) == (0, 0)


async def test_100001_distinct_individuals_in_batches_of_1000(store: SqliteCounterStore) -> None:
    """Exact at the threshold: 100,000 after 100 batches, the 100,001st is the next one, then it persists."""
    await store.load(EXPORTER, 2026)
    for start in range(0, 100_000, 1000):
        batch = people(range(start, start + 1000))
        store.reserve(EXPORTER, 2026, batch)
        store.reserve(EXPORTER, 2026, people(range(max(0, start - 500), start + 1)))  # overlap: resent people
    assert store.year_to_date(EXPORTER, 2026, {}) == (100_000, 0)
    assert store.year_to_date(EXPORTER, 2026, people([99_999, 100_000])) == (100_001, 0)
    store.reserve(EXPORTER, 2026, people([100_000]))
    store = await reopen(store)
    await store.load(EXPORTER, 2026)
    assert store.year_to_date(EXPORTER, 2026, {}) == (100_001, 0)
    await store.close()


async def test_counts_and_tallies_survive_a_restart(store: SqliteCounterStore) -> None:
    """Reserve and tally, close (which writes what is queued), reopen, load: the same counts and statistics."""
    await store.load(EXPORTER, 2026)
    store.reserve(EXPORTER, 2026, people(range(7)) | people(range(7, 10), sensitive=True))
    store.record_transfer(TransferEvent(EXPORTER, 2026, "sg-payroll", True, ("PI.CONTACT", "SPI.GOV_ID"), "CN_SCC"))
    before = await store.stats(2026)
    store = await reopen(store)
    assert await store.stats(2026) == before  # from the database: the year is not resident yet
    await store.load(EXPORTER, 2026)
    assert store.year_to_date(EXPORTER, 2026, {}) == (10, 3)
    assert await store.stats(2026) == before
    await store.close()


async def test_changes_are_committed_in_the_background(store: SqliteCounterStore) -> None:
    """Without flush or close, a reservation reaches the database within the linger time."""
    await store.load(EXPORTER, 2026)
    store.reserve(EXPORTER, 2026, people(range(3)))
    async with asyncio.timeout(5):
        while store.batches == 0:  # noqa: ASYNC110 - the store's own timer starts the commit; nothing to await
            await asyncio.sleep(0.005)
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM individuals").fetchone() == (3,)


async def test_a_failed_commit_keeps_its_changes_queued_and_retries(
    store: SqliteCounterStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit that fails (disk full, say) loses nothing: flush reports the error, the next one writes it all."""
    await store.load(EXPORTER, 2026)
    store.reserve(EXPORTER, 2026, people(range(4)))
    store.record_transfer(TransferEvent(EXPORTER, 2026, "sg-payroll", True, (), None))
    write = store._write

    def full(*args: object) -> None:
        monkeypatch.setattr(store, "_write", write)  # only this once
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "_write", full)
    with pytest.raises(sqlite3.OperationalError):
        await store.flush()
    await store.flush()
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM individuals").fetchone() == (4,)
        assert db.execute("SELECT SUM(count) FROM tallies WHERE dimension = 'transfers'").fetchone() == (1,)


async def test_a_database_at_version_1_is_upgraded_and_keeps_its_counts(tmp_path: Path) -> None:
    """Opening a database written before the tallies existed adds them and keeps every individual."""
    path = tmp_path / "counters.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, SCRIPTS[:1], path=path)
    db.executemany(
        "INSERT INTO individuals VALUES (?, ?, ?, ?)",
        [(EXPORTER, 2026, bytes.fromhex(person(n)), int(n < 2)) for n in range(5)],
    )
    db.close()
    store = SqliteCounterStore(path)
    await store.open()
    await store.load(EXPORTER, 2026)
    assert store.year_to_date(EXPORTER, 2026, {}) == (5, 2)
    store.record_transfer(TransferEvent(EXPORTER, 2026, "sg-payroll", False, (), None))
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(SCRIPTS),)
        assert db.execute("SELECT count FROM tallies WHERE dimension = 'transfers'").fetchone() == (1,)


async def test_stats_by_recipient_category_and_mechanism(store: SqliteCounterStore) -> None:
    """Transfers allowed and refused, by recipient, category (each transfer once per category) and mechanism."""
    await store.load(EXPORTER, 2026)
    store.reserve(EXPORTER, 2026, people(range(4)) | people([4], sensitive=True))
    events = [
        TransferEvent(EXPORTER, 2026, "sg-payroll", True, ("PI.CONTACT", "PI.CONTACT"), "CN_SCC"),
        TransferEvent(EXPORTER, 2026, "sg-payroll", False, ("SPI.HEALTH",), None),
        TransferEvent(EXPORTER, 2026, "sg-crm", True, ("PI.CONTACT",), "CN_EX_SMALL"),
        TransferEvent(EXPORTER, 2027, "sg-crm", True, ("PI.CONTACT",), "CN_EX_SMALL"),
        TransferEvent(OTHER, 2026, "sg-crm", False, (), None),
    ]
    for event in events:
        store.record_transfer(event)
    theirs, mine = await store.stats(2026)  # sorted by exporter
    assert (mine.exporter, mine.personal, mine.sensitive, mine.transfers) == (EXPORTER, 5, 1, Tally(2, 1))
    assert mine.by_recipient == {"sg-payroll": Tally(1, 1), "sg-crm": Tally(1, 0)}
    assert mine.by_category == {"PI.CONTACT": Tally(2, 0), "SPI.HEALTH": Tally(0, 1)}
    assert mine.by_mechanism == {"CN_SCC": Tally(1, 0), None: Tally(0, 1), "CN_EX_SMALL": Tally(1, 0)}
    assert (theirs.exporter, theirs.personal, theirs.transfers) == (OTHER, 0, Tally(0, 1))
    assert [s.exporter for s in await store.stats(2026, OTHER)] == [OTHER]
    assert await store.stats(2025) == []


async def test_counting_an_exporter_year_not_loaded_is_a_fault(store: SqliteCounterStore) -> None:
    """Without load the store cannot know the count: it refuses rather than answer 0."""
    with pytest.raises(RuntimeError, match="not loaded"):
        store.year_to_date(EXPORTER, 2026, {})
    with pytest.raises(RuntimeError, match="not loaded"):
        store.reserve(EXPORTER, 2026, people([1]))


async def test_a_subject_that_is_not_a_keyed_hash_is_refused_without_echoing_it(store: SqliteCounterStore) -> None:
    """Only 64-hex-digit hashes are counted; the message never repeats what was given (it may be an identifier)."""
    await store.load(EXPORTER, 2026)
    for bad in ("13800138000", person(1)[:-2], person(1)[:62] + " 0"):
        with pytest.raises(ValueError, match="64 hexadecimal digits") as caught:
            store.reserve(EXPORTER, 2026, {bad: False})
        assert bad not in str(caught.value)
    assert store.year_to_date(EXPORTER, 2026, {}) == (0, 0)


async def test_concurrent_loads_of_one_year_share_one_read(store: SqliteCounterStore) -> None:
    """Two transfers loading the same exporter-year at once see the same resident state."""
    await store.load(EXPORTER, 2026)
    store.reserve(EXPORTER, 2026, people(range(3)))
    store = await reopen(store)
    await asyncio.gather(store.load(EXPORTER, 2026), store.load(EXPORTER, 2026))
    assert store.year_to_date(EXPORTER, 2026, {}) == (3, 0)
    await store.close()


_transfers = st.lists(
    st.tuples(st.sampled_from([2026, 2027]), st.dictionaries(st.integers(0, 30), st.booleans(), max_size=8)),
    max_size=20,
)


@settings(max_examples=40)
@given(_transfers)
def test_counts_agree_with_the_in_memory_reference(transfers: list[tuple[int, dict[int, bool]]]) -> None:
    """For any sequence of transfers, the store counts as the in-memory counters do, before and after a restart."""

    async def run() -> None:
        model = MemoryCounters()
        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteCounterStore(Path(tmp) / "c.sqlite3")
            await store.open()
            for year, subjects in transfers:
                named = {person(n): s for n, s in subjects.items()}
                async with store.counting(EXPORTER, year, named) as held, model.counting(EXPORTER, year, named) as ref:
                    assert held.year_to_date(named) == ref.year_to_date(named)
                    held.reserve(named)
                    ref.reserve(named)
            store = await reopen(store)
            for year in (2026, 2027):
                await store.load(EXPORTER, year)
                async with model.counting(EXPORTER, year, {}) as ref:
                    assert store.year_to_date(EXPORTER, year, {}) == ref.year_to_date({})
            await store.close()

    asyncio.run(run())
