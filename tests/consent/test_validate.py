"""Consent requests checked against the shipped policy: what is accepted, and every bad field named."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.audit.record import subject_hash
from gateway.consent.validate import ConsentInvalid, ConsentRecord, parse_consent, parse_subject, status
from gateway.demo import POLICY_DIR
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.load import load_policy
from tests.conftest import EMAIL, NRIC, RESIDENT_ID

KEY = b"k" * 32
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
CN_NOTICE = {
    "recipient_name": "Merlion People Services Pte. Ltd.",
    "recipient_contact": "privacy@merlion-people.example",
    "purpose": "Payroll",
    "method": "Storage and processing in Singapore",
    "categories": "Contact details, employee data",
    "rights_procedure": "Write to privacy@merlion-people.example",
}


@pytest.fixture(scope="module")
def policy() -> CompiledPolicy:
    return load_policy(POLICY_DIR)


def request(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "subject": {"type": "cn_resident_id", "value": RESIDENT_ID},
        "recipients": ["sg-hr"],
        "purposes": ["payroll"],
        "categories": ["PI.*", "SPI.GOV_ID"],
        "separate": True,
        "given_by": "individual",
        "notice": dict(CN_NOTICE),
        "given_at": "2026-03-01T09:00:00+08:00",
        "expires_at": None,
    }
    base.update(changes)
    return base


def errors_of(policy: CompiledPolicy, data: object, exporter: str = "sip-precision-manufacturing") -> dict[str, str]:
    with pytest.raises(ConsentInvalid) as caught:
        parse_consent(data, policy, policy.exporters[exporter], KEY, NOW)
    return {e.field: e.message for e in caught.value.errors}


def test_a_valid_request_becomes_a_draft_with_the_identifier_hashed(policy: CompiledPolicy) -> None:
    """The identifier is replaced by the classifier's keyed hash; wildcards are expanded; times are UTC."""
    draft = parse_consent(request(), policy, policy.exporters["sip-precision-manufacturing"], KEY, NOW)
    assert draft.subject_hash == subject_hash(KEY, "cn_resident_id", RESIDENT_ID)
    assert RESIDENT_ID not in repr(draft)
    assert "PI.CONTACT" in draft.categories
    assert "SPI.GOV_ID" in draft.categories
    assert "SPI.HEALTH" not in draft.categories
    assert draft.given_at == datetime(2026, 3, 1, 1, tzinfo=UTC)
    assert draft.language == "zh"
    assert set(draft.notice) == set(CN_NOTICE)


def test_the_hash_matches_what_the_classifier_computes_for_the_same_person(policy: CompiledPolicy) -> None:
    """A lower-case check character and surrounding blanks key the same individual."""
    a = parse_subject({"type": "cn_resident_id", "value": RESIDENT_ID}, KEY)
    b = parse_subject({"type": "cn_resident_id", "value": " " + RESIDENT_ID.lower() + " "}, KEY)
    assert a == b


def test_every_bad_field_is_named(policy: CompiledPolicy) -> None:
    """Unknown category, purpose and recipient, bad times, given_by and separate are all reported at once."""
    bad = request(
        recipients=["sg-hr", "nowhere"],
        purposes=["payroll", "astrology"],
        categories=["PI.CONTACT", "XX.NOPE"],
        separate="yes",
        given_by="neighbour",
        given_at="2026-03-01T09:00:00+08:00",
        expires_at="2026-02-01T00:00:00Z",
        extra=1,
    )
    errors = errors_of(policy, bad)
    assert set(errors) == {
        "/recipients/1",
        "/purposes/1",
        "/categories/1",
        "/separate",
        "/given_by",
        "/expires_at",
        "/extra",
    }
    assert "before" in errors["/expires_at"] or "after" in errors["/expires_at"]


def test_a_purpose_the_recipient_is_not_declared_for_is_refused(policy: CompiledPolicy) -> None:
    """marketing is a known purpose, but not one sg-hr receives data for."""
    assert set(errors_of(policy, request(purposes=["marketing"]))) == {"/purposes/0"}


def test_missing_pipl_notice_fields_are_named_for_an_exporter_in_china(policy: CompiledPolicy) -> None:
    notice = {k: v for k, v in CN_NOTICE.items() if k not in {"method", "rights_procedure"}}
    errors = errors_of(policy, request(notice=notice))
    assert set(errors) == {"/notice/method", "/notice/rights_procedure"}
    assert "PIPL Art 39" in errors["/notice/method"]


