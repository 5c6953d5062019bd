"""Decisions of a policy written here, on hand-built transfers and classifications.

Covers the order of a decision (deny wins, then the first allow, else refused), ``oblige`` rules, mechanisms held by
recipients (validity days in UTC+8, categories, volume, countries, related recipients) and exemptions, the
explanation of every decision, and the rule index, which must not change any decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.model import (
    Classification,
    Decision,
    Effect,
    Facts,
    Finding,
    MechanismRef,
    MechanismTried,
    Obligation,
    Principal,
    Subject,
    Transfer,
)
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.context import CORRIDOR_TIME
from gateway.policy.decide import NO_RULE_REASON, decide
from gateway.policy.facts import facts_of_this_transfer
from gateway.policy.load import load_policy

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=CORRIDOR_TIME)

POLICY = """\
policy: decide
vocabulary: vocabulary.yaml
accept_content_types: [application/json]
exporters:
  cn-maker: {name: CN Maker, jurisdiction: CN}
  sg-shop: {name: SG Shop, jurisdiction: SG}
recipients:
  sg-hr:
    name: Merlion People Services Pte. Ltd.
    jurisdiction: SG
    contact: privacy@merlion.example
    routes: [sg-hr]
    purposes: [payroll, hr_administration]
    mechanisms:
      - id: CN_SCC
        reference: SCC-1
        valid_from: 2026-01-01
        valid_until: 2028-12-31
        categories: [NP.*, PI.*]
        max_individuals: 1000
  sg-lab:
    name: Lab Pte. Ltd.
    jurisdiction: SG
    contact: dpo@lab.example
    routes: [sg-lab]
    purposes: [payroll]
rules:
  - id: DENY-CORE
    description: Core data stays in China.
    legal: DSL Art 21
    when: {categories_any: [CORE.*]}
    effect: deny
  - id: DENY-PURPOSE
    description: The recipient does not accept this purpose.
    legal: PIPL Art 6
    when: {purpose_permitted: false}
    effect: deny
  - id: DENY-SPI
    description: Sensitive data needs a mechanism that covers it.
    legal: PIPL Art 28
    when: {level_at_least: sensitive, lacks_mechanism: [CN_SCC]}
    effect: deny
  - id: OBLIGE-MASK
    description: Contacts leave masked.
    legal: PIPL Art 51
    when: {categories_any: [PI.CONTACT]}
    effect: oblige
    obligations: [{mask: {categories: [PI.CONTACT], keep_last: 4}}]
  - id: ALLOW-NONPI
    description: No personal information.
    legal: 2024 Provisions Art 3
    when: {level_at_most: general}
    effect: allow
    mechanism: [CN_EX_TRADE]
  - id: ALLOW-SCC
    description: Personal information under the standard contract.
    legal: PIPL Art 38(3)
    when: {recipients: [sg-hr], origin: [CN], level_at_least: personal}
    effect: allow
    mechanism: [CN_SCC]
    obligations: [{redact: {categories: [PI.BASIC]}}]
  - id: ALLOW-HR
    description: Employee records for cross-border HR management.
    legal: 2024 Provisions Art 5(2)
    when: {origin: [CN], scenarios: [hr], categories_any: [PI.EMPLOYEE]}
    effect: allow
    mechanism: [CN_EX_HR]
    obligations: [{pseudonymise: {categories: [PI.EMPLOYEE], key: hr}}]
