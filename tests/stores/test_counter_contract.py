"""The counter stores' contract, as the data path uses it through ``counting()``: the same tests on SQLite and on
PostgreSQL, and both against the in-memory reference."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.ports import TransferEvent
from gateway.stores.factory import CounterStatistics
from gateway.stores.memory import MemoryCounters
from gateway.stores.pg_counters import PgCounterStore
from gateway.stores.sqlite_counters import SqliteCounterStore, Tally

EXPORTER, OTHER = "sip-precision-manufacturing", "sip-energy-grid"

Make = Callable[[], CounterStatistics]


def person(n: int) -> str:
    """A keyed hash as the data path names an individual (64 hex digits)."""
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()


def people(ns: range | list[int], sensitive: bool = False) -> dict[str, bool]:
    return {person(n): sensitive for n in ns}


@pytest.fixture(params=["sqlite", "postgresql"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Make:
    """Makes an unopened store; every store it makes shares one database (a file, or a schema of its own)."""
    if request.param == "sqlite":
        return lambda: SqliteCounterStore(tmp_path / "counters.sqlite3")
    dsn: str = request.getfixturevalue("pg_dsn")
    return lambda: PgCounterStore(dsn, node="contract")


@pytest.fixture
async def store(make: Make) -> AsyncIterator[CounterStatistics]:
    s = make()
    await s.open()
    yield s
    await s.close()


async def reopen(s: CounterStatistics, make: Make) -> CounterStatistics:
    await s.close()
    again = make()
    await again.open()
    return again


async def ytd(
    store: CounterStatistics, exporter: str, year: int, subjects: Mapping[str, bool] | None = None
) -> tuple[int, int]:
    """The year-to-date count a decision about ``subjects`` sees (nothing reserved)."""
    subjects = subjects or {}
    async with store.counting(exporter, year, subjects) as held:
        return held.year_to_date(subjects)


async def send(store: CounterStatistics, exporter: str, year: int, subjects: Mapping[str, bool]) -> tuple[int, int]:
    """An allowed transfer: count, reserve; the count it was decided on."""
    async with store.counting(exporter, year, subjects) as held:
        seen = held.year_to_date(subjects)
        held.reserve(subjects)
    return seen


async def test_the_same_person_counts_once_across_transfers_and_recipients(store: CounterStatistics) -> None:
    """Individuals are counted per exporter, whatever the route or recipient that carried them."""
    assert await send(store, EXPORTER, 2026, people([1, 2])) == (2, 0)  # to sg-hr
    store.record_transfer(TransferEvent(EXPORTER, 2026, "sg-hr", True, ("PI.CONTACT",), "CN_SCC"))
    assert await send(store, EXPORTER, 2026, people([2, 3])) == (3, 0)  # to sg-crm
    store.record_transfer(TransferEvent(EXPORTER, 2026, "sg-crm", True, ("PI.CONTACT",), "CN_SCC"))
    assert await send(store, EXPORTER, 2026, people([1, 2, 3])) == (3, 0)
    assert await ytd(store, EXPORTER, 2026) == (3, 0)
    [mine] = await store.stats(2026)
    assert (mine.personal, mine.transfers) == (3, Tally(2, 0))


async def test_year_to_date_includes_this_transfers_new_individuals_without_reserving(
    store: CounterStatistics,
) -> None:
    """The count a decision sees includes the transfer's new individuals; only reserve makes them count later."""
    await send(store, EXPORTER, 2026, people([1]))
    async with store.counting(EXPORTER, 2026, people([1, 2, 3])) as held:
        assert held.year_to_date(people([1, 2, 3])) == (3, 0)
        assert held.year_to_date({}) == (1, 0)
    assert await ytd(store, EXPORTER, 2026) == (1, 0)


async def test_what_a_hold_reserves_counts_within_it(store: CounterStatistics) -> None:
    """A reservation shows at once in the same hold's year-to-date, and is not counted twice when repeated."""
    subjects = people([1, 2]) | people([3], sensitive=True)
    async with store.counting(EXPORTER, 2026, subjects) as held:
        held.reserve(people([1]))
        assert held.year_to_date({}) == (1, 0)
        assert held.year_to_date(subjects) == (3, 1)
        held.reserve(subjects)
        held.reserve(subjects)
        assert held.year_to_date({}) == (3, 1)
    assert await ytd(store, EXPORTER, 2026) == (3, 1)


async def test_a_person_first_sent_as_personal_then_with_sensitive_data(store: CounterStatistics, make: Make) -> None:
    """Counted once in personal; then also once in sensitive; never downgraded by a later personal-only transfer."""
    await send(store, EXPORTER, 2026, people([1]))
    assert await ytd(store, EXPORTER, 2026) == (1, 0)
    assert await ytd(store, EXPORTER, 2026, people([1], sensitive=True)) == (1, 1)
    assert await send(store, EXPORTER, 2026, people([1], sensitive=True)) == (1, 1)
    assert await send(store, EXPORTER, 2026, people([1])) == (1, 1)
    store = await reopen(store, make)
    assert await ytd(store, EXPORTER, 2026) == (1, 1)
    await store.close()


