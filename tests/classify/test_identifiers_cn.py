"""Mainland China identifier validators: published vectors, hand-made edge cases and hard negatives.

Vectors: ``tests/vectors/identifiers-public.json`` (see ``tests/vectors/SOURCES.md``): ``cn_uscc`` from
python-stdnum, ``passport_number`` and ``passport_mrz_td3`` from the ICAO Doc 9303 specimen, Presidio and the
documented Chinese formats, and the 15-digit ``cn_resident_id`` entries. Every entry of those types is asserted;
where our verdict differs from the entry's, DEVIATIONS says why.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import numdb
from stdnum.cn import uscc

from gateway.classify.detectors import is_cn_resident_id
from gateway.classify.identifiers_cn import (
    NORMALISERS,
    PLATE_PROVINCES,
    PROVINCE_CODES,
    VALIDATORS,
    is_cn_landline,
    is_cn_mainland_travel_permit,
    is_cn_mainland_travel_permit_strong,
    is_cn_passport,
    is_cn_plate,
    is_cn_resident_id_15,
    is_cn_uscc,
    is_passport_mrz_td3,
    key_cn_landline,
    key_cn_mainland_travel_permit,
    key_cn_passport,
    key_cn_plate,
    key_cn_resident_id_15,
    key_cn_uscc,
    key_passport_mrz_td3,
    mrz_check_digit,
    province_plausible,
)
from gateway.classify.identifiers_sg import is_sg_passport

VECTORS = Path(__file__).parents[1] / "vectors" / "identifiers-public.json"

# Entries whose published verdict differs from our contract, and why; each is asserted, not skipped. The
# passport_number entries are valid passports of their country; our passport detectors are the PRC (incl. HK and
# Macao SAR) and Singapore ones, so both must reject the others.
DEVIATIONS = {
    ("passport_number", "L898902C3"): "ICAO specimen of Utopia: no detector for it (its MRZ check digit is tested)",
    ("passport_number", "912803456"): "US passport: no US passport detector",
    ("passport_number", "Z12803456"): "US passport: no US passport detector",
    ("passport_number", "A12803456"): "US passport: no US passport detector",
    ("passport_number", "AB1234567"): "UK passport: no UK passport detector",
    ("passport_number", "XY9876543"): "UK passport: no UK passport detector",
    ("passport_number", "ab1234567"): "UK passport: no UK passport detector",
    ("passport_number", "CD7654321"): "UK passport: no UK passport detector",
}

SPECIMEN_LINE1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
SPECIMEN_LINE2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
SPECIMEN = SPECIMEN_LINE1 + "\n" + SPECIMEN_LINE2


@cache
def _entries() -> tuple[dict[str, Any], ...]:
    if not VECTORS.is_file():
        pytest.fail(f"published vectors missing: {VECTORS}", pytrace=False)
    return tuple(json.loads(VECTORS.read_text(encoding="utf-8"))["entries"])


def _of_type(kind: str) -> list[dict[str, Any]]:
    entries = [e for e in _entries() if e["type"] == kind]
    assert entries, f"no {kind} entries in {VECTORS}"
    return entries


def _expected(entry: dict[str, Any]) -> bool:
    if (entry["type"], entry["value"]) in DEVIATIONS:
        return not entry["valid"]
    return bool(entry["valid"])


# --- published vectors -----------------------------------------------------------------------------------------


def test_uscc_agrees_with_published_vectors() -> None:
    """Every published USCC gets its published verdict (stdnum's grouped form with spaces included)."""
    wrong = [(e["value"], e["valid"]) for e in _of_type("cn_uscc") if is_cn_uscc(e["value"]) != _expected(e)]
    assert wrong == []


def test_passport_numbers_agree_with_published_vectors() -> None:
    """Chinese entries get their verdict from is_cn_passport; other countries' are rejected by both detectors."""
    wrong = []
    for entry in _of_type("passport_number"):
        value = entry["value"]
        if entry.get("country") == "CN":
            verdict = is_cn_passport(value)
        else:
            assert ("passport_number", value) in DEVIATIONS, value
            verdict = is_cn_passport(value) or is_sg_passport(value)
        if verdict != _expected(entry):
            wrong.append(value)
    assert wrong == []


def test_specimen_document_number_check_digit() -> None:
    """The ICAO specimen's document number has the published MRZ check digit."""
    entries = [e for e in _of_type("passport_number") if "mrz_check_digit" in e]
    assert entries
    for entry in entries:
        assert mrz_check_digit(entry["value"]) == entry["mrz_check_digit"]


def test_mrz_agrees_with_published_vectors() -> None:
    """The ICAO specimen MRZ is valid and its published mutation is not."""
    wrong = [e["value"] for e in _of_type("passport_mrz_td3") if is_passport_mrz_td3(e["value"]) != _expected(e)]
    assert wrong == []


def test_first_generation_resident_ids_agree_with_published_vectors() -> None:
    """The resident ids that are not 18 characters long (15-digit ids, a bad date, a wrong length) get their
    published verdict from the 15-digit validator."""
    others = [e for e in _of_type("cn_resident_id") if len(e["value"]) != 18]
    assert any(e["valid"] for e in others)
    wrong = [e["value"] for e in others if is_cn_resident_id_15(e["value"]) != _expected(e)]
    assert wrong == []


def test_deviations_are_present_in_the_vectors() -> None:
    """Each listed deviation names an existing entry, so the list cannot go stale silently."""
    assert set(DEVIATIONS) <= {(e["type"], e["value"]) for e in _entries()}


# --- cn_resident_id_15 ------------------------------------------------------------------------------------------


def test_province_codes_match_stdnum_table_plus_taiwan_permit() -> None:
    """Our province prefixes are stdnum's GB/T 2260 provinces plus 83 (Taiwan residents' residence permits)."""
    db = numdb.get("cn/loc")
    stdnum_provinces = {f"{n:02d}" for n in range(100) if db.info(f"{n:02d}0000")[0][1].get("province")}
    assert stdnum_provinces | {"83"} == PROVINCE_CODES


@pytest.mark.parametrize("code", ["320594", "110105", "810000", "830000", "710000"])
def test_province_plausible_accepts_real_provinces(code: str) -> None:
    """Suzhou Industrial Park, Beijing, HK, Taiwan permit and Taiwan province codes are plausible."""
    assert province_plausible(code)


@pytest.mark.parametrize(
    "code", ["000000", "100000", "160000", "240000", "470000", "840000", "990000", "32059", "32O594"]
)
def test_province_plausible_rejects_unknown_provinces_and_shapes(code: str) -> None:
    """Unallocated province prefixes and malformed codes are not plausible."""
    assert not province_plausible(code)


@pytest.mark.parametrize("value", ["320594900307123", "110105491231002", "440301960229031"])
def test_resident_id_15_valid(value: str) -> None:
    """Real province, real 19YY date (29 Feb 1996 is a leap day), any sequence."""
    assert is_cn_resident_id_15(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("320594000229123", "1900 is not a leap year"),
        ("320594901301123", "month 13"),
        ("320594900431123", "31 April"),
        ("320594900000123", "day and month 0"),
        ("202401011230451", "timestamp-like: province 20"),
        ("990594900307123", "province 99"),
        ("32059490030712", "14 digits"),
        ("3205949003071234", "16 digits"),
        ("32059490030712X", "no check character in the 15-digit form"),
        ("320594 900307123", "separator"),
    ],
)
def test_resident_id_15_invalid(value: str, reason: str) -> None:
    """Impossible dates, unknown provinces, wrong lengths and characters are rejected."""
    assert not is_cn_resident_id_15(value), reason