"""

MASK = Obligation("mask", ("PI.CONTACT",), "OBLIGE-MASK", keep_last=4)
REDACT_BASIC = Obligation("redact", ("PI.BASIC",), "ALLOW-SCC")
PSEUDONYMISE = Obligation("pseudonymise", ("PI.EMPLOYEE",), "ALLOW-HR", key="hr")
SCC = MechanismRef("CN_SCC", "SCC-1")
HR = MechanismRef("CN_EX_HR", "2024 Provisions Art 5(2)")
TRADE = MechanismRef("CN_EX_TRADE", "2024 Provisions Art 3")


@pytest.fixture(scope="module")
def policy(write_policy_dir: Callable[..., Path]) -> CompiledPolicy:
    return load_policy(write_policy_dir(POLICY))


def transfer(
    route: str = "sg-hr",
    *,
    exporter: str = "cn-maker",
    purpose: str = "payroll",
    scenario: str = "general",
    at: datetime = NOW,
) -> Transfer:
    return Transfer(
        decision_id="dec-0001",
        received_at=at,
        principal=Principal(exporter, "hr-sync", frozenset({"enterprise"})),
        route=route,
        recipient=route,  # each recipient here has one route named after it
        jurisdiction="SG",
        purpose=purpose,
        scenario=scenario,
        method="POST",
        path="/employees",
        content_type="application/json",
    )


def classification(*categories: str) -> Classification:
    """One individual holding every category given (none: a body without personal data)."""
    findings = tuple(Finding(f"/person/f{i}", "test", c, 0.9) for i, c in enumerate(categories))
    subjects = (Subject("/person", "test", "test:key-value", len(findings), frozenset(categories)),) if findings else ()
    return Classification(findings, subjects)


def run(
    policy: CompiledPolicy, t: Transfer, c: Classification, *, at: datetime = NOW, ytd: int | None = None
) -> Decision:
    facts = facts_of_this_transfer(c, policy)
    if ytd is not None:
        facts = Facts(ytd, facts.ytd_sensitive)
    return decide(policy, t, c, facts, at)


# (id, categories, route, exporter, purpose, scenario, effect, deciding rule id, mechanism, obligations)
CASES: list[
    tuple[str, tuple[str, ...], str, str, str, str, Effect, str, MechanismRef | None, tuple[Obligation, ...]]
] = [
    ("no-personal-data", (), "sg-hr", "cn-maker", "payroll", "general", Effect.ALLOW, "ALLOW-NONPI", TRADE, ()),
    (
        "business-data",
        ("NP.BUSINESS",),
        "sg-hr",
        "cn-maker",
        "payroll",
        "general",
        Effect.ALLOW,
        "ALLOW-NONPI",
        TRADE,
        (),
    ),
    (
        "contact-oblige-then-allow-obligations",
        ("PI.CONTACT",),
        "sg-hr",
        "cn-maker",
        "payroll",
        "general",
        Effect.ALLOW,
        "ALLOW-SCC",
        SCC,
        (MASK, REDACT_BASIC),
    ),
    (
        "first-allow-decides-every-allow-obliges",
        ("PI.EMPLOYEE", "PI.BASIC"),
        "sg-hr",
        "cn-maker",
        "hr_administration",
        "hr",
        Effect.ALLOW,
        "ALLOW-SCC",
        SCC,
        (REDACT_BASIC, PSEUDONYMISE),
    ),
    (
        "second-allow-when-first-does-not-match",
        ("PI.EMPLOYEE",),
        "sg-lab",
        "cn-maker",
        "payroll",
        "hr",
        Effect.ALLOW,
        "ALLOW-HR",
        HR,
        (PSEUDONYMISE,),
    ),
    ("gov-id", ("SPI.GOV_ID",), "sg-hr", "cn-maker", "payroll", "general", Effect.DENY, "DENY-SPI", None, ()),
    (
        "important",
        ("IMP.DATA", "PI.BASIC"),
        "sg-hr",
        "cn-maker",
        "payroll",
        "general",
        Effect.DENY,
        "DENY-SPI",
        None,
        (),
    ),
    ("core", ("CORE.DATA",), "sg-hr", "cn-maker", "payroll", "general", Effect.DENY, "DENY-CORE", None, ()),
    ("marketing", ("PI.CONTACT",), "sg-hr", "cn-maker", "marketing", "general", Effect.DENY, "DENY-PURPOSE", None, ()),
    ("marketing-no-pi", (), "sg-hr", "cn-maker", "marketing", "general", Effect.DENY, "DENY-PURPOSE", None, ()),
    (
        "pi-from-sg-no-rule",
        ("PI.BASIC",),
        "sg-hr",
        "sg-shop",
        "payroll",
        "general",
        Effect.DENY,
        "no-rule-matched",
        None,
        (),
    ),
    (
        "unlisted-exporter-has-no-origin",
        ("PI.BASIC",),
        "sg-hr",
        "someone",
        "payroll",
        "general",
        Effect.DENY,
        "no-rule-matched",
        None,
        (),
    ),
    (
        "category-outside-contract",
        ("PI.CONTACT", "SPI.HEALTH"),
        "sg-hr",
        "cn-maker",
        "payroll",
        "general",
        Effect.DENY,
        "DENY-SPI",
        None,
        (),
    ),
]


@pytest.mark.parametrize(
    ("categories", "route", "exporter", "purpose", "scenario", "effect", "rule_id", "mechanism", "obligations"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_decisions(
    policy: CompiledPolicy,
    categories: tuple[str, ...],
    route: str,
    exporter: str,
    purpose: str,
    scenario: str,
    effect: Effect,
    rule_id: str,
    mechanism: MechanismRef | None,
    obligations: tuple[Obligation, ...],
) -> None:
    """Each transfer gets the effect, deciding rule, mechanism and obligations the policy prescribes."""
    t = transfer(route, exporter=exporter, purpose=purpose, scenario=scenario)
    decision = run(policy, t, classification(*categories))
    assert decision.effect is effect
    assert decision.allowed is (effect is Effect.ALLOW)
    assert decision.rule_id == rule_id
    assert decision.mechanism == mechanism
    assert decision.obligations == obligations
    assert decision.policy_revision == policy.revision
    if decision.deciding is not None:
        assert decision.deciding in decision.hits
        assert decision.deciding.effect is effect
    else:
        assert decision.reason == NO_RULE_REASON


def test_deny_wins_and_first_deny_in_file_order_is_named(policy: CompiledPolicy) -> None:
    """Core data with a contact fires two denies and an oblige; the first deny decides, nothing is obliged."""
    decision = run(policy, transfer(), classification("CORE.DATA", "PI.CONTACT"))
    assert decision.effect is Effect.DENY
    assert [(h.rule_id, h.effect) for h in decision.hits] == [
        ("DENY-CORE", Effect.DENY),
        ("DENY-SPI", Effect.DENY),
        ("OBLIGE-MASK", Effect.OBLIGE),
    ]
    assert decision.deciding is not None
    assert (decision.deciding.rule_id, decision.deciding.legal) == ("DENY-CORE", "DSL Art 21")
    assert decision.reason == "Core data stays in China."
    assert decision.mechanism is None
    assert decision.obligations == ()


def test_deny_after_a_matching_allow_still_wins(write_policy_dir: Callable[..., Path]) -> None:
    """An allow earlier in the file that matches and has its mechanism does not save a transfer a deny refuses."""
    early_allow = (
        "rules:\n  - id: ALLOW-EARLY\n    description: Early allow.\n    legal: none\n"
        "    when: {purposes: [marketing]}\n    effect: allow\n    mechanism: [CN_EX_TRADE]\n"
    )
    early = load_policy(write_policy_dir(POLICY.replace("rules:\n", early_allow)))
    decision = run(early, transfer(purpose="marketing"), classification())
    assert decision.effect is Effect.DENY
    assert decision.rule_id == "DENY-PURPOSE"
    assert [h.rule_id for h in decision.hits] == ["ALLOW-EARLY", "DENY-PURPOSE", "ALLOW-NONPI"]
    assert decision.mechanism is None
    assert decision.obligations == ()
    assert decision.explanation is not None
    (tried,) = [m for m in decision.explanation.mechanisms if m.rule_id == "ALLOW-EARLY"]
    assert not tried.chosen
    assert "but rule DENY-PURPOSE refused the transfer" in tried.why


def test_no_matching_rule_is_a_deny_without_deciding_rule(policy: CompiledPolicy) -> None:
    """Nothing matches: refused, deciding None, rule_id 'no-rule-matched', the fixed reason."""
    decision = run(policy, transfer(exporter="sg-shop"), classification("PI.BASIC"))
    assert decision.effect is Effect.DENY
    assert (decision.deciding, decision.hits, decision.mechanism, decision.obligations) == (None, (), None, ())
    assert decision.rule_id == "no-rule-matched"
    assert "not allowed" in decision.reason


def test_oblige_rule_never_allows_alone(policy: CompiledPolicy) -> None:
    """A contact to a recipient with no allow rule: the oblige rule matches, yet the transfer is refused."""
    decision = run(policy, transfer("sg-lab"), classification("PI.CONTACT"))
    assert decision.effect is Effect.DENY
    assert decision.deciding is None
    assert [(h.rule_id, h.effect) for h in decision.hits] == [("OBLIGE-MASK", Effect.OBLIGE)]
    assert decision.obligations == ()


def test_allow_whose_mechanisms_are_unavailable_does_not_apply(policy: CompiledPolicy) -> None:
    """With the contract expired, ALLOW-SCC is no hit (its obligation does not apply) and ALLOW-HR decides."""
    later = datetime(2029, 1, 1, 9, 0, tzinfo=CORRIDOR_TIME)
    t = transfer(scenario="hr", at=later)
    decision = run(policy, t, classification("PI.EMPLOYEE", "PI.BASIC"), at=later)
    assert decision.rule_id == "ALLOW-HR"
    assert decision.mechanism == HR
    assert [h.rule_id for h in decision.hits] == ["ALLOW-HR"]
    assert decision.obligations == (PSEUDONYMISE,)
    assert decision.explanation is not None
    assert decision.explanation.mechanisms == (
        MechanismTried("ALLOW-SCC", "CN_SCC", None, False, "SCC-1 expired on 2028-12-31"),
        MechanismTried(
            "ALLOW-HR", "CN_EX_HR", "2024 Provisions Art 5(2)", True, "an exemption the rule relies on itself"
        ),
    )


def test_allow_without_available_mechanism_is_not_a_hit(policy: CompiledPolicy) -> None:
    """Personal data outside the contract's categories: ALLOW-SCC is not listed among the hits."""
    decision = run(policy, transfer(), classification("PI.BASIC"), ytd=1001)
    assert decision.hits == ()
    assert decision.rule_id == "no-rule-matched"


