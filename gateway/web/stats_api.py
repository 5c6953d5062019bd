"""``GET /v1/stats``: each exporter's volumes this year against the legal thresholds, and expiring mechanisms.

A regulator sees every exporter (or one, with ``exporter=``); an enterprise sees its own, the token's organisation.
Per exporter: distinct individuals since 1 January in China Standard Time (personal, sensitive), transfers allowed
and refused by recipient, category and mechanism, the distance to each volume threshold the policy's rules test,
and the mechanisms of its recipients that expire within 60 PRC working days (or have expired).

Thresholds are read from the running policy's source: every ``ytd_personal`` / ``ytd_sensitive`` bound
(``at_least``/``below``, ``$parameter`` resolved) in an enabled rule, named by the rules that test it and their legal
references. The compiled policy keeps conditions as closures, so the source is read once per revision and checked
against that revision; if the file changed on disk since it was loaded, thresholds are reported unavailable.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import rfc8785
import structlog
from aiohttp import web

from gateway.audit.record import timestamp
from gateway.errors import ConfigError, RequestRejected
from gateway.model import Json, Principal
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.context import CORRIDOR_TIME
from gateway.policy.expiry import Expiring, expiring_mechanisms
from gateway.policy.source import load_yaml
from gateway.stores.factory import CounterStatistics
from gateway.stores.sqlite_counters import ExporterStats, Tally
from gateway.web.callers import ENTERPRISE, REGULATOR, Refused, caller, refusal
from gateway.web.state import GATEWAY, LIVE

__all__ = [
    "COUNTERS",
    "METRICS",
    "Threshold",
    "ThresholdRule",
    "add_stats_routes",
    "china_today",
    "log_expiring_mechanisms",
    "read_thresholds",
    "thresholds_of",
]

COUNTERS = web.AppKey("counters", CounterStatistics)
METRICS = ("ytd_personal", "ytd_sensitive")
_BOUNDS = ("at_least", "below")
_YEARS = range(2000, 10000)
_log = structlog.get_logger("gateway.stats")


# ------------------------------------------------------------------------------------- thresholds (pure) ---


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    """A rule that tests a threshold: ``bound`` is ``at_least`` (applies from it) or ``below`` (applies under it)."""

    id: str
    legal: str
    bound: str


@dataclass(frozen=True, slots=True)
class Threshold:
    """A number of individuals a year (``metric``: ytd_personal or ytd_sensitive) at which some rule changes.

    ``origins`` are the jurisdictions the rules name with ``origin`` (None: some rule applies to any exporter).
    """

    metric: str
    value: int
    rules: tuple[ThresholdRule, ...]
    parameters: tuple[str, ...]
    origins: frozenset[str] | None


def _bounds(when: Any, params: Mapping[str, Any]) -> Iterable[tuple[str, str, int, str | None]]:
    """(metric, bound, value, parameter name) of every count condition in ``when``, nested ones included."""
    if isinstance(when, list):
        for item in when:
            yield from _bounds(item, params)
        return
    if not isinstance(when, dict):
        return
    for key, value in when.items():
        if key in METRICS and isinstance(value, dict):
            for bound in _BOUNDS:
                raw = value.get(bound)
                name = raw[1:] if isinstance(raw, str) and raw.startswith("$") else None
                number = params.get(name) if name is not None else raw
                if isinstance(number, int) and not isinstance(number, bool):
                    yield key, bound, number, name
        elif key in {"all", "any", "not"}:
            yield from _bounds(value, params)


def thresholds_of(source: Any) -> tuple[Threshold, ...]:
    """The volume thresholds of a policy document (as parsed from ``policy.yaml``), by metric and value."""
    if not isinstance(source, dict):
        return ()
    raw = source.get("parameters")
    params: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    found: dict[tuple[str, int], tuple[list[ThresholdRule], set[str], set[str] | None]] = {}
    for rule in source.get("rules") or []:
        if not isinstance(rule, dict) or rule.get("enabled") is False:
            continue
        when = rule.get("when")
        origin = when.get("origin") if isinstance(when, dict) else None
        for metric, bound, value, name in _bounds(when, params):
            rules, names, origins = found.setdefault((metric, value), ([], set(), set()))
            hit = ThresholdRule(str(rule.get("id")), str(rule.get("legal", "")), bound)
            if hit not in rules:
                rules.append(hit)
            if name is not None:
                names.add(name)
            if origins is not None:
                if isinstance(origin, list):
                    origins.update(str(o) for o in origin)
                else:
                    found[(metric, value)] = (rules, names, None)
    return tuple(
        Threshold(metric, value, tuple(rules), tuple(sorted(names)), None if origins is None else frozenset(origins))
        for (metric, value), (rules, names, origins) in sorted(found.items())
    )


def read_thresholds(directory: Path, revision: str) -> tuple[Threshold, ...] | None:
    """The thresholds of the policy in ``directory``, or None if its files are no longer those of ``revision``."""
    source = load_yaml(directory / "policy.yaml")
    vocabulary = source.data.get("vocabulary") if isinstance(source.data, dict) else None
    if not isinstance(vocabulary, str):
        return None
    vocab = load_yaml((directory / vocabulary).resolve())
    found = "sha256:" + hashlib.sha256(rfc8785.dumps([source.data, vocab.data])).hexdigest()  # as load.py computes
    return thresholds_of(source.data) if found == revision else None


_CACHE: dict[str, tuple[Threshold, ...]] = {}  # by policy revision


async def _thresholds(app: web.Application, policy: CompiledPolicy) -> tuple[Threshold, ...] | None:
    if policy.revision in _CACHE:
        return _CACHE[policy.revision]  # only thresholds found are kept: an edited file is read again next time
    live = app.get(LIVE)
    if live is None or live.live.policy.revision != policy.revision:
        return None
    try:
        made = await asyncio.to_thread(read_thresholds, live.live.source, policy.revision)
    except ConfigError:
        _log.warning("stats_thresholds_unreadable", source=str(live.live.source))
        made = None
    if made is not None:
        if len(_CACHE) >= 16:
            _CACHE.clear()
        _CACHE[policy.revision] = made
    return made


# --------------------------------------------------------------------------------------------- expiry ---


def china_today(now: datetime) -> date:
    """The calendar day in China Standard Time (UTC+8) at ``now`` (timezone-aware)."""
    return now.astimezone(CORRIDOR_TIME).date()


def log_expiring_mechanisms(policy: CompiledPolicy, now: datetime) -> tuple[Expiring, ...]:
    """Log each mechanism of ``policy`` expiring within 60 working days or expired (event ``mechanism_expiring``,
    no personal data), and return them. Call at start-up, after each reload and daily."""
    found = expiring_mechanisms(policy, china_today(now))
    for e in found:
        _log.warning(
            "mechanism_expiring",
            recipient=e.recipient,
            mechanism=e.mechanism,
            reference=e.reference,
            valid_until=e.valid_until.isoformat(),
            working_days_left=e.working_days_left,
            expired=e.expired,
        )
    return found


# -------------------------------------------------------------------------------------------- the API ---


def _year(request: web.Request, now: datetime) -> int:
    text = request.query.get("year")
    if text is None:
        return china_today(now).year
    if not (text.isascii() and text.isdigit() and len(text) == 4 and int(text) in _YEARS):
        raise Refused("query-invalid", "year must be a four-digit year from 2000, e.g. year=2026")
    return int(text)


def _exporter(request: web.Request, principal: Principal) -> str | None:
    wanted = request.query.get("exporter")
    if REGULATOR in principal.roles:
        return wanted
    if wanted not in (None, principal.organisation):
        raise RequestRejected("role-missing", "an enterprise sees its own statistics only")
    return principal.organisation


def _tally(t: Tally) -> dict[str, Json]:
    return {"allowed": t.allowed, "refused": t.refused}


def _warning(e: Expiring) -> dict[str, Json]:
    return {
        "recipient": e.recipient,
        "mechanism": e.mechanism,
        "reference": e.reference,
        "valid_until": e.valid_until.isoformat(),
        "working_days_left": e.working_days_left,
        "expired": e.expired,
        "calendar_complete": e.calendar_complete,
    }


def _distance(t: Threshold, s: ExporterStats) -> dict[str, Json]:
    current = s.personal if t.metric == "ytd_personal" else s.sensitive
    return {
        "metric": t.metric,
        "threshold": t.value,
        "current": current,
        "remaining": t.value - current,
        "crossed": current >= t.value,
        "parameters": list(t.parameters),
        "rules": [{"id": r.id, "legal": r.legal, "bound": r.bound} for r in t.rules],
    }


def _applies(t: Threshold, policy: CompiledPolicy, exporter: str) -> bool:
    known = policy.exporters.get(exporter)
    return t.origins is None or known is None or known.jurisdiction in t.origins


def _no_mechanism_first(item: tuple[str | None, Tally]) -> str:
    return item[0] or ""


def _entry(
    s: ExporterStats, policy: CompiledPolicy, thresholds: tuple[Threshold, ...] | None, warnings: Iterable[Expiring]
) -> dict[str, Json]:
    known = policy.exporters.get(s.exporter)
    return {
        "exporter": s.exporter,
        "name": known.name if known else None,
        "jurisdiction": known.jurisdiction if known else None,
        "individuals": {"personal": s.personal, "sensitive": s.sensitive},
        "transfers": _tally(s.transfers),
        "by_recipient": {k: _tally(v) for k, v in sorted(s.by_recipient.items())},
        "by_category": {k: _tally(v) for k, v in sorted(s.by_category.items())},
        "by_mechanism": {
            (k or "none"): _tally(v) for k, v in sorted(s.by_mechanism.items(), key=lambda kv: kv[0] or "")
        },
        "thresholds": None
        if thresholds is None
        else [_distance(t, s) for t in thresholds if _applies(t, policy, s.exporter)],
        "warnings": [_warning(e) for e in warnings if e.recipient in s.by_recipient],
    }


async def _stats(request: web.Request) -> web.StreamResponse:
    gw = request.app[GATEWAY]
    principal = caller(request, frozenset({REGULATOR, ENTERPRISE}))
    now = gw.clock.now()
    year, exporter = _year(request, now), _exporter(request, principal)
    policy = gw.policy  # read once: one revision answers
    found = {s.exporter: s for s in await request.app[COUNTERS].stats(year, exporter)}
    listed = set(policy.exporters) if exporter is None else {exporter}
    every = [found.get(e) or ExporterStats(e, year) for e in sorted(listed | set(found))]
    thresholds = await _thresholds(request.app, policy)
    expiring = expiring_mechanisms(policy, china_today(now))
    concerned = (
        None if REGULATOR in principal.roles and exporter is None else {r for s in every for r in s.by_recipient}
    )
    body: dict[str, Json] = {
        "year": year,
        "as_of": timestamp(now),
        "policy": {"name": policy.name, "revision": policy.revision},
        "thresholds_available": thresholds is not None,
        "exporters": [_entry(s, policy, thresholds, expiring) for s in every],
        "warnings": [_warning(e) for e in expiring if concerned is None or e.recipient in concerned],
    }
    return web.json_response(body)


async def get_stats(request: web.Request) -> web.StreamResponse:
    """``GET /v1/stats?year=YYYY[&exporter=ID]``: volumes against the thresholds, and expiring mechanisms."""
    try:
        return await _stats(request)
    except RequestRejected as e:
        _log.warning("stats_api_refused", problem=e.kind)
        return refusal(e)


def add_stats_routes(app: web.Application) -> None:
    app.router.add_get("/v1/stats", get_stats)
