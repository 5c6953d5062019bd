"""Opening the SQLite stores: the connection settings they share, and schema migrations as numbered scripts,
applied in order, once, on open.

Each store lists its scripts; ``PRAGMA user_version`` records how many have run. Opening a store on an existing
database runs the scripts it has not seen yet, each in its own transaction, so a migration interrupted by a crash is
rolled back and run again on the next open. A database newer than the code (a version above the scripts it knows) is
refused rather than written to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from gateway.errors import ConfigError

__all__ = ["connect", "migrate", "open_store"]

Synchronous = Literal["FULL", "NORMAL"]


def connect(path: Path, synchronous: Synchronous = "FULL") -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, with the given durability: ``FULL``
    fsyncs every commit."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL" if synchronous == "FULL" else "PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    return db


def open_store(path: Path, scripts: Sequence[str], synchronous: Synchronous = "FULL") -> sqlite3.Connection:
    """Create ``path``'s folder if needed, connect, and bring the schema up to date (closing on failure)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = connect(path, synchronous)
    try:
        migrate(db, scripts, path=path)
    except BaseException:
        db.close()
        raise
    return db


def migrate(db: sqlite3.Connection, scripts: Sequence[str], *, path: Path) -> int:
    """Bring ``db`` (opened with ``isolation_level=None``) up to ``len(scripts)``; return the version it had."""
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    if found > len(scripts):
        raise ConfigError(
            f"the database is at schema version {found}, newer than this gateway's {len(scripts)}: upgrade it",
            file=str(path),
        )
    for version, script in enumerate(scripts[found:], start=found + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return found


def _statements(script: str) -> list[str]:
    """The statements of a script (``;``-separated; scripts hold no ``;`` inside strings or triggers)."""
    return [s.strip() for s in script.split(";") if s.strip()]
