"""Conditions of a rule's ``when`` (docs/policy-language.md, "Conditions"): each holds or not, and bad ones are refused.

Every case writes a policy with one allow rule ``R`` whose ``when`` is the condition under test, and decides a
hand-built transfer: the rule decides when the condition holds, and nothing matches when it does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.model import Classification, Facts, Finding, Principal, Subject, Transfer
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.context import CORRIDOR_TIME
from gateway.policy.decide import decide
from gateway.policy.facts import facts_of_this_transfer
from gateway.policy.load import PolicyInvalid, load_policy
from tests.textedit import line_of

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=CORRIDOR_TIME)

HEAD = """\
policy: conditions
vocabulary: vocabulary.yaml
accept_content_types: [application/json]
parameters:
  many: 3
  big: 100000
  flag_on: true
  flag_off: false
exporters:
  cn-maker: {name: CN Maker, jurisdiction: CN}
  cn-grid: {name: CN Grid, jurisdiction: CN, ciio: true}
  sg-shop: {name: SG Shop, jurisdiction: SG}
recipients:
  sg-hr:
    name: Merlion People Services Pte. Ltd.
    jurisdiction: SG
    contact: privacy@merlion.example
    routes: [sg-hr]
    purposes: [payroll, hr_administration]
    mechanisms:
      - {id: CN_SCC, reference: SCC-1, valid_from: 2026-01-01, valid_until: 2028-12-31, categories: [PI.*, NP.*]}
  sg-group:
    name: Group Services Pte. Ltd.
    jurisdiction: SG
    contact: dpo@group.example
    related: true
    routes: [sg-group, sg-group-eu]
    purposes: [payroll]
  my-lab:
    name: KL Lab Sdn. Bhd.
    jurisdiction: MY
    contact: dpo@lab.example
    routes: [my-lab]
    purposes: [payroll]
"""


def policy_text(when: str, extra: str = "") -> str:
    return (
        HEAD
        + f"""\
rules:
  - id: R
    description: The condition under test.
    legal: none
    when: {when}
    effect: allow
{extra}"""
    )


def transfer(
    policy: CompiledPolicy,
    *,
    exporter: str = "cn-maker",
    route: str = "sg-hr",
    purpose: str = "payroll",
    scenario: str = "general",
) -> Transfer:
    recipient = policy.routes[route]
    return Transfer(
        decision_id="d-1",
        received_at=NOW,
        principal=Principal(exporter, "svc", frozenset({"enterprise"})),
        route=route,
        recipient=recipient,
        jurisdiction=policy.recipients[recipient].jurisdiction,
        purpose=purpose,
        scenario=scenario,
        method="POST",
        path="/",
        content_type="application/json",
    )


def people(*groups: tuple[str, ...], detector: str = "test") -> Classification:
    """One individual per group of categories, each category one finding under the individual's record."""
    findings: list[Finding] = []
    subjects: list[Subject] = []
    for i, categories in enumerate(groups):
        findings.extend(Finding(f"/people/{i}/f{j}", detector, c, 0.9) for j, c in enumerate(categories))
        subjects.append(Subject(f"/people/{i}", detector, f"{detector}:v{i}", len(categories), frozenset(categories)))
    return Classification(tuple(findings), tuple(subjects))


@dataclass(frozen=True)
class Case:
    when: str
    holds: bool
    transfer: dict[str, Any] = field(default_factory=dict)
    groups: tuple[tuple[str, ...], ...] = ()
    ytd: tuple[int, int] | None = None
    detector: str = "test"


PI = (("PI.CONTACT",),)
SPI = (("SPI.GOV_ID",),)

