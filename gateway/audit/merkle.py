"""The Merkle tree of the audit log, as RFC 9162 (Certificate Transparency 2.0) s.2.1 defines it. Pure.

Leaves are hashed ``SHA-256(0x00 || leaf)`` and interior nodes ``SHA-256(0x01 || left || right)``; the tree over
``n`` leaves splits at ``k``, the largest power of two smaller than ``n``. Proofs are built from a function that
gives the hash of any range of leaves ``[lo, hi)`` that the tree has as a subtree: a store that keeps the hashes of
complete subtrees answers each such question in O(1) reads, so a proof costs O(log n) reads whatever the size of the
log. Verification follows RFC 9162 s.2.1.3.2 and s.2.1.4.2 step by step, and refuses malformed input (hashes that
are not 32 bytes, an index outside the tree, a proof of the wrong length) rather than guessing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from gateway.audit.chain import leaf_hash

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "NODE_PREFIX",
    "ProofInvalid",
    "completed_nodes",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "range_hash",
    "root",
    "split",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 s.2.1.1: the hash of an empty list is SHA-256 of nothing

RangeHash = Callable[[int, int], bytes]
"""The hash of the subtree over leaves [lo, hi), for ranges that are subtrees of the tree being proved."""


class ProofInvalid(ValueError):
    """A proof, a root or a leaf hash that does not verify, or input too malformed to try."""


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 s.2.1.1 interior node hash."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2): where RFC 9162 splits a tree of ``n`` leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of a list of leaf hashes, without recursion: complete subtrees are merged as they fill,
    then the remaining ones are folded from the right, which is the RFC's split at the largest power of two."""
    if not leaf_hashes:
        return EMPTY_ROOT
    stack: list[tuple[int, bytes]] = []  # (size, hash) of complete subtrees, sizes strictly decreasing
    for h in leaf_hashes:
        size, value = 1, h
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            size, value = left_size + size, node_hash(left, value)
        stack.append((size, value))
    value = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        value = node_hash(left, value)
    return value


def inclusion_proof(index: int, size: int, range_hash: RangeHash) -> list[bytes]:
    """RFC 9162 s.2.1.3.1 PATH(index, D[0:size]): the audit path of leaf ``index``, nearest the leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split(hi - lo)
        if index < lo + k:
            path.append(range_hash(lo + k, hi))
            hi = lo + k
        else:
            path.append(range_hash(lo, lo + k))
            lo += k
    path.reverse()
    return path


def consistency_proof(first: int, second: int, range_hash: RangeHash) -> list[bytes]:
    """RFC 9162 s.2.1.4.1 PROOF(first, D[0:second]): the hashes that show the tree of ``first`` leaves is a prefix
    of the tree of ``second`` leaves."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    proof: list[bytes] = []
    lo, hi, m, whole = 0, second, first, True  # SUBPROOF(m, D[lo:hi], whole)
    while m != hi - lo:
        k = split(hi - lo)
        if m <= k:
            proof.append(range_hash(lo + k, hi))
            hi = lo + k
        else:
            proof.append(range_hash(lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(range_hash(lo, hi))
    proof.reverse()
    return proof


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofInvalid(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes) -> None:
    """RFC 9162 s.2.1.3.2: raise :class:`ProofInvalid` unless ``leaf`` (a leaf hash) is at ``index`` in the tree of
    ``size`` leaves whose root is ``expected_root``."""
    _check_hash(leaf, "the leaf hash")
    _check_hash(expected_root, "the root")
    for h in proof:
        _check_hash(h, "a proof hash")
    if not 0 <= index < size:
        raise ProofInvalid(f"leaf {index} is not in a tree of {size}")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofInvalid("the proof is longer than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid("the proof is shorter than the path")
    if r != expected_root:
        raise ProofInvalid(f"leaf {index} is not in the tree of {size} with this root")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 s.2.1.4.2: raise :class:`ProofInvalid` unless the tree of ``first`` leaves with ``first_root`` is a
    prefix of the tree of ``second`` leaves with ``second_root``."""
    if first <= 0 or second < first:
        raise ProofInvalid(f"no consistency between sizes {first} and {second}")
    if first == second:  # nothing to compute: the roots must be the same bytes (as transparency-dev decides)
        if proof:
            raise ProofInvalid("a proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofInvalid(f"two different roots for the same size {first}")
        return
    _check_hash(first_root, "the first root")
    _check_hash(second_root, "the second root")
    for h in proof:
        _check_hash(h, "a proof hash")
    if not proof:
        raise ProofInvalid("the proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first tree is itself a node of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr, sr = _fold_consistency(path, fn, sn)
    if fr != first_root or sr != second_root:
        raise ProofInvalid(f"the tree of {first} is not a prefix of the tree of {second} with these roots")


def _fold_consistency(path: list[bytes], fn: int, sn: int) -> tuple[bytes, bytes]:
    """The two roots a consistency path computes (RFC 9162 s.2.1.4.2, from "Set both fr and sr")."""
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofInvalid("the proof is longer than the path")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid("the proof is shorter than the path")
    return fr, sr


# --- stored subtrees -----------------------------------------------------------------------------------------------
# A log keeps the hash of every complete subtree: node (level, index) covers leaves [index << level, (index + 1) <<
# level). Appending leaf i completes one node per trailing one bit of i + 1, so the log writes O(1) nodes per leaf on
# average; the hash of any range a proof asks for is then at most log n stored nodes folded together.

NodeHash = Callable[[int, int], bytes]
"""The stored hash of complete subtree ``(level, index)``."""


def completed_nodes(index: int, leaf: bytes, node: NodeHash) -> list[tuple[int, int, bytes]]:
    """The complete subtrees ``(level, index, hash)`` that appending ``leaf`` as leaf ``index`` finishes, the leaf
    itself first; ``node`` gives the left siblings already stored."""
    out = [(0, index, leaf)]
    level, i, value = 0, index, leaf
    while i & 1:
        value = node_hash(node(level, i - 1), value)
        level, i = level + 1, i >> 1
        out.append((level, i, value))
    return out


def range_hash(lo: int, hi: int, node: NodeHash) -> bytes:
    """The hash of the subtree over leaves ``[lo, hi)`` of a tree RFC 9162 splits (``lo`` a multiple of the
    largest power of two not above ``hi - lo``), from stored complete subtrees: the range is cut into them, largest
    first, and folded from the right, as :func:`root` does."""
    if hi <= lo:
        return EMPTY_ROOT
    parts: list[bytes] = []
    at = lo
    while at < hi:
        level = (hi - at).bit_length() - 1
        while at & ((1 << level) - 1):  # align: a node starts at a multiple of its width
            level -= 1
        parts.append(node(level, at >> level))
        at += 1 << level
    value = parts[-1]
    for left in reversed(parts[:-1]):
        value = node_hash(left, value)
    return value
