"""Audit records, version 1: what a regulator reads for each transfer. Pure.

A record never holds raw personal data: JSON pointers, categories and counts, keyed hashes (HMAC-SHA-256 with a
gateway key) of subject identifiers, digests of bodies, the policy revision, the rules that fired, the mechanism
relied on, the effect and the outcome. Records are encoded as canonical JSON (RFC 8785).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from datetime import UTC, datetime

from gateway.audit.canonical import canonical_json
from gateway.classify import scrub_text
from gateway.model import Classification, Decision, Json, Subject, Transfer
from gateway.policy.obligations import Edit

__all__ = [
    "RECORD_VERSION",
    "body_digest",
    "decision_record",
    "encode",
    "explanation_json",
    "outcome_record",
    "rejection_record",
    "subject_hash",
    "subject_hash_of",
    "subject_keys",
    "timestamp",
]

RECORD_VERSION = 1


def timestamp(t: datetime) -> str:
    """RFC 3339 UTC with milliseconds, e.g. ``2026-11-27T09:30:00.123Z``."""
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def body_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


@functools.lru_cache(maxsize=4)
def _keyed(key: bytes) -> hmac.HMAC:
    """HMAC-SHA-256 with ``key`` absorbed once; each subject's hash starts from a copy of it."""
    return hmac.new(key, digestmod="sha256")


def subject_hash(key: bytes, detector: str, normalised_value: str) -> str:
    """The keyed hash (HMAC-SHA-256, hex) of one individual's identifier, as records, consents and counters name
    them: the same person under the same key whatever store holds them. ``normalised_value`` is the classifier's
    canonical form (:func:`gateway.classify.validators.normalise`)."""
    h = _keyed(key).copy()
    h.update(f"{detector}:{normalised_value}".encode())
    return h.hexdigest()


def subject_hash_of(key: bytes, subject: Subject) -> str:
    """:func:`subject_hash` of a subject the classifier found."""
    h = _keyed(key).copy()
    h.update(subject.key_value.encode())
    return h.hexdigest()


def subject_keys(key: bytes, subjects: tuple[Subject, ...]) -> list[str]:
    """Keyed hashes (HMAC-SHA-256) of the subjects' identifiers, sorted and without duplicates."""
    return sorted({subject_hash_of(key, subject) for subject in subjects})


def encode(record: dict[str, Json]) -> bytes:
    """The canonical JSON (RFC 8785) bytes of a record: the leaf of the audit trail."""
    return canonical_json(record)


def _clean(text: str | None) -> str | None:
    """A caller-supplied string (URL path, header, token claim) with any identifier in it replaced."""
    return None if text is None else scrub_text(text)


def explanation_json(decision: Decision) -> Json:
    """The explanation of a decision as JSON: the mechanisms tried and what the consent checks found."""
    e = decision.explanation
    if e is None:
        return None
    return {
        "level": e.level,
        "individuals": e.individuals,
        "sensitive_individuals": e.sensitive_individuals,
        "ytd_personal": e.ytd_personal,
        "ytd_sensitive": e.ytd_sensitive,
        "mechanisms": [
            {"rule": m.rule_id, "mechanism": m.mechanism, "reference": m.reference, "chosen": m.chosen, "why": m.why}
            for m in e.mechanisms
        ],
        "consent": [scrub_text(line) for line in e.consent],
    }


