"""Detectors against published test vectors and hand-made edge cases.

Vectors: ``tests/vectors/identifiers-public.json`` (see ``tests/vectors/SOURCES.md``), collected
from python-stdnum (tests/test_cn_ric.doctest), jxlwqq/id-validator.py, the GB 11643-1999 worked example,
IonBazan/go-nric, opengovsg/FormSG, mjallday/nric-lib, microsoft/presidio (recognizer tests), Stripe's published
test card numbers, VincentSit/ChinaMobilePhoneNumberRegex and JoshData/python-email-validator. Every entry of the
types below is checked; where our contract differs from the source's verdict, the test says why.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from stdnum import luhn
from stdnum.cn import ric

from gateway.classify import DETECTOR_CATEGORIES, scan
from gateway.classify.catalogue import DETECTOR_PRIORITY, DETECTORS, ORGANISATION_DETECTORS
from gateway.classify.detectors import (
    is_bank_card,
    is_cn_mobile,
    is_cn_resident_id,
    is_email,
    is_sg_mobile,
    is_sg_nric_fin,
    luhn_valid,
    sg_nric_fin_check_letter,
)
from gateway.classify.identifiers_cn import PROVINCE_CODES
from gateway.classify.validators import VALIDATORS, WEAK_VALIDATORS, normalise

VECTORS = Path(__file__).parents[1] / "vectors" / "identifiers-public.json"
TYPES = ("cn_resident_id", "sg_nric_fin", "bank_card", "cn_mobile", "email")

# Entries whose published verdict differs from our contract, and why; each is asserted, not skipped.
# - UATP (airline cards, prefix 1) is not in our issuer table: 15-digit numbers starting with 1 would collide
#   with first-generation resident ids and order numbers far more often than they are UATP cards.
DEVIATIONS = {
    ("bank_card", "122000000000003"): "UATP prefix 1 not in the issuer table",
}
# Words in the notes of resident-id entries that the source rejects for their address code only.
ADDRESS_CODE_NOTES = ("address code", "birth place", "county")
FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}  # U+FF10..U+FF19: digits, yet not ASCII


@cache
def _entries() -> tuple[dict[str, Any], ...]:
    if not VECTORS.is_file():
        pytest.fail(
            f"published vectors missing: {VECTORS} (tests/vectors/ is part of the repository)",
            pytrace=False,
        )
    data = json.loads(VECTORS.read_text(encoding="utf-8"))
    return tuple(data["entries"])


def _expected(entry: dict[str, Any]) -> bool:
    """Our verdict for a published entry: its ``valid``, except where our contract deliberately differs."""
    kind, value = entry["type"], entry["value"]
    if (kind, value) in DEVIATIONS:
        return not entry["valid"]
    if kind == "cn_resident_id" and len(value) == 18:
        # The source's 'valid' also checks the whole address code against a table (python-stdnum, id-validator.py).
        # We check the province only (the county table lags new and retired codes), with the check character and
        # the birth date.
        plausible = value[:2] in PROVINCE_CODES
        return bool(entry.get("checksum_valid")) and bool(entry.get("birth_date_valid")) and plausible
    return bool(entry["valid"])


@pytest.mark.parametrize("kind", TYPES)
def test_detector_agrees_with_published_vectors(kind: str) -> None:
    """Each detector gives the published verdict for every vector of its type, deviations asserted as such."""
    entries = [e for e in _entries() if e["type"] == kind]
    assert entries, f"no {kind} entries in {VECTORS}"
    wrong = [(e["value"], e["valid"]) for e in entries if VALIDATORS[kind](e["value"]) != _expected(e)]
    assert wrong == []


def test_resident_id_disagreements_are_address_codes_or_first_generation() -> None:
    """Every published resident id whose verdict we do not share is rejected upstream for its address code."""
    for entry in _entries():
        if entry["type"] != "cn_resident_id" or _expected(entry) == entry["valid"]:
            continue
        value = entry["value"]
        if ("cn_resident_id", value) in DEVIATIONS:
            assert len(value) == 15
        else:
            assert entry["valid"] is False
            assert any(word in entry["note"] for word in ADDRESS_CODE_NOTES), entry


def test_deviations_are_present_in_the_vectors() -> None:
    """Each listed deviation names an entry that exists, so the list cannot go stale silently."""
    present = {(e["type"], e["value"]) for e in _entries()}
    assert set(DEVIATIONS) <= present


@pytest.mark.parametrize("kind", TYPES)
def test_scanner_finds_valid_vectors_as_whole_values(kind: str) -> None:
    """The scanner reports each identifier we accept as a whole-value finding of that detector."""
    for entry in _entries():
        if entry["type"] != kind or not _expected(entry):
            continue
        # Fifteen digits alone are as often an order number: an old resident id is reported under an id key only.
        key = "sfzh" if kind == "cn_resident_id" and len(entry["value"]) == 15 else "value"
        findings = scan({key: entry["value"]}).findings
        assert [(f.detector, f.start, f.end) for f in findings] == [(kind, 0, None)], entry["value"]


# --- cn_resident_id --------------------------------------------------------------------------------------------


def _with_check(base17: str) -> str:
    return base17 + ric.calc_check_digit(base17 + "0")


def test_resident_id_made_up_value_with_right_check_character() -> None:
    """A made-up Suzhou id with a computed check character and a real date is accepted."""
    value = _with_check("32059419900307123")
    assert is_cn_resident_id(value)


def test_resident_id_wrong_check_character() -> None:
    """Changing only the check character makes the id invalid."""
    value = _with_check("32059419900307123")
    wrong = value[:17] + ("0" if value[17] != "0" else "1")
    assert not is_cn_resident_id(wrong)


@pytest.mark.parametrize("date", ["19900230", "19901301", "19900000", "19000229", "18000101"])
def test_resident_id_impossible_birth_date(date: str) -> None:
    """A right check character does not save an impossible birth date (Feb 30, month 13, 1900-02-29)."""
    assert not is_cn_resident_id(_with_check("320594" + date + "123"))


def test_resident_id_leap_day() -> None:
    """29 February is a birth date in a leap year."""
    assert is_cn_resident_id(_with_check("32059420000229123"))


def test_resident_id_lowercase_x_and_shape() -> None:
    """A lowercase x check character is accepted; other letters, separators and lengths are not."""
    assert is_cn_resident_id("11010519491231002x")
    assert not is_cn_resident_id("11010519491231002Y")
    assert not is_cn_resident_id("110105 19491231002X")
    assert not is_cn_resident_id("011010519491231002X")
    assert not is_cn_resident_id("11010519491231002X".translate(FULL_WIDTH))


# --- sg_nric_fin -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "letter"),
    # Worked by hand: 0000001 weighs 2; offsets S/F 0, T/G 4, M 3; tables as in the module.
    [("S0000001", "I"), ("T0000001", "E"), ("F0000001", "U"), ("G0000001", "P"), ("M0000001", "Q")],
)
def test_nric_check_letter_each_series(value: str, letter: str) -> None:
    """The check letter is computed per series (S, T, F, G, M)."""
    assert sg_nric_fin_check_letter(value[0], value[1:]) == letter
    assert is_sg_nric_fin(value + letter)


@pytest.mark.parametrize("value", ["S0000001J", "T0000001I", "F0000001X", "G0000001U", "M0000001K"])
def test_nric_wrong_letter(value: str) -> None:
    """Any other check letter is rejected."""
    assert not is_sg_nric_fin(value)


def test_nric_case_and_shape() -> None:
    """Lowercase is accepted; wrong series, length or digits are not."""
    assert is_sg_nric_fin("s1234567d")
    assert not is_sg_nric_fin("A1234567D")
    assert not is_sg_nric_fin("S123456D")
    assert not is_sg_nric_fin("S12345678D")
    assert not is_sg_nric_fin("S1234567D".translate(FULL_WIDTH))


# --- bank_card -------------------------------------------------------------------------------------------------


def test_card_luhn_invalid() -> None:
    """A card number with a wrong Luhn digit is rejected."""
    assert is_bank_card("4111111111111111")
    assert not is_bank_card("4111111111111112")


def test_card_needs_an_issuer_prefix() -> None:
    """A Luhn-valid number without a card network's prefix is not a card."""
    assert not is_bank_card("9111111111111119")  # Luhn-valid, prefix 9
    assert not is_bank_card("1000000000009")  # Luhn-valid, prefix 1


