"""The ``seal_evidence`` obligation: its schema, its compiled form, its problems with lines, and the decisions
that carry the regulator keys to seal for (allowed transfers only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.model import Classification, Decision, Effect, Finding, Obligation, Principal, Subject, Transfer
from gateway.policy.compiled import CompiledPolicy, EvidenceSeal
from gateway.policy.context import CORRIDOR_TIME
from gateway.policy.decide import decide
from gateway.policy.facts import facts_of_this_transfer
from gateway.policy.load import PolicyInvalid, load_policy
from gateway.policy.schema import build_policy_schema, schema_problems
from gateway.policy.source import parse_yaml
from tests.conftest import POLICY_VOCABULARY
from tests.textedit import edit_once, line_of

POLICY = """\
policy: sealed
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
    purposes: [payroll, marketing]
    mechanisms:
      - id: CN_SCC
        reference: SCC-1
        valid_from: 2026-01-01
        valid_until: 2028-12-31
        categories: [NP.*, PI.*]
rules:
  - id: DENY-SPI
    description: Sensitive data needs a mechanism that covers it.
    legal: PIPL Art 28
    when: {level_at_least: sensitive, lacks_mechanism: [CN_SCC]}
    effect: deny
  - id: CONSENT-MARKETING
    description: Marketing needs the individual's consent.
    legal: PIPL Art 13(1)
    when: {purposes: [marketing]}
    effect: oblige
    obligations:
      - require_consent: {categories: [PI.*]}
  - id: SEAL-CONTACT
    description: Contact data leaves with sealed evidence for both regulators.
    legal: Sandbox evidence rules (test)
    when: {categories_any: [PI.CONTACT]}
    effect: oblige
    obligations:
      - seal_evidence: {for: sip-admin}
      - seal_evidence: {for: pdpc}
  - id: ALLOW-SCC
    description: Personal information under the standard contract.
    legal: PIPL Art 38(3)
    when: {origin: [CN], level_at_least: personal}
    effect: allow
    mechanism: [CN_SCC]
    obligations:
      - mask: {categories: [PI.CONTACT], keep_last: 4}
      - seal_evidence: {for: pdpc}
  - id: ALLOW-NONPI
    description: No personal information.
    legal: 2024 Provisions Art 3
    when: {level_at_most: general}
    effect: allow
    mechanism: [CN_EX_TRADE]
  - id: SEAL-OFF
    description: A switched-off rule names no key the gateway must hold.
    legal: none
    when: {categories_any: [PI.BASIC]}
    effect: oblige
    enabled: false
    obligations:
      - seal_evidence: {for: switched-off}
"""
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=CORRIDOR_TIME)


@pytest.fixture(scope="module")
def policy(write_policy_dir: Callable[..., Path]) -> CompiledPolicy:
    return load_policy(write_policy_dir(POLICY))


def _problems(write_policy_dir: Callable[..., Path], text: str) -> tuple[ConfigError, ...]:
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(write_policy_dir(text))
    return caught.value.problems


# --- compiled -----------------------------------------------------------------------------------------------------


def test_seal_evidence_compiles_beside_the_other_obligations(policy: CompiledPolicy) -> None:
    """Seals are kept apart from the edits: a rule's obligations stay what plan_edits applies."""
    rules = {rule.id: rule for rule in policy.rules}
    assert rules["SEAL-CONTACT"].seals == (
        EvidenceSeal("SEAL-CONTACT", "sip-admin"),
        EvidenceSeal("SEAL-CONTACT", "pdpc"),
    )
    assert rules["SEAL-CONTACT"].obligations == ()
    assert rules["ALLOW-SCC"].seals == (EvidenceSeal("ALLOW-SCC", "pdpc"),)
    assert rules["ALLOW-SCC"].obligations == (Obligation("mask", ("PI.CONTACT",), "ALLOW-SCC", keep_last=4),)
    assert rules["DENY-SPI"].seals == ()


def test_the_policy_lists_the_evidence_keys_of_its_enabled_rules(policy: CompiledPolicy) -> None:
    """What the gateway must hold at start: the names used by rules that are switched on, and no pseudonym key."""
    assert policy.evidence_keys == frozenset({"pdpc", "sip-admin"})
    assert policy.pseudonym_keys == frozenset()
    assert policy.disabled == ("SEAL-OFF",)


# --- problems, with their lines ---------------------------------------------------------------------------------

SEAL_LINE = "      - seal_evidence: {for: sip-admin}\n"
INVALID = [
    ("key-not-a-name", "      - seal_evidence: {for: PDPC Key}\n", "for: PDPC Key", "a key name is lower-case letters"),
    ("for-missing", "      - seal_evidence: {}\n", "seal_evidence: {}", "a seal_evidence obligation needs 'for'"),
    (
        "categories-not-taken",
        "      - seal_evidence: {for: pdpc, categories: [SPI.*]}\n",
        "categories: [SPI.*]",
        "unknown field 'categories' in a seal_evidence obligation",
    ),
    ("for-a-list", "      - seal_evidence: {for: [pdpc, sip-admin]}\n", "for: [pdpc", "must be a string, not a list"),
    ("not-a-mapping", "      - seal_evidence: pdpc\n", "seal_evidence: pdpc", "must be a mapping, not a string"),
    (
        "misspelt",
        "      - seal_evidnce: {for: pdpc}\n",
        "seal_evidnce",
        "unknown obligation 'seal_evidnce' (did you mean 'seal_evidence'?)",
    ),
]