def test_resident_id_15_full_width_digits_rejected() -> None:
    """Unicode digits that are not ASCII do not make an id."""
    assert not is_cn_resident_id_15("320594900307123".translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}))


@pytest.mark.parametrize("value", ["320594900307123", "610104620927690", "110105491231002"])
def test_resident_id_15_key_is_the_upgraded_18_digit_id(value: str) -> None:
    """The key is the GB 11643-1999 upgrade: it inserts 19 and passes the 18-character validator."""
    key = key_cn_resident_id_15(value)
    assert key[:6] == value[:6]
    assert key[6:17] == "19" + value[6:]
    assert is_cn_resident_id(key)


# --- cn_uscc ------------------------------------------------------------------------------------------------------


def _uscc(base17: str) -> str:
    return base17 + uscc.calc_check_digit(base17)


def test_uscc_made_up_code_and_case() -> None:
    """A made-up Suzhou code with its computed check character is valid, in either case; a changed one is not."""
    value = _uscc("91320594MA1XYW2K3")
    assert is_cn_uscc(value)
    assert is_cn_uscc(value.lower())
    other = "0" if value[-1] != "0" else "1"
    assert not is_cn_uscc(value[:-1] + other)


@pytest.mark.parametrize("letter", "IOSVZ")
def test_uscc_excluded_letters(letter: str) -> None:
    """The five letters GB 32100 leaves out are rejected in the code, whatever the check character."""
    for check in "0123456789ABCDEFGHJKLMNPQRTUWXY" + letter:
        assert not is_cn_uscc("91320594MA1" + letter + "BCD2K" + check)
        assert not is_cn_uscc("91320594MA1XYW2K3" + letter)


