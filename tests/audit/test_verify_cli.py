"""`gateway audit verify EXPORT --key KEY`, as a regulator runs it, on an export cut from a real audit log: exit 0
only when everything holds, and each kind of tampering reported with the record's index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.audit.checkpoint import Checkpoint
from gateway.audit.export import export_lines, frontier, node_keys, record_line
from gateway.audit.merkle import leaf_hash
from gateway.audit.note import NoteSigner
from gateway.audit.record import encode
from gateway.cli import main
from gateway.stores.sqlite_audit import SqliteAuditLog
from gateway.stores.sqlite_audit_read import AuditReader

ORIGIN = "sip-sg-gateway.example/audit"
SIZE = 21  # not a power of two: the tree has a ragged right edge


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


@pytest.fixture
async def export(tmp_path: Path, signer: NoteSigner) -> list[str]:
    """The lines of an export of a log of ``SIZE`` decision-like records, cut at its size."""
    log = SqliteAuditLog(tmp_path / "audit.sqlite3")
    await log.open()
    for i in range(SIZE):
        await log.append(encode({"v": 1, "kind": "decision", "decision_id": f"d-{i}", "effect": "allow"}))
    size, root = await log.tip()
    await log.close()
    reader = AuditReader(tmp_path / "audit.sqlite3")
    try:
        note = Checkpoint(ORIGIN, size, root).sign([signer])
        return list(export_lines(ORIGIN, 0, size, frontier(0, reader.node), reader.export_rows(0, size), note))
    finally:
        reader.close()


def _verify(tmp_path: Path, lines: list[str], key: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    status = main(["audit", "verify", str(path), "--key", key])
    return status, capsys.readouterr().out


def _with_leaf(line: str, leaf: str) -> str:
    obj = json.loads(line)
    obj["leaf"] = leaf
    return json.dumps(obj, separators=(",", ":")) + "\n"


async def test_an_intact_export_verifies(
    tmp_path: Path, export: list[str], signer: NoteSigner, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _verify(tmp_path, export, signer.verifier.vkey, capsys)
    assert (status, out.strip()) == (
        0,
        f"export verified: records 0..{SIZE - 1} against checkpoint of size {SIZE}, origin {ORIGIN}",
    )


async def test_one_byte_changed_in_a_leaf(
    tmp_path: Path, export: list[str], signer: NoteSigner, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = list(export)
    line = lines[1 + 13]
    leaf = json.loads(line)["leaf"]
    lines[1 + 13] = _with_leaf(line, leaf.replace('"allow"', '"allox"'))
    status, out = _verify(tmp_path, lines, signer.verifier.vkey, capsys)
    assert status == 1
    assert "record 13 was changed" in out


async def test_a_record_deleted(
    tmp_path: Path, export: list[str], signer: NoteSigner, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [line for n, line in enumerate(export) if n != 1 + 6]
    status, out = _verify(tmp_path, lines, signer.verifier.vkey, capsys)
    assert status == 1
    assert "missing: record 6 is missing" in out


async def test_two_records_swapped(
    tmp_path: Path, export: list[str], signer: NoteSigner, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = list(export)
    a, b = lines[1 + 2], lines[1 + 17]
    lines[1 + 2] = _with_leaf(a, json.loads(b)["leaf"])
    lines[1 + 17] = _with_leaf(b, json.loads(a)["leaf"])
    status, out = _verify(tmp_path, lines, signer.verifier.vkey, capsys)
    assert status == 1
    assert "records 2 and 17 were swapped" in out


async def test_a_record_appended_after_the_checkpoint(
    tmp_path: Path, export: list[str], signer: NoteSigner, capsys: pytest.CaptureFixture[str]
) -> None:
    leaf = encode({"v": 1, "kind": "decision", "decision_id": "forged", "effect": "allow"})
    nodes = [leaf_hash(leaf)] * len(node_keys(SIZE))  # a well-formed line, as a forger would write it
    lines = [*export[:-1], record_line(SIZE, leaf, nodes), export[-1]]
    status, out = _verify(tmp_path, lines, signer.verifier.vkey, capsys)
    assert status == 1
    assert f"record {SIZE} comes after the checkpoint" in out


async def test_a_checkpoint_signed_by_another_key(
    tmp_path: Path, export: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    impostor = NoteSigner.generate(ORIGIN)
    status, out = _verify(tmp_path, export, impostor.verifier.vkey, capsys)
    assert status == 1
    assert "signature: the checkpoint is not signed by the key you gave" in out


async def test_bad_bytes_in_a_line_are_a_problem_with_its_line_number(
    tmp_path: Path, export: list[str], signer: NoteSigner, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "export.jsonl"
    raw = "".join(export).encode()
    cut = raw.index(b"\n", raw.index(b"\n") + 1) + 1  # after the first record's line
    path.write_bytes(raw[:cut] + b"\xff\xfe\n" + raw[cut:])
    assert main(["audit", "verify", str(path), "--key", signer.verifier.vkey]) == 1
    assert "line 3" in capsys.readouterr().out


def test_a_bad_key_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "e.jsonl").write_text("", encoding="utf-8")
    assert main(["audit", "verify", str(tmp_path / "e.jsonl"), "--key", "not+a+key"]) == 2
    assert "--key" in capsys.readouterr().err