def decision_record(
    transfer: Transfer,
    *,
    classification: Classification,
    decision: Decision,
    edits: tuple[Edit, ...],
    subject_key: bytes,
    request_digest: str,
    request_bytes: int,
    recipient_name: str | None,
    evidence: list[Json] | None = None,
) -> dict[str, Json]:
    """The record written before anything is forwarded (step 6). ``evidence`` lists the original body's sealed
    copies stored beside it: for which regulator key (name and id), and the digest of each blob."""
    dropped = frozenset(decision.dropped)
    touched: dict[str, list[str]] = {}
    for e in edits:
        # A pointer can hold an identifier used as an object key: the record keeps its category instead.
        pointer = scrub_text(e.pointer)
        touched.setdefault(e.action, []).append(pointer if e.end is None else f"{pointer}#{e.start}-{e.end}")
    record: dict[str, Json] = {
        "v": RECORD_VERSION,
        "kind": "decision",
        "decision_id": transfer.decision_id,
        "time": timestamp(transfer.received_at),
        "exporter": _clean(transfer.principal.organisation),
        "caller": _clean(transfer.principal.subject),
        "route": transfer.route,
        "recipient": transfer.recipient,
        "recipient_name": recipient_name,
        "jurisdiction": transfer.jurisdiction,
        "purpose": _clean(transfer.purpose),
        "scenario": _clean(transfer.scenario),
        "method": transfer.method,
        "path": _clean(transfer.path),
        "content_type": _clean(transfer.content_type),
        "request": {"digest": request_digest, "bytes": request_bytes},
        "categories": dict(classification.category_counts()),
        "detectors": dict(classification.detector_counts()),
        "individuals": len(classification.subjects),
        "subject_keys": list(subject_keys(subject_key, classification.subjects)),
        "obligations": {action: list(pointers) for action, pointers in sorted(touched.items())},
        "policy_revision": decision.policy_revision,
        "rules": [
            {"id": h.rule_id, "effect": h.effect.value, "reason": h.reason, "legal": h.legal} for h in decision.hits
        ],
        "deciding_rule": decision.rule_id,
        "mechanism": (
            {"id": decision.mechanism.mechanism, "reference": decision.mechanism.reference}
            if decision.mechanism
            else None
        ),
        "effect": decision.effect.value,
        "problem": None if decision.allowed else "policy-denied",
        "dropped": list(subject_keys(subject_key, tuple(s for s in classification.subjects if s.pointer in dropped))),
        "consents": [scrub_text(c) for c in decision.consents],
        "explanation": explanation_json(decision),
    }
    if evidence:
        record["evidence"] = evidence
    return record


def rejection_record(
    *,
    decision_id: str,
    time: datetime,
    problem: str,
    detail: str,
    method: str,
    path: str,
    route: str | None,
    exporter: str | None,
    caller: str | None,
    policy_revision: str,
    request_bytes: int | None,
) -> dict[str, Json]:
    """The record of a request refused before a policy decision: bad token, unknown route, bad body."""
    return {
        "v": RECORD_VERSION,
        "kind": "rejection",
        "decision_id": decision_id,
        "time": timestamp(time),
        "exporter": _clean(exporter),
        "caller": _clean(caller),
        "route": _clean(route),
        "method": _clean(method),
        "path": _clean(path),
        "request": {"bytes": request_bytes},
        "policy_revision": policy_revision,
        "effect": "deny",
        "problem": problem,
        "detail": _clean(detail),
    }


def outcome_record(
    *,
    decision_id: str,
    time: datetime,
    exporter: str,
    route: str,
    recipient: str,
    status: int,
    forwarded_digest: str | None,
    forwarded_bytes: int | None,
    response_bytes: int | None,
    latency_us: int,
    fault: str | None,
) -> dict[str, Json]:
    """The record written after forwarding (step 9): what left, what came back, how long it took."""
    return {
        "v": RECORD_VERSION,
        "kind": "outcome",
        "decision_id": decision_id,
        "time": timestamp(time),
        "exporter": _clean(exporter),
        "route": route,
        "recipient": recipient,
        "forwarded": {"digest": forwarded_digest, "bytes": forwarded_bytes},
        "status": status,
        "response_bytes": response_bytes,
        "latency_us": latency_us,
        "fault": fault,
    }


def policy_record(
    *,
    time: datetime,
    policy: str,
    previous_revision: str,
    revision: str,
    requested_by: str,
    via: str,
    source: str,
    signed_by: str | None,
) -> dict[str, Json]:
    """The record of a policy change: from then on, decisions name ``revision`` (who asked: operator or signal)."""
    return {
        "v": RECORD_VERSION,
        "kind": "policy",
        "time": timestamp(time),
        "policy": policy,
        "previous_revision": previous_revision,
        "revision": revision,
        "requested_by": _clean(requested_by),
        "via": via,
        "source": _clean(source),
        "signed_by": signed_by,
    }
