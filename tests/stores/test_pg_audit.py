"""The audit log shared by several nodes on PostgreSQL: one dense log from concurrent nodes, one sequencer and its
takeover, tamper detection from the records up, and schemas that do not cross. (What every audit store does, this
one included, is in test_audit_contract.py.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import psycopg
import pytest

from gateway.audit.checkpoint import Checkpoint
from gateway.audit.merkle import leaf_hash, root
from gateway.audit.note import NoteSigner
from gateway.cli import main
from gateway.errors import AuditCorrupt, AuditUnavailable
from gateway.stores.pg_audit import PgAuditLog, verify_database
from gateway.stores.postgres import schema_lock_key
from tests.postgres import fresh_schema

SIGNER = NoteSigner.generate("audit.example/pg")
LOCK = schema_lock_key("gateway.audit.sequencer")


def _leaf(node: str, n: int) -> bytes:
    return json.dumps({"node": node, "n": n}, separators=(",", ":")).encode()


async def _until(condition: Callable[[], bool], what: str, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting until {what}")


def _sequencer_pids(dsn: str) -> list[int]:
    """The backends holding this schema's sequencer lock."""
    with psycopg.connect(dsn) as conn:
        key = conn.execute(f"SELECT {LOCK}").fetchone()  # the key's SQL is the gateway's own, not input
        assert key is not None
        rows = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
            "AND classid::bigint = (%(k)s >> 32) & 4294967295 AND objid::bigint = %(k)s & 4294967295",
            {"k": key[0]},
        ).fetchall()
    return [int(pid) for (pid,) in rows]


@pytest.fixture
async def nodes(pg_dsn: str) -> AsyncIterator[list[PgAuditLog]]:
    """Two nodes on one log, the first opened first (so it sequences)."""
    opened = [PgAuditLog(pg_dsn, node="node-a"), PgAuditLog(pg_dsn, node="node-b")]
    for log in opened:
        await log.open()
    yield opened
    for log in opened:
        await log.close()


def _leaves_by_index(dsn: str) -> dict[int, bytes]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT idx, leaf FROM audit_entries WHERE idx IS NOT NULL").fetchall()
    return {int(idx): bytes(leaf) for idx, leaf in rows}


async def test_two_nodes_appending_at_once_make_one_dense_log(nodes: list[PgAuditLog], pg_dsn: str) -> None:
    a, b = nodes
    assert (a.sequencing, b.sequencing) == (True, False)
    assert _sequencer_pids(pg_dsn) != []

    async def append(log: PgAuditLog, n: int) -> tuple[bytes, int]:
        leaf = _leaf(log.node, n)
        return leaf, await log.append(leaf, sealed={"regulator": leaf[::-1]})

    answered = await asyncio.gather(*(append(log, n) for n in range(150) for log in nodes))
    assert sorted(index for _, index in answered) == list(range(300))
    stored = _leaves_by_index(pg_dsn)
    assert all(stored[index] == leaf for leaf, index in answered)
    await asyncio.gather(a.flush(), b.flush())
    assert a.size == 300
    await _until(lambda: b.size == 300, "the other node learnt the size")
    assert (await a.tip()) == (await b.tip()) == (300, root([leaf_hash(stored[i]) for i in range(300)]))
    reader = await asyncio.to_thread(b.reader)
    try:
        assert await asyncio.to_thread(reader.evidence, answered[1][1]) == {"regulator": answered[1][0][::-1]}
    finally:
        reader.close()
    assert verify_database(pg_dsn).records == 300


async def test_exactly_one_of_three_nodes_sequences(pg_dsn: str) -> None:
    logs = [PgAuditLog(pg_dsn, node=f"node-{i}") for i in range(3)]
    for log in logs:
        await log.open()
    try:
        assert [log.sequencing for log in logs] == [True, False, False]
        await asyncio.sleep(1.2)  # the others have tried the lock again meanwhile
        assert [log.sequencing for log in logs] == [True, False, False]
        assert len(_sequencer_pids(pg_dsn)) == 1
        assert await logs[2].append(b"from a node that does not sequence") == 0
    finally:
        for log in logs:
            await log.close()


async def test_closing_the_sequencer_hands_the_log_over(nodes: list[PgAuditLog], pg_dsn: str) -> None:
    a, b = nodes
    for n in range(5):
        await b.append(_leaf("b", n))
    await a.close()
    await _until(lambda: b.sequencing, "the other node took over", seconds=5)
    assert await b.append(_leaf("b", 5)) == 5
    assert verify_database(pg_dsn).records == 6


