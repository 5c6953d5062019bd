"""What a decision knows about one transfer, computed once and read by every rule's predicate. Pure."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from gateway.model import Classification, Facts, Level, MechanismRef, Transfer
from gateway.policy.compiled import CompiledPolicy, Exporter, HeldMechanism, MechanismKind, Recipient
from gateway.policy.facts import count_individuals

__all__ = ["CORRIDOR_TIME", "Availability", "Context", "build_context"]

CORRIDOR_TIME = timezone(timedelta(hours=8), "UTC+08:00")
"""China Standard Time and Singapore Standard Time agree: validity dates are days in UTC+8."""


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether one mechanism can be relied on for this transfer; ``why`` says why (not) in plain words."""

    mechanism: str
    ref: MechanismRef | None
    why: str

    @property
    def available(self) -> bool:
        return self.ref is not None


@dataclass(slots=True)
class Context:
    """The facts of one transfer as the rules see them."""

    transfer: Transfer
    exporter_id: str
    route: str
    recipient_id: str
    jurisdiction: str
    purpose: str
    scenario: str
    exporter: Exporter | None
    recipient: Recipient | None
    origin: str | None
    categories: frozenset[str]
    detectors: frozenset[str]
    level: Level
    individuals: int
    sensitive_individuals: int
    facts: Facts
    purpose_permitted: bool
    now: datetime
    policy: CompiledPolicy
    _availability: dict[str, Availability] = field(default_factory=dict)

    def availability(self, mechanism: str) -> Availability:
        """Whether ``mechanism`` can be relied on (memoised: several rules ask about the same one)."""
        found = self._availability.get(mechanism)
        if found is None:
            found = _assess(self, mechanism)
            self._availability[mechanism] = found
        return found

    def first_available(self, wanted: tuple[str, ...]) -> Availability | None:
        for mechanism in wanted:
            found = self.availability(mechanism)
            if found.available:
                return found
        return None


def build_context(
    policy: CompiledPolicy, transfer: Transfer, classification: Classification, facts: Facts, now: datetime
) -> Context:
    """The context of one decision."""
    categories = classification.categories
    recipient = policy.recipients.get(transfer.recipient)
    exporter = policy.exporters.get(transfer.principal.organisation)
    individuals, sensitive = count_individuals(classification, policy)
    return Context(
        transfer=transfer,
        exporter_id=transfer.principal.organisation,
        route=transfer.route,
        recipient_id=transfer.recipient,
        jurisdiction=transfer.jurisdiction,
        purpose=transfer.purpose,
        scenario=transfer.scenario,
        exporter=exporter,
        recipient=recipient,
        origin=exporter.jurisdiction if exporter else None,
        categories=categories,
        detectors=frozenset(f.detector for f in classification.findings),
        level=policy.level_of(categories),
        individuals=individuals,
        sensitive_individuals=sensitive,
        facts=facts,
        purpose_permitted=recipient is not None and transfer.purpose in recipient.purposes,
        now=now,
        policy=policy,
    )


def _day(d: date) -> str:
    return d.isoformat()


def _held_problems(ctx: Context, kind: MechanismKind, held: HeldMechanism, today: date) -> Iterator[str]:
    """Why ``held`` cannot carry this transfer, most basic reason first; nothing if it can."""
    recipient = ctx.recipient
    assert recipient is not None
    if today < held.valid_from:
        yield f"not yet in force: valid from {_day(held.valid_from)}"
    if today > held.valid_until:
        yield f"expired on {_day(held.valid_until)}"
    uncovered = sorted(ctx.categories - held.categories)
    if uncovered:
        yield f"does not cover {', '.join(uncovered)}"
    if held.max_individuals is not None and ctx.facts.ytd_personal > held.max_individuals:
        yield (
            f"its volume limit of {held.max_individuals} individuals would be exceeded "
            f"({ctx.facts.ytd_personal} this year with this transfer)"
        )
    if kind.requires_countries and (held.countries is None or recipient.jurisdiction not in held.countries):
        named = ", ".join(sorted(held.countries or ())) or "none"
        yield f"the contract must name the recipient's country {recipient.jurisdiction}; it names {named}"
    if kind.related_only and not recipient.related:
        yield f"it can be relied on only for related recipients, and {recipient.name} is not one"


def _assess(ctx: Context, mechanism: str) -> Availability:
    kind = ctx.policy.mechanisms.get(mechanism)
    if kind is None or kind.kind != "held":
        basis = kind.basis if kind else ""
        what = "a consent-based ground" if kind and kind.kind == "consent" else "an exemption"
        return Availability(mechanism, MechanismRef(mechanism, basis), f"{what} the rule relies on itself")
    recipient = ctx.recipient
    if recipient is None:
        return Availability(mechanism, None, "the recipient is not declared in the policy")
    today = ctx.now.astimezone(CORRIDOR_TIME).date()
    problems = []
    for held in recipient.mechanisms:
        if held.mechanism != mechanism:
            continue
        problem = next(_held_problems(ctx, kind, held, today), None)
        if problem is None:
            return Availability(
                mechanism,
                MechanismRef(held.mechanism, held.reference),
                f"held by {recipient.name}, in force until {_day(held.valid_until)}, covers the data",
            )
        problems.append(f"{held.reference} {problem}")
    if not problems:
        return Availability(mechanism, None, f"{recipient.name} holds none")
    return Availability(mechanism, None, "; ".join(problems))
