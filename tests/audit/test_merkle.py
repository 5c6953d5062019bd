"""The audit log's Merkle tree against published vectors, and its proofs against each other on every small tree.

Vectors: ``tests/vectors/merkle.json`` (sources in ``tests/vectors/SOURCES.md``): the reference tree, hash
primitives and reference proofs of transparency-dev/merkle (``testonly/constants.go``, ``rfc6962/rfc6962_test.go``,
``testonly/reference_test.go``), golang/mod's ``sumdb/tlog`` record hash, the inclusion and consistency test data of
transparency-dev/merkle (``testdata/inclusion/**``, ``testdata/consistency/**``, hostile cases included), and two
Sigstore Rekor v2 inclusion proofs from sigstore-python's test assets (a 646-leaf and a 4,026,479-leaf tree) with
tampered copies.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from gateway.audit.merkle import (
    EMPTY_ROOT,
    ProofInvalid,
    completed_nodes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parents[1] / "vectors" / "merkle.json"


@cache
def _vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data


def _h(hex_list: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in hex_list]


def _reference_leaves() -> list[bytes]:
    return [leaf_hash(bytes.fromhex(x)) for x in _vectors()["reference_tree"]["leaf_inputs_hex"]]


def _range_hash(leaves: list[bytes]) -> Any:
    return lambda lo, hi: root(leaves[lo:hi])


# --- hashing and roots ---------------------------------------------------------------------------------------


def test_primitive_hashes() -> None:
    for case in _vectors()["primitive_hash_vectors"]["cases"]:
        want = bytes.fromhex(case["want"])
        if case["op"] == "empty_root":
            assert EMPTY_ROOT == want == root([])
        elif case["op"] == "leaf_hash":
            assert leaf_hash(bytes.fromhex(case["input_hex"])) == want, case["desc"]
        else:
            assert node_hash(bytes.fromhex(case["left_hex"]), bytes.fromhex(case["right_hex"])) == want


def test_reference_roots_for_every_size() -> None:
    leaves = _reference_leaves()
    for size, want in _vectors()["reference_tree"]["root_by_size"].items():
        assert root(leaves[: int(size)]).hex() == want, size


def test_root_matches_the_rfc_recursion_on_odd_sizes() -> None:
    """The stack-based root equals RFC 9162's recursive MTH for every size up to 70."""

    def mth(hashes: list[bytes]) -> bytes:
        if len(hashes) == 1:
            return hashes[0]
        k = 1 << ((len(hashes) - 1).bit_length() - 1)
        return node_hash(mth(hashes[:k]), mth(hashes[k:]))

    leaves = [leaf_hash(str(i).encode()) for i in range(70)]
    for n in range(1, 71):
        assert root(leaves[:n]) == mth(leaves[:n]), n


# --- proofs ----------------------------------------------------------------------------------------------------


def test_reference_inclusion_proofs_are_built_and_verified() -> None:
    leaves = _reference_leaves()
    for case in _vectors()["reference_inclusion_proofs"]["cases"]:
        index, size = case["leaf_index"], case["tree_size"]
        proof = inclusion_proof(index, size, _range_hash(leaves))
        assert proof == _h(case["proof"])
        verify_inclusion(index, size, bytes.fromhex(case["leaf_hash"]), proof, bytes.fromhex(case["root"]))


def test_reference_consistency_proofs_are_built_and_verified() -> None:
    leaves = _reference_leaves()
    for case in _vectors()["reference_consistency_proofs"]["cases"]:
        first, second = case["size1"], case["size2"]
        proof = consistency_proof(first, second, _range_hash(leaves))
        assert proof == _h(case["proof"])
        verify_consistency(first, second, bytes.fromhex(case["root1"]), bytes.fromhex(case["root2"]), proof)


def test_every_proof_on_every_small_tree_verifies_and_a_changed_one_does_not() -> None:
    """All inclusion and consistency proofs of trees of 1 to 33 leaves verify; flipping a bit breaks each."""
    leaves = [leaf_hash(f"record {i}".encode()) for i in range(33)]
    range_hash = _range_hash(leaves)
    for size in range(1, 34):
        tree_root = root(leaves[:size])
        for index in range(size):
            proof = inclusion_proof(index, size, range_hash)
            verify_inclusion(index, size, leaves[index], proof, tree_root)
            if proof:
                bad = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
                with pytest.raises(ProofInvalid):
                    verify_inclusion(index, size, leaves[index], bad, tree_root)
        for first in range(1, size + 1):
            proof = consistency_proof(first, size, range_hash)
            verify_consistency(first, size, root(leaves[:first]), tree_root, proof)
            if proof:
                with pytest.raises(ProofInvalid):
                    verify_consistency(
                        first, size, root(leaves[: first - 1]) if first > 1 else bytes(32), tree_root, proof
                    )


