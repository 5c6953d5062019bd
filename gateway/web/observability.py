"""What operators watch: a server span and metrics per HTTP request, ``/metrics``, ``/healthz`` and ``/readyz``.

Server spans follow OpenTelemetry's stable HTTP conventions: the name is ``{method} {http.route}`` (the matched
route's template, ``{method}`` alone when no route matched), with ``http.request.method``, ``http.route``,
``http.response.status_code``, ``url.scheme``, ``server.address``/``server.port`` (from ``Host``) and
``network.protocol.version``, and ``error.type`` on a 5xx. ``url.path`` is recorded only for fixed routes
(``/v1/stats``): a templated path (``/transfer/{route}/{path}``) or an unmatched one is whatever the caller typed,
and may name a person, so the template stands for it. Never recorded: the query string, the body, headers,
``user_agent.original`` and ``client.address`` (free text and an address that can single out a person, and the
decisions need neither). A ``traceparent`` from the enterprise makes the span a child of the enterprise's trace.

``/healthz``, ``/readyz`` and ``/metrics`` need no token, are not counted against the transfers in flight and make
no span (probes every few seconds would bury the transfers' traces); they are counted in the HTTP metrics under
their own route label. The gateway writes no access log: the one line per transfer is the transfer's. ``/readyz``
logs when readiness changes, not on every probe.

``/metrics`` carries no personal data (see :mod:`gateway.metrics`: every label is a value of the gateway's or its
configuration's, never a subject, path or body value) but tells who transfers how much: operators expose it on
the internal network only, as for the admin API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from time import perf_counter

import structlog
from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from opentelemetry.trace import Span, SpanKind, Tracer
from prometheus_client import CONTENT_TYPE_LATEST

from gateway.metrics import Metrics, known_method, status_class
from gateway.model import Json
from gateway.telemetry import error_type, extract_context, mark_error
from gateway.web.state import GATEWAY

__all__ = [
    "METRICS",
    "READY_CHECKS",
    "READY_TIMEOUT",
    "NotReady",
    "ReadyCheck",
    "add_observability",
    "observe_requests",
]

_log = structlog.get_logger("gateway.health")

READY_TIMEOUT = 2.0  # seconds each readiness check may take before it counts as failed

ReadyCheck = tuple[str, Callable[[], Awaitable[object]]]
"""A readiness check: its name in ``/readyz``'s answer, and a coroutine function that raises when not ready."""

METRICS = web.AppKey("metrics", Metrics)
READY_CHECKS: web.AppKey[list[ReadyCheck]] = web.AppKey("ready_checks")

# Probes and scrapes: counted, not traced.
_PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


class NotReady(Exception):
    """Raised by a readiness check; its message (the gateway's own words, no internals) is shown in ``/readyz``.
    Any other exception shows as its class only (its message may hold a DSN or a file path)."""


@dataclass(slots=True)
class _Readiness:
    ready: bool | None = None  # as last reported; None before the first probe


_READINESS = web.AppKey("readiness", _Readiness)


# --- server spans and HTTP metrics -------------------------------------------------------------------------------


def _route(request: web.Request) -> tuple[str, bool]:
    """The matched route's template ("" when none matched), and whether it is a fixed path."""
    resource = request.match_info.route.resource
    if resource is None:
        return "", False
    return resource.canonical, isinstance(resource, web.PlainResource)


def _server(request: web.Request) -> tuple[str | None, int | None]:
    """``server.address`` and ``server.port`` as the client addressed the gateway (``Host``), else the socket's
    (never aiohttp's fallback for a request without ``Host``, a blocking look-up of this machine's name)."""
    if hdrs.HOST in request.headers:
        try:
            url = request.url
            if url.host:
                return url.host, url.port
        except ValueError:  # a Host header that is not a host
            pass
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        return str(sockname[0]), int(sockname[1])
    return None, None


def _attributes(request: web.Request, method: str, route: str, fixed: bool) -> dict[str, str | int]:
    attributes: dict[str, str | int] = {
        "http.request.method": method,
        "url.scheme": request.scheme,
        "network.protocol.version": f"{request.version.major}.{request.version.minor}",
    }
    if route:
        attributes["http.route"] = route
    if fixed:
        attributes["url.path"] = request.path
    address, port = _server(request)
    if address is not None:
        attributes["server.address"] = address
    if port is not None:
        attributes["server.port"] = port
    return attributes