def test_explanation_of_an_allowed_transfer(policy: CompiledPolicy) -> None:
    """The explanation gives the level, the counts and the mechanism chosen, in sentences."""
    decision = run(policy, transfer(), classification("PI.CONTACT"), ytd=120)
    assert decision.explanation is not None
    e = decision.explanation
    assert (e.level, e.individuals, e.sensitive_individuals, e.ytd_personal, e.ytd_sensitive) == (
        "personal",
        1,
        0,
        120,
        0,
    )
    lines = e.lines()
    assert lines[0].startswith("Highest data level found: personal; 1 individual(s)")
    assert "120" in lines[1]
    assert lines[2] == (
        "Chosen: CN_SCC SCC-1 (rule ALLOW-SCC): held by Merlion People Services Pte. Ltd., in force until "
        "2028-12-31, covers the data"
    )


def test_explanation_of_a_refusal_says_an_available_mechanism_was_not_relied_on(policy: CompiledPolicy) -> None:
    """CN_SCC was available for a marketing transfer, but the purpose deny refused it: not chosen, and why."""
    decision = run(policy, transfer(purpose="marketing"), classification("PI.CONTACT"))
    assert decision.rule_id == "DENY-PURPOSE"
    assert decision.explanation is not None
    (scc,) = decision.explanation.mechanisms
    assert (scc.rule_id, scc.mechanism, scc.reference, scc.chosen) == ("ALLOW-SCC", "CN_SCC", "SCC-1", False)
    assert scc.why.startswith("available (held by Merlion People Services Pte. Ltd.")
    assert scc.why.endswith("but rule DENY-PURPOSE refused the transfer")
    assert "Not chosen: CN_SCC SCC-1 (rule ALLOW-SCC)" in "\n".join(decision.explanation.lines())


