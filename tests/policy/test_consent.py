"""Consent requirements (docs/policy-language.md, "Consent"): which records cover a transfer, refuse and drop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.model import (
    Classification,
    Consent,
    Decision,
    Effect,
    Facts,
    Finding,
    Json,
    Principal,
    Subject,
    Transfer,
)
from gateway.policy.compiled import CompiledPolicy, ConsentRequirement
from gateway.policy.context import CORRIDOR_TIME
from gateway.policy.decide import decide
from gateway.policy.load import load_policy
from gateway.policy.obligations import apply_edits, drop_subjects, plan_edits

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=CORRIDOR_TIME)
MOBILES = [f"1380013{i:04d}" for i in range(10)]  # the customary placeholder number and its neighbours
CHILD_ID = "110105201601010006"  # constructed (see policies' consent cases): born 2016-01-01, nobody's number

POLICY = """\
policy: consent
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
    purposes: [payroll, hr_administration]
  sg-other:
    name: Other Pte. Ltd.
    jurisdiction: SG
    contact: dpo@other.example
    routes: [sg-other]
    purposes: [payroll]
rules:
  - id: CONSENT-MINOR
    description: A child's information leaves only with a guardian's consent.
    legal: PIPL Art 31
    when: {categories_any: [SPI.MINOR_U14]}
    effect: oblige
    obligations:
      - require_consent: {categories: [SPI.MINOR_U14], given_by: guardian, on_missing: refuse}
  - id: CONSENT-ALL
    description: Personal information leaves with separate consent after notice.
    legal: PIPL Arts 29, 39
    when: {level_at_least: personal}
    effect: oblige
    obligations:
      - require_consent:
          categories: [PI.*, SPI.*]
          separate: true
          notice: [recipient_name, recipient_contact, purpose]
          on_missing: ON_MISSING
  - id: ALLOW-CONSENT
    description: Transfers resting on consent.
    legal: PIPL Art 13(1)
    when: {origin: [CN]}
    effect: allow
    mechanism: [CN_CONSENT]
    obligations: [{mask: {categories: [PI.CONTACT], keep_last: 4}}]
