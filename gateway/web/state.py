"""Typed keys of the application's state."""

from __future__ import annotations

from aiohttp import web

from gateway.audit.publisher import CheckpointPublisher
from gateway.pipeline import Gateway
from gateway.policy.live import LivePolicy
from gateway.stores.audit_store import AuditStore

__all__ = ["AUDIT", "GATEWAY", "IN_FLIGHT", "LIVE", "PUBLISHER", "SIGHUP_RELOAD", "InFlight", "SighupReload"]

GATEWAY = web.AppKey("gateway", Gateway)
AUDIT = web.AppKey("audit", AuditStore)
LIVE = web.AppKey("live_policy", LivePolicy)
PUBLISHER = web.AppKey("checkpoint_publisher", CheckpointPublisher)


class InFlight:
    """How many transfers are being handled now, against the cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.count = 0


IN_FLIGHT = web.AppKey("in_flight", InFlight)


class SighupReload:
    """Whether this app has a SIGHUP handler installed (it reloads the policy) right now."""

    def __init__(self) -> None:
        self.installed = False


SIGHUP_RELOAD = web.AppKey("sighup_reload", SighupReload)
