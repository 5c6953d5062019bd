"""Two gateway nodes counting on one PostgreSQL: each individual once, a threshold crossed by one transfer only,
nothing reserved by a failed decision, the same statistics on either node, and faults reported as such."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import psycopg
import pytest
from structlog.testing import capture_logs

from gateway.errors import CountersUnavailable
from gateway.ports import TransferEvent
from gateway.stores.pg_counters import PgCounterStore
from gateway.stores.sqlite_counters import Tally

EXPORTER = "sip-precision-manufacturing"
YEAR = 2026
THRESHOLD = 100_000  # individuals a year, under which an exporter may rely on the exemption


def person(n: int) -> str:
    """A keyed hash as the data path names an individual; the same digest SQL makes with ``_PEOPLE``."""
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()


def people(ns: range | list[int], sensitive: bool = False) -> dict[str, bool]:
    return {person(n): sensitive for n in ns}


@pytest.fixture
async def nodes(pg_dsn: str) -> AsyncIterator[tuple[PgCounterStore, PgCounterStore]]:
    """Two stores on one database, as two gateway nodes run them."""
    a, b = PgCounterStore(pg_dsn, node="node-a"), PgCounterStore(pg_dsn, node="node-b", wait=1.0)
    await a.open()
    await b.open()
    yield a, b
    await a.close()
    await b.close()


def _table(dsn: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def _counted(dsn: str) -> tuple[int, int, int, int]:
    """(rows, sensitive rows) of individuals, and the totals kept beside them."""
    [(rows, sensitive, personal_total, sensitive_total)] = _table(
        dsn,
        "SELECT (SELECT COUNT(*) FROM individuals), (SELECT COUNT(*) FROM individuals WHERE sensitive), "
        "(SELECT COALESCE(SUM(personal), 0) FROM year_totals), (SELECT COALESCE(SUM(sensitive), 0) FROM year_totals)",
    )
    return int(rows), int(sensitive), int(personal_total), int(sensitive_total)  # type: ignore[call-overload]


async def test_two_nodes_count_the_same_individuals_at_once_each_once(
    nodes: tuple[PgCounterStore, PgCounterStore], pg_dsn: str
) -> None:
    """200 transfers of 10 people each, all started together and split across both nodes, every person named by
    two transfers: the database holds exactly the 1,000 distinct people, and the decisions, taken one at a time,
    saw 1,000 new people between them (two decisions seeing the same person as new would make more)."""
    a, b = nodes

    async def transfer(i: int) -> int:
        subjects = {person((5 * i + k) % 1000): (5 * i + k) % 7 == 0 and i % 2 == 0 for k in range(10)}
        async with (a if i % 2 else b).counting(EXPORTER, YEAR, subjects) as held:
            before, _ = held.year_to_date({})
            after, _ = held.year_to_date(subjects)
            held.reserve(subjects)
            await asyncio.sleep(0)  # let the other decisions run, were they not held
        return after - before

    new = await asyncio.gather(*(transfer(i) for i in range(200)))
    assert sum(new) == 1000
    rows, sensitive, personal_total, sensitive_total = _counted(pg_dsn)
    assert (rows, personal_total) == (1000, 1000)
    assert sensitive == sensitive_total == len({n for n in range(0, 1000, 7)})
    for node in nodes:
        async with node.counting(EXPORTER, YEAR, {}) as held:
            assert held.year_to_date({}) == (1000, sensitive)


async def test_at_the_threshold_only_one_of_fifty_concurrent_transfers_passes(
    nodes: tuple[PgCounterStore, PgCounterStore], pg_dsn: str
) -> None:
    """With 99,999 individuals counted, 50 transfers across both nodes each bring one new person and are allowed
    only if the year would not then exceed 100,000: exactly one is, and the year ends at 100,000."""
    with psycopg.connect(pg_dsn) as conn:
        conn.execute(
            "INSERT INTO individuals SELECT %s, %s, sha256(convert_to('person-' || n, 'UTF8')), false "
            "FROM generate_series(0, %s) AS n",
            (EXPORTER, YEAR, THRESHOLD - 2),
        )
        conn.execute("INSERT INTO year_totals VALUES (%s, %s, %s, 0)", (EXPORTER, YEAR, THRESHOLD - 1))
    a, b = nodes
    async with a.counting(EXPORTER, YEAR, people([0, THRESHOLD - 2, THRESHOLD - 1])) as held:
        assert held.year_to_date(people([0, THRESHOLD - 2])) == (THRESHOLD - 1, 0)  # the same digests as SQL's
        assert held.year_to_date(people([THRESHOLD - 1])) == (THRESHOLD, 0)

    async def transfer(i: int) -> bool:
        subjects = people([THRESHOLD + i])
        async with (a if i % 2 else b).counting(EXPORTER, YEAR, subjects) as held:
            allowed = held.year_to_date(subjects)[0] <= THRESHOLD
            await asyncio.sleep(0)
            if allowed:
                held.reserve(subjects)
        return allowed

    outcomes = await asyncio.gather(*(transfer(i) for i in range(50)))
    assert outcomes.count(True) == 1
    assert _counted(pg_dsn)[::2] == (THRESHOLD, THRESHOLD)
    async with b.counting(EXPORTER, YEAR, {}) as held:
        assert held.year_to_date({}) == (THRESHOLD, 0)


async def test_a_decision_that_fails_reserves_nothing_and_releases_the_year(
    nodes: tuple[PgCounterStore, PgCounterStore], pg_dsn: str
) -> None:
    """An exception inside the hold rolls back what it reserved; the other node decides at once after it."""
    a, b = nodes
    async with a.counting(EXPORTER, YEAR, people([1])) as held:
        held.reserve(people([1]))

    async def failing() -> None:
        async with a.counting(EXPORTER, YEAR, people(range(10), sensitive=True)) as held:
            held.reserve(people(range(10), sensitive=True))
            assert held.year_to_date({}) == (10, 10)
            raise RuntimeError("classifier crashed")

    with pytest.raises(RuntimeError, match="classifier crashed"):
        await failing()
    async with asyncio.timeout(2), b.counting(EXPORTER, YEAR, people(range(3))) as held:
        assert held.year_to_date(people(range(3))) == (3, 0)
    assert _counted(pg_dsn) == (1, 0, 1, 0)
    with pytest.raises(RuntimeError, match="ended"):
        held.reserve(people([2]))  # a hold used after its block: refused, not silently lost


async def test_a_stalled_hold_makes_others_wait_only_so_long(
    nodes: tuple[PgCounterStore, PgCounterStore], pg_dsn: str
) -> None:
    """While node A holds the exporter-year (its decision stalled), a node waiting longer than its ``wait`` for the
    lock reports CountersUnavailable instead of hanging; other exporters are not held up; A then commits."""
    a, _ = nodes
    impatient = PgCounterStore(pg_dsn, node="node-c", wait=0.3)
    await impatient.open()
    entered, release = asyncio.Event(), asyncio.Event()

    async def stalled() -> None:
        async with a.counting(EXPORTER, YEAR, people([1])) as held:
            held.reserve(people([1]))
            entered.set()
            await release.wait()

    holding = asyncio.get_running_loop().create_task(stalled())
    await entered.wait()
    try:
        async with asyncio.timeout(2):
            with pytest.raises(CountersUnavailable, match="LockNotAvailable"):
                await _decide(impatient, EXPORTER, people([2]))
            await _decide(impatient, "sip-energy-grid", people([2]))
    finally:
        release.set()
        await holding
    await _decide(impatient, EXPORTER, people([2]))
    await impatient.close()
    assert _counted(pg_dsn)[0] == 3


async def test_a_transfer_of_people_already_counted_waits_for_no_hold(
    nodes: tuple[PgCounterStore, PgCounterStore], pg_dsn: str
) -> None:
    """Resending people counted before takes no lock, so it is decided while another node holds the year; its count
    is the year's so far. A person already counted who now comes with sensitive data does wait for the hold."""
    a, _ = nodes
    impatient = PgCounterStore(pg_dsn, node="node-c", wait=0.3)
    await impatient.open()
    await _decide(a, EXPORTER, people([1, 2, 3]))
    entered, release = asyncio.Event(), asyncio.Event()

    async def stalled() -> None:
        async with a.counting(EXPORTER, YEAR, people([4])) as held:
            held.reserve(people([4]))
            entered.set()
            await release.wait()

    holding = asyncio.get_running_loop().create_task(stalled())
    await entered.wait()
    try:
        async with asyncio.timeout(2):
            async with impatient.counting(EXPORTER, YEAR, people([1, 2])) as held:
                assert held.year_to_date(people([1, 2])) == (3, 0)
                held.reserve(people([1, 2]))
            with pytest.raises(CountersUnavailable, match="LockNotAvailable"):
                await _decide(impatient, EXPORTER, people([1], sensitive=True))
    finally:
        release.set()
        await holding
    await impatient.close()
    assert _counted(pg_dsn)[:2] == (4, 0)