"""


@pytest.fixture(scope="module")
def refusing(write_policy_dir: Callable[..., Path]) -> CompiledPolicy:
    return load_policy(write_policy_dir(POLICY.replace("ON_MISSING", "refuse")))


@pytest.fixture(scope="module")
def dropping(write_policy_dir: Callable[..., Path]) -> CompiledPolicy:
    return load_policy(write_policy_dir(POLICY.replace("ON_MISSING", "drop")))


def transfer(route: str = "sg-hr", purpose: str = "payroll") -> Transfer:
    return Transfer(
        decision_id="d-1",
        received_at=NOW,
        principal=Principal("cn-maker", "svc", frozenset({"enterprise"})),
        route=route,
        recipient=route,
        jurisdiction="SG",
        purpose=purpose,
        scenario="general",
        method="POST",
        path="/",
        content_type="application/json",
    )


def person(pointer: str, *categories: str, key: str = "cn_mobile:13800138000") -> tuple[Subject, list[Finding]]:
    detector, _, _ = key.partition(":")
    findings = [Finding(f"{pointer}/f{i}", detector, c, 0.9) for i, c in enumerate(categories)]
    return Subject(pointer, detector, key, len(findings), frozenset(categories)), findings


def classified(*people: tuple[Subject, list[Finding]]) -> Classification:
    return Classification(tuple(f for _, fs in people for f in fs), tuple(s for s, _ in people))


def consent(cid: str = "c-1", **changes: Any) -> Consent:
    """A record that covers a payroll transfer to sg-hr of everything in the vocabulary the tests use."""
    good = Consent(
        id=cid,
        recipients=frozenset({"sg-hr"}),
        purposes=frozenset({"payroll"}),
        categories=frozenset({"PI.CONTACT", "PI.BASIC", "SPI.GOV_ID", "SPI.MINOR_U14"}),
        separate=True,
        given_by="individual",
        notice=frozenset({"recipient_name", "recipient_contact", "purpose"}),
        given_at=NOW - timedelta(days=30),
    )
    return replace(good, **changes)


def one(policy: CompiledPolicy, *records: Consent, categories: tuple[str, ...] = ("PI.CONTACT",)) -> Decision:
    """Decide a transfer of one individual at ``/person`` with ``records`` as their consents."""
    c = classified(person("/person", *categories))
    return decide(policy, transfer(), c, Facts(1, 0, {"/person": records}), NOW)


def test_requirements_compile(refusing: CompiledPolicy) -> None:
    """require_consent becomes a requirement of its rule, with families expanded and defaults filled in."""
    by_id = {r.id: r for r in refusing.rules}
    (minor,) = by_id["CONSENT-MINOR"].consent
    assert minor == ConsentRequirement(
        "CONSENT-MINOR", frozenset({"SPI.MINOR_U14"}), False, "guardian", frozenset(), "refuse"
    )
    (everyone,) = by_id["CONSENT-ALL"].consent
    assert everyone.categories == frozenset(
        {"PI.BASIC", "PI.CONTACT", "PI.EMPLOYEE", "PI.TRANSACTION"}
        | {"SPI.GOV_ID", "SPI.FIN_ACCOUNT", "SPI.HEALTH", "SPI.MINOR_U14"}
    )
    assert (everyone.separate, everyone.given_by, everyone.on_missing) == (True, None, "refuse")
    assert by_id["CONSENT-ALL"].obligations == ()


def test_covering_consent_allows_and_is_named(refusing: CompiledPolicy) -> None:
    """A record that covers the transfer lets it through, is listed as relied on and noted in the explanation."""
    decision = one(refusing, consent())
    assert decision.allowed
    assert decision.rule_id == "ALLOW-CONSENT"
    assert decision.consents == ("c-1",)
    assert decision.dropped == ()
    assert decision.explanation is not None
    assert decision.explanation.consent == (
        "Consent required by rule CONSENT-ALL: all 1 individual(s) concerned have it.",
    )
    assert [h.rule_id for h in decision.hits] == ["CONSENT-ALL", "ALLOW-CONSENT"]


# (id, changes to the good record (None: no record at all), categories of the individual, why it fails)
GAPS: list[tuple[str, dict[str, Any] | None, tuple[str, ...], str]] = [
    ("missing", None, ("PI.CONTACT",), "no consent is recorded"),
    ("withdrawn", {"withdrawn": True}, ("PI.CONTACT",), "consent c-1 was withdrawn"),
    ("expired-at-the-instant", {"expires_at": NOW}, ("PI.CONTACT",), "consent c-1 expired"),
    ("expired-before", {"expires_at": NOW - timedelta(days=1)}, ("PI.CONTACT",), "consent c-1 expired"),
    (
        "given-after",
        {"given_at": NOW + timedelta(seconds=1)},
        ("PI.CONTACT",),
        "consent c-1 is dated after this transfer",
    ),
    (
        "other-recipient",
        {"recipients": frozenset({"sg-other"})},
        ("PI.CONTACT",),
        "consent c-1 does not name the recipient sg-hr",
    ),
    (
        "other-purpose",
        {"purposes": frozenset({"hr_administration"})},
        ("PI.CONTACT",),
        "consent c-1 does not cover the purpose payroll",
    ),
    (
        "category-not-covered",
        {"categories": frozenset({"PI.CONTACT"})},
        ("PI.CONTACT", "SPI.GOV_ID"),
        "consent c-1 does not cover SPI.GOV_ID",
    ),
    (
        "not-separate",
        {"separate": False},
        ("PI.CONTACT",),
        "consent c-1 is not separate consent (单独同意) for this transfer",
    ),
    (
        "notice-field-missing",
        {"notice": frozenset({"recipient_name", "recipient_contact"})},
        ("PI.CONTACT",),
        "consent c-1 was given without notice of purpose",
    ),
    (
        "two-notice-fields-missing",
        {"notice": frozenset({"purpose"})},
        ("PI.CONTACT",),
        "consent c-1 was given without notice of recipient_contact, recipient_name",
    ),
]


@pytest.mark.parametrize(("changes", "categories", "why"), [g[1:] for g in GAPS], ids=[g[0] for g in GAPS])
def test_consent_that_does_not_cover_refuses(
    refusing: CompiledPolicy, changes: dict[str, Any] | None, categories: tuple[str, ...], why: str
) -> None:
    """Each way a record can fall short refuses the transfer in the requiring rule's name, saying why."""
    records = () if changes is None else (consent(**changes),)
    decision = one(refusing, *records, categories=categories)
    assert decision.effect is Effect.DENY
    assert decision.deciding is not None
    assert decision.rule_id == "CONSENT-ALL"
    assert decision.deciding.effect is Effect.DENY
    assert decision.deciding.legal == "PIPL Arts 29, 39"
    assert decision.reason.startswith("Personal information leaves with separate consent after notice. ")
    assert "1 of 1 individual(s) lack the consent rule CONSENT-ALL requires" in decision.reason
    assert f"/person: {why}" in decision.reason
    assert decision.mechanism is None
    assert decision.obligations == ()
    assert decision.consents == ()
    assert decision.explanation is not None
    assert any(why in line for line in decision.explanation.consent)
    # the consent ground was available, and is reported as not relied on because of the refusal
    assert [m.chosen for m in decision.explanation.mechanisms] == [False]
    assert "rule CONSENT-ALL refused the transfer" in decision.explanation.mechanisms[0].why


