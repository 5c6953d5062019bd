"""The hash chain over audit records. Pure.

Each record (a leaf: canonical JSON bytes) is hashed as an RFC 9162 leaf, ``SHA-256(0x00 || leaf)``, so the
same leaf hashes serve the Merkle tree that replaces this chain. The chain value after record *i* is
``SHA-256(chain[i-1] || leaf_hash(i))``, starting from 32 zero bytes: changing, removing or reordering any record
changes every chain value after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from gateway.errors import AuditCorrupt

__all__ = ["GENESIS", "LEAF_PREFIX", "chain_next", "chain_step", "leaf_hash", "verify_chain"]

LEAF_PREFIX = b"\x00"
GENESIS = bytes(32)


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 s.2.1.1 leaf hash."""
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def chain_next(previous: bytes, leaf: bytes) -> bytes:
    """The chain value after appending ``leaf`` to a chain whose last value is ``previous``."""
    return chain_step(previous, leaf_hash(leaf))


def chain_step(previous: bytes, hashed_leaf: bytes) -> bytes:
    """:func:`chain_next` for a leaf already hashed (the writer hashes each leaf once, for the chain and the tree)."""
    return hashlib.sha256(previous + hashed_leaf).digest()


def verify_chain(rows: Iterable[tuple[int, bytes, bytes]]) -> tuple[int, bytes]:
    """Check ``(index, leaf, stored chain value)`` rows from index 0; return the count and the head value."""
    head = GENESIS
    count = 0
    for index, leaf, stored in rows:
        if index != count:
            raise AuditCorrupt(f"record {count} is missing: got index {index}, want {count}", index=count)
        head = chain_next(head, leaf)
        if stored != head:
            raise AuditCorrupt(
                f"record {index} does not match the chain: stored {stored.hex()}, calculated {head.hex()}",
                index=index,
                want=stored.hex(),
                got=head.hex(),
            )
        count += 1
    return count, head
