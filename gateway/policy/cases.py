"""Policy test cases: a request and its facts in, the decision and edits expected. Pure apart from reading files.

Operators keep cases beside a policy (``tests/*.yaml``) and run them with ``gateway policy test``, as OPA users run
``opa test``. The same cases drive ``gateway policy explain`` and ``gateway policy diff``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from gateway.classify.age import flag_minors
from gateway.classify.declared import with_declared
from gateway.errors import ConfigError
from gateway.model import Consent, Decision, Facts, Json, Principal, Transfer
from gateway.policy.compiled import CompiledPolicy, expand_category
from gateway.policy.context import CORRIDOR_TIME
from gateway.policy.decide import decide
from gateway.policy.facts import facts_of_this_transfer
from gateway.policy.load import PolicyInvalid
from gateway.policy.obligations import plan_edits
from gateway.policy.source import Located, Reader, child, load_yaml

__all__ = ["Case", "Outcome", "evaluate", "load_cases", "outcome_differences", "read_case", "result_lines"]


@dataclass(frozen=True, slots=True)
class Case:
    """One test case as written: where it is, the request and facts, and what is expected (None: not checked)."""

    name: str
    where: str  # file:line
    request: dict[str, Json]
    facts: dict[str, Json] | None
    expect: dict[str, Json] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a policy decided for a case, in the terms a case states its expectations."""

    effect: str
    rule: str | None
    mechanism: str | None
    edits: dict[str, str]
    dropped: tuple[str, ...]
    reason: str
    decision: Decision

    def summary(self) -> dict[str, Json]:
        return {
            "effect": self.effect,
            "rule": self.rule,
            "mechanism": self.mechanism,
            "edits": dict(self.edits),
            "dropped": list(self.dropped),
        }


_REQUEST = {"exporter", "route", "purpose", "scenario", "at", "body", "content_type", "method", "path", "categories"}
_FACTS = {"ytd_personal", "ytd_sensitive", "consents"}
_EXPECT = {"effect", "rule", "mechanism", "edits", "dropped", "reason_contains"}
_CONSENT = {
    *("id", "recipients", "purposes", "categories", "separate", "given_by", "notice", "given_at", "expires_at"),
    "status",
}


def _case(doc: Located, pointer: str) -> Case:
    r = Reader(doc)
    r.mapping(pointer, allowed={"name", "request", "facts", "expect"})
    r.mapping(child(pointer, "request"), allowed=_REQUEST)
    facts = r.mapping(child(pointer, "facts"), allowed=_FACTS, required=False)
    expect = r.mapping(child(pointer, "expect"), allowed=_EXPECT)
    for key in ("effect", "rule"):
        if key not in expect:
            raise doc.error(child(pointer, "expect"), f"a case must expect '{key}' (rule: null for 'no rule matched')")
    return Case(
        name=r.string(child(pointer, "name")),
        where=f"{doc.file}:{doc.line(pointer)}",
        request=r.mapping(child(pointer, "request")),
        facts=facts or None,
        expect=expect,
    )


def read_case(doc: Located, pointer: str = "") -> Case:
    """One case at ``pointer`` of a parsed file (``gateway policy explain`` reads a single request this way)."""
    return _case(doc, pointer)


def load_cases(directory: Path) -> list[Case]:
    """Every case in ``directory/*.yaml``, in file and then written order."""
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise ConfigError("no test case files (*.yaml) here", file=str(directory))
    cases: list[Case] = []
    problems: list[ConfigError] = []
    for path in files:
        doc = load_yaml(path)
        if not isinstance(doc.data, list):
            problems.append(doc.error("", "a test case file is a list of cases"))
            continue
        for i in range(len(doc.data)):
            try:
                cases.append(_case(doc, child("", i)))
            except ConfigError as e:
                problems.append(e)
    if problems:
        raise PolicyInvalid(problems)
    return cases


def _consent(data: Json, policy: CompiledPolicy, where: str) -> Consent:
    if not isinstance(data, dict) or not {"id", "given_at"} <= data.keys() or not data.keys() <= _CONSENT:
        raise ConfigError(f"a consent needs id and given_at and may have {', '.join(sorted(_CONSENT))}, status")

    def names(key: str) -> frozenset[str]:
        value = data.get(key) or []
        return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset({str(value)})

    categories: set[str] = set()
    for pattern in names("categories"):
        matched = expand_category(pattern, policy.levels)
        if not matched:
            raise ConfigError(f"{where}: consent names unknown category {pattern!r}")
        categories |= matched
    status = data.get("status", "given")
    if status not in {"given", "withdrawn"}:
        raise ConfigError(f"{where}: consent status is given or withdrawn")
    expires = data.get("expires_at")
    return Consent(
        id=str(data["id"]),
        recipients=names("recipients"),
        purposes=names("purposes"),
        categories=frozenset(categories),
        separate=bool(data.get("separate", False)),
        given_by=str(data.get("given_by", "individual")),
        notice=names("notice"),
        given_at=_aware(str(data["given_at"])),
        expires_at=_aware(str(expires)) if expires is not None else None,
        withdrawn=status == "withdrawn",
    )


def _aware(text: str) -> datetime:
    t = datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=CORRIDOR_TIME)


