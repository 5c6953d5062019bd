"""Reading the SQLite audit log for regulators and enterprises: records by filter, proofs, checkpoints, evidence.

Every method is synchronous and runs on a read-only connection of its own; the web layer calls them in a thread.
SQLite's WAL lets these readers run beside the writer without blocking it or seeing a half-made commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from gateway.stores.audit_store import RecordFilter
from gateway.stores.sqlite_audit import TreeReader

__all__ = ["AuditReader"]

_EXPORT_CHUNK = 1024


def _where(where: RecordFilter) -> tuple[str, list[object]]:
    """SQL conditions over ``record_index m`` and ``records r``, and their parameters."""
    clauses, params = [], []
    for column in ("exporter", "recipient", "effect", "kind"):
        value = getattr(where, column)
        if value is not None:
            clauses.append(f"m.{column} = ?")
            params.append(value)
    if where.since is not None:
        clauses.append("m.time >= ?")
        params.append(where.since)
    if where.until is not None:
        clauses.append("m.time < ?")
        params.append(where.until)
    if where.category is not None:
        clauses.append("EXISTS (SELECT 1 FROM json_each(CAST(r.leaf AS TEXT), '$.categories') c WHERE c.key = ?)")
        params.append(where.category)
    return " AND ".join(clauses), params


class AuditReader(TreeReader):
    """Records, proofs, checkpoints and sealed evidence of one audit file."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._path = path

    def record(self, index: int) -> bytes | None:
        row = self._db.execute("SELECT leaf FROM records WHERE idx = ?", (index,)).fetchone()
        return None if row is None else bytes(row[0])

    def records(self, where: RecordFilter, *, after: int, limit: int, below: int) -> list[tuple[int, bytes]]:
        """Up to ``limit`` records with ``after < index < below`` that pass ``where``, in index order."""
        if where.empty:
            sql = "SELECT r.idx, r.leaf FROM records r WHERE r.idx > ? AND r.idx < ? ORDER BY r.idx LIMIT ?"
            rows = self._db.execute(sql, (after, below, limit))
        else:
            conditions, params = _where(where)
            # the conditions are fixed text from _where(); every value is a parameter
            sql = (
                "SELECT r.idx, r.leaf FROM record_index m JOIN records r ON r.idx = m.idx "  # noqa: S608
                f"WHERE m.idx > ? AND m.idx < ? AND {conditions} ORDER BY m.idx LIMIT ?"
            )
            rows = self._db.execute(sql, (after, below, *params, limit))
        return [(int(idx), bytes(leaf)) for idx, leaf in rows]

    def export_rows(self, first: int, end: int) -> Iterator[tuple[int, bytes, list[bytes]]]:
        """``(index, leaf, the subtree hashes it completes from level 0 up)`` for records ``first <= index < end``."""
        for lo in range(first, end, _EXPORT_CHUNK):
            hi = min(end, lo + _EXPORT_CHUNK)
            leaves = self._db.execute("SELECT idx, leaf FROM records WHERE idx >= ? AND idx < ? ORDER BY idx", (lo, hi))
            completed: dict[int, list[bytes]] = {}
            for level in range(hi.bit_length()):
                # leaf i completes node (level, j) exactly when i == (j + 1) * 2**level - 1
                start, stop = -(-(lo + 1) >> level) - 1, (hi >> level) - 1
                if stop < start:
                    break
                nodes = self._db.execute(
                    "SELECT idx, hash FROM nodes WHERE level = ? AND idx >= ? AND idx <= ? ORDER BY idx",
                    (level, start, stop),
                )
                for j, value in nodes:
                    completed.setdefault(((int(j) + 1) << level) - 1, []).append(bytes(value))
            for idx, leaf in leaves:
                yield int(idx), bytes(leaf), completed.get(int(idx), [])

    def node(self, level: int, index: int) -> bytes:
        """A stored subtree hash (for an export's frontier)."""
        return self._node(level, index)

    def evidence(self, index: int) -> dict[str, bytes]:
        """The record's sealed evidence by regulator key name (empty when none was sealed)."""
        rows = self._db.execute("SELECT sealed_for, sealed FROM evidence WHERE idx = ?", (index,))
        return {str(name): bytes(blob) for name, blob in rows}

    def latest_checkpoint(self) -> tuple[int, str] | None:
        row = self._db.execute("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def checkpoint(self, size: int) -> str | None:
        row = self._db.execute("SELECT note FROM checkpoints WHERE size = ?", (size,)).fetchone()
        return None if row is None else str(row[0])