@pytest.mark.parametrize(
    "value",
    ["91-110000-600037341L", "91 110000 600037341L", "91110000600037341L"],
)
def test_uscc_grouping_2_6_10(value: str) -> None:
    """The compact form and the 2-6-10 grouping with one space or dash are accepted."""
    assert is_cn_uscc(value)
    assert key_cn_uscc(value) == "91110000600037341L"


@pytest.mark.parametrize(
    "value", ["9111 0000 6000 3734 1L", "91  110000 600037341L", "91110000600037341L0", "9111000060003734"]
)
def test_uscc_other_groupings_and_lengths(value: str) -> None:
    """Other groupings, doubled separators and wrong lengths are rejected."""
    assert not is_cn_uscc(value)


# --- cn_landline ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("0512-62345678", "051262345678"),
        ("0512 62345678", "051262345678"),
        ("051262345678", "051262345678"),
        ("(0512)62345678", "051262345678"),
        ("(0512) 6234 5678", "051262345678"),
        ("0512-6234-5678", "051262345678"),
        ("+86 512 6234 5678", "051262345678"),
        ("+86-512-62345678", "051262345678"),
        ("0086 10 65529988", "01065529988"),
        ("010-65529988", "01065529988"),
        ("021 5888 1234", "02158881234"),
        ("0755-8888888", "07558888888"),
        ("0512-62345678-8001", "051262345678X8001"),
        ("0512-62345678转8001", "051262345678X8001"),
        ("0512 6234 5678 ext. 12", "051262345678X12"),
        ("0512-62345678 x12", "051262345678X12"),
    ],
)
def test_landline_valid_forms_and_key(value: str, key: str) -> None:
    """Separators, parentheses, country prefix and extensions are accepted; the key is the national number."""
    assert is_cn_landline(value)
    assert key_cn_landline(value) == key


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("13800138000", "a mobile"),
        ("+86 138 0013 8000", "a mobile with country prefix"),
        ("01012345678", "local number starting 1"),
        ("0512-02345678", "local number starting 0"),
        ("010-6552998", "010 needs 8 local digits"),
        ("021-6552998", "02X needs 8 local digits"),
        ("0512-623456", "6 local digits"),
        ("0512-623456789", "9 local digits"),
        ("030-62345678", "030 is not an area code"),
        ("0212-62345678", "no 4-digit code starts 02"),
        ("62345678", "no area code"),
        ("+86 0512 62345678", "trunk 0 kept after +86"),
        ("(0512-62345678", "unbalanced parenthesis"),
        ("0512--62345678", "doubled separator"),
        ("2024-01-01 12:00", "a timestamp"),
        ("20240101123045", "a 14-digit timestamp"),
    ],
)
def test_landline_invalid(value: str, reason: str) -> None:
    """Mobiles, unallocated area codes, wrong local lengths and non-phone digit strings are rejected."""
    assert not is_cn_landline(value), reason


