"""The SQLite audit log: ordering, group commit, restart, tamper detection, failure."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from gateway.audit.merkle import completed_nodes, leaf_hash, root, verify_consistency, verify_inclusion
from gateway.cli import main
from gateway.errors import AuditCorrupt, AuditUnavailable, ConfigError
from gateway.stores.sqlite_audit import SqliteAuditLog, TreeReader, read_records, verify_file
from gateway.stores.sqlite_audit_read import AuditReader


async def _open(path: Path) -> SqliteAuditLog:
    log = SqliteAuditLog(path)
    await log.open()
    return log


async def test_lone_append_is_committed_and_indexed(tmp_path: Path) -> None:
    """A single append returns index 0 once the record is in the file, readable by another connection."""
    log = await _open(tmp_path / "a.sqlite3")
    assert await log.append(b'{"n":0}') == 0
    assert [leaf for _, leaf, _ in read_records(tmp_path / "a.sqlite3")] == [b'{"n":0}']
    await log.close()


async def test_concurrent_appends_share_commits(tmp_path: Path) -> None:
    """Appends made while a commit is under way go together into the next one, each with its own index."""
    log = await _open(tmp_path / "a.sqlite3")
    indexes = await asyncio.gather(*(log.append(f'{{"n":{i}}}'.encode()) for i in range(200)))
    assert sorted(indexes) == list(range(200))
    assert log.batches < 200 / 4, f"{log.batches} commits for 200 concurrent appends: no grouping"
    leaves = {idx: leaf for idx, leaf, _ in read_records(tmp_path / "a.sqlite3")}
    assert all(leaves[idx] == f'{{"n":{i}}}'.encode() for i, idx in enumerate(indexes))
    await log.close()
    assert verify_file(tmp_path / "a.sqlite3").records == 200


async def test_enqueued_records_are_flushed_on_close(tmp_path: Path) -> None:
    """Records appended without waiting are committed by close at the latest."""
    log = await _open(tmp_path / "a.sqlite3")
    for i in range(5):
        log.enqueue(f'{{"n":{i}}}'.encode())
    await log.close()
    assert verify_file(tmp_path / "a.sqlite3").records == 5


async def test_reopen_continues_the_chain(tmp_path: Path) -> None:
    """After a restart, appends continue the same chain and the whole file verifies."""
    path = tmp_path / "a.sqlite3"
    log = await _open(path)
    await log.append(b"first")
    await log.close()
    log = await _open(path)
    assert await log.append(b"second") == 1
    await log.close()
    assert verify_file(path).records == 2


@pytest.mark.parametrize("tamper", ["change", "delete", "swap"])
async def test_tampering_is_detected(tmp_path: Path, tamper: str) -> None:
    """A record changed, removed or reordered in the file makes verification fail at that record."""
    path = tmp_path / "a.sqlite3"
    log = await _open(path)
    for i in range(6):
        await log.append(f'{{"n":{i}}}'.encode())
    await log.close()
    with sqlite3.connect(path) as db:
        if tamper == "change":
            db.execute("UPDATE records SET leaf = ? WHERE idx = 3", (b'{"n":33}',))
        elif tamper == "delete":
            db.execute("DELETE FROM records WHERE idx = 3")
        else:
            a, b = (db.execute("SELECT leaf FROM records WHERE idx = ?", (i,)).fetchone()[0] for i in (2, 3))
            db.execute("UPDATE records SET leaf = ? WHERE idx = 2", (b,))
            db.execute("UPDATE records SET leaf = ? WHERE idx = 3", (a,))
    with pytest.raises(AuditCorrupt) as caught:
        verify_file(path)
    assert caught.value.index in {2, 3}


async def test_failed_commit_raises_and_appends_nothing(tmp_path: Path) -> None:
    """When the database refuses the write, the caller gets AuditUnavailable and the chain is not advanced."""
    path = tmp_path / "a.sqlite3"
    log = await _open(path)
    await log.append(b"kept")
    with sqlite3.connect(path) as db:
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(AuditUnavailable):
        await log.append(b"refused")
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER refuse")
    assert await log.append(b"after") == 1
    await log.close()
    assert [leaf for _, leaf, _ in read_records(path)] == [b"kept", b"after"]
    assert verify_file(path).records == 2


async def test_closed_log_refuses_appends(tmp_path: Path) -> None:
    """Appending to a closed log is refused rather than silently dropped."""
    log = await _open(tmp_path / "a.sqlite3")
    await log.close()
    with pytest.raises(AuditUnavailable):
        await log.append(b"late")


async def test_enqueued_record_rides_the_next_append(tmp_path: Path) -> None:
    """A record appended without waiting goes with the next durable append, in one commit, in order."""
    log = await _open(tmp_path / "a.sqlite3")
    log.enqueue(b"outcome")
    assert await log.append(b"decision") == 1
    assert log.batches == 1
    await log.close()


async def test_lone_enqueued_record_is_committed_after_a_short_linger(tmp_path: Path) -> None:
    """With no durable append coming, an enqueued record is still committed soon, without waiting for close."""
    path = tmp_path / "a.sqlite3"
    log = await _open(path)
    log.enqueue(b"outcome")
    for _ in range(100):
        await asyncio.sleep(0.01)
        if log.size:
            break
    assert verify_file(path).records == 1
    await log.close()


async def test_opening_a_log_with_a_broken_tail_is_refused(tmp_path: Path) -> None:
    """A log whose last record was rewritten is not extended: opening it raises AuditCorrupt."""
    path = tmp_path / "a.sqlite3"
    log = await _open(path)
    for i in range(3):
        await log.append(f'{{"n":{i}}}'.encode())
    await log.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE records SET leaf = ? WHERE idx = 2", (b'{"n":22}',))
    with pytest.raises(AuditCorrupt):
        await _open(path)


async def test_second_writer_on_the_same_file_is_refused(tmp_path: Path) -> None:
    """Only one process (one log object) may extend a file; another is refused until the first closes."""
    path = tmp_path / "a.sqlite3"
    first = await _open(path)
    with pytest.raises(ConfigError, match="another gateway process"):
        await _open(path)
    await first.close()
    second = await _open(path)
    await second.close()


# --- the Merkle tree's stored subtrees -----------------------------------------------------------------------------


async def test_roots_and_proofs_come_from_stored_subtrees(tmp_path: Path) -> None:
    """After appends in batches of every size, the stored tree gives RFC 9162's root for every prefix, and its
    proofs verify; after a reopen, appends go on extending the same tree."""
    path = tmp_path / "a.sqlite3"
    leaves = [f'{{"n":{i}}}'.encode() for i in range(75)]
    log = await _open(path)
    await asyncio.gather(*(log.append(leaf) for leaf in leaves[:40]))
    await log.close()
    log = await _open(path)
    for leaf in leaves[40:]:
        await log.append(leaf)
    await log.close()
    hashes = [leaf_hash(leaf) for leaf in (leaf for _, leaf, _ in read_records(path))]
    reader = TreeReader(path)
    try:
        for size in range(1, 76):
            tree_root = reader.root(size)
            assert tree_root == root(hashes[:size]), size
            for index in range(0, size, 7):
                verify_inclusion(index, size, hashes[index], reader.inclusion_proof(index, size), tree_root)
            for first in range(1, size, 9):
                verify_consistency(first, size, reader.root(first), tree_root, reader.consistency_proof(first, size))
    finally:
        reader.close()


async def test_a_file_without_subtrees_gets_them_when_opened(tmp_path: Path) -> None:
    """A log written before the subtrees were stored (only records) is brought up to date on open."""
    path = tmp_path / "a.sqlite3"
    log = await _open(path)
    for i in range(13):
        await log.append(f'{{"n":{i}}}'.encode())
    await log.close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("DELETE FROM nodes")
        db.commit()
    log = await _open(path)
    await log.append(b'{"n":13}')
    await log.close()
    hashes = [leaf_hash(leaf) for _, leaf, _ in read_records(path)]
    reader = TreeReader(path)
    try:
        assert reader.root(14) == root(hashes)
    finally:
        reader.close()


async def test_flush_commits_what_was_enqueued_on_a_reopened_log(tmp_path: Path) -> None:
    """A checkpoint asked for right after a transfer covers its queued outcome, also after a restart."""
    path = tmp_path / "a.sqlite3"
    log = await _open(path)
    for i in range(5):
        await log.append(f'{{"n":{i}}}'.encode())
    await log.close()
    log = await _open(path)
    log.enqueue(b'{"n":5}')
    await log.flush()
    size, top = await log.tip()
    assert size == 6
    assert top == root([leaf_hash(f'{{"n":{i}}}'.encode()) for i in range(6)])
    await log.close()


async def test_flush_returns_when_a_failed_commit_lost_the_records(tmp_path: Path) -> None:
    """A flush waits for what was submitted before it, and a failed commit settles those records too: no hang."""
    path = tmp_path / "a.sqlite3"
    log = await _open(path)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    log.enqueue(b"lost")
    await asyncio.wait_for(log.flush(), timeout=5)
    assert (await log.tip())[0] == 0
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER refuse")
    log.enqueue(b"kept")
    await asyncio.wait_for(log.flush(), timeout=5)
    assert (await log.tip())[0] == 1
    await log.close()


async def test_export_rows_give_each_record_the_subtrees_it_completes_across_chunks(tmp_path: Path) -> None:
    """Records read for an export, from any start and across the reader's chunks, carry exactly the subtrees the
    writer stored for them, level 0 first."""
    path = tmp_path / "a.sqlite3"
    log = await _open(path)
    leaves = [f'{{"n":{i}}}'.encode() for i in range(2600)]
    for leaf in leaves[:-1]:
        log.enqueue(leaf)
    await log.append(leaves[-1])
    await log.close()
    nodes: dict[tuple[int, int], bytes] = {}
    expected: dict[int, list[bytes]] = {}
    for i, leaf in enumerate(leaves):
        done = completed_nodes(i, leaf_hash(leaf), lambda level, idx: nodes[(level, idx)])
        nodes.update({(level, idx): value for level, idx, value in done})
        expected[i] = [value for _, _, value in done]
    reader = AuditReader(path)
    try:
        for first in (0, 1, 1023, 1500):
            rows = list(reader.export_rows(first, len(leaves)))
            assert [i for i, _, _ in rows] == list(range(first, len(leaves)))
            assert all(got == expected[i] for i, _, got in rows)
    finally:
        reader.close()


def test_verifying_a_file_that_is_missing_or_not_a_log_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--db", str(tmp_path / "none.sqlite3")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "junk.sqlite3").write_bytes(b"not a database at all" * 100)
    assert main(["audit", "verify", "--db", str(tmp_path / "junk.sqlite3")]) == 2
    assert "not a readable audit log" in capsys.readouterr().err
