"""The stores a gateway node runs on, chosen by its configuration: SQLite files in ``data_dir`` (one node, the
embedded default) or PostgreSQL at ``database.dsn`` (several nodes sharing one log, one consent registry, one count
of individuals). The data path and the APIs see only the protocols below and in :mod:`gateway.ports`."""

from __future__ import annotations

import os
import socket
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.config import Config
from gateway.consent.validate import ConsentDraft, ConsentRecord
from gateway.model import Consent
from gateway.ports import CounterStore
from gateway.stores.audit_store import AuditStore
from gateway.stores.sqlite_consent import Sign
from gateway.stores.sqlite_counters import ExporterStats

__all__ = ["ConsentRegistry", "CounterStatistics", "Stores", "node_name", "open_stores"]


class ConsentRegistry(Protocol):
    """The consent registry as the consent API and the data path use it."""

    async def add(self, drafts: Iterable[ConsentDraft], at: datetime, sign: Sign) -> list[ConsentRecord]: ...

    async def get(self, consent_id: str) -> ConsentRecord | None: ...

    async def withdraw(self, consent_id: str, at: datetime, *, exporter: str | None = None) -> ConsentRecord | None: ...

    async def by_subject(self, exporter: str, subject_hash: str) -> list[ConsentRecord]: ...

    async def lookup(self, exporter: str, subject_hashes: Collection[str]) -> Mapping[str, tuple[Consent, ...]]: ...

    async def open(self) -> None: ...

    async def ready(self) -> None:
        """Return if the registry answers; raise otherwise."""
        ...

    async def close(self) -> None: ...


class CounterStatistics(CounterStore, Protocol):
    """The counters as the data path and ``/v1/stats`` use them."""

    async def stats(self, year: int, exporter: str | None = None) -> list[ExporterStats]: ...

    async def open(self) -> None: ...

    async def ready(self) -> None:
        """Return if the counters answer; raise :class:`gateway.errors.CountersUnavailable` otherwise."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Stores:
    audit: AuditStore
    consents: ConsentRegistry
    counters: CounterStatistics

    async def close(self) -> None:
        """Close in the reverse order of opening; the audit log last, so it commits what the others' closing
        queued."""
        await self.counters.close()
        await self.consents.close()
        await self.audit.close()


def node_name() -> str:
    """This node's name in the shared log's rows: ``GATEWAY_NODE``, else host name and process id."""
    return os.environ.get("GATEWAY_NODE") or f"{socket.gethostname()}:{os.getpid()}"


def _choose(config: Config) -> Stores:
    dsn = config.database_dsn
    if dsn is None:
        from gateway.stores.sqlite_audit import SqliteAuditLog  # noqa: PLC0415 - only the backend in use is loaded
        from gateway.stores.sqlite_consent import SqliteConsentStore  # noqa: PLC0415
        from gateway.stores.sqlite_counters import SqliteCounterStore  # noqa: PLC0415

        audit = SqliteAuditLog(config.audit_db)
        return Stores(audit, SqliteConsentStore(config.consent_db), SqliteCounterStore(config.counters_db))
    from gateway.stores.pg_audit import PgAuditLog  # noqa: PLC0415
    from gateway.stores.pg_consent import PgConsentStore  # noqa: PLC0415
    from gateway.stores.pg_counters import PgCounterStore  # noqa: PLC0415

    node = node_name()
    return Stores(PgAuditLog(dsn, node=node), PgConsentStore(dsn), PgCounterStore(dsn, node=node))


async def open_stores(config: Config) -> Stores:
    """Open the configured stores (closing those already open if one fails)."""
    stores = _choose(config)
    opened: list[AuditStore | ConsentRegistry | CounterStatistics] = []
    try:
        for store in (stores.audit, stores.consents, stores.counters):
            await store.open()
            opened.append(store)
    except BaseException:
        for store in reversed(opened):
            await store.close()
        raise
    return stores