# --- cn_passport and MRZ -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["E12345678", "e12345678", "EA1234567", "EH1234567", "G12345678", "DE1234567", "SE1234567", "PE1234567"]
)
def test_passport_prc_forms(value: str) -> None:
    """Ordinary (E, E + letter, G), diplomatic, service and public-affairs passports; lowercase is accepted."""
    assert is_cn_passport(value)
    assert key_cn_passport(value) == value.upper()


@pytest.mark.parametrize("value", ["K12345678", "KJ1234567", "MA1234567", "MB1234567"])
def test_passport_sar_forms(value: str) -> None:
    """HKSAR and Macao SAR passports."""
    assert is_cn_passport(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("EI1234567", "I is never a series letter"),
        ("EO1234567", "O is never a series letter"),
        ("H12345678", "H + 8 digits is the HK residents' travel permit"),
        ("M12345678", "M + 8 digits is the Macao residents' travel permit"),
        ("A12345678", "no A series"),
        ("E1234567", "too short"),
        ("E123456789", "too long"),
        ("DE12345678", "diplomatic numbers have 7 digits"),
        ("E1234567A", "the Singapore shape"),
        ("E 12345678", "separator"),
    ],
)
def test_passport_invalid(value: str, reason: str) -> None:
    """Unknown series, the travel-permit shapes and wrong lengths are rejected."""
    assert not is_cn_passport(value), reason


@pytest.mark.parametrize(
    ("field", "digit"),
    # From the ICAO Doc 9303 specimen (vectors note): document 6, birth 2, expiry 9, optional data 1.
    [("L898902C3", "6"), ("740812", "2"), ("120415", "9"), ("ZE184226B<<<<<", "1"), ("<<<<<<", "0")],
)
def test_mrz_check_digit_specimen_fields(field: str, digit: str) -> None:
    """The 7-3-1 check digit of each specimen field."""
    assert mrz_check_digit(field) == digit


def test_mrz_check_digit_other_characters() -> None:
    """Characters outside the MRZ alphabet give no check digit (and no exception)."""
    assert mrz_check_digit("l898902c3") == ""
    assert mrz_check_digit("L898902C3 ") == ""


def _with_checks(line2: str) -> str:
    """Line 2 with every check digit recomputed (for building valid-looking MRZs that break other rules)."""
    chars = list(line2)
    chars[9] = mrz_check_digit(line2[0:9])
    chars[19] = mrz_check_digit(line2[13:19])
    chars[27] = mrz_check_digit(line2[21:27])
    chars[42] = mrz_check_digit(line2[28:42])
    fixed = "".join(chars)
    chars[43] = mrz_check_digit(fixed[0:10] + fixed[13:20] + fixed[21:43])
    return "".join(chars)


def test_mrz_recomputed_specimen_is_unchanged() -> None:
    """Recomputing the specimen's check digits changes nothing (the helper agrees with the published digits)."""
    assert _with_checks(SPECIMEN_LINE2) == SPECIMEN_LINE2


