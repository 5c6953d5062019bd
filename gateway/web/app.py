"""The aiohttp application: wiring of configuration, stores, client session and handlers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from opentelemetry import trace
from opentelemetry.trace import Tracer, TracerProvider

from gateway.audit.note import NoteSigner
from gateway.audit.publisher import CheckpointPublisher
from gateway.auth import TokenVerifier, load_jwks
from gateway.config import Config
from gateway.consent.receipt import ReceiptSigner, load_receipt_signer
from gateway.errors import AuditUnavailable, ConfigError, CountersUnavailable
from gateway.evidence import load_evidence_keys
from gateway.keys import load_checkpoint_signer, load_pseudonym_keys, load_secret
from gateway.metrics import CommitObservable, Metrics, count_reloads
from gateway.pipeline import Gateway
from gateway.policy.bundle import load_public_keys
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.live import Candidate, LivePolicy, Loaded, PolicyLoader
from gateway.ports import AuditLog
from gateway.stores.audit_store import AuditStore
from gateway.stores.factory import ConsentRegistry, CounterStatistics, open_stores
from gateway.web import admin, audit_api, consent_api, handlers, observability, stats_api
from gateway.web.consent_api import CONSENTS, RECEIPTS
from gateway.web.state import AUDIT, GATEWAY, IN_FLIGHT, LIVE, PUBLISHER, SIGHUP_RELOAD, InFlight, SighupReload
from gateway.web.stats_api import COUNTERS, log_expiring_mechanisms
from gateway.web.upstream import HttpUpstream, new_session

__all__ = ["Keyring", "Prepared", "SystemClock", "build_app", "check_routes", "policy_loader", "prepare"]


class SystemClock:
    """Wall-clock time for decisions, a monotonic clock for latencies."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(slots=True)
class Keyring:
    """The keys policies name, shared with the data path: pseudonymisation keys and regulators' evidence keys.

    Keys are read in when a policy is checked: a key read for a candidate that is then refused stays here unused,
    which is harmless.
    """

    pseudonym: dict[str, bytes] = field(default_factory=dict, repr=False)
    evidence: dict[str, X25519PublicKey] = field(default_factory=dict)


@dataclass(slots=True)
class Prepared:
    """What start-up validates before the server accepts a connection."""

    live: Loaded
    verifier: TokenVerifier
    subject_key: bytes
    loader: PolicyLoader
    checkpoint_signer: NoteSigner
    receipt_signer: ReceiptSigner
    shadow: Loaded | None = None
    keyring: Keyring = field(default_factory=Keyring)

    @property
    def policy(self) -> CompiledPolicy:
        return self.live.policy


def check_routes(config: Config, policy: CompiledPolicy) -> None:
    """Every route must lead to a recipient the policy knows."""
    for route in config.routes.values():
        if route.recipient not in policy.recipients:
            raise ConfigError(
                f"route {route.name!r} names recipient {route.recipient!r}, which policy {policy.name!r} does not "
                "declare",
                file=config.source,
            )


def check_policy(config: Config, keyring: Keyring, policy: CompiledPolicy) -> None:
    """A policy fits this gateway: its routes are configured, and the keys it names (pseudonymisation keys,
    regulators' public keys for sealed evidence) exist."""
    check_routes(config, policy)
    keyring.pseudonym.update(load_pseudonym_keys(config.keys_dir, policy.pseudonym_keys))
    keyring.evidence.update(load_evidence_keys(config.keys_dir, policy.evidence_keys))


def policy_loader(config: Config, keyring: Keyring) -> PolicyLoader:
    """How start-up and every reload load a policy: valid, fits the gateway, signed when the configuration says so."""
    signature = config.policy_signature
    trusted = load_public_keys(signature.public_keys) if signature.required else None
    return PolicyLoader(partial(check_policy, config, keyring), trusted)


def _loaded(candidate: Candidate) -> Loaded:
    return Loaded(candidate.policy, candidate.source, datetime.now(UTC), candidate.signed_by)


def prepare(config: Config) -> Prepared:
    keyring = Keyring()
    loader = policy_loader(config, keyring)
    live = _loaded(loader.load(config.policy_dir))
    shadow = _loaded(loader.load(config.shadow_policy_dir)) if config.shadow_policy_dir is not None else None
    verifier = TokenVerifier(
        load_jwks(config.auth.jwks_file),
        issuer=config.auth.issuer,
        audience=config.auth.audience,
        roles_claim=config.auth.roles_claim,
        organisation_claim=config.auth.organisation_claim,
        leeway=config.auth.leeway_seconds,
    )
    signer = load_checkpoint_signer(config.checkpoint_key, config.audit.origin)
    receipts = load_receipt_signer(config.consent_receipt_key)
    subject_key = load_secret(config.audit_hmac_key_file)
    return Prepared(live, verifier, subject_key, loader, signer, receipts, shadow, keyring)


