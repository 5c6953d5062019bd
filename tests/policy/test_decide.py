"""Decisions of the shipped SIP - Singapore policy on hand-built transfers and classifications."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.model import (
    Classification,
    Decision,
    Effect,
    Finding,
    MechanismRef,
    Obligation,
    Principal,
    Subject,
    Transfer,
)
from gateway.policy.compiled import CompiledPolicy, Rule, When
from gateway.policy.decide import decide
from gateway.policy.load import load_policy

POLICY_DIR = Path(__file__).resolve().parents[2] / "policies" / "sip-sg"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PRINCIPAL = Principal("sip-precision", "hr-sync", frozenset({"enterprise"}))

# What the shipped policy says, restated by hand for the property test below (an oracle independent of decide).
HR_PURPOSES = frozenset({"hr_administration", "payroll"})
SCC_CATEGORIES = frozenset(
    {"NP.PUBLIC", "NP.BUSINESS", "NP.TECH", "NP.DERIVED", "PI.BASIC", "PI.CONTACT", "PI.EMPLOYEE"}
)
SCC_VALID = (date(2026, 1, 1), date(2028, 12, 31))


@pytest.fixture(scope="module")
def policy() -> CompiledPolicy:
    return load_policy(POLICY_DIR)


def transfer(*, recipient: str = "sg-hr", purpose: str = "payroll", jurisdiction: str = "SG") -> Transfer:
    return Transfer(
        decision_id="dec-0001",
        received_at=NOW,
        principal=PRINCIPAL,
        route=recipient,
        recipient=recipient,
        jurisdiction=jurisdiction,
        purpose=purpose,
        scenario="hr",
        method="POST",
        path="/employees",
        content_type="application/json",
    )


def classification(*categories: str) -> Classification:
    findings = tuple(Finding(f"/items/{i}", "test", c, 0.9) for i, c in enumerate(categories))
    subjects = (Subject("/items", "test", "subject-key-value", len(findings)),) if findings else ()
    return Classification(findings, subjects)


MASK_CONTACT = Obligation("mask", ("PI.CONTACT",), "CN-PI-SCC-01", keep_first=0, keep_last=4)
SCC = MechanismRef("CN_SCC", "SIP-SCC-2026-0042")

# (id, categories, purpose, recipient, now, effect, deciding rule id, mechanism, obligations)
CASES: list[
    tuple[str, tuple[str, ...], str, str, datetime, Effect, str, MechanismRef | None, tuple[Obligation, ...]]
] = [
    ("no-personal-data", (), "payroll", "sg-hr", NOW, Effect.ALLOW, "CN-NONPI-01", None, ()),
    ("business-data", ("NP.BUSINESS",), "payroll", "sg-hr", NOW, Effect.ALLOW, "CN-NONPI-01", None, ()),
    (
        "contact-for-payroll",
        ("PI.CONTACT",),
        "payroll",
        "sg-hr",
        NOW,
        Effect.ALLOW,
        "CN-PI-SCC-01",
        SCC,
        (MASK_CONTACT,),
    ),
    (
        "employee-records-for-hr",
        ("PI.EMPLOYEE", "PI.BASIC"),
        "hr_administration",
        "sg-hr",
        NOW,
        Effect.ALLOW,
        "CN-PI-SCC-01",
        SCC,
        (MASK_CONTACT,),
    ),
    ("gov-id", ("SPI.GOV_ID",), "payroll", "sg-hr", NOW, Effect.DENY, "CN-SPI-01", None, ()),
    ("gov-id-with-contact", ("PI.CONTACT", "SPI.GOV_ID"), "payroll", "sg-hr", NOW, Effect.DENY, "CN-SPI-01", None, ()),
    ("important-data", ("IMP.DATA",), "payroll", "sg-hr", NOW, Effect.DENY, "CN-SPI-01", None, ()),
    ("marketing", ("PI.CONTACT",), "marketing", "sg-hr", NOW, Effect.DENY, "RCPT-PURPOSE-01", None, ()),
    ("marketing-no-pi", (), "marketing", "sg-hr", NOW, Effect.DENY, "RCPT-PURPOSE-01", None, ()),
    ("unknown-recipient", ("PI.CONTACT",), "payroll", "sg-nowhere", NOW, Effect.DENY, "RCPT-PURPOSE-01", None, ()),
    ("unknown-recipient-no-pi", (), "payroll", "sg-nowhere", NOW, Effect.DENY, "RCPT-PURPOSE-01", None, ()),
    (
        "contract-expired",
        ("PI.CONTACT",),
        "payroll",
        "sg-hr",
        datetime(2029, 6, 1, 10, 0, tzinfo=UTC),
        Effect.DENY,
        "no-rule-matched",
        None,
        (),
    ),
    (
        "contract-last-day",
        ("PI.CONTACT",),
        "payroll",
        "sg-hr",
        datetime(2028, 12, 31, 10, 0, tzinfo=UTC),
        Effect.ALLOW,
        "CN-PI-SCC-01",
        SCC,
        (MASK_CONTACT,),
    ),
    (
        "contract-not-yet-valid",
        ("PI.CONTACT",),
        "payroll",
        "sg-hr",
        datetime(2025, 12, 31, 10, 0, tzinfo=UTC),
        Effect.DENY,
        "no-rule-matched",
        None,
        (),
    ),
    (
        "category-outside-contract",
        ("PI.TRANSACTION",),
        "payroll",
        "sg-hr",
        NOW,
        Effect.DENY,
        "no-rule-matched",
        None,
        (),
    ),
    ("core-data", ("CORE.DATA",), "payroll", "sg-hr", NOW, Effect.DENY, "CN-CORE-01", None, ()),
    (
        "core-data-with-contact",
        ("CORE.DATA", "PI.CONTACT"),
        "payroll",
        "sg-hr",
        NOW,
        Effect.DENY,
        "CN-CORE-01",
        None,
        (),
    ),
]


@pytest.mark.parametrize(
    ("categories", "purpose", "recipient", "now", "effect", "rule_id", "mechanism", "obligations"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_shipped_policy_decisions(
    policy: CompiledPolicy,
    categories: tuple[str, ...],
    purpose: str,
    recipient: str,
    now: datetime,
    effect: Effect,
    rule_id: str,
    mechanism: MechanismRef | None,
    obligations: tuple[Obligation, ...],
) -> None:
    """Each transfer gets the effect, deciding rule, mechanism and obligations the shipped policy prescribes."""
    decision = decide(policy, transfer(recipient=recipient, purpose=purpose), classification(*categories), now)
    assert decision.effect is effect
    assert decision.allowed is (effect is Effect.ALLOW)
    assert decision.rule_id == rule_id
    assert decision.mechanism == mechanism
    assert decision.obligations == obligations
    assert decision.policy_revision == policy.revision
    if decision.deciding is not None:
        assert decision.deciding in decision.hits
        assert decision.deciding.effect is effect


def test_core_data_hits_every_deny_and_first_in_file_order_decides(policy: CompiledPolicy) -> None:
    """Core data fires CN-CORE-01 and CN-SPI-01; the first in file order decides and both are listed as hits."""
    decision = decide(policy, transfer(), classification("CORE.DATA"), NOW)
    assert [h.rule_id for h in decision.hits] == ["CN-CORE-01", "CN-SPI-01"]
    assert decision.deciding is not None
    assert decision.deciding.rule_id == "CN-CORE-01"
    assert decision.deciding.legal.startswith("Data Security Law Art 21")


def test_deny_wins_over_an_allow_that_also_matches(policy: CompiledPolicy) -> None:
    """With an extra allow rule that matches marketing, the purpose deny still decides, and both rules are hits."""
    allow_marketing = Rule(
        "ALLOW-MARKETING",
        "Marketing contacts are fine (a rule the purpose check must override).",
        "none",
        When(purposes=frozenset({"marketing"})),
        Effect.ALLOW,
        obligations=(Obligation("redact", ("PI.CONTACT",), "ALLOW-MARKETING"),),
    )
    extended = replace(policy, rules=(allow_marketing, *policy.rules))
    decision = decide(extended, transfer(purpose="marketing"), classification("PI.CONTACT"), NOW)
    assert decision.effect is Effect.DENY
    assert decision.rule_id == "RCPT-PURPOSE-01"
    assert [(h.rule_id, h.effect) for h in decision.hits] == [
        ("ALLOW-MARKETING", Effect.ALLOW),
        ("RCPT-PURPOSE-01", Effect.DENY),
    ]
    assert decision.mechanism is None
    assert decision.obligations == ()


def test_no_matching_rule_is_a_deny_without_deciding_rule(policy: CompiledPolicy) -> None:
    """A policy whose only rule does not match refuses with deciding None and rule_id 'no-rule-matched'."""
    only_cn = Rule("CN-ONLY", "Domestic only.", "none", When(jurisdictions=frozenset({"CN"})), Effect.ALLOW)
    narrow = replace(policy, rules=(only_cn,))
    decision = decide(narrow, transfer(), classification(), NOW)
    assert decision == Decision(Effect.DENY, None, (), policy.revision)
    assert decision.rule_id == "no-rule-matched"
    assert "not allowed" in decision.reason


def test_allow_without_held_mechanism_is_not_a_hit(policy: CompiledPolicy) -> None:
    """An allow rule needing a mechanism the recipient lacks is not listed among the hits."""
    decision = decide(policy, transfer(), classification("PI.TRANSACTION"), NOW)
    assert decision.hits == ()


def test_obligations_of_every_allow_hit_apply(policy: CompiledPolicy) -> None:
    """When two allow rules fire, the first decides and the obligations of both apply."""
    redact_basic = Rule(
        "REDACT-BASIC",
        "Names are not needed.",
        "PIPL Art 6",
        When(categories_any=frozenset({"PI.BASIC"})),
        Effect.ALLOW,
        obligations=(Obligation("redact", ("PI.BASIC",), "REDACT-BASIC"),),
    )
    extended = replace(policy, rules=(*policy.rules, redact_basic))
    decision = decide(extended, transfer(), classification("PI.BASIC", "PI.CONTACT"), NOW)
    assert decision.rule_id == "CN-PI-SCC-01"
    assert decision.mechanism == SCC
    assert decision.obligations == (MASK_CONTACT, Obligation("redact", ("PI.BASIC",), "REDACT-BASIC"))


def _expected_denies(categories: frozenset[str], recipient: str, purpose: str, day: date) -> list[str]:
    """The deny rules of the shipped policy whose conditions hold, in file order, worked out by hand."""
    denies = []
    if "CORE.DATA" in categories:
        denies.append("CN-CORE-01")
    if recipient != "sg-hr" or purpose not in HR_PURPOSES:
        denies.append("RCPT-PURPOSE-01")
    sensitive_or_above = any(c.startswith(("SPI.", "IMP.", "CORE.")) for c in categories)
    covered = recipient == "sg-hr" and SCC_VALID[0] <= day <= SCC_VALID[1] and categories <= SCC_CATEGORIES
    if sensitive_or_above and not covered:
        denies.append("CN-SPI-01")
    return denies


CATCH_ALL = Rule("ALLOW-ALL", "Allows everything.", "none", When(jurisdictions=frozenset({"SG", "CN"})), Effect.ALLOW)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_deny_over_allow_and_determinism(policy: CompiledPolicy, data: st.DataObject) -> None:
    """For random categories, purposes, recipients and days: a deny that holds decides; decide is deterministic."""
    categories = data.draw(st.frozensets(st.sampled_from(sorted(policy.levels))), label="categories")
    purpose = data.draw(st.sampled_from(["hr_administration", "payroll", "marketing", "logistics"]), label="purpose")
    recipient = data.draw(st.sampled_from(["sg-hr", "sg-unknown"]), label="recipient")
    day = data.draw(st.dates(date(2025, 6, 1), date(2029, 6, 30)), label="day")
    now = datetime.combine(day, time(10, 0), tzinfo=UTC)
    expected = _expected_denies(categories, recipient, purpose, day)
    t = transfer(recipient=recipient, purpose=purpose)
    c = classification(*sorted(categories))

    for p in (policy, replace(policy, rules=(CATCH_ALL, *policy.rules))):  # the second always has an allow hit
        decision = decide(p, t, c, now)
        assert [h.rule_id for h in decision.hits if h.effect is Effect.DENY] == expected
        if expected:
            assert decision.effect is Effect.DENY
            assert decision.rule_id == expected[0]
            assert decision.mechanism is None
            assert decision.obligations == ()
        assert decide(p, t, c, now) == decision
        reordered = Classification(tuple(reversed(c.findings)), c.subjects)
        assert decide(p, t, reordered, now) == decision
    assert decide(replace(policy, rules=(CATCH_ALL, *policy.rules)), t, c, now).allowed is not bool(expected)
