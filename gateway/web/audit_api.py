"""The audit trail over HTTP: checkpoints, records, proofs, sealed evidence and exports.

Who sees what:

- the checkpoint and consistency proofs are public: they reveal a size and hashes, nothing about any transfer;
- a regulator sees every record, inclusion proof, export and piece of sealed evidence;
- an enterprise sees its own records (those naming it as exporter) and their inclusion proofs;
- an operator may ask for a fresh checkpoint.

Reads run in a worker thread on a read-only connection of their own, so a large query never stalls transfers.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TypeVar
from urllib.parse import urlencode

import structlog
from aiohttp import web

from gateway.audit.export import frontier, header_line, record_line, trailer_line
from gateway.audit.merkle import leaf_hash
from gateway.audit.record import timestamp
from gateway.classify import scrub_text
from gateway.errors import AuditUnavailable, RequestRejected
from gateway.model import Json, Principal
from gateway.stores.audit_store import AuditReading, RecordFilter
from gateway.web.callers import ENTERPRISE, OPERATOR, REGULATOR, Refused, caller, problem_response, refusal
from gateway.web.state import AUDIT, GATEWAY, PUBLISHER

__all__ = ["add_audit_routes"]

PAGE_DEFAULT, PAGE_MAX = 100, 1000
_MAX_INDEX = (1 << 63) - 1  # SQLite's largest integer
EXPORT_CHUNK = 1024

_log = structlog.get_logger("gateway.audit_api")
_T = TypeVar("_T")


def _integer(request: web.Request, name: str, default: int | None = None, *, low: int = 0) -> int:
    text = request.query.get(name)
    if text is None:
        if default is None:
            raise Refused("query-invalid", f"the query parameter {name!r} is required")
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 19 or not low <= int(text) <= _MAX_INDEX:
        raise Refused("query-invalid", f"{name} must be a whole number of at least {low}, below 2**63")
    return int(text)


def _time(request: web.Request, name: str) -> str | None:
    text = request.query.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError("no zone")
        return timestamp(moment)
    except (ValueError, OverflowError):  # OverflowError: a moment that is not a UTC time (year 1 at UTC+1)
        raise Refused(
            "query-invalid", f"{name} must be an RFC 3339 time with a zone, e.g. 2026-11-28T00:00:00Z"
        ) from None


async def _read(request: web.Request, work: Callable[[AuditReading], _T]) -> _T:
    """Run ``work`` on a fresh read-only reader in a worker thread."""
    log = request.app[AUDIT]

    def run() -> _T:
        reader = log.reader()
        try:
            return work(reader)
        finally:
            reader.close()

    return await asyncio.to_thread(run)


def _committed(request: web.Request) -> int:
    return request.app[AUDIT].size


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _item(index: int, leaf: bytes) -> dict[str, Json]:
    record: Json = json.loads(leaf)
    return {"index": index, "leaf": leaf.decode(), "record": record}


def _exporter_of(leaf: bytes) -> str | None:
    value = json.loads(leaf).get("exporter")
    return value if isinstance(value, str) else None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refusals(handler: Handler) -> Handler:
    """Answer bad tokens, missing roles and bad parameters with a problem document, and log the refusal."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except RequestRejected as e:
            _log.warning("audit_api_refused", path=request.path, problem=e.kind)
            return refusal(e)
        except AuditUnavailable as e:  # a checkpoint could not be kept: say so, never a bare 500
            _log.warning("audit_api_refused", path=request.path, problem=e.kind)
            return problem_response(e.kind, e.detail)

    return guarded


async def _checkpoint_note(request: web.Request) -> str:
    publisher = request.app[PUBLISHER]
    latest = publisher.latest or await publisher.publish()
    return latest.note


@_refusals
async def get_checkpoint(request: web.Request) -> web.StreamResponse:
    """``GET /v1/audit/checkpoint``: the latest signed checkpoint (public)."""
    return web.Response(text=await _checkpoint_note(request), content_type="text/plain", charset="utf-8")


