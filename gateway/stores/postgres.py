"""What the PostgreSQL stores share: a connection pool per store, and schema migrations as numbered scripts.

Several gateway nodes share one database, so a migration must run once even when they start together: each
store's scripts run under a transaction-level advisory lock on the store's name, and ``gateway_schema`` records how
many of each store's scripts have run. Every table lives in the connection's current schema (the first of its
``search_path``), so one database can hold several deployments, or tests, side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg_pool import AsyncConnectionPool

from gateway.errors import ConfigError

__all__ = ["migrate", "open_pool", "schema_lock_key"]

_VERSIONS = """
CREATE TABLE IF NOT EXISTS gateway_schema (
    store   TEXT PRIMARY KEY,
    version INTEGER NOT NULL
)
"""


def schema_lock_key(name: str) -> str:
    """SQL for a 64-bit advisory-lock key naming ``name`` in the current schema (locks are database-wide)."""
    return f"hashtextextended('{name}:' || current_schema(), 0)"


async def open_pool(dsn: str, *, name: str, min_size: int = 1, max_size: int = 8) -> AsyncConnectionPool:
    """An open pool of autocommit connections (transactions are explicit); :class:`ConfigError` if the database
    cannot be reached within 10 seconds (the DSN is not echoed: it may hold a password)."""
    pool = AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        kwargs={"autocommit": True},
        check=AsyncConnectionPool.check_connection,  # a connection that died idle is replaced, not handed out
        name=name,
        open=False,
        timeout=10.0,
    )
    try:
        await pool.open(wait=True, timeout=10.0)
    except Exception as e:
        await pool.close()
        raise ConfigError(f"the {name} database cannot be reached ({e.__class__.__name__})", file="database.dsn") from e
    return pool


async def migrate(conn: psycopg.AsyncConnection[object], store: str, scripts: Sequence[str]) -> int:
    """Bring ``store``'s tables up to ``len(scripts)`` in one transaction; return the version found. A database
    newer than the code is refused rather than written to."""
    async with conn.transaction():
        await conn.execute(f"SELECT pg_advisory_xact_lock({schema_lock_key('gateway.schema')})")
        await conn.execute(_VERSIONS)
        cursor = await conn.execute("SELECT version FROM gateway_schema WHERE store = %s", (store,))
        row = await cursor.fetchone()
        found = 0 if row is None else int(row[0])  # type: ignore[index]
        if found > len(scripts):
            raise ConfigError(
                f"the {store} tables are at schema version {found}, newer than this gateway's {len(scripts)}: "
                "upgrade it",
                file="database.dsn",
            )
        for script in scripts[found:]:
            await conn.execute(script)
        await conn.execute(
            "INSERT INTO gateway_schema (store, version) VALUES (%s, %s) "
            "ON CONFLICT (store) DO UPDATE SET version = excluded.version",
            (store, len(scripts)),
        )
    return found