def test_an_exporter_in_singapore_must_show_the_transfer_summary(policy: CompiledPolicy) -> None:
    """PDPR reg 10(3): the summary is required; the PIPL fields are not."""
    sg = request(recipients=["cn-harbour-data"], purposes=["customer_service"], notice={"purpose": "Support"})
    assert set(errors_of(policy, sg, "sg-merlion-retail")) == {"/notice/sg_transfer_summary"}
    sg["notice"]["sg_transfer_summary"] = "The recipient protects your data to a standard comparable to the PDPA."
    draft = parse_consent(sg, policy, policy.exporters["sg-merlion-retail"], KEY, NOW)
    assert draft.language == "en"
    assert set(draft.notice) == {"purpose", "sg_transfer_summary"}


@pytest.mark.parametrize(
    ("subject", "field"),
    [
        ({"type": "cn_resident_id", "value": "110105194912310021"}, "/subject/value"),  # bad check digit
        ({"type": "sg_nric_fin", "value": "S1234567A"}, "/subject/value"),
        ({"type": "shoe_size", "value": "42"}, "/subject/type"),
        ({"type": "cn_uscc", "value": "91320594MA1MXXXX0X"}, "/subject/type"),  # an organisation, not a person
        ("S1234567D", "/subject"),
    ],
)
def test_bad_identifiers_are_refused_without_echoing_them(policy: CompiledPolicy, subject: object, field: str) -> None:
    errors = errors_of(policy, request(subject=subject))
    assert set(errors) == {field}
    assert all("1234567" not in m and "19491231" not in m for m in errors.values())


def test_identifiers_put_in_other_fields_are_not_echoed(policy: CompiledPolicy) -> None:
    """A careless caller who puts an identifier where a category goes does not get it back in the message."""
    errors = errors_of(policy, request(categories=[RESIDENT_ID], purposes=[EMAIL], **{NRIC: True}))
    text = repr(errors)
    assert RESIDENT_ID not in text
    assert EMAIL not in text
    assert NRIC not in text


def test_notice_text_is_stored_with_identifiers_scrubbed(policy: CompiledPolicy) -> None:
    notice = dict(CN_NOTICE, purpose=f"Payroll for {RESIDENT_ID}")
    draft = parse_consent(request(notice=notice), policy, policy.exporters["sip-precision-manufacturing"], KEY, NOW)
    assert RESIDENT_ID not in draft.notice["purpose"]


def test_times_need_a_zone_and_may_not_lie_in_the_future(policy: CompiledPolicy) -> None:
    assert set(errors_of(policy, request(given_at="2026-03-01T09:00:00"))) == {"/given_at"}
    later = (NOW + timedelta(hours=1)).isoformat()
    assert set(errors_of(policy, request(given_at=later))) == {"/given_at"}
    assert set(errors_of(policy, request(given_at=None))) == {"/given_at"}


def test_a_request_that_is_not_an_object_is_refused(policy: CompiledPolicy) -> None:
    assert errors_of(policy, ["not", "an", "object"]) == {"": "a consent is a JSON object"}


def test_empty_and_malformed_lists_are_named(policy: CompiledPolicy) -> None:
    errors = errors_of(policy, request(recipients=[], purposes="payroll", categories=["PI.BASIC", 7]))
    assert set(errors) == {"/recipients", "/purposes", "/categories/1"}


def test_status_is_derived_from_the_clock() -> None:
    """Active until expiry; withdrawn once withdrawn, whatever the expiry."""
    policy = load_policy(POLICY_DIR)
    data = request(expires_at="2026-09-01T00:00:00Z")
    draft = parse_consent(copy.deepcopy(data), policy, policy.exporters["sip-precision-manufacturing"], KEY, NOW)
    record = ConsentRecord("c-1", draft, NOW)
    assert status(record, NOW) == "active"
    assert status(record, datetime(2026, 9, 1, tzinfo=UTC)) == "expired"
    withdrawn = ConsentRecord("c-1", draft, NOW, withdrawn_at=NOW + timedelta(days=1))
    assert status(withdrawn, NOW + timedelta(days=1)) == "withdrawn"
    assert status(withdrawn, datetime(2026, 10, 1, tzinfo=UTC)) == "withdrawn"
    assert withdrawn.consent().withdrawn
    assert not record.consent().withdrawn
    assert record.consent().notice == frozenset(CN_NOTICE)


def test_only_identifiers_can_name_the_subject(policy: CompiledPolicy) -> None:
    """A name or a date of birth describes a person but does not single one out: not accepted as the subject."""
    errors = errors_of(policy, request(subject={"type": "person_name", "value": "王芳"}))
    assert set(errors) == {"/subject/type"}
    assert parse_subject({"type": "email", "value": EMAIL}, KEY) == subject_hash(KEY, "email", EMAIL)