@_refusals
async def post_checkpoint(request: web.Request) -> web.StreamResponse:
    """``POST /v1/audit/checkpoint``: sign a checkpoint of the log as it is now (regulator or operator)."""
    caller(request, frozenset({REGULATOR, OPERATOR}))
    published = await request.app[PUBLISHER].publish()
    return web.Response(text=published.note, content_type="text/plain", charset="utf-8")


def _organisation(principal: Principal) -> str:
    """The enterprise's organisation as its records name it. Records store caller-supplied text scrubbed of
    identifiers, so a claim that scrubbing would change cannot name its own records unambiguously: refused."""
    if scrub_text(principal.organisation) != principal.organisation:
        raise RequestRejected("role-missing", "the token's organisation claim holds personal data; it names no records")
    return principal.organisation


def _filter(request: web.Request, principal: Principal) -> RecordFilter:
    exporter = request.query.get("exporter")
    if REGULATOR not in principal.roles:
        own = _organisation(principal)
        if exporter not in (None, own):
            raise RequestRejected("role-missing", "an enterprise sees its own records only")
        exporter = own
    return RecordFilter(
        since=_time(request, "since"),
        until=_time(request, "until"),
        exporter=exporter,
        recipient=request.query.get("recipient"),
        category=request.query.get("category"),
        effect=request.query.get("effect"),
        kind=request.query.get("kind"),
    )


@_refusals
async def list_records(request: web.Request) -> web.StreamResponse:
    """``GET /v1/audit/records``: records by time, exporter, recipient, category, effect or kind, in pages."""
    principal = caller(request, frozenset({REGULATOR, ENTERPRISE}))
    where = _filter(request, principal)
    after = _integer(request, "after", -1)
    limit = _integer(request, "limit", PAGE_DEFAULT, low=1)
    if limit > PAGE_MAX:
        raise Refused("query-invalid", f"limit is at most {PAGE_MAX}")
    size = _committed(request)
    rows = await _read(request, lambda r: r.records(where, after=after, limit=limit, below=size))
    next_page = None
    if len(rows) == limit:
        query = {k: v for k, v in request.query.items() if k != "after"} | {"after": str(rows[-1][0])}
        next_page = f"{request.path}?{urlencode(query)}"
    body: dict[str, Json] = {"size": size, "records": [_item(i, leaf) for i, leaf in rows], "next": next_page}
    return web.json_response(body)


async def _own_record(request: web.Request, principal: Principal, index: int) -> bytes:
    """The leaf at ``index`` if the caller may see it; 404 otherwise (whether it exists or belongs to another)."""
    leaf = None if index >= _committed(request) else await _read(request, lambda r: r.record(index))
    if leaf is None or (REGULATOR not in principal.roles and _exporter_of(leaf) != _organisation(principal)):
        raise Refused("record-not-found", f"no record {index} that this caller may read")
    return leaf


def _index(request: web.Request) -> int:
    text = request.match_info["index"]
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > _MAX_INDEX:
        raise Refused("query-invalid", "a record index is a whole number below 2**63")
    return int(text)


@_refusals
async def get_record(request: web.Request) -> web.StreamResponse:
    """``GET /v1/audit/records/{index}``: one record, with its leaf exactly as hashed."""
    principal = caller(request, frozenset({REGULATOR, ENTERPRISE}))
    index = _index(request)
    return web.json_response(_item(index, await _own_record(request, principal, index)))


@_refusals
async def get_evidence(request: web.Request) -> web.StreamResponse:
    """``GET /v1/audit/records/{index}/evidence?for=NAME``: the sealed original body (regulators; opened offline).
    ``for`` names the regulator key; it may be left out when the record was sealed for one key only."""
    caller(request, frozenset({REGULATOR}))
    index = _index(request)
    sealed = {} if index >= _committed(request) else await _read(request, lambda r: r.evidence(index))
    wanted = request.query.get("for")
    if wanted is None and len(sealed) > 1:
        raise Refused("query-invalid", f"record {index} is sealed for several keys; name one with for=")
    blob = sealed.get(wanted) if wanted is not None else next(iter(sealed.values()), None)
    if blob is None:
        raise Refused(
            "record-not-found", f"record {index} has no sealed evidence" + (f" for {wanted!r}" if wanted else "")
        )
    return web.Response(body=blob, content_type="application/octet-stream")