def test_card_length_and_separators() -> None:
    """13-19 digits; single spaces or dashes between groups are allowed, other characters are not."""
    assert is_bank_card("4111 1111 1111 1111")
    assert is_bank_card("4111-1111-1111-1111")
    assert is_bank_card("6205500000000000004")  # UnionPay, 19 digits
    assert not is_bank_card("4111  1111 1111 1111")
    assert not is_bank_card("4111.1111.1111.1111")
    assert not is_bank_card("424242424242")  # 12 digits
    assert not is_bank_card("42424242424242424242")  # 20 digits


# --- phones and email ------------------------------------------------------------------------------------------


def test_cn_mobile_prefixes_and_separators() -> None:
    """Country prefix and 3-4-4 separators are accepted; unallocated prefixes and wrong lengths are not."""
    assert is_cn_mobile("+86 138 0013 8000")
    assert is_cn_mobile("86-138-0013-8000")
    assert is_cn_mobile("0086 13800138000")
    assert not is_cn_mobile("+86 1380 013 8000")
    assert not is_cn_mobile("15412345678")  # 154 unallocated
    assert not is_cn_mobile("17450000000")  # 1745 unallocated
    assert not is_cn_mobile("1380013800")


def test_sg_mobile_shape() -> None:
    """8 digits starting 8 or 9, optional +65 and a separator in the middle."""
    assert is_sg_mobile("91234567")
    assert is_sg_mobile("+65 8123 4567")
    assert is_sg_mobile("+65-9123-4567")
    assert not is_sg_mobile("61234567")
    assert not is_sg_mobile("+65 7123 4567")
    assert not is_sg_mobile("912345678")