def test_decide_is_deterministic_and_ignores_finding_order(policy: CompiledPolicy) -> None:
    """The same inputs give equal decisions, whatever the order of the findings."""
    c = classification("PI.CONTACT", "PI.BASIC", "PI.EMPLOYEE")
    t = transfer(scenario="hr")
    first = run(policy, t, c)
    assert run(policy, t, c) == first
    assert run(policy, t, Classification(tuple(reversed(c.findings)), c.subjects)) == first


# --- mechanisms held by recipients -------------------------------------------------------------------------------

HELD = """\
policy: held
vocabulary: vocabulary.yaml
accept_content_types: [application/json]
exporters:
  cn-maker: {name: CN Maker, jurisdiction: CN}
recipients:
  sg-hr:
    name: Merlion People Services Pte. Ltd.
    jurisdiction: SG
    contact: privacy@merlion.example
    routes: [sg-hr]
    purposes: [payroll]
    mechanisms:
      - {id: CN_SCC, reference: SCC-1, valid_from: 2026-01-01, valid_until: 2028-12-31, categories: [PI.*],
         max_individuals: 1000}
  sg-renewed:
    name: Renewed Pte. Ltd.
    jurisdiction: SG
    contact: dpo@renewed.example
    routes: [sg-renewed]
    purposes: [payroll]
    mechanisms:
      - {id: CN_SCC, reference: SCC-OLD, valid_from: 2023-01-01, valid_until: 2025-12-31, categories: [PI.*]}
      - {id: CN_SCC, reference: SCC-NEW, valid_from: 2026-01-01, valid_until: 2028-12-31, categories: [PI.*]}
  sg-contract-my:
    name: Contract Names Malaysia Pte. Ltd.
    jurisdiction: SG
    contact: dpo@contract.example
    routes: [sg-contract-my]
    purposes: [payroll]
    mechanisms:
      - {id: SG_LEO_CONTRACT, reference: LEO-MY, valid_from: 2026-01-01, valid_until: 2028-12-31,
         categories: [PI.*], countries: [MY]}
  sg-contract-sg:
    name: Contract Names Singapore Pte. Ltd.
    jurisdiction: SG
    contact: dpo@contract-sg.example
    routes: [sg-contract-sg]
    purposes: [payroll]
    mechanisms:
      - {id: SG_LEO_CONTRACT, reference: LEO-SG, valid_from: 2026-01-01, valid_until: 2028-12-31,
         categories: [PI.*], countries: [MY, SG]}
  sg-unrelated:
    name: Unrelated Pte. Ltd.
    jurisdiction: SG
    contact: dpo@unrelated.example
    related: false
    routes: [sg-unrelated]
    purposes: [payroll]
    mechanisms:
      - {id: SG_LEO_BCR, reference: BCR-1, valid_from: 2026-01-01, valid_until: 2028-12-31, categories: [PI.*]}
  sg-sister:
    name: Sister Pte. Ltd.
    jurisdiction: SG
    contact: dpo@sister.example
    related: true
    routes: [sg-sister]
    purposes: [payroll]
    mechanisms:
      - {id: SG_LEO_BCR, reference: BCR-2, valid_from: 2026-01-01, valid_until: 2028-12-31, categories: [PI.*]}
  sg-bare:
    name: Bare Pte. Ltd.
    jurisdiction: SG
    contact: dpo@bare.example
    routes: [sg-bare]
    purposes: [payroll]
rules:
  - id: ALLOW-HELD
    description: Personal information under a mechanism the recipient holds.
    legal: PIPL Art 38
    when: {level_at_least: personal}
    effect: allow
    mechanism: [CN_SCC, SG_LEO_CONTRACT, SG_LEO_BCR]
  - id: ALLOW-CONSENT
    description: Consent-based ground, relied on by the rule (no record held).
    legal: PIPL Art 13(1)
    when: {purposes: [hr_administration]}
    effect: allow
    mechanism: [CN_CONSENT]
"""