def _size_param(request: web.Request, name: str, published: int) -> int:
    size = _integer(request, name, published)
    if size > _committed(request):
        raise Refused("query-invalid", f"{name} is beyond the log's {_committed(request)} committed records")
    return size


async def _published_size(request: web.Request) -> int:
    publisher = request.app[PUBLISHER]
    return (publisher.latest or await publisher.publish()).size


@_refusals
async def inclusion(request: web.Request) -> web.StreamResponse:
    """``GET /v1/audit/proof/inclusion?index=I&size=N``: the record's path to the root of the tree of size N."""
    principal = caller(request, frozenset({REGULATOR, ENTERPRISE}))
    index = _integer(request, "index")
    size = _size_param(request, "size", await _published_size(request))
    if index >= size:
        raise Refused("query-invalid", f"index {index} is not in a tree of {size} records")
    leaf = await _own_record(request, principal, index)

    def prove(reader: AuditReading) -> list[bytes]:
        return reader.inclusion_proof(index, size)

    proof = await _read(request, prove)
    body = {"index": index, "size": size, "leaf_hash": _b64(leaf_hash(leaf)), "proof": [_b64(p) for p in proof]}
    return web.json_response(body)


@_refusals
async def consistency(request: web.Request) -> web.StreamResponse:
    """``GET /v1/audit/proof/consistency?first=M&second=N``: that the tree of size N extends the one of size M."""
    second = _size_param(request, "second", await _published_size(request))
    first = _integer(request, "first")
    if first > second:
        raise Refused("query-invalid", f"first ({first}) is larger than second ({second})")
    proof = await _read(request, lambda r: r.consistency_proof(first, second) if 0 < first < second else [])
    return web.json_response({"first": first, "second": second, "proof": [_b64(p) for p in proof]})


def _rows(reader: AuditReading, *, lo: int, hi: int) -> list[tuple[int, bytes, list[bytes]]]:
    return list(reader.export_rows(lo, hi))


@_refusals
async def export(request: web.Request) -> web.StreamResponse:
    """``GET /v1/audit/export?from=I&to=J``: records I..J-1 as JSON lines, then the checkpoint of size J."""
    caller(request, frozenset({REGULATOR}))
    end = _size_param(request, "to", await _published_size(request))
    first = _integer(request, "from", 0)
    if first > end:
        raise Refused("query-invalid", f"from ({first}) is after to ({end})")
    publisher = request.app[PUBLISHER]

    def start(reader: AuditReading) -> tuple[list[bytes], bytes]:
        return frontier(first, reader.node), reader.root(end)

    left, root = await _read(request, start)
    note = publisher.sign(end, root)
    await request.app[AUDIT].save_checkpoint(end, timestamp(request.app[GATEWAY].clock.now()), note)  # kept, as all
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson; charset=utf-8"})
    try:
        await response.prepare(request)
        await response.write(header_line(publisher.origin, first, end, left).encode())
        for lo in range(first, end, EXPORT_CHUNK):
            hi = min(end, lo + EXPORT_CHUNK)
            rows = await _read(request, partial(_rows, lo=lo, hi=hi))
            await response.write("".join(record_line(i, leaf, nodes) for i, leaf, nodes in rows).encode())
        await response.write(trailer_line(note).encode())
        await response.write_eof()
    except ConnectionResetError:  # the client went away (aiohttp's own reset error is one)
        _log.warning("audit_export_abandoned", first=first, to=end)
        return response
    _log.info("audit_exported", first=first, to=end)
    return response


def add_audit_routes(app: web.Application) -> None:
    app.router.add_get("/v1/audit/checkpoint", get_checkpoint)
    app.router.add_post("/v1/audit/checkpoint", post_checkpoint)
    app.router.add_get("/v1/audit/records", list_records)
    app.router.add_get("/v1/audit/records/{index}", get_record)
    app.router.add_get("/v1/audit/records/{index}/evidence", get_evidence)
    app.router.add_get("/v1/audit/proof/inclusion", inclusion)
    app.router.add_get("/v1/audit/proof/consistency", consistency)
    app.router.add_get("/v1/audit/export", export)