@pytest.mark.parametrize(
    "changes",
    [
        {"expires_at": NOW + timedelta(seconds=1)},
        {"given_at": NOW},
        {"categories": frozenset({"PI.CONTACT"})},  # only what this individual carries needs to be covered
        {"notice": frozenset({"recipient_name", "recipient_contact", "purpose", "method"})},
        {"given_by": "guardian"},  # a guardian's consent is consent when no requirement asks for the individual's
    ],
    ids=["expires-after", "given-at-the-instant", "covers-what-is-carried", "more-notice", "guardian-for-adult"],
)
def test_boundaries_that_still_cover(refusing: CompiledPolicy, changes: dict[str, Any]) -> None:
    """A record given at the very instant, expiring a second later, or covering just what is carried, covers."""
    assert one(refusing, consent(**changes)).allowed


def test_first_covering_record_is_relied_on(refusing: CompiledPolicy) -> None:
    """With a withdrawn record and a good one, the good one is relied on."""
    decision = one(refusing, consent("c-old", withdrawn=True), consent("c-new"))
    assert decision.allowed
    assert decision.consents == ("c-new",)


def test_reason_names_the_first_records_gap(refusing: CompiledPolicy) -> None:
    """With two records falling short, the reason is that of the first one."""
    decision = one(refusing, consent("c-a", separate=False), consent("c-b", withdrawn=True))
    assert "/person: consent c-a is not separate consent" in decision.reason


def test_minor_needs_the_guardians_consent(refusing: CompiledPolicy) -> None:
    """A child's record given by the child refuses in the guardian rule's name; by the guardian, it allows."""
    child = ("SPI.MINOR_U14", "SPI.GOV_ID")
    decision = one(refusing, consent(given_by="individual"), categories=child)
    assert decision.rule_id == "CONSENT-MINOR"
    assert "consent c-1 was not given by a parent or guardian" in decision.reason
    allowed = one(refusing, consent(given_by="guardian"), categories=child)
    assert allowed.allowed
    assert allowed.consents == ("c-1",)
    assert allowed.explanation is not None
    assert [line.split(":")[0] for line in allowed.explanation.consent] == [
        "Consent required by rule CONSENT-MINOR",
        "Consent required by rule CONSENT-ALL",
    ]


def test_first_unmet_requirement_in_file_order_refuses(refusing: CompiledPolicy) -> None:
    """A child with no record at all fails both requirements; the guardian rule, first in the file, is named."""
    decision = one(refusing, categories=("SPI.MINOR_U14",))
    assert decision.rule_id == "CONSENT-MINOR"
    assert decision.explanation is not None
    assert len(decision.explanation.consent) == 1  # checking stopped at the first refusal


def test_individuals_without_listed_categories_need_no_consent(refusing: CompiledPolicy) -> None:
    """A body without personal data concerns no requirement: allowed with no consent note."""
    c = Classification((Finding("/sku", "test", "NP.BUSINESS", 0.9),), ())
    decision = decide(refusing, transfer(), c, Facts(0, 0), NOW)
    assert decision.allowed
    assert decision.consents == ()
    assert decision.explanation is not None
    assert decision.explanation.consent == ()