@pytest.fixture(scope="module")
def held(write_policy_dir: Callable[..., Path]) -> CompiledPolicy:
    return load_policy(write_policy_dir(HELD))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# (id, route, categories, time, ytd, chosen reference or None, fragment of the why of CN_SCC or of the mechanism)
HELD_CASES: list[tuple[str, str, tuple[str, ...], str, int | None, str | None, str]] = [
    ("first-day", "sg-hr", ("PI.BASIC",), "2026-01-01T00:00:00+08:00", None, "SCC-1", "in force until 2028-12-31"),
    ("first-day-utc-evening-before", "sg-hr", ("PI.BASIC",), "2025-12-31T16:30:00+00:00", None, "SCC-1", "in force"),
    (
        "day-before",
        "sg-hr",
        ("PI.BASIC",),
        "2025-12-31T23:59:59+08:00",
        None,
        None,
        "not yet in force: valid from 2026-01-01",
    ),
    (
        "day-before-utc",
        "sg-hr",
        ("PI.BASIC",),
        "2025-12-31T15:59:59+00:00",
        None,
        None,
        "SCC-1 not yet in force: valid from 2026-01-01",
    ),
    ("last-day", "sg-hr", ("PI.BASIC",), "2028-12-31T23:59:59+08:00", None, "SCC-1", "in force"),
    ("day-after", "sg-hr", ("PI.BASIC",), "2029-01-01T00:00:00+08:00", None, None, "SCC-1 expired on 2028-12-31"),
    ("day-after-utc", "sg-hr", ("PI.BASIC",), "2028-12-31T16:00:00+00:00", None, None, "expired on 2028-12-31"),
    (
        "not-covered",
        "sg-hr",
        ("PI.BASIC", "SPI.HEALTH"),
        "2026-06-01T10:00:00+08:00",
        None,
        None,
        "does not cover SPI.HEALTH",
    ),
    ("volume-at-limit", "sg-hr", ("PI.BASIC",), "2026-06-01T10:00:00+08:00", 1000, "SCC-1", "in force"),
    (
        "volume-over-limit",
        "sg-hr",
        ("PI.BASIC",),
        "2026-06-01T10:00:00+08:00",
        1001,
        None,
        "volume limit of 1000 individuals would be exceeded (1001 this year with this transfer)",
    ),
    ("renewal-chosen", "sg-renewed", ("PI.BASIC",), "2026-06-01T10:00:00+08:00", None, "SCC-NEW", "in force"),
    ("renewal-not-yet", "sg-renewed", ("PI.BASIC",), "2025-06-01T10:00:00+08:00", None, "SCC-OLD", "in force"),
    ("holds-none", "sg-bare", ("PI.BASIC",), "2026-06-01T10:00:00+08:00", None, None, "Bare Pte. Ltd. holds none"),
]


