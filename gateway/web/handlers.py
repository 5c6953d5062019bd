"""HTTP handlers: the transfer endpoint, problem-type pages and the OpenAPI description (health, readiness and
metrics are in :mod:`gateway.web.observability`)."""

from __future__ import annotations

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.errors import PROBLEMS, Overloaded, RequestRejected
from gateway.pipeline import Answer, IncomingRequest, refuse, run
from gateway.problems import problem_type
from gateway.web.bounded import read_bounded
from gateway.web.openapi import OPENAPI
from gateway.web.state import GATEWAY, IN_FLIGHT

__all__ = ["add_routes"]

_log = structlog.get_logger("gateway.transfer")


class _Body:
    """:class:`gateway.ports.BodySource` over an aiohttp request, enforcing the size limit while reading."""

    def __init__(self, request: web.Request) -> None:
        self._request = request

    async def read(self, limit: int) -> bytes:
        too_large = RequestRejected("body-too-large", f"the body exceeds the limit of {limit} bytes")
        return await read_bounded(self._request.content, self._request.content_length, limit, too_large)


def _incoming(request: web.Request, *, preflight: bool = False) -> IncomingRequest:
    return IncomingRequest(
        method=request.method,
        route=request.match_info["route"],
        path="/" + request.match_info.get("path", ""),
        query=request.query_string,
        content_type=request.headers.get("Content-Type", ""),
        authorization=request.headers.get("Authorization"),
        purpose=request.headers.get("Gateway-Purpose"),
        scenario=request.headers.get("Gateway-Scenario"),
        accept=request.headers.get("Accept"),
        body=_Body(request),
        categories=request.headers.get("Gateway-Categories"),
        preflight=preflight,
    )


def _respond(answer: Answer) -> web.Response:
    headers = {
        "Content-Type": answer.content_type,  # as the recipient sent it, charset included
        "Gateway-Decision": answer.effect.value,
        "Gateway-Decision-Id": answer.decision_id,
    }
    if answer.audit_index is not None:
        headers["Gateway-Audit-Index"] = str(answer.audit_index)
    if answer.rule_id is not None:
        headers["Gateway-Rule"] = answer.rule_id
    if answer.mechanism is not None:
        headers["Gateway-Mechanism"] = answer.mechanism
    if answer.policy_revision is not None:
        headers["Gateway-Policy-Revision"] = answer.policy_revision
    if answer.retry_after is not None:
        headers["Retry-After"] = str(answer.retry_after)
    return web.Response(status=answer.status, body=answer.body, headers=headers)


async def transfer(request: web.Request) -> web.StreamResponse:
    """``/transfer/{route}/{path}``: decide, audit, and forward what may leave."""
    return await _handle(request, _incoming(request))


async def preflight(request: web.Request) -> web.StreamResponse:
    """``/v1/preflight/{route}/{path}``: the decision a transfer would get, not forwarded and not counted (only a
    request refused before any decision, a bad token or body, leaves a rejection record)."""
    return await _handle(request, _incoming(request, preflight=True))


async def _handle(request: web.Request, incoming: IncomingRequest) -> web.StreamResponse:
    gw = request.app[GATEWAY]
    in_flight = request.app[IN_FLIGHT]
    if in_flight.count >= in_flight.cap:
        answer = await refuse(gw, incoming, Overloaded(f"more than {in_flight.cap} transfers in flight"))
    else:
        in_flight.count += 1
        try:
            answer = await run(gw, incoming)
        finally:
            in_flight.count -= 1
    _log.info(
        "preflight" if incoming.preflight else "transfer",
        decision_id=answer.decision_id,
        method=request.method,
        route=answer.route or incoming.route,
        recipient=answer.recipient,
        exporter=answer.exporter,
        effect=answer.effect.value,
        rule=answer.rule_id,
        problem=answer.problem,
        status=answer.status,
        audit_index=answer.audit_index,
        categories=list(answer.categories),
    )
    return _respond(answer)


async def problem_page(request: web.Request) -> web.Response:
    """``/problems/{kind}``: what a problem type means and what to do about it."""
    kind = request.match_info["kind"]
    known = PROBLEMS.get(kind)
    if known is None:
        raise web.HTTPNotFound()
    return web.json_response(
        {"type": problem_type(kind), "title": known.title, "status": known.status, "advice": known.advice}
    )


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(OPENAPI)


@web.middleware
async def problems_for_http_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own errors (no such path, method not allowed) as problem documents; faults never show a trace."""
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        body = {"type": "about:blank", "title": e.reason, "status": e.status}
        return web.json_response(body, status=e.status, content_type="application/problem+json")
    except Exception:  # noqa: BLE001 - the last line of defence: log the fault, never show a trace to the caller
        _log.exception("unhandled_fault", path=request.path)
        body = {"type": "about:blank", "title": "Internal Server Error", "status": 500}
        return web.json_response(body, status=500, content_type="application/problem+json")


def add_routes(app: web.Application) -> None:
    app.middlewares.append(problems_for_http_errors)
    app.router.add_route("*", "/transfer/{route}", transfer)
    app.router.add_route("*", "/transfer/{route}/{path:.*}", transfer)
    app.router.add_route("*", "/v1/preflight/{route}", preflight)
    app.router.add_route("*", "/v1/preflight/{route}/{path:.*}", preflight)
    app.router.add_get("/problems/{kind}", problem_page)
    app.router.add_get("/openapi.json", openapi)
