"""Decide on one transfer (step 5 of the data path). Pure: the time is an argument.

Every rule whose conditions hold is a hit. A deny hit wins over any allow (the first deny in file order decides);
otherwise the first allow hit decides and names the mechanism relied on, and the obligations of every allow hit
apply. No hit means deny.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.model import Classification, Decision, Effect, MechanismRef, Obligation, RuleHit, Transfer
from gateway.policy.compiled import CompiledPolicy, HeldMechanism, Recipient, Rule, When

__all__ = ["decide"]


@dataclass(frozen=True, slots=True)
class _Context:
    transfer: Transfer
    recipient: Recipient | None
    categories: frozenset[str]
    policy: CompiledPolicy
    now: datetime


def _within(value: str, allowed: frozenset[str] | None) -> bool:
    return allowed is None or value in allowed


def _holds(when: When, ctx: _Context) -> bool:
    """Whether every condition set in ``when`` holds (conditions left unset always hold)."""
    t = ctx.transfer
    level = ctx.policy.level_of(ctx.categories)
    permitted = ctx.recipient is not None and t.purpose in ctx.recipient.purposes
    return (
        _within(t.route, when.routes)
        and _within(t.recipient, when.recipients)
        and _within(t.jurisdiction, when.jurisdictions)
        and _within(t.purpose, when.purposes)
        and _within(t.scenario, when.scenarios)
        and (when.categories_any is None or bool(ctx.categories & when.categories_any))
        and (when.categories_none is None or not ctx.categories & when.categories_none)
        and (when.level_at_least is None or level >= when.level_at_least)
        and (when.level_at_most is None or level <= when.level_at_most)
        and (when.purpose_permitted is None or permitted == when.purpose_permitted)
        and (when.recipient_lacks_mechanism is None or _mechanism(ctx, when.recipient_lacks_mechanism) is None)
    )


def _mechanism(ctx: _Context, wanted: tuple[str, ...]) -> HeldMechanism | None:
    if ctx.recipient is None:
        return None
    return ctx.recipient.mechanism_for(wanted, ctx.categories, ctx.now.date())


def _hit(rule: Rule) -> RuleHit:
    return RuleHit(rule.id, rule.effect, rule.reason, rule.legal)


def decide(policy: CompiledPolicy, transfer: Transfer, classification: Classification, now: datetime) -> Decision:
    """Allow or deny ``transfer`` under ``policy`` at time ``now``."""
    ctx = _Context(transfer, policy.recipients.get(transfer.recipient), classification.categories, policy, now)
    hits: list[RuleHit] = []
    first_deny: RuleHit | None = None
    first_allow: tuple[RuleHit, HeldMechanism | None] | None = None
    obligations: list[Obligation] = []
    for rule in policy.rules:
        if not _holds(rule.when, ctx):
            continue
        held = None
        if rule.effect is Effect.ALLOW and rule.mechanisms:
            held = _mechanism(ctx, rule.mechanisms)
            if held is None:
                continue  # an allow that needs a mechanism the recipient does not hold does not apply
        hit = _hit(rule)
        hits.append(hit)
        if rule.effect is Effect.DENY:
            first_deny = first_deny or hit
        else:
            first_allow = first_allow or (hit, held)
            obligations.extend(rule.obligations)
    if first_deny is not None:
        return Decision(Effect.DENY, first_deny, tuple(hits), policy.revision)
    if first_allow is not None:
        hit, held = first_allow
        mechanism = MechanismRef(held.mechanism, held.reference) if held else None
        return Decision(Effect.ALLOW, hit, tuple(hits), policy.revision, mechanism, tuple(obligations))
    return Decision(Effect.DENY, None, (), policy.revision)
