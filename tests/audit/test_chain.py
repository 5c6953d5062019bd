"""The audit hash chain: RFC 6962 leaf hashes, chaining, and detection of changed, removed or reordered records."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.audit.chain import GENESIS, chain_next, leaf_hash, verify_chain
from gateway.errors import AuditCorrupt

VECTORS = Path(__file__).parents[1] / "vectors" / "merkle.json"

Row = tuple[int, bytes, bytes]


def _vectors() -> dict[str, Any]:
    if not VECTORS.is_file():
        pytest.fail(f"test vectors missing: {VECTORS} (published RFC 6962 vectors, see tests/vectors/SOURCES.md)")
    data: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data


def test_leaf_hash_matches_rfc6962_vectors() -> None:
    """leaf_hash equals the published RFC 6962 leaf hashes.

    Source: tests/vectors/merkle.json, section primitive_hash_vectors, taken from transparency-dev/merkle
    rfc6962/rfc6962_test.go and golang/mod sumdb/tlog/note_test.go (see tests/vectors/SOURCES.md).
    """
    cases = [c for c in _vectors()["primitive_hash_vectors"]["cases"] if c["op"] == "leaf_hash"]
    assert len(cases) >= 3, "expected the empty-leaf, 'L123456' and 'hello world' leaf vectors"
    for case in cases:
        assert leaf_hash(bytes.fromhex(case["input_hex"])).hex() == case["want"], case["desc"]


def test_leaf_hash_matches_reference_tree_level_zero() -> None:
    """The leaf hashes of the reference tree's eight inputs equal its published level-0 node hashes.

    Source: tests/vectors/merkle.json, section reference_tree, taken from transparency-dev/merkle
    testonly/constants.go (see tests/vectors/SOURCES.md).
    """
    tree = _vectors()["reference_tree"]
    got = [leaf_hash(bytes.fromhex(h)).hex() for h in tree["leaf_inputs_hex"]]
    assert got == tree["node_hashes_by_level"][0]


def _chain(leaves: list[bytes]) -> list[Row]:
    rows: list[Row] = []
    head = GENESIS
    for i, leaf in enumerate(leaves):
        head = chain_next(head, leaf)
        rows.append((i, leaf, head))
    return rows


LEAVES = [json.dumps({"v": 1, "kind": "decision", "n": i}, separators=(",", ":")).encode() for i in range(10)]


def test_chain_next_is_hash_of_previous_and_leaf_hash() -> None:
    """chain_next(prev, leaf) is SHA-256(prev || SHA-256(0x00 || leaf)), from 32 zero bytes."""
    assert bytes(32) == GENESIS
    expected = hashlib.sha256(GENESIS + hashlib.sha256(b"\x00" + LEAVES[0]).digest()).digest()
    assert chain_next(GENESIS, LEAVES[0]) == expected


def test_chain_of_ten_verifies() -> None:
    """A chain of ten records verifies and reports the count and the last chain value."""
    rows = _chain(LEAVES)
    assert verify_chain(rows) == (10, rows[-1][2])
    assert verify_chain(iter(rows)) == (10, rows[-1][2])


def test_empty_chain_verifies_to_genesis() -> None:
    """An empty trail verifies with count 0 and the genesis value."""
    assert verify_chain([]) == (0, GENESIS)


def _change_leaf(rows: list[Row], i: int) -> list[Row]:
    index, leaf, stored = rows[i]
    return [*rows[:i], (index, leaf.replace(b'"n":', b'"N":'), stored), *rows[i + 1 :]]


def _remove(rows: list[Row], i: int) -> list[Row]:
    return rows[:i] + rows[i + 1 :]


def _remove_and_renumber(rows: list[Row], i: int) -> list[Row]:
    return [(n, leaf, stored) for n, (_, leaf, stored) in enumerate(rows[:i] + rows[i + 1 :])]


def _swap_rows(rows: list[Row], i: int) -> list[Row]:
    out = list(rows)
    out[i], out[i + 3] = out[i + 3], out[i]
    return out


def _swap_content(rows: list[Row], i: int) -> list[Row]:
    out = list(rows)
    (a, leaf_a, stored_a), (b, leaf_b, stored_b) = out[i], out[i + 3]
    out[i], out[i + 3] = (a, leaf_b, stored_b), (b, leaf_a, stored_a)
    return out


def _change_stored(rows: list[Row], i: int) -> list[Row]:
    index, leaf, stored = rows[i]
    return [*rows[:i], (index, leaf, bytes([stored[0] ^ 1]) + stored[1:]), *rows[i + 1 :]]


def _recompute_from(rows: list[Row], i: int) -> list[Row]:
    """An attacker changes leaf i and recomputes every later chain value, but not i itself."""
    changed = _change_leaf(rows, i)
    head = changed[i - 1][2]
    out = changed[:i]
    for index, leaf, _ in changed[i:]:
        head = chain_next(head, leaf)
        out.append((index, leaf, head))
    out[i] = (i, changed[i][1], rows[i][2])
    return out


@pytest.mark.parametrize(
    ("tamper", "index"),
    [
        (_change_leaf, 0),
        (_change_leaf, 4),
        (_change_leaf, 9),
        (_remove, 0),
        (_remove, 3),
        (_remove_and_renumber, 3),
        (_swap_rows, 2),
        (_swap_content, 2),
        (_change_stored, 0),
        (_change_stored, 7),
        (_change_stored, 9),
        (_recompute_from, 5),
    ],
    ids=[
        "leaf-first",
        "leaf-middle",
        "leaf-last",
        "remove-first",
        "remove-middle",
        "remove-and-renumber",
        "swap-rows",
        "swap-content",
        "stored-first",
        "stored-middle",
        "stored-last",
        "recompute-later-values",
    ],
)
def test_tampering_is_detected_at_its_index(tamper: Callable[[list[Row], int], list[Row]], index: int) -> None:
    """Changing, removing or reordering a record, or a stored chain value, raises AuditCorrupt at that record."""
    rows = _chain(LEAVES)
    with pytest.raises(AuditCorrupt) as caught:
        verify_chain(tamper(rows, index))
    assert caught.value.index == index
    assert caught.value.kind == "audit-corrupt"


def test_changed_chain_value_reports_stored_and_calculated() -> None:
    """The error of a changed chain value names the stored (want) and recalculated (got) hashes."""
    rows = _chain(LEAVES)
    tampered = _change_stored(rows, 7)
    with pytest.raises(AuditCorrupt) as caught:
        verify_chain(tampered)
    assert caught.value.want == tampered[7][2].hex()
    assert caught.value.got == rows[7][2].hex()
    assert "record 7" in str(caught.value)


def test_trail_must_start_at_index_zero() -> None:
    """A trail whose first row is not index 0 is reported as record 0 missing."""
    rows = _chain(LEAVES)
    with pytest.raises(AuditCorrupt, match="record 0 is missing") as caught:
        verify_chain(rows[1:])
    assert caught.value.index == 0