async def test_killing_the_sequencers_connection_hands_the_log_over(nodes: list[PgAuditLog], pg_dsn: str) -> None:
    """The sequencer's backend is terminated (as when its process dies) while both nodes append: every append is
    still answered, with its own index, and within seconds exactly one node sequences again."""
    a, b = nodes
    stop = asyncio.Event()
    answered: list[tuple[bytes, int]] = []

    async def keep_appending(log: PgAuditLog) -> None:
        n = 0
        while not stop.is_set():
            leaf = _leaf(log.node, n)
            answered.append((leaf, await log.append(leaf)))
            n += 1
            await asyncio.sleep(0.005)

    appending = [asyncio.ensure_future(keep_appending(log)) for log in nodes]
    try:
        await _until(lambda: len(answered) >= 50, "appends flowed")
        (pid,) = _sequencer_pids(pg_dsn)
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        await _until(lambda: not a.sequencing, "the sequencer noticed it lost its connection", seconds=5)
        before = len(answered)
        await _until(lambda: a.sequencing or b.sequencing, "a node took over", seconds=5)
        await _until(lambda: len(answered) >= before + 50, "appends flowed again", seconds=10)
    finally:
        stop.set()
        await asyncio.gather(*appending)
    assert [a.sequencing, b.sequencing].count(True) == 1
    assert len(_sequencer_pids(pg_dsn)) == 1
    assert pid not in _sequencer_pids(pg_dsn)
    assert sorted(index for _, index in answered) == list(range(len(answered)))
    stored = _leaves_by_index(pg_dsn)
    assert all(stored[index] == leaf for leaf, index in answered)
    assert verify_database(pg_dsn).records == len(answered)


async def test_an_append_nobody_sequences_fails_in_time_but_stays_durable(pg_dsn: str) -> None:
    """With the lock held elsewhere (a sequencer that hangs), an append fails after the timeout; the record is kept
    and sequenced once the lock is free."""
    with psycopg.connect(pg_dsn, autocommit=True) as holder:
        holder.execute(f"SELECT pg_advisory_lock({LOCK})")
        log = PgAuditLog(pg_dsn, node="node-a", sequence_timeout=0.6)
        await log.open()
        try:
            assert not log.sequencing
            with pytest.raises(AuditUnavailable, match="durable but was not sequenced"):
                await log.append(b"waiting")
            await asyncio.wait_for(log.flush(), timeout=5)
            holder.execute(f"SELECT pg_advisory_unlock({LOCK})")
            await _until(lambda: log.sequencing, "the node took the free lock", seconds=5)
            assert await log.append(b"next") == 1
        finally:
            await log.close()
    assert _leaves_by_index(pg_dsn) == {0: b"waiting", 1: b"next"}


async def test_a_refused_commit_is_audit_unavailable_naming_no_record(pg_dsn: str) -> None:
    log = PgAuditLog(pg_dsn, node="node-a")
    await log.open()
    try:
        await log.append(b"kept")
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'disk full'; END $$"
            )
            conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON audit_entries EXECUTE FUNCTION refuse()")
        with pytest.raises(AuditUnavailable) as caught:
            await log.append(b"secret-leaf")
        assert "secret-leaf" not in caught.value.detail
        assert "disk full" not in caught.value.detail
        log.enqueue(b"lost")
        await asyncio.wait_for(log.flush(), timeout=5)
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute("DROP TRIGGER refuse ON audit_entries")
        assert await log.append(b"after") == 1
    finally:
        await log.close()
    assert verify_database(pg_dsn).records == 2