CASES: dict[str, Case] = {
    "exporters-in": Case("{exporters: [cn-maker]}", True),
    "exporters-out": Case("{exporters: [cn-maker]}", False, {"exporter": "cn-grid"}),
    "exporter-listed-true": Case("{exporter_listed: true}", True),
    "exporter-listed-true-unknown": Case("{exporter_listed: true}", False, {"exporter": "someone"}),
    "exporter-listed-false-unknown": Case("{exporter_listed: false}", True, {"exporter": "someone"}),
    "exporter-listed-false-listed": Case("{exporter_listed: false}", False),
    "origin-cn": Case("{origin: [CN]}", True),
    "origin-sg": Case("{origin: [CN]}", False, {"exporter": "sg-shop"}),
    "origin-unlisted-has-none": Case("{origin: [CN, SG]}", False, {"exporter": "someone"}),
    "ciio-true": Case("{exporter_ciio: true}", True, {"exporter": "cn-grid"}),
    "ciio-true-not": Case("{exporter_ciio: true}", False),
    "ciio-false": Case("{exporter_ciio: false}", True),
    "ciio-false-unlisted": Case("{exporter_ciio: false}", True, {"exporter": "someone"}),
    "ciio-false-ciio": Case("{exporter_ciio: false}", False, {"exporter": "cn-grid"}),
    "recipients-in": Case("{recipients: [sg-hr]}", True),
    "recipients-out": Case("{recipients: [sg-hr]}", False, {"route": "sg-group"}),
    "jurisdictions-in": Case("{jurisdictions: [SG]}", True),
    "jurisdictions-out": Case("{jurisdictions: [SG]}", False, {"route": "my-lab"}),
    "related-true": Case("{recipient_related: true}", True, {"route": "sg-group"}),
    "related-true-not": Case("{recipient_related: true}", False),
    "related-false": Case("{recipient_related: false}", True),
    "related-false-related": Case("{recipient_related: false}", False, {"route": "sg-group"}),
    "routes-in": Case("{routes: [sg-group-eu]}", True, {"route": "sg-group-eu"}),
    "routes-out-same-recipient": Case("{routes: [sg-group-eu]}", False, {"route": "sg-group"}),
    "purposes-in": Case("{purposes: [payroll]}", True),
    "purposes-out": Case("{purposes: [payroll]}", False, {"purpose": "marketing"}),
    "scenarios-in": Case("{scenarios: [hr]}", True, {"scenario": "hr"}),
    "scenarios-out": Case("{scenarios: [hr]}", False),
    "purpose-permitted-true": Case("{purpose_permitted: true}", True),
    "purpose-permitted-true-not": Case("{purpose_permitted: true}", False, {"purpose": "marketing"}),
    "purpose-permitted-false": Case("{purpose_permitted: false}", True, {"purpose": "marketing"}),
    "purpose-permitted-false-other-recipient": Case(
        "{purpose_permitted: false}", True, {"route": "sg-group", "purpose": "hr_administration"}
    ),
    "purpose-permitted-false-permitted": Case("{purpose_permitted: false}", False),
    "categories-any-in": Case("{categories_any: [SPI.*]}", True, groups=(("PI.CONTACT", "SPI.GOV_ID"),)),
    "categories-any-out": Case("{categories_any: [SPI.*]}", False, groups=PI),
    "categories-any-exact": Case("{categories_any: [PI.BASIC]}", False, groups=PI),
    "categories-none-holds": Case("{categories_none: [SPI.*]}", True, groups=PI),
    "categories-none-no-data": Case("{categories_none: [SPI.*]}", True),
    "categories-none-fails": Case("{categories_none: [SPI.*]}", False, groups=(("PI.CONTACT",), ("SPI.GOV_ID",))),
    "detectors-any-in": Case("{detectors_any: [sg_nric_fin]}", True, groups=SPI, detector="sg_nric_fin"),
    "detectors-any-out": Case("{detectors_any: [sg_nric_fin]}", False, groups=SPI, detector="cn_resident_id"),
    "level-at-least-above": Case("{level_at_least: personal}", True, groups=SPI),
    "level-at-least-equal": Case("{level_at_least: personal}", True, groups=PI),
    "level-at-least-below": Case("{level_at_least: sensitive}", False, groups=PI),
    "level-at-least-no-data-is-general": Case("{level_at_least: general}", True),
    "level-at-least-no-data-not-personal": Case("{level_at_least: personal}", False),
    "level-at-least-highest-counts": Case("{level_at_least: core}", True, groups=(("PI.BASIC",), ("CORE.DATA",))),
    "level-at-most-equal": Case("{level_at_most: personal}", True, groups=PI),
    "level-at-most-above": Case("{level_at_most: personal}", False, groups=SPI),
    "level-at-most-no-data": Case("{level_at_most: general}", True),
    "level-at-most-public-no-data": Case("{level_at_most: public}", False),
    "individuals-at-least-equal": Case("{individuals: {at_least: 2}}", True, groups=PI * 2),
    "individuals-at-least-below": Case("{individuals: {at_least: 2}}", False, groups=PI),
    "individuals-below-under": Case("{individuals: {below: 2}}", True, groups=PI),
    "individuals-below-equal": Case("{individuals: {below: 2}}", False, groups=PI * 2),
    "individuals-range-low": Case("{individuals: {at_least: 2, below: 3}}", False, groups=PI),
    "individuals-range-in": Case("{individuals: {at_least: 2, below: 3}}", True, groups=PI * 2),
    "individuals-range-high": Case("{individuals: {at_least: 2, below: 3}}", False, groups=PI * 3),
    "individuals-none-below-1": Case("{individuals: {below: 1}}", True),
    "sensitive-individuals-in": Case(
        "{sensitive_individuals: {at_least: 1}}", True, groups=(("PI.CONTACT",), ("SPI.HEALTH",))
    ),
    "sensitive-individuals-out": Case("{sensitive_individuals: {at_least: 1}}", False, groups=PI * 3),
    "ytd-personal-at-least-equal": Case("{ytd_personal: {at_least: 100000}}", True, groups=PI, ytd=(100000, 0)),
    "ytd-personal-at-least-below": Case("{ytd_personal: {at_least: 100000}}", False, groups=PI, ytd=(99999, 0)),
    "ytd-personal-below-under": Case("{ytd_personal: {below: 100000}}", True, groups=PI, ytd=(99999, 0)),
    "ytd-personal-below-equal": Case("{ytd_personal: {below: 100000}}", False, groups=PI, ytd=(100000, 0)),
    "ytd-personal-default-is-this-transfer": Case("{ytd_personal: {at_least: 2, below: 3}}", True, groups=PI * 2),
    "ytd-sensitive-below-under": Case("{ytd_sensitive: {below: 10000}}", True, groups=SPI, ytd=(10, 9999)),
    "ytd-sensitive-below-equal": Case("{ytd_sensitive: {below: 10000}}", False, groups=SPI, ytd=(10, 10000)),
    "has-mechanism-held": Case("{has_mechanism: [CN_CERT, CN_SCC]}", True, groups=PI),
    "has-mechanism-not-covered": Case("{has_mechanism: [CN_SCC]}", False, groups=SPI),
    "has-mechanism-not-held": Case("{has_mechanism: [CN_SCC]}", False, {"route": "sg-group"}, groups=PI),
    "lacks-mechanism-not-covered": Case("{lacks_mechanism: [CN_SCC, CN_CERT]}", True, groups=SPI),
    "lacks-mechanism-held": Case("{lacks_mechanism: [CN_SCC]}", False, groups=PI),
    "lacks-mechanism-volume": Case("{lacks_mechanism: [CN_SCC]}", False, groups=PI, ytd=(5_000_000, 0)),
    "all-holds": Case("{all: [{purposes: [payroll]}, {jurisdictions: [SG]}]}", True),
    "all-one-fails": Case("{all: [{purposes: [payroll]}, {jurisdictions: [MY]}]}", False),
    "any-one-holds": Case("{any: [{purposes: [marketing]}, {jurisdictions: [SG]}]}", True),
    "any-none-holds": Case("{any: [{purposes: [marketing]}, {jurisdictions: [MY]}]}", False),
    "not-holds": Case("{not: {purposes: [marketing]}}", True),
    "not-fails": Case("{not: {purposes: [payroll]}}", False),
    "not-of-conjunction": Case("{not: {purposes: [payroll], jurisdictions: [MY]}}", True),
    "nested-holds": Case(
        "{all: [{origin: [CN]}, {any: [{jurisdictions: [MY]}, {not: {recipient_related: false}}]}]}",
        True,
        {"route": "sg-group"},
    ),
    "nested-fails": Case(
        "{all: [{origin: [CN]}, {any: [{jurisdictions: [MY]}, {not: {recipient_related: false}}]}]}", False
    ),
    "every-entry-must-hold": Case("{purposes: [payroll], scenarios: [hr]}", False),
    "every-entry-holds": Case("{purposes: [payroll], scenarios: [hr]}", True, {"scenario": "hr"}),
    "parameter-at-least-equal": Case("{individuals: {at_least: $many}}", True, groups=PI * 3),
    "parameter-at-least-below": Case("{individuals: {at_least: $many}}", False, groups=PI * 2),
    "parameter-below": Case("{ytd_personal: {below: $big}}", False, groups=PI, ytd=(100000, 0)),
    "parameter-flag": Case("{purpose_permitted: $flag_off}", True, {"purpose": "marketing"}),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_condition(write_policy_dir: Callable[..., Path], case: Case) -> None:
    """The rule decides exactly when its condition holds."""
    policy = load_policy(write_policy_dir(policy_text(case.when)))
    t = transfer(policy, **case.transfer)
    c = people(*case.groups, detector=case.detector)
    facts = Facts(*case.ytd) if case.ytd else facts_of_this_transfer(c, policy)
    decision = decide(policy, t, c, facts, NOW)
    assert decision.allowed is case.holds
    assert decision.rule_id == ("R" if case.holds else "no-rule-matched")
    assert [h.rule_id for h in decision.hits] == (["R"] if case.holds else [])


def test_every_condition_of_the_language_is_covered() -> None:
    """Each condition the compiler knows is exercised above, holding and not holding (a new one needs cases)."""
    from gateway.policy.conditions import CONDITIONS  # noqa: PLC0415 - only this test needs the list

    for condition in CONDITIONS:
        used = [c for c in CASES.values() if re.search(rf"(?<![\w]){condition}:", c.when)]
        assert {c.holds for c in used} == {True, False}, condition


@pytest.mark.parametrize(("flag", "enabled"), [("$flag_on", True), ("$flag_off", False)])
def test_enabled_takes_a_parameter(write_policy_dir: Callable[..., Path], flag: str, enabled: bool) -> None:
    """``enabled: $flag`` is the parameter's value: false keeps the rule out and lists it as switched off."""
    policy = load_policy(write_policy_dir(policy_text("{purposes: [payroll]}", f"    enabled: {flag}\n")))
    assert [r.id for r in policy.rules] == (["R"] if enabled else [])
    assert policy.disabled == (() if enabled else ("R",))
    decision = decide(policy, transfer(policy), people(), Facts(0, 0), NOW)
    assert decision.allowed is enabled


def test_parameters_are_part_of_the_revision(write_policy_dir: Callable[..., Path]) -> None:
    """Changing a parameter's value changes both the decision and the revision."""
    text = policy_text("{individuals: {at_least: $many}}")
    three = load_policy(write_policy_dir(text))
    two = load_policy(write_policy_dir(text.replace("many: 3", "many: 2")))
    c = people(*PI * 2)
    assert not decide(three, transfer(three), c, Facts(2, 0), NOW).allowed
    assert decide(two, transfer(two), c, Facts(2, 0), NOW).allowed
    assert three.revision != two.revision


# (id, when, marker on the line the problem names, fragment of the message)
REFUSED: list[tuple[str, str, str, str]] = [
    ("empty-when", "{}", "when: {}", "an empty condition would match every transfer"),
    ("empty-all", "{all: []}", "when: {all: []}", "must list at least one condition"),
    ("empty-any", "{any: []}", "when: {any: []}", "must list at least one condition"),
    ("empty-inside-all", "{all: [{}]}", "when: {all: [{}]}", "an empty condition would match every transfer"),
    ("empty-not", "{not: {}}", "when: {not: {}}", "an empty condition would match every transfer"),
    ("unknown-parameter", "{individuals: {at_least: $nothing}}", "$nothing", "unknown parameter '$nothing'"),
    ("below-not-above-at-least", "{individuals: {at_least: 5, below: 5}}", "below: 5", "must be greater than"),
    ("empty-range", "{individuals: {}}", "individuals: {}", "give at_least, below or both"),
    ("negative-count", "{individuals: {at_least: -1}}", "at_least: -1", "must be 0 or more"),
    ("unknown-range-field", "{individuals: {above: 1}}", "above: 1", "unknown field 'above'"),
    ("unknown-condition", "{colour: red}", "colour: red", "unknown condition 'colour'"),
    ("unknown-level", "{level_at_least: secret}", "secret", "unknown level 'secret'"),
    ("unknown-recipient", "{recipients: [sg-nowhere]}", "sg-nowhere", "unknown recipient 'sg-nowhere'"),
    ("unknown-route", "{routes: [nowhere]}", "nowhere", "unknown route 'nowhere'"),
    ("unknown-exporter", "{exporters: [nobody]}", "nobody", "unknown exporter 'nobody'"),
    ("unknown-jurisdiction", "{origin: [XX]}", "XX", "'XX'"),
    ("unknown-purpose", "{purposes: [astrology]}", "astrology", "unknown purpose 'astrology'"),
    ("unknown-scenario", "{scenarios: [party]}", "party", "'party'"),
    ("unknown-detector", "{detectors_any: [palm_reader]}", "palm_reader", "'palm_reader'"),
    ("unknown-category", "{categories_any: [PI.SHOE_SIZE]}", "SHOE_SIZE", "unknown category 'PI.SHOE_SIZE'"),
    ("unknown-family", "{categories_none: [XYZ.*]}", "XYZ", "unknown category 'XYZ.*'"),
    ("unknown-mechanism", "{has_mechanism: [CN_MAGIC]}", "CN_MAGIC", "unknown held mechanism 'CN_MAGIC'"),
    ("exemption-never-held", "{lacks_mechanism: [CN_EX_HR]}", "CN_EX_HR", "never held by a recipient"),
    ("flag-not-boolean", "{exporter_ciio: maybe}", "maybe", "must be true/false"),
    ("names-not-a-list", "{purposes: payroll}", "purposes: payroll", "must be a list, not a string"),
    ("all-not-a-list", "{all: {purposes: [payroll]}}", "all: {purposes", "must be a list, not a mapping"),
]


@pytest.mark.parametrize(("when", "marker", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_bad_condition_is_refused_with_its_line(
    write_policy_dir: Callable[..., Path], when: str, marker: str, message: str
) -> None:
    """A condition the language does not allow is a problem naming policy.yaml and the line it is on."""
    text = policy_text(when)
    directory = write_policy_dir(text)
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(directory)
    problems = caught.value.problems
    assert any(message in p.message for p in problems), [str(p) for p in problems]
    (problem,) = [p for p in problems if message in p.message]
    assert (problem.file, problem.line) == (str(directory / "policy.yaml"), line_of(text, marker))


def test_missing_when_is_refused(write_policy_dir: Callable[..., Path]) -> None:
    """A rule without ``when`` is refused (a rule that matches everything is written out, not implied)."""
    text = policy_text("{purposes: [payroll]}").replace("    when: {purposes: [payroll]}\n", "")
    with pytest.raises(PolicyInvalid, match="a rule needs 'when'") as caught:
        load_policy(write_policy_dir(text))
    assert caught.value.problems[0].line == line_of(text, "- id: R")


def test_unknown_parameter_is_refused_wherever_it_stands(write_policy_dir: Callable[..., Path]) -> None:
    """A ``$name`` with no parameter is refused also in ``enabled`` and in a recipient's record."""
    text = policy_text("{purposes: [payroll]}", "    enabled: $switch\n").replace(
        "valid_until: 2028-12-31,", "valid_until: 2028-12-31, max_individuals: $limit,"
    )
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(write_policy_dir(text))
    unknown = [(p.line, p.message) for p in caught.value.problems if "unknown parameter" in p.message]
    assert [line for line, _ in unknown] == [line_of(text, "$limit"), line_of(text, "$switch")]
    assert "'$limit'" in unknown[0][1]
    assert "'$switch'" in unknown[1][1]
