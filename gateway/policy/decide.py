"""Decide on one transfer (step 5 of the data path). Pure: the facts and the time are arguments.

Every rule whose conditions hold is a hit; an ``allow`` that names mechanisms is a hit only if one is available.
A deny hit wins over everything (the first deny in file order is named). Otherwise the consent requirements of the
hits are checked for every individual: one that must refuse refuses, one that may drop removes that individual's
record. Otherwise the first allow hit decides and names the mechanism relied on, and the obligations of every allow
and oblige hit apply, as do their ``seal_evidence`` obligations (``Decision.seal_for``). No allow hit means deny.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime

from gateway.classify import scrub_text
from gateway.model import (
    Classification,
    Consent,
    Decision,
    Effect,
    Explanation,
    Facts,
    MechanismRef,
    MechanismTried,
    Obligation,
    RuleHit,
    Subject,
    Transfer,
)
from gateway.policy.compiled import CompiledPolicy, ConsentRequirement, Rule
from gateway.policy.context import Context, build_context

__all__ = ["NO_RULE_REASON", "decide"]

NO_RULE_REASON = "No policy rule allows this transfer; anything not allowed is refused."


def _refused(tried: list[MechanismTried], by: str) -> list[MechanismTried]:
    """``tried`` as a refusal tells it: a mechanism that was available was not relied on, because ``by`` refused."""
    return [
        replace(m, chosen=False, why=f"available ({m.why}), but rule {by} refused the transfer") if m.chosen else m
        for m in tried
    ]


def _explanation(ctx: Context, tried: list[MechanismTried], consent: tuple[str, ...] = ()) -> Explanation:
    return Explanation(
        level=ctx.level.name.lower(),
        individuals=ctx.individuals,
        sensitive_individuals=ctx.sensitive_individuals,
        ytd_personal=ctx.facts.ytd_personal,
        ytd_sensitive=ctx.facts.ytd_sensitive,
        mechanisms=tuple(tried),
        consent=consent,
    )


def _try_mechanisms(ctx: Context, rule: Rule, tried: list[MechanismTried], record: bool) -> MechanismRef | None:
    """The first available mechanism of ``rule``; each one looked at goes into ``tried`` when ``record``."""
    chosen: MechanismRef | None = None
    for mechanism in rule.mechanisms:
        if chosen is not None:
            if record:
                tried.append(MechanismTried(rule.id, mechanism, None, False, f"{chosen.mechanism} comes first"))
            continue
        found = ctx.availability(mechanism)
        if found.ref is not None:
            chosen = found.ref
        if record:
            reference = found.ref.reference if found.ref and found.ref.reference != "" else None
            tried.append(MechanismTried(rule.id, mechanism, reference, found.ref is not None, found.why))
    return chosen


def decide(
    policy: CompiledPolicy, transfer: Transfer, classification: Classification, facts: Facts, now: datetime
) -> Decision:
    """Allow or deny ``transfer`` under ``policy`` at time ``now``, with the reasons."""
    ctx = build_context(policy, transfer, classification, facts, now)
    hits: list[RuleHit] = []
    tried: list[MechanismTried] = []
    first_deny: RuleHit | None = None
    deciding: tuple[RuleHit, MechanismRef | None] | None = None
    applying: list[Rule] = []  # allow and oblige hits: their obligations and consent requirements
    for rule in policy.rules_for(transfer.recipient, ctx.origin):
        if not rule.when(ctx):
            continue
        if rule.effect is Effect.DENY:
            hit = rule.hit
            hits.append(hit)
            first_deny = first_deny or hit
            continue
        held = None
        if rule.effect is Effect.ALLOW and rule.mechanisms:
            held = _try_mechanisms(ctx, rule, tried, record=deciding is None)
            if held is None:
                continue  # an allow whose mechanisms are all unavailable does not apply
        hit = rule.hit
        hits.append(hit)
        applying.append(rule)
        if rule.effect is Effect.ALLOW and deciding is None:
            deciding = (hit, held)
    if first_deny is not None:
        explanation = _explanation(ctx, _refused(tried, first_deny.rule_id))
        return Decision(Effect.DENY, first_deny, tuple(hits), policy.revision, explanation=explanation)
    if deciding is None:
        return Decision(Effect.DENY, None, tuple(hits), policy.revision, explanation=_explanation(ctx, tried))
    requirements = [(rule, req) for rule in applying for req in rule.consent]
    dropped: list[str] = []
    relied: list[str] = []
    notes: list[str] = []
    for rule, req in requirements:
        refusal = _check_consent(ctx, classification.subjects, rule, req, dropped, relied, notes)
        if refusal is not None:
            explanation = _explanation(ctx, _refused(tried, refusal.rule_id), tuple(notes))
            return Decision(Effect.DENY, refusal, tuple(hits), policy.revision, explanation=explanation)
    hit, held = deciding
    obligations: list[Obligation] = [o for rule in applying for o in rule.obligations]
    return Decision(
        Effect.ALLOW,
        hit,
        tuple(hits),
        policy.revision,
        held,
        tuple(obligations),
        dropped=tuple(sorted(set(dropped))),
        consents=tuple(sorted(set(relied))),
        explanation=_explanation(ctx, tried, tuple(notes)),
        seal_for=tuple(sorted({seal.key for rule in applying for seal in rule.seals})),
    )


def _covers(consent: Consent, ctx: Context, req: ConsentRequirement, needed: frozenset[str]) -> bool:
    """Whether ``consent`` covers this transfer for this individual: :func:`_consent_gaps` finds nothing.

    The common case, tested at once; only a consent that falls short is asked why.
    """
    now = ctx.now
    return (
        not consent.withdrawn
        and consent.given_at <= now
        and (consent.expires_at is None or now < consent.expires_at)
        and ctx.recipient_id in consent.recipients
        and ctx.purpose in consent.purposes
        and needed <= consent.categories
        and (consent.separate or not req.separate)
        and (req.given_by is None or consent.given_by == req.given_by)
        and req.notice <= consent.notice
    )


def _consent_gaps(consent: Consent, ctx: Context, req: ConsentRequirement, needed: frozenset[str]) -> Iterator[str]:
    """Why ``consent`` does not cover this transfer for this individual, most basic reason first."""
    t = ctx.transfer
    if consent.withdrawn:
        yield f"consent {consent.id} was withdrawn"
    if consent.given_at > ctx.now:
        yield f"consent {consent.id} is dated after this transfer"
    if consent.expires_at is not None and ctx.now >= consent.expires_at:
        yield f"consent {consent.id} expired"
    if t.recipient not in consent.recipients:
        yield f"consent {consent.id} does not name the recipient {t.recipient}"
    if t.purpose not in consent.purposes:
        yield f"consent {consent.id} does not cover the purpose {t.purpose}"
    uncovered = sorted(needed - consent.categories)
    if uncovered:
        yield f"consent {consent.id} does not cover {', '.join(uncovered)}"
    if req.separate and not consent.separate:
        yield f"consent {consent.id} is not separate consent (单独同意) for this transfer"
    if req.given_by == "guardian" and consent.given_by != "guardian":
        yield f"consent {consent.id} was not given by a parent or guardian"
    if req.given_by == "individual" and consent.given_by != "individual":
        yield f"consent {consent.id} was not given by the individual"
    missing = sorted(req.notice - consent.notice)
    if missing:
        yield f"consent {consent.id} was given without notice of {', '.join(missing)}"


def _check_consent(
    ctx: Context,
    subjects: tuple[Subject, ...],
    rule: Rule,
    req: ConsentRequirement,
    dropped: list[str],
    relied: list[str],
    notes: list[str],
) -> RuleHit | None:
    """Check ``req`` for every individual it concerns; a refusal when one lacks consent and ``req`` refuses."""
    concerned = 0
    gaps: list[tuple[str, str]] = []
    for subject in subjects:
        needed = subject.categories & req.categories
        if not needed or subject.pointer in dropped:
            continue
        concerned += 1
        reasons = []
        for consent in ctx.facts.consents.get(subject.pointer, ()):
            gap = None if _covers(consent, ctx, req, needed) else next(_consent_gaps(consent, ctx, req, needed), None)
            if gap is None:
                relied.append(consent.id)
                break
            reasons.append(gap)
        else:
            gaps.append((subject.pointer, reasons[0] if reasons else "no consent is recorded"))
    if not gaps:
        if concerned:
            notes.append(f"Consent required by rule {rule.id}: all {concerned} individual(s) concerned have it.")
        return None
    # A pointer can hold an identifier used as an object key: scrubbed, so no refusal quotes personal data.
    where = "; ".join(f"{scrub_text(pointer) or '/'}: {why}" for pointer, why in gaps[:5])
    more = f" (and {len(gaps) - 5} more)" if len(gaps) > 5 else ""
    summary = f"{len(gaps)} of {concerned} individual(s) lack the consent rule {rule.id} requires: {where}{more}."
    if req.on_missing == "drop" and all(pointer for pointer, _ in gaps):
        dropped.extend(pointer for pointer, _ in gaps)
        notes.append(summary + " Their records were removed before forwarding.")
        return None
    if req.on_missing == "drop":
        summary += " The whole body is that individual's record, so nothing would be left to send."
    notes.append(summary)
    return RuleHit(rule.id, Effect.DENY, f"{rule.description} {summary}", rule.legal)