@pytest.mark.parametrize(
    ("index", "reason"), [(9, "document"), (19, "birth"), (27, "expiry"), (42, "optional"), (43, "composite")]
)
def test_mrz_each_check_digit_matters(index: int, reason: str) -> None:
    """Changing any one check digit invalidates the MRZ."""
    digit = SPECIMEN_LINE2[index]
    other = "0" if digit != "0" else "1"
    assert not is_passport_mrz_td3(
        SPECIMEN_LINE1 + "\n" + SPECIMEN_LINE2[:index] + other + SPECIMEN_LINE2[index + 1 :]
    ), reason


def test_mrz_impossible_dates_rejected_even_with_right_check_digits() -> None:
    """A birth date of month 13 or an expiry of 31 April fails although every check digit is recomputed."""
    bad_birth = _with_checks(SPECIMEN_LINE2[:13] + "741312" + SPECIMEN_LINE2[19:])
    bad_expiry = _with_checks(SPECIMEN_LINE2[:21] + "120431" + SPECIMEN_LINE2[27:])
    assert not is_passport_mrz_td3(SPECIMEN_LINE1 + "\n" + bad_birth)
    assert not is_passport_mrz_td3(SPECIMEN_LINE1 + "\n" + bad_expiry)


def test_mrz_empty_optional_data_and_line_endings() -> None:
    """Empty optional data may carry '<' as its check digit; CRLF between the lines is accepted."""
    empty = _with_checks(SPECIMEN_LINE2[:28] + "<" * 14 + SPECIMEN_LINE2[42:])
    assert is_passport_mrz_td3(SPECIMEN_LINE1 + "\n" + empty)
    assert is_passport_mrz_td3(SPECIMEN_LINE1 + "\n" + empty[:42] + "<" + empty[43:])
    assert is_passport_mrz_td3(SPECIMEN_LINE1 + "\r\n" + SPECIMEN_LINE2)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (SPECIMEN_LINE2, "one line"),
        (SPECIMEN_LINE1 + SPECIMEN_LINE2, "no line break"),
        ("I" + SPECIMEN_LINE1[1:] + "\n" + SPECIMEN_LINE2, "document code I is an ID card, not a passport"),
        (SPECIMEN_LINE1 + "\n" + SPECIMEN_LINE2 + "<", "45 characters"),
        (SPECIMEN.lower(), "lowercase"),
        (SPECIMEN + "\n", "trailing line"),
    ],
)
def test_mrz_shape(value: str, reason: str) -> None:
    """Only two 44-character passport lines in the MRZ alphabet."""
    assert not is_passport_mrz_td3(value), reason


def test_mrz_key_is_the_document_number() -> None:
    """An MRZ keys as its bare document number, the same key as the passport number itself."""
    assert key_passport_mrz_td3(SPECIMEN) == "L898902C3"
    short = _with_checks("E1234567<" + SPECIMEN_LINE2[9:])
    assert key_passport_mrz_td3(SPECIMEN_LINE1 + "\n" + short) == "E1234567"


# --- cn_mainland_travel_permit -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("H12345678", "H12345678"),
        ("M12345678", "M12345678"),
        ("H1234567801", "H12345678"),
        ("m1234567800", "M12345678"),
    ],
)
def test_permit_hk_macao_forms_are_strong(value: str, key: str) -> None:
    """H/M + 8 or + 10 digits (with renewal count) are strong; the key drops the renewal count."""
    assert is_cn_mainland_travel_permit_strong(value)
    assert is_cn_mainland_travel_permit(value)
    assert key_cn_mainland_travel_permit(value) == key


@pytest.mark.parametrize(
    ("value", "key"), [("12345678", "12345678"), ("1234567801", "12345678"), ("1234567801(B)", "12345678")]
)
def test_permit_taiwan_forms_are_weak(value: str, key: str) -> None:
    """Taiwan residents' permit numbers are accepted, but not as strong evidence; the key is the lifelong number."""
    assert is_cn_mainland_travel_permit(value)
    assert not is_cn_mainland_travel_permit_strong(value)
    assert key_cn_mainland_travel_permit(value) == key