def _probe_ids(kind: str) -> list[str]:
    return [c["source_file"] for c in _vectors()[kind]["cases"]]


@pytest.mark.parametrize("case", _vectors()["inclusion_probes"]["cases"], ids=_probe_ids("inclusion_probes"))
def test_inclusion_probes(case: dict[str, Any]) -> None:
    """transparency-dev/merkle's inclusion test data: verification fails exactly where it must."""
    args = (case["leaf_index"], case["tree_size"], bytes.fromhex(case["leaf_hash"]), _h(case["proof"]))
    if case["want_error"]:
        with pytest.raises(ProofInvalid):
            verify_inclusion(*args, bytes.fromhex(case["root"]))
    else:
        verify_inclusion(*args, bytes.fromhex(case["root"]))


@pytest.mark.parametrize("case", _vectors()["consistency_probes"]["cases"], ids=_probe_ids("consistency_probes"))
def test_consistency_probes(case: dict[str, Any]) -> None:
    """transparency-dev/merkle's consistency test data: verification fails exactly where it must."""
    args = (case["size1"], case["size2"], bytes.fromhex(case["root1"]), bytes.fromhex(case["root2"]), _h(case["proof"]))
    if case["want_error"]:
        with pytest.raises(ProofInvalid):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_real_world_rekor_inclusion_proofs() -> None:
    """Sigstore Rekor v2 proofs verify, from the leaf bytes themselves; their tampered copies do not."""
    data = _vectors()["real_world_inclusion"]
    for case in (data["valid"], data["large_tree"]):
        leaf = leaf_hash(base64.b64decode(case["leaf_input_b64"]))
        assert leaf.hex() == case["leaf_hash"]
        verify_inclusion(case["leaf_index"], case["tree_size"], leaf, _h(case["proof"]), bytes.fromhex(case["root"]))
    for case in data["tampered"]:
        assert case["want_error"]
        with pytest.raises(ProofInvalid):
            verify_inclusion(
                case["leaf_index"],
                case["tree_size"],
                bytes.fromhex(case["leaf_hash"]),
                _h(case["proof"]),
                bytes.fromhex(case["root"]),
            )


def test_proofs_cost_one_range_hash_per_level() -> None:
    """A proof asks for O(log n) ranges, each a complete subtree or the right edge: what a store keeps."""
    asked: list[tuple[int, int]] = []

    def range_hash(lo: int, hi: int) -> bytes:
        asked.append((lo, hi))
        return bytes(32)

    size = 1_000_000
    inclusion_proof(123_456, size, range_hash)
    assert len(asked) <= 20
    asked.clear()
    consistency_proof(300_001, size, range_hash)
    assert len(asked) <= 2 * 20
    for lo, hi in asked:
        width = hi - lo
        assert width & (width - 1) == 0 or hi == size  # complete subtrees, except along the right edge


def test_stored_subtrees_give_every_root_and_proof() -> None:
    """Appending leaves stores complete subtrees; from them alone, roots and proofs equal those of the leaves."""
    leaves = [leaf_hash(f"r{i}".encode()) for i in range(100)]
    stored: dict[tuple[int, int], bytes] = {}

    def node(level: int, index: int) -> bytes:
        return stored[(level, index)]

    writes = 0
    for i, leaf in enumerate(leaves):
        for level, index, value in completed_nodes(i, leaf, node):
            stored[(level, index)] = value
            writes += 1
        size = i + 1
        assert range_hash(0, size, node) == root(leaves[:size])
    assert writes < 2 * len(leaves)  # about one interior node per leaf
    for size in (1, 7, 64, 100):
        for index in range(0, size, 3):
            assert inclusion_proof(index, size, lambda lo, hi: range_hash(lo, hi, node)) == inclusion_proof(
                index, size, _range_hash(leaves)
            )
        for first in range(1, size + 1, 5):
            assert consistency_proof(first, size, lambda lo, hi: range_hash(lo, hi, node)) == consistency_proof(
                first, size, _range_hash(leaves)
            )
