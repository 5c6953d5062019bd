"""The aiohttp application: wiring of configuration, stores, client session and handlers."""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from opentelemetry import trace

from gateway.auth import TokenVerifier, load_jwks
from gateway.config import Config
from gateway.errors import ConfigError
from gateway.keys import load_secret
from gateway.pipeline import Gateway
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.load import load_policy
from gateway.ports import AuditLog
from gateway.stores.sqlite_audit import SqliteAuditLog
from gateway.web import handlers
from gateway.web.state import AUDIT, GATEWAY, IN_FLIGHT, InFlight
from gateway.web.upstream import HttpUpstream, new_session

__all__ = ["Prepared", "SystemClock", "build_app", "check_routes", "prepare"]


class SystemClock:
    """Wall-clock time for decisions, a monotonic clock for latencies."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(slots=True)
class Prepared:
    """What start-up validates before the server accepts a connection."""

    policy: CompiledPolicy
    verifier: TokenVerifier
    subject_key: bytes


def check_routes(config: Config, policy: CompiledPolicy) -> None:
    """Every route must lead to a recipient the policy knows."""
    for route in config.routes.values():
        if route.recipient not in policy.recipients:
            raise ConfigError(
                f"route {route.name!r} names recipient {route.recipient!r}, which policy {policy.name!r} does not "
                "declare",
                file=config.source,
            )


def prepare(config: Config) -> Prepared:
    policy = load_policy(config.policy_dir)
    check_routes(config, policy)
    verifier = TokenVerifier(
        load_jwks(config.auth.jwks_file),
        issuer=config.auth.issuer,
        audience=config.auth.audience,
        roles_claim=config.auth.roles_claim,
        organisation_claim=config.auth.organisation_claim,
        leeway=config.auth.leeway_seconds,
    )
    return Prepared(policy, verifier, load_secret(config.audit_hmac_key_file))


def build_app(config: Config, *, audit: AuditLog | None = None) -> web.Application:
    """The gateway application. Configuration, policy and keys are validated here, before serving.

    ``audit`` replaces the SQLite audit log (tests use it to make the log fail).
    """
    prepared = prepare(config)
    app = web.Application(client_max_size=config.limits.max_body_bytes)

    async def stores_and_session(app: web.Application) -> AsyncIterator[None]:
        sqlite_log = SqliteAuditLog(config.audit_db)
        await sqlite_log.open()
        app[AUDIT] = sqlite_log
        session = new_session(config.limits.connect_timeout, config.limits.total_timeout)
        app[GATEWAY] = Gateway(
            policy=prepared.policy,
            verifier=prepared.verifier,
            routes=config.routes,
            limits=config.limits,
            audit=audit or sqlite_log,
            upstream=HttpUpstream(session, config.limits.max_body_bytes),
            clock=SystemClock(),
            subject_key=prepared.subject_key,
            new_id=lambda: str(uuid.uuid4()),
            tracer=trace.get_tracer("gateway.pipeline") if config.traces != "none" else None,
        )
        # What start-up made (modules, the compiled policy, keys) lives as long as the process: keep it out of the
        # collector's full passes, which otherwise walk it again and again under load.
        gc.freeze()
        yield
        await session.close()
        await sqlite_log.close()

    app.cleanup_ctx.append(stores_and_session)
    app[IN_FLIGHT] = InFlight(config.limits.max_in_flight)
    handlers.add_routes(app)
    return app