def test_email_syntax() -> None:
    """Addresses need a dotted domain and clean dots in the local part."""
    assert is_email("zhang.san+crm@example.com.sg")
    assert not is_email("zhang..san@example.com")
    assert not is_email("zhang@example")
    assert not is_email("zhang@exa_mple.com")
    assert not is_email("a" * 65 + "@example.com")


# --- normalisers and categories --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detector", "value", "key"),
    [
        ("cn_resident_id", "11010519491231002x", "11010519491231002X"),
        ("sg_nric_fin", "s1234567d", "S1234567D"),
        ("bank_card", "4111-1111 1111-1111", "4111111111111111"),
        ("cn_mobile", "+86 138-0013-8000", "13800138000"),
        ("cn_mobile", "13800138000", "13800138000"),
        ("sg_mobile", "+65 9123 4567", "91234567"),
        ("email", " Zhang.San@Example.COM ", "zhang.san@example.com"),
    ],
)
def test_normalise_gives_one_key_per_identifier(detector: str, value: str, key: str) -> None:
    """Normalising strips separators and country prefixes and folds case."""
    assert normalise(detector, value) == key


def test_categories_and_priority_cover_every_detector() -> None:
    """Each detector has its data category, a validator, and (unless it names a company) a place in the priority."""
    assert DETECTOR_CATEGORIES["cn_resident_id"] == "SPI.GOV_ID"
    assert DETECTOR_CATEGORIES["health"] == "SPI.HEALTH"
    assert DETECTOR_CATEGORIES["cn_uscc"] == DETECTOR_CATEGORIES["sg_uen"] == "NP.BUSINESS"
    assert set(DETECTOR_CATEGORIES) == set(VALIDATORS) == {d.id for d in DETECTORS}
    assert set(DETECTOR_PRIORITY) == set(DETECTOR_CATEGORIES) - ORGANISATION_DETECTORS
    assert {"cn_uscc", "sg_uen"} == ORGANISATION_DETECTORS
    assert set(WEAK_VALIDATORS) <= set(VALIDATORS)
    assert DETECTOR_PRIORITY[:2] == ("cn_resident_id", "sg_nric_fin")  # the strongest keys come first


def test_every_category_is_in_the_vocabulary() -> None:
    """The default categories are ids of the shipped vocabulary, so every policy can name them."""
    vocabulary = yaml.safe_load((Path(__file__).parents[2] / "policies" / "vocabulary.yaml").read_text("utf-8"))
    assert set(DETECTOR_CATEGORIES.values()) <= set(vocabulary["categories"])


@pytest.mark.parametrize("digits", ["4111111111111111", "79927398713", "6200000000000005", "0", "1234567812345670"])
def test_own_luhn_agrees_with_stdnum(digits: str) -> None:
    """The scanner's Luhn check (written for speed) gives stdnum's verdict, on valid and altered numbers."""
    for candidate in (digits, digits[:-1] + str((int(digits[-1]) + 1) % 10)):
        assert luhn_valid(candidate) == luhn.is_valid(candidate)


def test_every_detector_is_documented() -> None:
    """docs/classifier.md lists every detector id: operators and regulators read the ids there."""
    text = (Path(__file__).parents[2] / "docs" / "classifier.md").read_text("utf-8")
    missing = [d.id for d in DETECTORS if f"| `{d.id}` | {d.category} |" not in text]
    assert missing == []
