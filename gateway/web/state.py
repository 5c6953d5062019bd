"""Typed keys of the application's state."""

from __future__ import annotations

from aiohttp import web

from gateway.pipeline import Gateway
from gateway.stores.sqlite_audit import SqliteAuditLog

__all__ = ["AUDIT", "GATEWAY", "IN_FLIGHT"]

GATEWAY = web.AppKey("gateway", Gateway)
AUDIT = web.AppKey("audit", SqliteAuditLog)


class InFlight:
    """How many transfers are being handled now, against the cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.count = 0


IN_FLIGHT = web.AppKey("in_flight", InFlight)