@pytest.mark.parametrize(
    ("route", "categories", "at", "ytd", "chosen", "why"), [c[1:] for c in HELD_CASES], ids=[c[0] for c in HELD_CASES]
)
def test_held_mechanism(
    held: CompiledPolicy,
    route: str,
    categories: tuple[str, ...],
    at: str,
    ytd: int | None,
    chosen: str | None,
    why: str,
) -> None:
    """CN_SCC is available only in force on the day (UTC+8), covering every category and within its limit."""
    now = _at(at)
    decision = run(held, transfer(route, at=now), classification(*categories), at=now, ytd=ytd)
    assert decision.explanation is not None
    scc = decision.explanation.mechanisms[0]
    assert (scc.rule_id, scc.mechanism) == ("ALLOW-HELD", "CN_SCC")
    assert why in scc.why
    assert scc.chosen is (chosen is not None)
    if chosen is not None:
        assert decision.allowed
        assert decision.mechanism == MechanismRef("CN_SCC", chosen)
        assert scc.reference == chosen
        assert [m.chosen for m in decision.explanation.mechanisms] == [True, False, False]
        assert all(m.why == "CN_SCC comes first" for m in decision.explanation.mechanisms[1:])
    else:
        assert not decision.allowed
        assert scc.reference is None
        assert decision.hits == ()


