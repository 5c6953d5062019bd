"""A PostgreSQL for the tests: a fresh schema per test on the server named by ``GATEWAY_TEST_DSN`` (default: the
one these machines run at 127.0.0.1:5432, trust authentication, database ``test``).

Where no server answers, the tests that need one are skipped with the reason; with ``GATEWAY_REQUIRE_POSTGRES=1``
(set by ``.ci/run``) they fail instead, so CI can never pass without having run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from urllib.parse import quote

import psycopg
import pytest

__all__ = ["TEST_DSN", "fresh_schema", "in_schema", "require_postgres"]

TEST_DSN = os.environ.get("GATEWAY_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")


@cache
def _unreachable() -> str | None:
    """Why the test server cannot be used, or None."""
    try:
        with psycopg.connect(TEST_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as e:
        return f"PostgreSQL at {TEST_DSN} is not reachable ({e.__class__.__name__}: {str(e).strip()[:200]})"
    return None


def require_postgres() -> None:
    """Skip (or, where PostgreSQL is required, fail) the calling test when the server is not there."""
    reason = _unreachable()
    if reason is None:
        return
    if os.environ.get("GATEWAY_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason}; GATEWAY_REQUIRE_POSTGRES=1 says it must be")
    pytest.skip(reason)


def in_schema(dsn: str, schema: str) -> str:
    """``dsn`` with every session's search path set to ``schema``."""
    separator = "&" if "?" in dsn else "?"
    return f"{dsn}{separator}options={quote(f'-c search_path={schema}')}"


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A DSN whose sessions work in a new, empty schema, dropped afterwards (with everything in it)."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(TEST_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')  # a name made here, of hex digits only
    try:
        yield in_schema(TEST_DSN, schema)
    finally:
        with psycopg.connect(TEST_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