@pytest.mark.parametrize(("new", "marker", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_a_bad_seal_evidence_names_file_and_line(
    write_policy_dir: Callable[..., Path], new: str, marker: str, message: str
) -> None:
    text = edit_once(POLICY, SEAL_LINE, new)
    directory = write_policy_dir(text)
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(directory)
    err = caught.value
    assert message in str(err), [str(p) for p in err.problems]
    assert (err.file, err.line) == (str(directory / "policy.yaml"), line_of(text, marker))
    assert {p.line for p in err.problems} == {line_of(text, marker)}


def test_a_deny_rule_cannot_seal(write_policy_dir: Callable[..., Path]) -> None:
    """Obligations apply to allowed transfers; a deny rule has none, seal_evidence included."""
    text = edit_once(
        POLICY, "    effect: deny\n", "    effect: deny\n    obligations: [{seal_evidence: {for: pdpc}}]\n"
    )
    (problem,) = _problems(write_policy_dir, text)
    assert "a deny rule has no obligations" in problem.message
    assert problem.line == line_of(text, "obligations: [{seal_evidence")


def test_a_pasted_key_is_never_echoed(write_policy_dir: Callable[..., Path]) -> None:
    """Someone pastes the key instead of its name: refused, and the message does not repeat it."""
    pasted = "MCowBQYDK2VuAyEAhSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="
    text = edit_once(POLICY, SEAL_LINE, f"      - seal_evidence: {{for: '{pasted}'}}\n")
    (problem,) = _problems(write_policy_dir, text)
    assert "never the key itself" in problem.message
    assert pasted[:20] not in str(problem)


def test_the_schema_offers_seal_evidence_to_editors() -> None:
    schema = build_policy_schema(parse_yaml(POLICY_VOCABULARY, "vocabulary.yaml").data)
    assert "seal_evidence" in schema["$defs"]["obligation"]["properties"]
    seal = schema["$defs"]["seal_evidence"]
    assert (seal["required"], seal["additionalProperties"]) == (["for"], False)
    assert "keys/evidence/<name>.pub" in seal["properties"]["for"]["description"]
    assert schema_problems(parse_yaml(POLICY, "policy.yaml"), schema) == []


# --- decisions ------------------------------------------------------------------------------------------------------


def _transfer(purpose: str = "payroll") -> Transfer:
    return Transfer(
        decision_id="dec-0001",
        received_at=NOW,
        principal=Principal("cn-maker", "hr-sync", frozenset({"enterprise"})),
        route="sg-hr",
        recipient="sg-hr",
        jurisdiction="SG",
        purpose=purpose,
        scenario="general",
        method="POST",
        path="/employees",
        content_type="application/json",
    )


def _decide(policy: CompiledPolicy, *categories: str, purpose: str = "payroll") -> Decision:
    findings = tuple(Finding(f"/person/f{i}", "test", c, 0.9) for i, c in enumerate(categories))
    subjects = (Subject("/person", "test", "test:key", len(findings), frozenset(categories)),) if findings else ()
    classification = Classification(findings, subjects)
    return decide(policy, _transfer(purpose), classification, facts_of_this_transfer(classification, policy), NOW)


@pytest.mark.parametrize(
    ("categories", "rule", "seal_for"),
    [
        (("PI.BASIC",), "ALLOW-SCC", ("pdpc",)),
        (("PI.CONTACT",), "ALLOW-SCC", ("pdpc", "sip-admin")),  # an oblige rule adds its keys; each key once, sorted
        (("NP.BUSINESS",), "ALLOW-NONPI", ()),
    ],
    ids=["allow-rule-seals", "oblige-rule-adds", "no-seal-asked"],
)
def test_an_allowed_transfer_names_the_keys_to_seal_for(
    policy: CompiledPolicy, categories: tuple[str, ...], rule: str, seal_for: tuple[str, ...]
) -> None:
    decision = _decide(policy, *categories)
    assert (decision.effect, decision.rule_id, decision.seal_for) == (Effect.ALLOW, rule, seal_for)


@pytest.mark.parametrize(
    ("categories", "purpose", "rule"),
    [
        (("PI.CONTACT", "SPI.GOV_ID"), "payroll", "DENY-SPI"),  # a deny rule wins
        (("PI.CONTACT",), "marketing", "CONSENT-MARKETING"),  # refused for want of consent
        (("SPI.HEALTH",), "marketing", "DENY-SPI"),
    ],
    ids=["deny-rule", "consent-refusal", "sensitive"],
)
def test_a_refused_transfer_seals_nothing(
    policy: CompiledPolicy, categories: tuple[str, ...], purpose: str, rule: str
) -> None:
    """Sealing rules matched, but nothing leaves, so nothing is sealed."""
    decision = _decide(policy, *categories, purpose=purpose)
    assert (decision.effect, decision.rule_id, decision.seal_for) == (Effect.DENY, rule, ())


def test_a_decision_seals_nothing_by_default() -> None:
    assert Decision(Effect.DENY, None, (), "sha256:" + "0" * 64).seal_for == ()