def test_expired_and_renewed_records_explained_together(held: CompiledPolicy) -> None:
    """Before the renewal starts and after the old one ended there is no gap in the explanation: both are named."""
    now = _at("2022-06-01T10:00:00+08:00")
    decision = run(held, transfer("sg-renewed", at=now), classification("PI.BASIC"), at=now)
    assert decision.explanation is not None
    why = decision.explanation.mechanisms[0].why
    assert "SCC-OLD not yet in force: valid from 2023-01-01" in why
    assert "SCC-NEW not yet in force: valid from 2026-01-01" in why


@pytest.mark.parametrize(
    ("route", "chosen", "why"),
    [
        ("sg-contract-my", None, "LEO-MY the contract must name the recipient's country SG; it names MY"),
        ("sg-contract-sg", "LEO-SG", "in force until 2028-12-31"),
        (
            "sg-unrelated",
            None,
            "BCR-1 it can be relied on only for related recipients, and Unrelated Pte. Ltd. is not one",
        ),
        ("sg-sister", "BCR-2", "held by Sister Pte. Ltd."),
    ],
    ids=["contract-without-country", "contract-naming-country", "bcr-unrelated", "bcr-related"],
)
def test_countries_and_related_only(held: CompiledPolicy, route: str, chosen: str | None, why: str) -> None:
    """SG_LEO_CONTRACT must name the recipient's country; SG_LEO_BCR serves related recipients only."""
    decision = run(held, transfer(route), classification("PI.CONTACT"))
    assert decision.explanation is not None
    tried = {m.mechanism: m for m in decision.explanation.mechanisms}
    mechanism = "SG_LEO_CONTRACT" if "contract" in route else "SG_LEO_BCR"
    assert tried["CN_SCC"].why.endswith("holds none")
    assert why in tried[mechanism].why
    assert tried[mechanism].chosen is (chosen is not None)
    if chosen is not None:
        assert decision.mechanism == MechanismRef(mechanism, chosen)
    else:
        assert decision.rule_id == "no-rule-matched"


def test_consent_kind_ground_is_relied_on_by_the_rule(held: CompiledPolicy) -> None:
    """A consent-kind mechanism is not held by anyone: the rule relies on it, and the explanation says so."""
    decision = run(held, transfer("sg-bare", purpose="hr_administration"), classification())
    assert decision.rule_id == "ALLOW-CONSENT"
    assert decision.mechanism == MechanismRef("CN_CONSENT", "PIPL Art 13(1)")
    assert decision.explanation is not None
    assert decision.explanation.mechanisms == (
        MechanismTried(
            "ALLOW-CONSENT", "CN_CONSENT", "PIPL Art 13(1)", True, "a consent-based ground the rule relies on itself"
        ),
    )


# --- the rule index -------------------------------------------------------------------------------------------


def unindexed(policy: CompiledPolicy) -> CompiledPolicy:
    """The same policy with no rule naming a recipient or origin for the index: every rule is evaluated."""
    rules = tuple(replace(r, recipients=None, origins=None) for r in policy.rules)
    return replace(policy, rules=rules, _index={})


def test_index_takes_rules_naming_recipients_and_origins(policy: CompiledPolicy) -> None:
    """ALLOW-SCC names sg-hr and CN, ALLOW-HR names CN: the index leaves them out where they cannot match."""
    by_id = {r.id: r for r in policy.rules}
    assert by_id["ALLOW-SCC"].recipients == frozenset({"sg-hr"})
    assert by_id["ALLOW-SCC"].origins == frozenset({"CN"})
    assert by_id["ALLOW-HR"].recipients is None
    assert [r.id for r in policy.rules_for("sg-lab", "SG")] == [
        "DENY-CORE",
        "DENY-PURPOSE",
        "DENY-SPI",
        "OBLIGE-MASK",
        "ALLOW-NONPI",
    ]
    assert "ALLOW-SCC" in [r.id for r in policy.rules_for("sg-hr", "CN")]
    assert "ALLOW-HR" in [r.id for r in policy.rules_for("sg-lab", "CN")]


