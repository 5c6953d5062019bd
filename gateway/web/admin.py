"""The operators' admin API: what policy is running, and a safe reload (also on SIGHUP).

Both endpoints need a token with the ``operator`` role, verified as transfer tokens are. A refused reload answers
422 with each problem (file, line, message); the running policy is unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

import structlog
from aiohttp import web

from gateway.audit.record import timestamp
from gateway.errors import AuditUnavailable, ConfigError, RequestRejected
from gateway.metrics import count_reload
from gateway.model import Json, Principal
from gateway.policy.live import LivePolicy, Loaded, Reloaded, problem_entry, problems_of
from gateway.web.callers import OPERATOR, caller, problem_response, refusal
from gateway.web.state import LIVE, SIGHUP_RELOAD
from gateway.web.stats_api import log_expiring_mechanisms

__all__ = ["OPERATOR_ROLE", "add_admin_routes", "reload_on_sighup", "status_document"]

OPERATOR_ROLE = OPERATOR

_log = structlog.get_logger("gateway.admin")


def _refused(request: web.Request, error: RequestRejected) -> web.Response:
    _log.warning("admin_refused", method=request.method, path=request.path, problem=error.kind)
    return refusal(error)


def _operator(request: web.Request) -> Principal:
    """The caller, if its token is valid and carries the operator role; :class:`RequestRejected` otherwise."""
    return caller(request, frozenset({OPERATOR_ROLE}))


def _described(loaded: Loaded) -> dict[str, Json]:
    return {
        "policy": loaded.policy.name,
        "revision": loaded.policy.revision,
        "loaded_at": timestamp(loaded.loaded_at),
        "source": str(loaded.source),
        "signed_by": loaded.signed_by,
    }


def status_document(live: LivePolicy) -> dict[str, Json]:
    """The running policy and the shadow policy with its agreement counts."""
    shadow: dict[str, Json] | None = None
    if live.shadow is not None:
        shadow = _described(live.shadow) | live.stats.summary()
    return _described(live.live) | {"shadow": shadow}


def _reloaded(result: Reloaded) -> dict[str, Json]:
    return {
        "changed": result.changed,
        "previous_revision": result.previous_revision,
        "revision": result.revision,
        "loaded_at": timestamp(result.loaded_at),
        "shadow_revision": result.shadow_revision,
        "shadow_changed": result.shadow_changed,
    }


async def _reload(live: LivePolicy, *, requested_by: str, via: str) -> Reloaded:
    """Reload and log the outcome: the revision, or each problem."""
    try:
        result = await count_reload(live, live.reload(requested_by=requested_by, via=via))
    except ConfigError as e:
        problems = problems_of(e)
        _log.warning("policy_reload_refused", via=via, requested_by=requested_by, problems=len(problems))
        for p in problems:
            _log.warning("policy_reload_problem", via=via, **problem_entry(p))
        raise
    except AuditUnavailable as e:
        _log.error("policy_reload_unrecorded", via=via, requested_by=requested_by, problem=e.kind)
        raise
    _log.info("policy_reloaded", via=via, requested_by=requested_by, **_reloaded(result))
    if result.changed:
        log_expiring_mechanisms(live.live.policy, result.loaded_at)
    return result


async def policy_status(request: web.Request) -> web.Response:
    """``GET /v1/admin/policy``: the running policy (name, revision, since when, from where) and the shadow."""
    try:
        _operator(request)
    except RequestRejected as e:
        return _refused(request, e)
    return web.json_response(status_document(request.app[LIVE]))


async def policy_reload(request: web.Request) -> web.Response:
    """``POST /v1/admin/policy/reload``: load, check and swap in the policy from its directory."""
    try:
        principal = _operator(request)
    except RequestRejected as e:
        return _refused(request, e)
    live = request.app[LIVE]
    try:
        result = await _reload(live, requested_by=principal.subject, via="admin-api")
    except ConfigError as e:
        problems = problems_of(e)
        detail = f"the candidate has {len(problems)} problem(s); revision {live.live.policy.revision} stays in force"
        return problem_response(
            "policy-invalid", detail, errors=[problem_entry(p) for p in problems], revision=live.live.policy.revision
        )
    except AuditUnavailable as e:
        return problem_response(e.kind, f"{e.detail}; the policy change was not recorded, so it was not made")
    return web.json_response(_reloaded(result))


async def reload_on_sighup(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: SIGHUP reloads the policy while the app runs (where the loop can take signal handlers)."""
    loop = asyncio.get_running_loop()
    live = app[LIVE]
    running: set[asyncio.Task[None]] = set()  # a reference to each reload until it is done

    async def reload_once() -> None:
        with contextlib.suppress(ConfigError, AuditUnavailable):  # logged by _reload; the running policy stays
            await _reload(live, requested_by="signal", via="signal")

    def on_signal() -> None:
        task = loop.create_task(reload_once())
        running.add(task)
        task.add_done_callback(running.discard)

    state = app[SIGHUP_RELOAD]
    try:
        loop.add_signal_handler(signal.SIGHUP, on_signal)
        state.installed = True
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or a platform without SIGHUP
        _log.warning("policy_reload_signal_unavailable")
    try:
        yield
    finally:
        if state.installed:
            loop.remove_signal_handler(signal.SIGHUP)
            state.installed = False
        for task in list(running):
            await task  # a reload in progress finishes (its worker thread cannot be interrupted anyway)


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get("/v1/admin/policy", policy_status)
    app.router.add_post("/v1/admin/policy/reload", policy_reload)
