"""Reading the shared PostgreSQL audit log for regulators and enterprises: records by filter, proofs, checkpoints,
evidence (:class:`gateway.stores.audit_store.AuditReading`, as :mod:`gateway.stores.sqlite_audit_read` for SQLite).

Every method is synchronous: the web layer opens a reader in a worker thread, uses it, and closes it. The reader
reads one REPEATABLE READ, read-only snapshot from its first query to its close, so what one request reads is
consistent. A proof or a root asks for all the stored subtrees it needs in one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg

from gateway.audit.merkle import consistency_proof, inclusion_proof, range_hash
from gateway.errors import AuditCorrupt, AuditUnavailable
from gateway.stores.audit_store import RecordFilter

__all__ = ["PgAuditReader"]

_EXPORT_CHUNK = 1024
_PLACEHOLDER = bytes(32)  # a stand-in hash while finding out which subtrees a computation needs
_T = TypeVar("_T")
NodeHash = Callable[[int, int], bytes]


def _where(where: RecordFilter) -> tuple[str, list[object]]:
    """SQL conditions over ``audit_record_index m``, and their parameters."""
    clauses: list[str] = []
    params: list[object] = []
    for column in ("exporter", "recipient", "effect", "kind"):
        value = getattr(where, column)
        if value is not None:
            clauses.append(f"m.{column} = %s")
            params.append(value)
    if where.since is not None:
        clauses.append("m.time >= %s")
        params.append(where.since)
    if where.until is not None:
        clauses.append("m.time < %s")
        params.append(where.until)
    if where.category is not None:
        clauses.append("m.categories @> ARRAY[%s]::text[]")
        params.append(where.category)
    return " AND ".join(clauses), params


class PgAuditReader:
    """Records, proofs, checkpoints and sealed evidence of the shared log, on a read-only connection of its own."""

    def __init__(self, dsn: str) -> None:
        try:
            self._conn = psycopg.connect(dsn, connect_timeout=10)
            self._conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            self._conn.read_only = True
        except psycopg.Error as e:
            raise AuditUnavailable(f"the audit database cannot be read: {e.__class__.__name__}") from e

    def _rows(self, query: str, params: tuple[object, ...] | list[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(query, params).fetchall()
        except psycopg.Error as e:
            raise AuditUnavailable(f"reading the audit log failed: {e.__class__.__name__}") from e

    def record(self, index: int) -> bytes | None:
        rows = self._rows("SELECT leaf FROM audit_entries WHERE idx = %s", (index,))
        return bytes(rows[0][0]) if rows else None

    def records(self, where: RecordFilter, *, after: int, limit: int, below: int) -> list[tuple[int, bytes]]:
        """Up to ``limit`` records with ``after < index < below`` that pass ``where``, in index order."""
        if where.empty:
            rows = self._rows(
                "SELECT idx, leaf FROM audit_entries WHERE idx > %s AND idx < %s ORDER BY idx LIMIT %s",
                (after, below, limit),
            )
        else:
            conditions, params = _where(where)
            # the conditions are fixed text from _where(); every value is a parameter
            query = (
                "SELECT e.idx, e.leaf FROM audit_record_index m JOIN audit_entries e ON e.idx = m.idx "  # noqa: S608
                f"WHERE m.idx > %s AND m.idx < %s AND {conditions} ORDER BY m.idx LIMIT %s"
            )
            rows = self._rows(query, [after, below, *params, limit])
        return [(int(idx), bytes(leaf)) for idx, leaf in rows]

    def export_rows(self, first: int, end: int) -> Iterator[tuple[int, bytes, list[bytes]]]:
        """``(index, leaf, the subtree hashes it completes from level 0 up)`` for records ``first <= index < end``."""
        for lo in range(first, end, _EXPORT_CHUNK):
            hi = min(end, lo + _EXPORT_CHUNK)
            leaves = self._rows(
                "SELECT idx, leaf FROM audit_entries WHERE idx >= %s AND idx < %s ORDER BY idx", (lo, hi)
            )
            levels, starts, stops = [], [], []
            for level in range(hi.bit_length()):
                # leaf i completes node (level, j) exactly when i == (j + 1) * 2**level - 1
                start, stop = -(-(lo + 1) >> level) - 1, (hi >> level) - 1
                if stop < start:
                    break
                levels.append(level)
                starts.append(start)
                stops.append(stop)
            nodes = self._rows(
                "SELECT n.level, n.idx, n.hash FROM unnest(%s::int[], %s::bigint[], %s::bigint[]) AS r(level, lo, hi) "
                "JOIN audit_nodes n ON n.level = r.level AND n.idx BETWEEN r.lo AND r.hi ORDER BY n.level, n.idx",
                (levels, starts, stops),
            )
            completed: dict[int, list[bytes]] = {}
            for level, j, value in nodes:
                completed.setdefault(((int(j) + 1) << int(level)) - 1, []).append(bytes(value))
            for idx, leaf in leaves:
                yield int(idx), bytes(leaf), completed.get(int(idx), [])

    def node(self, level: int, index: int) -> bytes:
        """A stored subtree hash (for an export's frontier)."""
        return self._nodes({(level, index)})[(level, index)]

    def _nodes(self, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored subtrees asked for, in one query; :class:`AuditCorrupt` names one that is not stored."""
        if not wanted:
            return {}
        levels, positions = zip(*sorted(wanted), strict=True)
        rows = self._rows(
            "SELECT n.level, n.idx, n.hash FROM unnest(%s::int[], %s::bigint[]) AS w(level, idx) "
            "JOIN audit_nodes n ON n.level = w.level AND n.idx = w.idx",
            (list(levels), list(positions)),
        )
        found = {(int(level), int(idx)): bytes(value) for level, idx, value in rows}
        for level, index in sorted(wanted):
            if (level, index) not in found:
                raise AuditCorrupt(f"the subtree ({level}, {index}) is not stored", index=index << level)
        return found

    def _with_nodes(self, compute: Callable[[NodeHash], _T]) -> _T:
        """Run ``compute`` once to learn which subtrees it reads, fetch them together, and run it on them."""
        wanted: set[tuple[int, int]] = set()

        def note(level: int, index: int) -> bytes:
            wanted.add((level, index))
            return _PLACEHOLDER

        compute(note)
        found = self._nodes(wanted)
        return compute(lambda level, index: found[(level, index)])

    def root(self, size: int) -> bytes:
        """The root of the tree of the first ``size`` records."""
        return self._with_nodes(lambda node: range_hash(0, size, node))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return self._with_nodes(lambda node: inclusion_proof(index, size, lambda lo, hi: range_hash(lo, hi, node)))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        return self._with_nodes(lambda node: consistency_proof(first, second, lambda lo, hi: range_hash(lo, hi, node)))

    def evidence(self, index: int) -> dict[str, bytes]:
        """The record's sealed evidence by regulator key name (empty when none was sealed)."""
        rows = self._rows(
            "SELECT v.sealed_for, v.sealed FROM audit_entries e JOIN audit_evidence v ON v.entry_id = e.id "
            "WHERE e.idx = %s",
            (index,),
        )
        return {str(name): bytes(blob) for name, blob in rows}

    def latest_checkpoint(self) -> tuple[int, str] | None:
        rows = self._rows("SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def checkpoint(self, size: int) -> str | None:
        rows = self._rows("SELECT note FROM audit_checkpoints WHERE size = %s", (size,))
        return str(rows[0][0]) if rows else None

    def close(self) -> None:
        self._conn.close()