def test_refusal_counts_individuals_and_quotes_no_identifier(refusing: CompiledPolicy) -> None:
    """Seven of eight lack consent: the reason counts them, lists five and says how many more, with no identifier."""
    people = [person(f"/people/{i}", "PI.CONTACT", key=f"cn_mobile:{MOBILES[i]}") for i in range(8)]
    facts = Facts(8, 0, {"/people/3": (consent("c-3"),)})
    decision = decide(refusing, transfer(), classified(*people), facts, NOW)
    assert decision.rule_id == "CONSENT-ALL"
    assert "7 of 8 individual(s) lack the consent rule CONSENT-ALL requires" in decision.reason
    assert "(and 2 more)" in decision.reason
    assert "/people/3" not in decision.reason
    assert decision.explanation is not None
    text = "\n".join([decision.reason, *decision.explanation.lines()])
    for mobile in MOBILES:
        assert mobile not in text
    assert "cn_mobile:" not in text


def test_refusal_of_a_child_quotes_no_resident_id(refusing: CompiledPolicy) -> None:
    """The child's resident ID (their key) appears neither in the reason nor in the explanation."""
    child = person("/child", "SPI.GOV_ID", "SPI.MINOR_U14", key=f"cn_resident_id:{CHILD_ID}")
    decision = decide(refusing, transfer(), classified(child), Facts(1, 1), NOW)
    assert decision.rule_id == "CONSENT-MINOR"
    assert decision.explanation is not None
    assert CHILD_ID not in "\n".join([decision.reason, *decision.explanation.lines()])


# --- on_missing: drop ------------------------------------------------------------------------------------------


def test_drop_removes_those_without_consent_and_forwards_the_rest(dropping: CompiledPolicy) -> None:
    """Two of four lack consent: allowed, their records dropped (and not edited), the others' consents named."""
    people = [person(f"/people/{i}", "PI.CONTACT", key=f"cn_mobile:{MOBILES[i]}") for i in range(4)]
    facts = Facts(4, 0, {"/people/0": (consent("c-0"),), "/people/2": (consent("c-2"),), "/people/3": ()})
    c = classified(*people)
    decision = decide(dropping, transfer(), c, facts, NOW)
    assert decision.allowed
    assert decision.rule_id == "ALLOW-CONSENT"
    assert decision.dropped == ("/people/1", "/people/3")
    assert decision.consents == ("c-0", "c-2")
    assert decision.explanation is not None
    (note,) = decision.explanation.consent
    assert note.startswith("2 of 4 individual(s) lack the consent rule CONSENT-ALL requires")
    assert note.endswith("Their records were removed before forwarding.")
    # what leaves: the dropped records are gone, the others masked; indices of the rest did not shift
    doc: Json = {"people": [{"f0": MOBILES[i]} for i in range(4)]}
    edits = plan_edits(c, decision.obligations, doc, decision.dropped)
    assert [e.pointer for e in edits] == ["/people/0/f0", "/people/2/f0"]
    sent = drop_subjects(apply_edits(doc, edits), decision.dropped)
    assert sent == {"people": [{"f0": "*******0000"}, {"f0": "*******0002"}]}


def test_drop_of_the_whole_body_refuses(dropping: CompiledPolicy) -> None:
    """When the individual's record is the whole body, nothing would be left: refused instead of dropped."""
    c = classified(person("", "PI.CONTACT"))
    decision = decide(dropping, transfer(), c, Facts(1, 0), NOW)
    assert decision.effect is Effect.DENY
    assert decision.rule_id == "CONSENT-ALL"
    assert decision.dropped == ()
    assert "/: no consent is recorded" in decision.reason
    assert "nothing would be left to send" in decision.reason


def test_drop_with_a_whole_body_individual_among_others_refuses(dropping: CompiledPolicy) -> None:
    """One of the individuals lacking consent is the whole body: the transfer is refused, nothing is dropped."""
    c = classified(person("", "PI.CONTACT"), person("/spouse", "PI.CONTACT", key="cn_mobile:13800130001"))
    decision = decide(dropping, transfer(), c, Facts(2, 0), NOW)
    assert decision.effect is Effect.DENY
    assert "2 of 2 individual(s)" in decision.reason