async def _answer(
    request: web.Request, handler: Handler, metrics: Metrics, method: str, route: str, span: Span | None
) -> web.StreamResponse:
    started = perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:  # one the error middleware let through (a redirect)
        status = e.status
        raise
    except BaseException as e:  # cancelled (the client left), or a fault no middleware turned into an answer
        error = error_type(e)
        raise
    finally:
        metrics.http(method, route, status_class(status) if status is not None else "none", perf_counter() - started)
        if span is not None:
            if status is not None:
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    error = str(status)
            if error is not None:
                mark_error(span, error)


def observe_requests(metrics: Metrics, tracer: Tracer | None) -> Middleware:
    """The outermost middleware: every request counted and timed, and, with a tracer, a SERVER span."""

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        method = known_method(request.method)
        route, fixed = _route(request)
        if tracer is None or route in _PROBES:
            return await _answer(request, handler, metrics, method, route, None)
        with tracer.start_as_current_span(
            f"{method} {route}" if route else method,
            context=extract_context(request.headers),
            kind=SpanKind.SERVER,
            attributes=_attributes(request, method, route, fixed),
            record_exception=False,  # an exception's text may quote the body or the path
            set_status_on_exception=False,
        ) as span:
            return await _answer(request, handler, metrics, method, route, span)

    return observe


# --- /metrics, /healthz, /readyz ---------------------------------------------------------------------------------


async def metrics_page(request: web.Request) -> web.Response:
    """``GET /metrics``: the application's registry in Prometheus' text format."""
    return web.Response(body=request.app[METRICS].exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def healthz(_request: web.Request) -> web.Response:
    """``GET /healthz``: the process serves."""
    return web.json_response({"status": "up"})


async def _run_check(check: Callable[[], Awaitable[object]]) -> dict[str, Json]:
    started = perf_counter()
    try:
        await asyncio.wait_for(check(), READY_TIMEOUT)
    except TimeoutError:
        result: dict[str, Json] = {"status": "fail", "error": f"no answer within {READY_TIMEOUT:g} s"}
    except NotReady as e:
        result = {"status": "fail", "error": str(e)}
    except Exception as e:  # noqa: BLE001 - any failure is "not ready"; its class only (the text may hold internals)
        result = {"status": "fail", "error": error_type(e)}
    else:
        result = {"status": "pass"}
    result["duration_ms"] = round((perf_counter() - started) * 1000, 1)
    return result


async def readyz(request: web.Request) -> web.Response:
    """``GET /readyz``: 200 when every readiness check passes, else 503 with a problem document naming each."""
    app = request.app
    registered: list[ReadyCheck] = app[READY_CHECKS]
    checks = list(registered)  # a check registered meanwhile waits for the next probe
    results = await asyncio.gather(*(_run_check(check) for _, check in checks))
    named = {name: result for (name, _), result in zip(checks, results, strict=True)}
    failed = sorted(name for name, result in named.items() if result["status"] != "pass")
    outcome: dict[str, Json] = {name: result for name, result in named.items()}
    gw = app.get(GATEWAY)
    revision = gw.policy.revision if gw is not None else None
    _note_readiness(app[_READINESS], failed, outcome)
    if not failed:
        return web.json_response({"status": "ready", "checks": outcome, "policy_revision": revision})
    body: dict[str, Json] = {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": f"not ready: {', '.join(failed)} failed",
        "checks": outcome,
        "policy_revision": revision,
    }
    return web.json_response(body, status=503, content_type="application/problem+json")


def _note_readiness(state: _Readiness, failed: list[str], outcome: dict[str, Json]) -> None:
    """Log a change of readiness (not every probe)."""
    ready = not failed
    if state.ready is ready:
        return
    state.ready = ready
    if ready:
        _log.info("ready", checks=sorted(outcome))
    else:
        _log.warning("not_ready", failed={name: outcome[name] for name in failed})


async def policy_loaded(app: web.Application) -> None:
    """Readiness check ``policy``: the data path has a policy in force."""
    gw = app.get(GATEWAY)
    if gw is None or not gw.policy.revision:
        raise NotReady("no policy loaded yet")


def add_observability(app: web.Application, metrics: Metrics, tracer: Tracer | None) -> None:
    """Install the middleware (call before any other middleware is added: it must be the outermost, to see every
    answer as sent), the three endpoints and the ``policy`` readiness check."""
    app[METRICS] = metrics
    app[_READINESS] = _Readiness()
    checks: list[ReadyCheck] = [("policy", partial(policy_loaded, app))]
    app[READY_CHECKS] = checks
    app.middlewares.append(observe_requests(metrics, tracer))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