async def _decide(store: PgCounterStore, exporter: str, subjects: dict[str, bool]) -> None:
    async with store.counting(exporter, YEAR, subjects) as held:
        held.reserve(subjects)


async def test_a_subject_outside_the_hold_is_refused(nodes: tuple[PgCounterStore, PgCounterStore]) -> None:
    """The hold knows only the individuals it was taken for: counting or reserving others is a fault, not 0."""
    a, _ = nodes
    with pytest.raises(ValueError, match="not among"):
        async with a.counting(EXPORTER, YEAR, people([1])) as held:
            held.reserve(people([1, 2]))
    with pytest.raises(ValueError, match="not among"):
        async with a.counting(EXPORTER, YEAR, {}) as held:
            held.year_to_date(people([1]))


async def test_tallies_from_both_nodes_add_up_on_either(nodes: tuple[PgCounterStore, PgCounterStore]) -> None:
    """Each node group-commits its own tallies; once both have, either node's statistics hold both nodes'."""
    a, b = nodes
    async with a.counting(EXPORTER, YEAR, people(range(3))) as held:
        held.reserve(people(range(3)))
    async with b.counting(EXPORTER, YEAR, people(range(2, 5), sensitive=True)) as held:
        held.reserve(people(range(2, 5), sensitive=True))
    for i in range(30):
        node = a if i % 3 else b
        node.record_transfer(TransferEvent(EXPORTER, YEAR, "sg-hr", i % 5 != 0, ("PI.CONTACT",), "CN_SCC"))
        await asyncio.sleep(0.001 if i % 7 == 0 else 0)  # some batches commit meanwhile
    await b.flush()
    from_a = await a.stats(YEAR)  # flushes a's own
    assert from_a == await b.stats(YEAR)
    [stats] = from_a
    assert (stats.personal, stats.sensitive) == (5, 3)
    assert stats.transfers == Tally(24, 6)
    assert stats.by_recipient == {"sg-hr": Tally(24, 6)}
    assert stats.by_category == {"PI.CONTACT": Tally(24, 6)}
    assert stats.by_mechanism == {"CN_SCC": Tally(24, 6)}
    assert a.batches + b.batches >= 2