@pytest.mark.parametrize(
    "value",
    ["H1234567", "H123456789", "H123456789012", "A12345678", "1234567", "123456789", "12345678(B)", "1234567801(BB)"],
)
def test_permit_invalid(value: str) -> None:
    """Wrong series letters, lengths and authority-code forms are rejected."""
    assert not is_cn_mainland_travel_permit(value)
    assert not is_cn_mainland_travel_permit_strong(value)


# --- cn_plate --------------------------------------------------------------------------------------------------------


def test_plate_provinces() -> None:
    """31 distinct province-level abbreviations; Taiwan, Hong Kong and Macao have no mainland plate prefix."""
    assert len(PLATE_PROVINCES) == len(set(PLATE_PROVINCES)) == 31
    assert not set("台港澳") & set(PLATE_PROVINCES)


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("苏E12345", "苏E12345"),
        ("苏E·12345", "苏E12345"),
        ("苏E 12345", "苏E12345"),
        ("苏e1a2b3", "苏E1A2B3"),
        ("京A1234学", "京A1234学"),
        ("京A1234警", "京A1234警"),
        ("粤Z1234港", "粤Z1234港"),
        ("粤Z1234澳", "粤Z1234澳"),
        ("鲁B1234挂", "鲁B1234挂"),
        ("沪A1234领", "沪A1234领"),
        ("粤BD12345", "粤BD12345"),
        ("粤BFA1234", "粤BFA1234"),
        ("粤B12345D", "粤B12345D"),
        ("苏E·D12345", "苏ED12345"),
        ("使014578", "使014578"),
    ],
)
def test_plate_valid(value: str, key: str) -> None:
    """Ordinary, special-use, new-energy (small and large) and embassy plates; the key drops '·' and spaces."""
    assert is_cn_plate(value)
    assert key_cn_plate(value) == key


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("苏I12345", "authority letter I"),
        ("苏O12345", "authority letter O"),
        ("苏E1234O", "serial letter O"),
        ("苏E1234", "4-character serial"),
        ("苏E123456", "6 digits: not a new-energy layout"),
        ("粤B1234D5", "energy letter in the middle"),
        ("粤BZ12345", "Z is not an energy letter"),
        ("台A12345", "台 is not a plate province"),
        ("A12345", "no province"),
        ("苏E12345学", "special plates have a 4-character serial"),
        ("苏E··12345", "doubled separator"),
        ("苏E-12345", "dash separator"),
        ("使01457", "embassy plates have 6 digits"),
    ],
)
def test_plate_invalid(value: str, reason: str) -> None:
    """Excluded letters, wrong serial layouts and unknown prefixes are rejected."""
    assert not is_cn_plate(value), reason


# --- contract and robustness ---------------------------------------------------------------------------------------


def test_detector_ids_and_normalisers() -> None:
    """The detector ids of this module, each with a normaliser."""
    assert (
        set(VALIDATORS)
        == set(NORMALISERS)
        == {
            "cn_resident_id_15",
            "cn_uscc",
            "cn_landline",
            "cn_passport",
            "passport_mrz_td3",
            "cn_mainland_travel_permit",
            "cn_plate",
        }
    )


_NEAR_MISS = st.text(alphabet="0123456789ABEGHKMPSXZaex<-·()+ \n转京粤使警", max_size=60)


@given(st.one_of(st.text(max_size=120), _NEAR_MISS))
def test_validators_and_normalisers_never_raise(value: str) -> None:
    """Any text gives a bool from every validator and a str from every normaliser."""
    extra_validators = (is_cn_mainland_travel_permit_strong, province_plausible)
    for validate in (*VALIDATORS.values(), *extra_validators):
        assert isinstance(validate(value), bool)
    for normalise in NORMALISERS.values():
        assert isinstance(normalise(value), str)
    assert isinstance(mrz_check_digit(value), str)