async def test_spellings_of_one_hash_are_one_person(store: CounterStatistics) -> None:
    """Upper- and lower-case hex of the same hash name the same individual."""
    both = {person(1): False, person(1).upper(): True}
    assert await send(store, EXPORTER, 2026, both) == (1, 1)
    assert await ytd(store, EXPORTER, 2026, {person(1).upper(): False}) == (1, 1)


async def test_years_and_exporters_are_counted_apart(store: CounterStatistics) -> None:
    """The year is an input: the same people in 2027 are new; another exporter's count is its own."""
    await send(store, EXPORTER, 2026, people(range(5), sensitive=True))
    assert await ytd(store, EXPORTER, 2027, people(range(5))) == (5, 0)
    await send(store, EXPORTER, 2027, people(range(2)))
    assert await ytd(store, EXPORTER, 2026) == (5, 5)
    assert await ytd(store, EXPORTER, 2027) == (2, 0)
    assert await ytd(store, OTHER, 2026) == (0, 0)
    assert await send(store, OTHER, 2026, people(range(3))) == (3, 0)


async def test_reservations_are_kept_only_when_the_block_ends_cleanly(store: CounterStatistics, make: Make) -> None:
    """CounterStore.counting: "reservations ... are kept when the block ends without an exception, and dropped
    otherwise"."""
    await send(store, EXPORTER, 2026, people([1]))

    async def failing() -> None:
        async with store.counting(EXPORTER, 2026, people(range(5))) as held:
            held.reserve(people(range(5)))
            raise RuntimeError("decision failed")

    with pytest.raises(RuntimeError, match="decision failed"):
        await failing()
    assert await ytd(store, EXPORTER, 2026) == (1, 0)
    store = await reopen(store, make)
    assert await ytd(store, EXPORTER, 2026) == (1, 0)
    await store.close()


async def test_a_subject_that_is_not_a_keyed_hash_is_refused_without_echoing_it(store: CounterStatistics) -> None:
    """Only 64-hex-digit hashes are counted; the message never repeats what was given (it may be an identifier)."""
    for bad in ("13800138000", person(1)[:-2], person(1)[:62] + " 0"):
        with pytest.raises(ValueError, match="64 hexadecimal digits") as caught:
            async with store.counting(EXPORTER, 2026, {bad: False}) as held:
                held.reserve({bad: False})
        assert bad not in str(caught.value)
    assert await ytd(store, EXPORTER, 2026) == (0, 0)


async def test_counts_and_tallies_survive_a_restart(store: CounterStatistics, make: Make) -> None:
    """Reserve and tally, close (which writes what is queued), reopen: the same counts and statistics."""
    await send(store, EXPORTER, 2026, people(range(7)) | people(range(7, 10), sensitive=True))
    store.record_transfer(TransferEvent(EXPORTER, 2026, "sg-payroll", True, ("PI.CONTACT", "SPI.GOV_ID"), "CN_SCC"))
    await store.flush()
    before = await store.stats(2026)
    assert [(s.exporter, s.personal, s.sensitive, s.transfers) for s in before] == [(EXPORTER, 10, 3, Tally(1, 0))]
    store = await reopen(store, make)
    assert await store.stats(2026) == before
    assert await ytd(store, EXPORTER, 2026) == (10, 3)
    assert await store.stats(2026) == before
    await store.close()


async def test_stats_by_recipient_category_and_mechanism(store: CounterStatistics) -> None:
    """Transfers allowed and refused, by recipient, category (each transfer once per category) and mechanism."""
    await send(store, EXPORTER, 2026, people(range(4)) | people([4], sensitive=True))
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
    [later] = await store.stats(2027)
    assert (later.exporter, later.personal, later.transfers) == (EXPORTER, 0, Tally(1, 0))
    assert await store.stats(2025) == []


_transfers = st.lists(
    st.tuples(
        st.sampled_from([2026, 2027]),
        st.dictionaries(st.integers(0, 30), st.booleans(), max_size=8),
        st.sampled_from(["all", "some", "none"]),  # allowed; allowed with records dropped; refused
    ),
    max_size=15,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transfers=_transfers)
async def test_counts_agree_with_the_in_memory_reference(
    store: CounterStatistics, transfers: list[tuple[int, dict[int, bool], str]]
) -> None:
    """For any sequence of transfers, each store counts as the in-memory counters do (an exporter per example:
    the store is shared by the examples)."""
    exporter = f"exporter-{uuid.uuid4().hex[:12]}"
    model = MemoryCounters()
    for year, subjects, outcome in transfers:
        named = {person(n): s for n, s in subjects.items()}
        sent = named if outcome == "all" else dict(list(named.items())[::2]) if outcome == "some" else {}
        async with store.counting(exporter, year, named) as held, model.counting(exporter, year, named) as ref:
            assert held.year_to_date(named) == ref.year_to_date(named)
            held.reserve(sent)
            ref.reserve(sent)
            assert held.year_to_date({}) == ref.year_to_date({})
    await store.flush()
    for year in (2026, 2027):
        async with model.counting(exporter, year, {}) as ref:
            expected = ref.year_to_date({})
        assert await ytd(store, exporter, year) == expected
        found = {s.exporter: (s.personal, s.sensitive) for s in await store.stats(year, exporter)}
        assert found.get(exporter, (0, 0)) == expected