def test_dropping_everyone_in_a_list_still_allows(dropping: CompiledPolicy) -> None:
    """Every record in a list dropped: the transfer is allowed with the list emptied (the body is not a record)."""
    people = [person(f"/people/{i}", "PI.CONTACT", key=f"cn_mobile:{MOBILES[i]}") for i in range(2)]
    decision = decide(dropping, transfer(), classified(*people), Facts(2, 0), NOW)
    assert decision.allowed
    assert decision.dropped == ("/people/0", "/people/1")
    assert decision.consents == ()


def test_refusing_requirement_still_refuses_before_a_drop(dropping: CompiledPolicy) -> None:
    """The guardian requirement (refuse) comes first: a child without a guardian's consent refuses, not drops."""
    child = person("/people/0", "SPI.MINOR_U14", key=f"cn_resident_id:{CHILD_ID}")
    decision = decide(dropping, transfer(), classified(child), Facts(1, 1), NOW)
    assert decision.rule_id == "CONSENT-MINOR"
    assert decision.dropped == ()


DROP_THEN_REFUSE = """\
policy: drop-then-refuse
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
rules:
  - id: DROP-SEPARATE
    description: Without separate consent a record stays behind.
    legal: PIPL Art 39
    when: {level_at_least: personal}
    effect: oblige
    obligations: [{require_consent: {categories: [PI.*], separate: true, on_missing: drop}}]
  - id: REFUSE-ANY
    description: Some consent is needed.
    legal: PIPL Art 13
    when: {level_at_least: personal}
    effect: allow
    mechanism: [CN_CONSENT]
    obligations: [{require_consent: {categories: [PI.*]}}]
"""


def test_an_individual_dropped_earlier_is_not_checked_again(write_policy_dir: Callable[..., Path]) -> None:
    """Dropped by the first requirement, an individual no longer counts for the second one (which would refuse)."""
    policy = load_policy(write_policy_dir(DROP_THEN_REFUSE))
    people = [person(f"/people/{i}", "PI.CONTACT", key=f"cn_mobile:{MOBILES[i]}") for i in range(2)]
    facts = Facts(2, 0, {"/people/0": (consent("c-0"),)})
    decision = decide(policy, transfer(), classified(*people), facts, NOW)
    assert decision.allowed
    assert decision.rule_id == "REFUSE-ANY"
    assert decision.dropped == ("/people/1",)
    assert decision.consents == ("c-0",)
    # without the drop, the second requirement alone refuses
    refuse_only = load_policy(write_policy_dir(DROP_THEN_REFUSE.replace("on_missing: drop", "on_missing: refuse")))
    assert decide(refuse_only, transfer(), classified(*people), facts, NOW).rule_id == "DROP-SEPARATE"


def test_requirements_of_a_refused_transfer_are_not_checked(refusing: CompiledPolicy) -> None:
    """A transfer no rule allows is refused as such, not for want of consent."""
    decision = decide(
        refusing,
        replace(transfer(), principal=Principal("unlisted", "svc", frozenset())),
        classified(person("/p", "PI.CONTACT")),
        Facts(1, 0),
        NOW,
    )
    assert decision.rule_id == "no-rule-matched"
    assert decision.explanation is not None
    assert decision.explanation.consent == ()


def test_given_by_individual_refuses_a_guardians_consent(write_policy_dir: Callable[..., Path]) -> None:
    """``given_by: individual`` (accepted by the loader, and kept apart from the default 'anyone') requires the
    individual's own consent: a record given by a guardian does not cover an adult."""
    text = DROP_THEN_REFUSE.replace("separate: true, on_missing: drop", "given_by: individual")
    policy = load_policy(write_policy_dir(text))
    assert policy.rules[0].consent[0].given_by == "individual"
    facts = Facts(1, 0, {"/p": (consent(given_by="guardian"),)})
    decision = decide(policy, transfer(), classified(person("/p", "PI.CONTACT")), facts, NOW)
    assert decision.effect is Effect.DENY


def test_consent_stands() -> None:
    """Consent.stands: given, not withdrawn, not expired at the instant (expiry exclusive)."""
    assert consent().stands(NOW)
    assert consent(given_at=NOW).stands(NOW)
    assert not consent(given_at=NOW + timedelta(microseconds=1)).stands(NOW)
    assert not consent(withdrawn=True).stands(NOW)
    assert not consent(expires_at=NOW).stands(NOW)
    assert consent(expires_at=NOW + timedelta(microseconds=1)).stands(NOW)