async def _store_ready(store: AuditStore | ConsentRegistry | CounterStatistics) -> None:
    """Readiness check of one store; the gateway's own words for why not (never a DSN or a database's message)."""
    try:
        await store.ready()
    except (AuditUnavailable, CountersUnavailable) as e:
        raise observability.NotReady(e.detail) from e


async def _warn_daily(gw: Gateway) -> None:
    """Log the transfer mechanisms that expire within 60 working days: at start-up, then once a day (reloads log
    them too)."""
    while True:
        log_expiring_mechanisms(gw.policy, gw.clock.now())
        await asyncio.sleep(24 * 3600)


def build_app(
    config: Config,
    *,
    audit: AuditLog | None = None,
    reload_on_sighup: bool = True,
    tracer_provider: TracerProvider | None = None,
) -> web.Application:
    """The gateway application. Configuration, policy and keys are validated here, before serving.

    ``audit`` replaces the audit log the data path appends to (tests use it to make the log fail). With
    ``reload_on_sighup``, SIGHUP reloads the policy while the app runs. Spans go to ``tracer_provider`` if given
    (tests pass one with an in-memory exporter), else to the global provider when ``telemetry.traces`` is not
    ``none``, else nowhere: no span is made at all. Metrics go to a registry of the app's own.
    """
    prepared = prepare(config)
    app = web.Application(client_max_size=config.limits.max_body_bytes)
    metrics = Metrics()
    if tracer_provider is None and config.traces != "none":
        tracer_provider = trace.get_tracer_provider()

    def tracer(name: str) -> Tracer | None:
        return tracer_provider.get_tracer(name) if tracer_provider is not None else None

    async def stores_and_session(app: web.Application) -> AsyncIterator[None]:
        stores = await open_stores(config)
        app[AUDIT], app[CONSENTS], app[COUNTERS] = stores.audit, stores.consents, stores.counters
        if isinstance(stores.audit, CommitObservable):
            stores.audit.on_commit = metrics.audit_committed
        for name, store in (("audit", stores.audit), ("consents", stores.consents), ("counters", stores.counters)):
            app[observability.READY_CHECKS].append((name, partial(_store_ready, store)))
        session = new_session(config.limits.connect_timeout, config.limits.total_timeout)
        gw = Gateway(
            policy=prepared.policy,
            verifier=prepared.verifier,
            routes=config.routes,
            limits=config.limits,
            audit=audit or stores.audit,
            upstream=HttpUpstream(session, config.limits.max_body_bytes, tracer("gateway.upstream")),
            clock=SystemClock(),
            subject_key=prepared.subject_key,
            new_id=lambda: str(uuid.uuid4()),
            pseudonym_keys=prepared.keyring.pseudonym,
            evidence_keys=prepared.keyring.evidence,
            consents=stores.consents,
            counters=stores.counters,
            tracer=tracer("gateway.pipeline"),
            metrics=metrics,
        )
        app[GATEWAY] = gw
        publisher = CheckpointPublisher(
            stores.audit, prepared.checkpoint_signer, gw.clock, config.audit.checkpoint_interval_seconds
        )
        app[PUBLISHER] = publisher
        publishing = asyncio.get_running_loop().create_task(publisher.run())
        warning = asyncio.get_running_loop().create_task(_warn_daily(gw))
        app[LIVE] = LivePolicy(gw, prepared.loader, prepared.live, prepared.shadow, shadow_dir=config.shadow_policy_dir)
        count_reloads(app[LIVE], metrics)
        # What start-up made (modules, the compiled policy, keys) lives as long as the process: keep it out of the
        # collector's full passes, which otherwise walk it again and again under load.
        gc.freeze()
        try:
            yield
        finally:
            publishing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publishing
            warning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warning
            await session.close()
            await stores.close()  # the audit log last: it commits the records still queued

    app.cleanup_ctx.append(stores_and_session)
    app[SIGHUP_RELOAD] = SighupReload()
    if reload_on_sighup:
        app.cleanup_ctx.append(admin.reload_on_sighup)
    app[IN_FLIGHT] = InFlight(config.limits.max_in_flight)
    observability.add_observability(app, metrics, tracer("gateway.http"))  # first: its middleware is the outermost
    handlers.add_routes(app)
    admin.add_admin_routes(app)
    audit_api.add_audit_routes(app)
    stats_api.add_stats_routes(app)
    app[RECEIPTS] = prepared.receipt_signer
    consent_api.add_consent_routes(app)
    return app