async def _filled(dsn: str, records: int, checkpoints: tuple[int, ...] = ()) -> None:
    log = PgAuditLog(dsn, node="node-a")
    await log.open()
    try:
        for n in range(records):
            await log.append(_leaf("a", n))
            if n + 1 in checkpoints:
                size, top = await log.tip()
                await log.save_checkpoint(
                    size, "2026-11-28T00:00:00.000Z", Checkpoint(SIGNER.name, size, top).sign([SIGNER])
                )
    finally:
        await log.close()


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_entries SET leaf = convert_to('{\"n\":33}', 'UTF8') WHERE idx = 3",
        "UPDATE audit_entries SET idx = idx + 100 WHERE idx = 3",
        "UPDATE audit_entries SET chain = sha256(chain) WHERE idx = 3",
    ],
    ids=["leaf", "removed", "chain"],
)
async def test_verification_names_the_tampered_record(
    pg_dsn: str, tamper: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _filled(pg_dsn, 6)
    assert main(["audit", "verify", "--dsn", pg_dsn]) == 0
    assert "audit trail verified: 6 records" in capsys.readouterr().out
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(tamper)
    with pytest.raises(AuditCorrupt) as caught:
        verify_database(pg_dsn)
    assert caught.value.index == 3
    assert main(["audit", "verify", "--dsn", pg_dsn]) == 1
    assert "record 3" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("UPDATE audit_nodes SET hash = sha256(hash) WHERE level = 1 AND idx = 2", r"subtree \(1, 2\) does not match"),
        ("DELETE FROM audit_nodes WHERE level = 1 AND idx = 2", r"subtree \(1, 2\) does not match"),
        ("INSERT INTO audit_nodes VALUES (0, 6, sha256('x'))", r"subtree \(0, 6\) is stored beyond"),
        ("UPDATE audit_head SET size = 5", "head does not match"),
    ],
    ids=["changed", "deleted", "extra", "head"],
)
async def test_verification_checks_the_stored_subtrees_and_head(pg_dsn: str, tamper: str, message: str) -> None:
    await _filled(pg_dsn, 6)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(tamper)
    with pytest.raises(AuditCorrupt, match=message):
        verify_database(pg_dsn)


async def test_verification_checks_stored_checkpoints(pg_dsn: str) -> None:
    await _filled(pg_dsn, 6, checkpoints=(2, 6))
    assert verify_database(pg_dsn, SIGNER.verifier).checkpoints == 2
    impostor = NoteSigner.generate(SIGNER.name)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        top = conn.execute("SELECT note FROM audit_checkpoints WHERE size = 6").fetchone()
        assert top is not None
        forged = Checkpoint.parse(str(top[0])[: str(top[0]).find("\n\n") + 1])
        conn.execute(
            "UPDATE audit_checkpoints SET note = %s WHERE size = 6",
            (Checkpoint(SIGNER.name, 6, forged.root).sign([impostor]),),
        )
    with pytest.raises(AuditCorrupt, match="does not verify"):
        verify_database(pg_dsn, SIGNER.verifier)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:  # signed by the right key, but not this log's tree
        conn.execute(
            "UPDATE audit_checkpoints SET note = %s WHERE size = 2",
            (Checkpoint(SIGNER.name, 2, bytes(32)).sign([SIGNER]),),
        )
        conn.execute("DELETE FROM audit_checkpoints WHERE size = 6")
    with pytest.raises(AuditCorrupt, match="checkpoint of size 2") as caught:
        verify_database(pg_dsn, SIGNER.verifier)
    assert caught.value.index == 1


async def test_a_sequencer_does_not_extend_a_tampered_tail(pg_dsn: str) -> None:
    await _filled(pg_dsn, 3)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("UPDATE audit_entries SET leaf = 'x' WHERE idx = 2")
    log = PgAuditLog(pg_dsn, node="node-a", sequence_timeout=0.6)
    await log.open()
    try:
        assert not log.sequencing
        with pytest.raises(AuditUnavailable):
            await log.append(b"not chained onto a broken tail")
    finally:
        await log.close()


async def test_two_schemas_in_one_database_do_not_cross(pg_dsn: str) -> None:
    """Each schema has its own log, lock and channels: both sequence, each densely, neither sees the other."""
    with fresh_schema() as other_dsn:
        first, second = PgAuditLog(pg_dsn, node="node-a"), PgAuditLog(other_dsn, node="node-a")
        await first.open()
        await second.open()
        try:
            assert first.sequencing
            assert second.sequencing
            got = await asyncio.gather(
                *(first.append(_leaf("first", n)) for n in range(40)),
                *(second.append(_leaf("second", n)) for n in range(25)),
            )
            assert sorted(got[:40]) == list(range(40))
            assert sorted(got[40:]) == list(range(25))
            assert (first.size, second.size) == (40, 25)
        finally:
            await first.close()
            await second.close()
        assert verify_database(pg_dsn).records == 40
        assert verify_database(other_dsn).records == 25


def test_verifying_an_unreachable_database_does_not_echo_the_dsn(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--dsn", "postgresql://auditor:hunter2@127.0.0.1:1/none?connect_timeout=2"]) == 2
    err = capsys.readouterr().err
    assert "not a readable audit database" in err
    assert "hunter2" not in err


def test_verifying_a_schema_without_a_log_is_a_clear_error(pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--dsn", pg_dsn]) == 2
    assert "holds no audit log" in capsys.readouterr().err
