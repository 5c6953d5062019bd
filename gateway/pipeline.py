"""The data path: one request is one transfer. Read this file to know what the gateway does, in order.

No aiohttp here: I/O goes through the ports in :mod:`gateway.ports`, so the order of the security steps is visible
on one screen and testable without a server. A denial is a :class:`Decision`; exceptions are faults and bad input.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import structlog
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from opentelemetry.trace import Tracer

from gateway.audit.record import (
    body_digest,
    decision_record,
    encode,
    explanation_json,
    outcome_record,
    rejection_record,
    subject_hash_of,
)
from gateway.audit.seal import key_id, seal, seal_digest
from gateway.auth import TokenVerifier
from gateway.classify import scrub_text
from gateway.classify.age import flag_minors
from gateway.classify.declared import with_declared
from gateway.config import Limits, Route
from gateway.errors import (
    PROBLEMS,
    AuditUnavailable,
    ConsentsUnavailable,
    CountersUnavailable,
    GatewayError,
    Overloaded,
    RequestRejected,
    UpstreamFailed,
)
from gateway.metrics import Metrics
from gateway.model import Classification, Consent, Decision, Effect, Facts, Json, Principal, Transfer
from gateway.payload import parse_json, parse_media_type
from gateway.policy.compiled import CompiledPolicy, Recipient
from gateway.policy.context import CORRIDOR_TIME
from gateway.policy.decide import decide
from gateway.policy.facts import individuals
from gateway.policy.obligations import Edit, apply_edits, drop_subjects, plan_edits
from gateway.policy.shadow import ShadowStats
from gateway.ports import (
    AuditLog,
    BodySource,
    Clock,
    ConsentStore,
    CounterStore,
    TransferEvent,
    Upstream,
    UpstreamRequest,
    YearCount,
)
from gateway.problems import MEDIA_TYPE, problem_document
from gateway.stores.memory import MemoryCounters, NoConsents
from gateway.telemetry import StepSpan, StepTimer

__all__ = ["SENDER_ROLE", "Answer", "Gateway", "IncomingRequest", "refuse", "run"]

SENDER_ROLE = "enterprise"  # the role a token needs to send transfers

_NO_SPAN = contextlib.nullcontext()
_log = structlog.get_logger("gateway.pipeline")


@dataclass(slots=True)
class Gateway:
    """What the data path works with. ``policy`` is replaced whole on reload, never edited."""

    policy: CompiledPolicy
    verifier: TokenVerifier
    routes: Mapping[str, Route]
    limits: Limits
    audit: AuditLog
    upstream: Upstream
    clock: Clock
    subject_key: bytes = field(repr=False)
    new_id: Callable[[], str]
    consents: ConsentStore = field(default_factory=NoConsents)
    counters: CounterStore = field(default_factory=MemoryCounters)
    pseudonym_keys: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    evidence_keys: Mapping[str, X25519PublicKey] = field(default_factory=dict)  # regulators' keys, by policy name
    shadow: CompiledPolicy | None = None  # a candidate evaluated beside the live policy, never enforced
    shadow_stats: ShadowStats | None = None
    tracer: Tracer | None = None  # spans per step only when tracing is configured; no-op spans still cost
    metrics: Metrics | None = None  # decisions counted, steps timed


def _step(gw: Gateway, name: str) -> contextlib.AbstractContextManager[object]:
    """A step of the data path: its span (a child of the request's) when tracing, its duration when metrics."""
    if gw.tracer is None:
        return _NO_SPAN if gw.metrics is None else StepTimer(gw.metrics.step(name))
    return StepSpan(gw.tracer, name, gw.metrics.step(name) if gw.metrics is not None else None)


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """A transfer as the edge received it: ``path`` and ``query`` are what follows ``/transfer/{route}``."""

    method: str
    route: str
    path: str
    query: str
    content_type: str
    authorization: str | None
    purpose: str | None
    scenario: str | None
    accept: str | None
    body: BodySource
    categories: str | None = None  # Gateway-Categories: what the enterprise declares the body holds
    preflight: bool = False  # /v1/preflight: decide only; nothing recorded, counted or forwarded


@dataclass(frozen=True, slots=True)
class Answer:
    """What the caller gets, plus what the edge logs (never the body)."""

    status: int
    body: bytes
    content_type: str
    decision_id: str
    effect: Effect
    audit_index: int | None = None
    problem: str | None = None
    rule_id: str | None = None
    retry_after: int | None = None
    mechanism: str | None = None
    route: str | None = None
    recipient: str | None = None
    exporter: str | None = None
    categories: tuple[str, ...] = ()
    policy_revision: str | None = None


async def run(gw: Gateway, req: IncomingRequest) -> Answer:
    """Carry one transfer through the data path.

    0. Authenticate the caller (JWT) -> principal.
    1. Resolve the route -> recipient, jurisdiction, purpose, scenario.
    2. Read and parse the body within the size and depth limits; only media types the policy accepts.
    3. Classify the body (pure): findings with JSON pointers, grouped into data subjects.
    4. Gather facts: individuals and their ages, year-to-date counts, consent records.
    5. Decide (pure, time passed in): allow or deny, mechanism, obligations, reasons.
    6. Audit the decision durably; if the log cannot take it, nothing is forwarded (503).
    7. Transform the body by the obligations (pure).
    8. Forward to the recipient.
    9. Audit the outcome (status, sizes, latency).
    10. Answer with the recipient's response, or a problem document naming the rule and reason.
    """
    decision_id = gw.new_id()
    now = gw.clock.now()
    started = gw.clock.monotonic()
    policy, shadow = gw.policy, gw.shadow  # one policy for the whole transfer, even if a reload lands meanwhile
    principal: Principal | None = None
    raw = b""
    try:
        with _step(gw, "gateway.authenticate"):
            principal = gw.verifier.authenticate(req.authorization, now.timestamp())  # (0)
            if SENDER_ROLE not in principal.roles:
                raise RequestRejected("role-missing", f"sending a transfer needs the role {SENDER_ROLE!r}")
        transfer, recipient = _resolve(gw, policy, req, principal, decision_id, now)  # (1)
        declared = _declared(req.categories, policy)
        with _step(gw, "gateway.read"):
            raw = await req.body.read(gw.limits.max_body_bytes)  # (2)
            doc = _parse(raw, transfer.content_type, policy, gw.limits.max_depth)
    except RequestRejected as e:
        return await _rejected(gw, req, e, decision_id, now, principal, policy.revision, len(raw))

    with _step(gw, "gateway.classify"):
        found = flag_minors(policy.classifier.scan(doc), now.astimezone(CORRIDOR_TIME).date())  # (3)
        classification = with_declared(found, declared)
    try:
        with _step(gw, "gateway.facts"):
            people = await _gather(gw, transfer, classification, policy)  # (4)
        with _step(gw, "gateway.decide"):
            decision, facts = await _decide(gw, policy, transfer, classification, people, counted=not req.preflight)
            edits = plan_edits(classification, decision.obligations, doc, decision.dropped) if decision.allowed else ()
        if gw.metrics is not None and not req.preflight:
            gw.metrics.decided(transfer, classification, decision, facts)
        if shadow is not None:
            _shadow_decision(gw, shadow, decision, transfer, classification, facts, now)
        if req.preflight:
            return _preflight(decision, transfer, classification, facts)  # nothing recorded, counted or forwarded
        leaf, sealed = _decision_leaf(gw, transfer, recipient, classification, decision, edits, raw)
        with _step(gw, "gateway.audit_decision"):
            # (6), and the individuals an allowed transfer counts: both durable, in parallel, before anything leaves
            index, _ = await asyncio.gather(gw.audit.append(leaf, sealed=sealed), _save_counts(gw, transfer, decision))
    except (AuditUnavailable, ConsentsUnavailable, CountersUnavailable) as e:  # a store unreachable (4-5), or (6)
        return _problem(e.kind, e.detail, decision_id, transfer=transfer, classification=classification)
    if not decision.allowed:
        return _denied(decision, transfer, classification, index)  # (10) refused: nothing leaves

    if edits or decision.dropped:  # (7)
        forwarded = _dump(drop_subjects(apply_edits(doc, edits, gw.pseudonym_keys), decision.dropped))
    else:
        forwarded = raw
    try:
        with _step(gw, "gateway.forward"):
            response = await gw.upstream.send(_upstream_request(gw, req, transfer, forwarded))  # (8)
    except UpstreamFailed as e:
        _audit_outcome(gw, transfer, started, e.status, forwarded, None, e.kind)  # (9) the fault
        return _problem(e.kind, e.detail, decision_id, transfer=transfer, classification=classification, index=index)
    _audit_outcome(gw, transfer, started, response.status, forwarded, len(response.body), None)  # (9)
    content_type = response.headers.get("Content-Type", "application/octet-stream")
    return _allowed(decision, transfer, classification, response.status, response.body, content_type, index)  # (10)


async def refuse(gw: Gateway, req: IncomingRequest, error: Overloaded) -> Answer:
    """Answer at once when the gateway is at capacity; the refusal is audited without waiting for the disk."""
    decision_id = gw.new_id()
    leaf = _rejection_leaf(req, error, decision_id, gw.clock.now(), None, gw.policy.revision, None)
    try:
        gw.audit.enqueue(leaf)
    except AuditUnavailable as e:
        _log.warning("audit_refusal_lost", decision_id=decision_id, problem=e.kind)  # the answer is a 503 anyway
    return replace(_problem(error.kind, error.detail, decision_id), retry_after=error.retry_after)


@dataclass(frozen=True, slots=True)
class _People:
    """The individuals of one transfer as the facts need them: keyed hashes, sensitivity, consent records."""

    year: int  # the calendar year in China Standard Time, which the thresholds count in
    hashes: Mapping[str, str]  # JSON pointer of each individual -> keyed hash
    records: Mapping[str, bool]  # JSON pointer -> holds sensitive personal information (records counted only)
    sensitive: Mapping[str, bool]  # keyed hash -> the same, per person
    consents: Mapping[str, tuple[Consent, ...]]  # keyed hash -> the exporter's consent records for them


def _per_person(hashes: Mapping[str, str], records: Mapping[str, bool]) -> dict[str, bool]:
    """Keyed hash -> sensitive, from the records (JSON pointer -> sensitive) of a body: a person in several records
    is one individual, with sensitive data if any of their records holds some."""
    people: dict[str, bool] = {}
    for pointer, flag in records.items():
        h = hashes[pointer]
        people[h] = people.get(h, False) or flag
    return people


async def _gather(gw: Gateway, transfer: Transfer, classification: Classification, policy: CompiledPolicy) -> _People:
    """Step 4's I/O: the keyed hashes of the individuals, and the exporter's consent records for them."""
    exporter = transfer.principal.organisation
    year = transfer.received_at.astimezone(CORRIDOR_TIME).year
    hashes = {s.pointer: subject_hash_of(gw.subject_key, s) for s in classification.subjects}
    records = individuals(classification, policy)
    consents = await gw.consents.lookup(exporter, set(hashes.values())) if hashes else {}
    return _People(year, hashes, records, _per_person(hashes, records), consents)


async def _decide(
    gw: Gateway,
    policy: CompiledPolicy,
    transfer: Transfer,
    classification: Classification,
    people: _People,
    *,
    counted: bool,
) -> tuple[Decision, Facts]:
    """Step 5 inside the counters' hold on the exporter's year: the year-to-date counts with this transfer's new
    individuals, the decision, and, when it allows, its individuals reserved (those whose records are dropped
    excepted), so that no concurrent transfer, on this node or another, decides on a count without them. Preflight
    decisions are not counted."""
    exporter = transfer.principal.organisation
    async with gw.counters.counting(exporter, people.year, people.sensitive) as year:
        return _decide_held(gw, policy, transfer, classification, people, year, counted=counted)


def _decide_held(
    gw: Gateway,
    policy: CompiledPolicy,
    transfer: Transfer,
    classification: Classification,
    people: _People,
    year: YearCount,
    *,
    counted: bool,
) -> tuple[Decision, Facts]:
    exporter = transfer.principal.organisation
    personal, sensitive = year.year_to_date(people.sensitive)
    consents = {pointer: people.consents.get(h, ()) for pointer, h in people.hashes.items()}
    facts = Facts(ytd_personal=personal, ytd_sensitive=sensitive, consents=consents)
    decision = decide(policy, transfer, classification, facts, transfer.received_at)
    if counted:
        if decision.allowed:
            dropped = set(decision.dropped)
            sent = _per_person(people.hashes, {p: flag for p, flag in people.records.items() if p not in dropped})
            year.reserve(sent)
        gw.counters.record_transfer(
            TransferEvent(
                exporter=exporter,
                year=people.year,
                recipient=transfer.recipient,
                allowed=decision.allowed,
                categories=tuple(sorted(classification.categories)),
                mechanism=decision.mechanism.mechanism if decision.mechanism else None,
            )
        )
    return decision, facts


def _decision_leaf(
    gw: Gateway,
    transfer: Transfer,
    recipient: Recipient | None,
    classification: Classification,
    decision: Decision,
    edits: tuple[Edit, ...],
    raw: bytes,
) -> tuple[bytes, dict[str, bytes]]:
    """The decision record's leaf, and the original body sealed for each regulator the policy names (stored beside
    the record in the same commit; the record holds each blob's digest)."""
    sealed = {name: seal(raw, gw.evidence_keys[name], aad=transfer.decision_id.encode()) for name in decision.seal_for}
    record = decision_record(
        transfer,
        classification=classification,
        decision=decision,
        edits=edits,
        subject_key=gw.subject_key,
        request_digest=body_digest(raw),
        request_bytes=len(raw),
        recipient_name=recipient.name if recipient else None,
        evidence=[
            {"for": name, "key_id": key_id(gw.evidence_keys[name]), "digest": seal_digest(blob)}
            for name, blob in sealed.items()
        ],
    )
    return encode(record), sealed


def _shadow_decision(
    gw: Gateway,
    shadow: CompiledPolicy,
    live: Decision,
    transfer: Transfer,
    classification: Classification,
    facts: Facts,
    now: datetime,
) -> None:
    """Decide again under the shadow policy and count a difference; never enforced, and never fatal."""
    if gw.shadow_stats is None:
        return
    try:
        candidate = decide(shadow, transfer, classification, facts, now)
        gw.shadow_stats.observe(transfer.decision_id, live, candidate)
    except Exception as e:  # noqa: BLE001 - a fault of the candidate must not touch the live transfer
        _log.error("policy_shadow_failed", decision_id=transfer.decision_id, error=e.__class__.__name__)


def _parse(raw: bytes, media_type: str, policy: CompiledPolicy, max_depth: int) -> Json:
    """The body as JSON; a request without a body (a query, a deletion) carries no data to classify."""
    if not raw:
        return None
    if media_type not in policy.accept_content_types:
        raise RequestRejected(
            "media-type-unsupported",
            f"media type {media_type[:64]!r} is not accepted; the policy accepts "
            f"{', '.join(sorted(policy.accept_content_types))}",
        )
    return parse_json(raw, max_depth)


def _declared(header: str | None, policy: CompiledPolicy) -> tuple[str, ...]:
    """The categories declared in ``Gateway-Categories``; each must be one of the policy's vocabulary."""
    if not header:
        return ()
    names = tuple(name.strip() for name in header.split(",") if name.strip())
    unknown = [name for name in names if name not in policy.levels]
    if unknown:
        shown = ", ".join(repr(scrub_text(name[:40])) for name in unknown[:3])
        raise RequestRejected("category-unknown", f"Gateway-Categories names {shown}, not in the policy's vocabulary")
    return names


def _resolve(
    gw: Gateway, policy: CompiledPolicy, req: IncomingRequest, principal: Principal, decision_id: str, now: datetime
) -> tuple[Transfer, Recipient | None]:
    route = gw.routes.get(req.route)
    if route is None:
        raise RequestRejected("route-unknown", f"no route named {req.route[:64]!r}")
    if scrub_text(req.path) != req.path or scrub_text(req.query) != req.query:
        raise RequestRejected("url-personal-data", "the URL path or query holds personal data")
    recipient = policy.recipients.get(route.recipient)
    transfer = Transfer(
        decision_id=decision_id,
        received_at=now,
        principal=principal,
        route=route.name,
        recipient=route.recipient,
        jurisdiction=recipient.jurisdiction if recipient else "unknown",
        purpose=req.purpose or route.default_purpose,
        scenario=req.scenario or route.default_scenario,
        method=req.method,
        path=req.path,
        content_type=parse_media_type(req.content_type),
    )
    return transfer, recipient


def _rejection_leaf(
    req: IncomingRequest,
    error: RequestRejected | Overloaded,
    decision_id: str,
    now: datetime,
    principal: Principal | None,
    revision: str,
    size: int | None,
) -> bytes:
    """The audit leaf of a request refused before a policy decision."""
    return encode(
        rejection_record(
            decision_id=decision_id,
            time=now,
            problem=error.kind,
            detail=error.detail,
            method=req.method,
            path=req.path,
            route=req.route,
            exporter=principal.organisation if principal else None,
            caller=principal.subject if principal else None,
            policy_revision=revision,
            request_bytes=size,
        )
    )


async def _rejected(
    gw: Gateway,
    req: IncomingRequest,
    error: RequestRejected,
    decision_id: str,
    now: datetime,
    principal: Principal | None,
    revision: str,
    size: int,
) -> Answer:
    try:
        index = await gw.audit.append(_rejection_leaf(req, error, decision_id, now, principal, revision, size))
    except AuditUnavailable as e:
        return _problem(e.kind, e.detail, decision_id)
    answer = _problem(error.kind, error.detail, decision_id, index=index)
    exporter = principal.organisation if principal else None
    return replace(answer, route=req.route, exporter=exporter, policy_revision=revision)


def _denied(decision: Decision, transfer: Transfer, classification: Classification, index: int | None) -> Answer:
    hit = decision.deciding
    return _problem(
        "policy-denied",
        decision.reason,
        transfer.decision_id,
        transfer=transfer,
        classification=classification,
        index=index,
        rule_id=decision.rule_id,
        legal=hit.legal if hit else None,
        policy_revision=decision.policy_revision,
        explanation=explanation_json(decision),
    )


async def _save_counts(gw: Gateway, transfer: Transfer, decision: Decision) -> None:
    """For an allowed transfer, wait until the individuals it reserved are durable in the counters (group-committed
    with other transfers'), so that a crash after forwarding cannot lose them from the year's count."""
    if not decision.allowed:
        return
    try:
        await gw.counters.flush()
    except Exception as e:
        _log.error("counters_unavailable", decision_id=transfer.decision_id, error=e.__class__.__name__)
        raise CountersUnavailable("the year's count of individuals could not be saved; nothing was forwarded") from e


def _upstream_request(gw: Gateway, req: IncomingRequest, transfer: Transfer, body: bytes) -> UpstreamRequest:
    """The request to the recipient: the route's base URL and the transfer's path, the body that may leave."""
    headers = {"Gateway-Decision-Id": transfer.decision_id}
    if req.content_type:
        headers["Content-Type"] = req.content_type
    if req.accept:
        headers["Accept"] = req.accept
    target = gw.routes[transfer.route].upstream + transfer.path + (f"?{req.query}" if req.query else "")
    return UpstreamRequest(req.method, target, headers, body)


def _allowed(
    decision: Decision,
    transfer: Transfer,
    classification: Classification,
    status: int,
    body: bytes,
    content_type: str = "application/json",
    index: int | None = None,
) -> Answer:
    """The answer to an allowed transfer (the recipient's) or preflight (the gateway's), with what was decided."""
    return Answer(
        status=status,
        body=body,
        content_type=content_type,
        decision_id=transfer.decision_id,
        effect=Effect.ALLOW,
        audit_index=index,
        rule_id=decision.rule_id,
        mechanism=f"{decision.mechanism.mechanism} {decision.mechanism.reference}" if decision.mechanism else None,
        route=transfer.route,
        recipient=transfer.recipient,
        exporter=transfer.principal.organisation,
        categories=tuple(sorted(classification.categories)),
        policy_revision=decision.policy_revision,
    )


def _preflight(decision: Decision, transfer: Transfer, classification: Classification, facts: Facts) -> Answer:
    """What a transfer would get, without sending it: the refusal's problem document, or the allowance."""
    if not decision.allowed:
        return _denied(decision, transfer, classification, None)
    body = {
        "decision_id": transfer.decision_id,
        "effect": "allow",
        "rule": decision.rule_id,
        "mechanism": (
            {"id": decision.mechanism.mechanism, "reference": decision.mechanism.reference}
            if decision.mechanism
            else None
        ),
        "policy_revision": decision.policy_revision,
        "individuals_dropped": len(decision.dropped),
        "year_to_date": {"personal": facts.ytd_personal, "sensitive": facts.ytd_sensitive},
        "explanation": explanation_json(decision),
    }
    return _allowed(decision, transfer, classification, 200, json.dumps(body, ensure_ascii=False).encode())


def _problem(
    kind: str,
    detail: str,
    decision_id: str,
    *,
    transfer: Transfer | None = None,
    classification: Classification | None = None,
    index: int | None = None,
    rule_id: str | None = None,
    legal: str | None = None,
    policy_revision: str | None = None,
    explanation: Json = None,
) -> Answer:
    categories: list[Json] | None = list(sorted(classification.categories)) if classification else None
    body = problem_document(
        kind,
        detail,
        decision_id=decision_id,
        audit_index=index,
        rule=rule_id,
        legal=legal,
        policy_revision=policy_revision,
        categories=categories,
        explanation=explanation,
    )
    return Answer(
        status=PROBLEMS[kind].status,
        body=body,
        content_type=MEDIA_TYPE,
        decision_id=decision_id,
        effect=Effect.DENY,
        audit_index=index,
        problem=kind,
        rule_id=rule_id,
        route=transfer.route if transfer else None,
        recipient=transfer.recipient if transfer else None,
        exporter=transfer.principal.organisation if transfer else None,
        categories=tuple(sorted(classification.categories)) if classification else (),
        policy_revision=policy_revision,
    )


def _audit_outcome(
    gw: Gateway,
    transfer: Transfer,
    started: float,
    status: int,
    forwarded: bytes,
    response_bytes: int | None,
    fault: str | None,
) -> None:
    decision_id = transfer.decision_id
    record = outcome_record(
        decision_id=decision_id,
        time=gw.clock.now(),
        exporter=transfer.principal.organisation,
        route=transfer.route,
        recipient=transfer.recipient,
        status=status,
        forwarded_digest=body_digest(forwarded),
        forwarded_bytes=len(forwarded),
        response_bytes=response_bytes,
        latency_us=round((gw.clock.monotonic() - started) * 1e6),
        fault=fault,
    )
    try:
        gw.audit.enqueue(encode(record))
    except GatewayError as e:
        # The decision record is already durable; a lost outcome shows as a decision without one.
        _log.error("audit_outcome_lost", decision_id=decision_id, problem=e.kind)


def _dump(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
