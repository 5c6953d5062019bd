"""The consent registry over HTTP: enterprises record, read and withdraw their individuals' consents.

- ``POST /v1/consents`` (enterprise): one consent, or ``{"consents": [...]}`` (up to 1000), all or nothing; 201 with
  each record and its signed receipt, or 422 naming every bad field by index and JSON pointer.
- ``GET /v1/consents/{id}`` (the exporter's enterprise token, or a regulator).
- ``POST /v1/consents/{id}/withdraw`` (the exporter's enterprise token); idempotent.
- ``POST /v1/consents/lookup`` (enterprise): the exporter's consents for ``{"subject": {"type", "value"}}``; a POST,
  so that the identifier never appears in a URL.
- ``GET /v1/consents/jwks.json`` (public): the key that signs receipts.

The exporter is the token's organisation, which the policy must list as an exporter. Another exporter's consent is
answered as not found. The identifier sent is hashed on arrival and never stored, logged or echoed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web

from gateway.classify import scrub_text
from gateway.consent.receipt import ReceiptSigner, receipt_claims
from gateway.consent.validate import (
    ConsentDraft,
    ConsentInvalid,
    ConsentRecord,
    FieldError,
    parse_consent,
    parse_subject,
)
from gateway.errors import RequestRejected
from gateway.model import Json, Principal
from gateway.policy.compiled import CompiledPolicy, Exporter
from gateway.stores.factory import ConsentRegistry
from gateway.web.callers import ENTERPRISE, REGULATOR, Refused, caller, refusal
from gateway.web.state import GATEWAY

__all__ = ["CONSENTS", "MAX_BATCH", "RECEIPTS", "add_consent_routes"]

CONSENTS = web.AppKey("consents", ConsentRegistry)
RECEIPTS = web.AppKey("consent_receipts", ReceiptSigner)
MAX_BATCH = 1000


_log = structlog.get_logger("gateway.consent_api")


def _exporter(policy: CompiledPolicy, principal: Principal) -> Exporter:
    found = policy.exporters.get(principal.organisation)
    if found is None or ENTERPRISE not in principal.roles:
        raise Refused("exporter-unknown", "the token's organisation is not an exporter the policy lists")
    return found


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except web.HTTPRequestEntityTooLarge:
        raise Refused("body-too-large", "the body is larger than this gateway accepts") from None
    except RecursionError:
        raise Refused("body-too-deep", "the body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise Refused("body-malformed", "the body is not a JSON document") from None


def _invalid(errors: list[Json], count: int) -> Refused:
    detail = f"{len(errors)} bad field(s) in {count} consent(s); nothing was recorded"
    return Refused("consent-invalid", detail, errors=errors)


def _entries(body: Any) -> list[Any]:
    """The consents of a request body: one object, or ``{"consents": [...]}``."""
    if isinstance(body, dict) and set(body) == {"consents"}:
        batch = body["consents"]
        if not isinstance(batch, list) or not 1 <= len(batch) <= MAX_BATCH:
            raise _invalid([{"index": None, "field": "/consents", "message": f"must list 1 to {MAX_BATCH}"}], 0)
        return batch
    return [body]


def _errors(index: int, found: tuple[FieldError, ...]) -> list[Json]:
    return [{"index": index, **e.json()} for e in found]


def _answer(records: list[ConsentRecord], request: web.Request, status: int = 200) -> web.Response:
    now = request.app[GATEWAY].clock.now()
    return web.json_response({"consents": [r.json(now) for r in records]}, status=status)


_Handler = Callable[[web.Request, Principal], Awaitable[web.StreamResponse]]


async def _guarded(request: web.Request, roles: frozenset[str], handle: _Handler) -> web.StreamResponse:
    try:
        principal = caller(request, roles)
        return await handle(request, principal)
    except RequestRejected as e:
        _log.warning("consent_api_refused", method=request.method, path=scrub_text(request.path), problem=e.kind)
        return refusal(e)


def _parse_all(
    entries: list[Any], policy: CompiledPolicy, exporter: Exporter, key: bytes, now: datetime
) -> tuple[list[ConsentDraft], list[Json]]:
    drafts: list[ConsentDraft] = []
    errors: list[Json] = []
    for index, entry in enumerate(entries):
        try:
            drafts.append(parse_consent(entry, policy, exporter, key, now))
        except ConsentInvalid as e:
            errors.extend(_errors(index, e.errors))
    return drafts, errors


async def _record(request: web.Request, principal: Principal) -> web.StreamResponse:
    gw = request.app[GATEWAY]
    policy, now = gw.policy, gw.clock.now()
    exporter = _exporter(policy, principal)
    entries = _entries(await _json_body(request))
    # a batch of a thousand is checked off the event loop, so transfers do not wait behind it
    drafts, errors = await asyncio.to_thread(_parse_all, entries, policy, exporter, gw.subject_key, now)
    if errors:
        raise _invalid(errors, len(entries))
    signer = request.app[RECEIPTS]
    records = await request.app[CONSENTS].add(drafts, now, lambda r: signer.sign(receipt_claims(r, policy)))
    _log.info("consents_recorded", exporter=exporter.id, count=len(records))
    return _answer(records, request, status=201)


async def record_consents(request: web.Request) -> web.StreamResponse:
    """``POST /v1/consents``."""
    return await _guarded(request, frozenset({ENTERPRISE}), _record)


async def _show(request: web.Request, principal: Principal) -> web.StreamResponse:
    found = await request.app[CONSENTS].get(request.match_info["id"])
    if found is None or (REGULATOR not in principal.roles and found.draft.exporter != principal.organisation):
        raise Refused("consent-not-found", "no consent with this id is visible to the caller")
    return _answer([found], request)


async def show_consent(request: web.Request) -> web.StreamResponse:
    """``GET /v1/consents/{id}``."""
    return await _guarded(request, frozenset({ENTERPRISE, REGULATOR}), _show)


async def _withdraw(request: web.Request, principal: Principal) -> web.StreamResponse:
    gw = request.app[GATEWAY]
    exporter = _exporter(gw.policy, principal)
    found = await request.app[CONSENTS].withdraw(request.match_info["id"], gw.clock.now(), exporter=exporter.id)
    if found is None:
        raise Refused("consent-not-found", "no consent with this id was recorded by the caller's organisation")
    _log.info("consent_withdrawn", exporter=exporter.id, consent=found.id)
    return _answer([found], request)


async def withdraw_consent(request: web.Request) -> web.StreamResponse:
    """``POST /v1/consents/{id}/withdraw``."""
    return await _guarded(request, frozenset({ENTERPRISE}), _withdraw)


async def _lookup(request: web.Request, principal: Principal) -> web.StreamResponse:
    gw = request.app[GATEWAY]
    exporter = _exporter(gw.policy, principal)
    body = await _json_body(request)
    subject = body.get("subject") if isinstance(body, dict) else None
    try:
        hashed = parse_subject(subject, gw.subject_key)
    except ConsentInvalid as e:
        raise _invalid(_errors(0, e.errors), 1) from None
    return _answer(await request.app[CONSENTS].by_subject(exporter.id, hashed), request)


async def lookup_consents(request: web.Request) -> web.StreamResponse:
    """``POST /v1/consents/lookup``."""
    return await _guarded(request, frozenset({ENTERPRISE}), _lookup)


async def receipt_keys(request: web.Request) -> web.Response:
    """``GET /v1/consents/jwks.json``: public, so anyone can verify a receipt."""
    return web.json_response(
        request.app[RECEIPTS].jwks(), content_type="application/jwk-set+json", headers={"Cache-Control": "max-age=300"}
    )


def add_consent_routes(app: web.Application) -> None:
    app.router.add_post("/v1/consents", record_consents)
    app.router.add_get("/v1/consents/jwks.json", receipt_keys)  # before {id}, which would match it
    app.router.add_post("/v1/consents/lookup", lookup_consents)
    app.router.add_get("/v1/consents/{id}", show_consent)
    app.router.add_post("/v1/consents/{id}/withdraw", withdraw_consent)