# The policy restated by hand: an oracle for the property test that does not share code with decide.
SCC_DAYS = (date(2026, 1, 1), date(2028, 12, 31))
ORIGIN = {"cn-maker": "CN", "sg-shop": "SG"}
PURPOSES = {"sg-hr": {"payroll", "hr_administration"}, "sg-lab": {"payroll"}}


def _oracle(  # noqa: PLR0911 - one return per rule, in file order, as the policy reads
    categories: frozenset[str], route: str, exporter: str, purpose: str, scenario: str, day: date
) -> str:
    sensitive = any(c.startswith(("SPI.", "IMP.", "CORE.")) for c in categories)
    personal = sensitive or any(c.startswith("PI.") for c in categories)
    scc = route == "sg-hr" and SCC_DAYS[0] <= day <= SCC_DAYS[1] and all(c[:3] in {"NP.", "PI."} for c in categories)
    if any(c.startswith("CORE.") for c in categories):
        return "DENY-CORE"
    if purpose not in PURPOSES[route]:
        return "DENY-PURPOSE"
    if sensitive and not scc:
        return "DENY-SPI"
    if not personal:
        return "ALLOW-NONPI"
    cn = ORIGIN.get(exporter) == "CN"
    if route == "sg-hr" and cn and scc:
        return "ALLOW-SCC"
    if cn and scenario == "hr" and "PI.EMPLOYEE" in categories:
        return "ALLOW-HR"
    return "no-rule-matched"


@settings(max_examples=300)
@given(data=st.data())
def test_decisions_follow_the_oracle_with_and_without_the_index(policy: CompiledPolicy, data: st.DataObject) -> None:
    """For random transfers: the deciding rule is the one the policy text prescribes, and the index changes nothing."""
    categories = data.draw(st.frozensets(st.sampled_from(sorted(policy.levels)), max_size=4), label="categories")
    route = data.draw(st.sampled_from(["sg-hr", "sg-lab"]), label="route")
    exporter = data.draw(st.sampled_from(["cn-maker", "sg-shop", "unlisted"]), label="exporter")
    purpose = data.draw(st.sampled_from(["payroll", "hr_administration", "marketing"]), label="purpose")
    scenario = data.draw(st.sampled_from(["general", "hr"]), label="scenario")
    day = data.draw(st.dates(date(2025, 6, 1), date(2029, 6, 30)), label="day")
    now = datetime.combine(day, time(10, 0), tzinfo=CORRIDOR_TIME)
    t = transfer(route, exporter=exporter, purpose=purpose, scenario=scenario, at=now)
    c = classification(*sorted(categories))
    decision = run(policy, t, c, at=now)
    assert decision.rule_id == _oracle(categories, route, exporter, purpose, scenario, day)
    assert decision.allowed is decision.rule_id.startswith("ALLOW-")
    if not decision.allowed:
        assert decision.mechanism is None
        assert decision.obligations == ()
    assert run(unindexed(policy), t, c, at=now) == decision
    assert run(policy, t, c, at=now) == decision


def test_time_zone_of_now_does_not_matter(policy: CompiledPolicy) -> None:
    """The same instant written in UTC and in UTC+8 gives the same decision."""
    local = datetime(2028, 12, 31, 23, 30, tzinfo=CORRIDOR_TIME)
    utc = local.astimezone(UTC)
    assert utc.date() == date(2028, 12, 31)
    c = classification("PI.BASIC")
    assert run(policy, transfer(at=utc), c, at=utc) == run(policy, transfer(at=local), c, at=local)
    after = local + timedelta(hours=1)
    assert run(policy, transfer(at=after), c, at=after.astimezone(UTC)).rule_id == "no-rule-matched"