async def test_a_node_whose_connections_were_cut_recovers_on_the_next_transfer(
    nodes: tuple[PgCounterStore, PgCounterStore], pg_dsn: str
) -> None:
    """The server ends every session of node A (a restart, a failover): A's next decision replaces the dead
    connection and succeeds (a hold that had written nothing is retried once)."""
    a, _ = nodes
    async with a.counting(EXPORTER, YEAR, people([1])) as held:
        held.reserve(people([1]))
    assert _terminate(pg_dsn, "gateway-counters node-a") >= 1
    async with a.counting(EXPORTER, YEAR, people([2])) as held:
        assert held.year_to_date(people([2])) == (2, 0)
        held.reserve(people([2]))
    assert _counted(pg_dsn)[0] == 2


async def test_an_unreachable_database_is_counters_unavailable(
    nodes: tuple[PgCounterStore, PgCounterStore], pg_dsn: str
) -> None:
    """Node B's sessions are ended and no new one can be made (the server is gone): the next decision raises
    CountersUnavailable, naming neither the server nor anyone's hash, and nothing is counted; a stats read says
    the same. Once the server is back, B counts again."""
    _, b = nodes
    pool = b._connected()
    reachable = pool.conninfo
    pool.conninfo = "host=127.0.0.1 port=9 connect_timeout=1 dbname=gone"  # the discard port: nothing listens
    assert _terminate(pg_dsn, "gateway-counters node-b") >= 1
    with pytest.raises(CountersUnavailable) as caught:
        async with b.counting(EXPORTER, YEAR, people([1])) as held:
            held.reserve(people([1]))
    detail = caught.value.detail
    assert caught.value.kind == "counters-unavailable"
    assert "127.0.0.1" not in detail
    assert person(1) not in detail
    assert "(" in detail
    assert _counted(pg_dsn)[0] == 0
    pool.conninfo = reachable
    async with asyncio.timeout(15):
        while True:  # the pool reconnects in the background, backing off
            try:
                async with b.counting(EXPORTER, YEAR, people([1])) as held:
                    held.reserve(people([1]))
                break
            except CountersUnavailable:
                await asyncio.sleep(0.1)
    assert _counted(pg_dsn)[0] == 1


async def test_closing_without_the_database_logs_the_tallies_it_lost(pg_dsn: str) -> None:
    """A node closing while the database is gone cannot write its queued tallies: it says how many it lost (the
    individuals were committed by their holds, so none are pending) and still closes."""
    store = PgCounterStore(pg_dsn, node="node-d", wait=0.3, linger=60)
    await store.open()
    async with store.counting(EXPORTER, YEAR, people([1])) as held:
        held.reserve(people([1]))
    store.record_transfer(TransferEvent(EXPORTER, YEAR, "sg-hr", True, ("PI.CONTACT",), None))
    store._connected().conninfo = "host=127.0.0.1 port=9 connect_timeout=1 dbname=gone"
    _terminate(pg_dsn, "gateway-counters node-d")
    with capture_logs() as logs:
        await store.close()
    [lost] = [e for e in logs if e["event"] == "counter_changes_lost"]
    assert (lost["individuals"], lost["tallies"]) == (0, 3)
    assert "127.0.0.1" not in str(lost)
    assert _counted(pg_dsn)[0] == 1


def _terminate(dsn: str, application: str) -> int:
    """End the server sessions of one node's counters; how many."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (application,)
        ).fetchall()
    return len(rows)