def evaluate(policy: CompiledPolicy, case: Case) -> Outcome:
    """Decide ``case`` under ``policy`` exactly as the data path would, steps 1 to 5 and the plan of step 7."""
    req = case.request
    route = str(req.get("route", ""))
    recipient_id = policy.routes.get(route)
    if recipient_id is None:
        raise ConfigError(f"{case.where}: route {route!r} leads to no recipient of policy {policy.name!r}")
    recipient = policy.recipients[recipient_id]
    try:
        at = _aware(str(req.get("at", "")))
    except ValueError as e:
        raise ConfigError(f"{case.where}: the request needs 'at', a time like 2026-06-01T09:00:00+08:00") from e
    body = req.get("body")
    transfer = Transfer(
        decision_id=f"case:{case.where}",
        received_at=at,
        principal=Principal(str(req.get("exporter", "")), "policy-test", frozenset({"enterprise"})),
        route=route,
        recipient=recipient_id,
        jurisdiction=recipient.jurisdiction,
        purpose=str(req.get("purpose", "")),
        scenario=str(req.get("scenario", "general")),
        method=str(req.get("method", "POST")),
        path=str(req.get("path", "/")),
        content_type=str(req.get("content_type", "application/json")),
    )
    # A body given as a string is sent as is (a JSON document in text); otherwise as the YAML value itself.
    doc = json.loads(body) if isinstance(body, str) and body.lstrip().startswith(("{", "[")) else body
    declared = req.get("categories") or []
    if not isinstance(declared, list) or any(str(c) not in policy.levels for c in declared):
        raise ConfigError(f"{case.where}: request categories are category ids of the vocabulary")
    found = flag_minors(policy.classifier.scan(doc), at.astimezone(CORRIDOR_TIME).date())
    classification = with_declared(found, tuple(str(c) for c in declared))
    facts = facts_of_this_transfer(classification, policy)
    given = case.facts or {}
    consents = given.get("consents") or {}
    if not isinstance(consents, dict):
        raise ConfigError(f"{case.where}: consents are keyed by the JSON pointer of the individual")
    facts = Facts(
        ytd_personal=int(given.get("ytd_personal", facts.ytd_personal)),  # type: ignore[arg-type]
        ytd_sensitive=int(given.get("ytd_sensitive", facts.ytd_sensitive)),  # type: ignore[arg-type]
        consents={
            str(pointer).rstrip("/"): tuple(_consent(c, policy, case.where) for c in (records or []))  # type: ignore[union-attr]
            for pointer, records in consents.items()
        },
    )
    decision = decide(policy, transfer, classification, facts, at)
    edits = plan_edits(classification, decision.obligations, doc, decision.dropped) if decision.allowed else ()
    return Outcome(
        effect=decision.effect.value,
        rule=decision.deciding.rule_id if decision.deciding else None,
        mechanism=decision.mechanism.mechanism if decision.mechanism else None,
        edits={e.pointer: e.action for e in edits},
        dropped=decision.dropped,
        reason=decision.reason,
        decision=decision,
    )


def outcome_differences(case: Case, got: Outcome) -> list[str]:
    """What differs between what ``case`` expects and what happened, one line each; empty when it passes."""
    want = case.expect
    out = []
    for key, have in (("effect", got.effect), ("rule", got.rule), ("mechanism", got.mechanism)):
        if key in want and want[key] != have:
            out.append(f"{key}: expected {want[key]!r}, got {have!r}")
    if "edits" in want:
        expected = {str(k): str(v) for k, v in (want["edits"] or {}).items()}  # type: ignore[union-attr]
        for pointer in sorted(expected.keys() | got.edits.keys()):
            if expected.get(pointer) != got.edits.get(pointer):
                out.append(f"edit at {pointer}: expected {expected.get(pointer)!r}, got {got.edits.get(pointer)!r}")
    if "dropped" in want:
        expected_dropped = sorted(str(p) for p in (want["dropped"] or []))  # type: ignore[union-attr]
        if expected_dropped != sorted(got.dropped):
            out.append(f"dropped: expected {expected_dropped}, got {sorted(got.dropped)}")
    text = want.get("reason_contains")
    if isinstance(text, str) and text not in got.reason:
        out.append(f"reason: expected it to contain {text!r}, got {got.reason!r}")
    return out


def result_lines(got: Outcome) -> list[str]:
    """The decision and its trace, as ``gateway policy explain`` and a failing test show it."""
    d = got.decision
    lines = [f"decision: {got.effect}  rule: {got.rule or 'none matched'}  revision: {d.policy_revision}"]
    lines.append(f"reason: {got.reason}")
    if d.mechanism:
        lines.append(f"mechanism: {d.mechanism.mechanism} {d.mechanism.reference}")
    for hit in d.hits:
        lines.append(f"matched: {hit.rule_id} ({hit.effect.value}) - {hit.legal}")
    if d.explanation:
        lines.extend(f"  {line}" for line in d.explanation.lines())
    for pointer, action in sorted(got.edits.items()):
        lines.append(f"edit: {action} {pointer}")
    for pointer in got.dropped:
        lines.append(f"dropped: {pointer or '/'}")
    if d.seal_for:
        lines.append(f"sealed for: {', '.join(d.seal_for)}")
    return lines
