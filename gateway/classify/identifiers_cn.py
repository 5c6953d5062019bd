"""Mainland China identifiers beyond the 18-character resident id: validators and normalisers.

Detector ids (a contract): ``cn_resident_id_15``, ``cn_uscc``, ``cn_landline``, ``cn_passport``,
``cn_mainland_travel_permit``, ``cn_plate``; plus the ICAO ``passport_mrz_td3`` check. Each validator takes one
candidate the scanner has already trimmed, returns a bool and never raises; ``key_<id>`` gives the canonical form
used to key an individual (uppercase, separators removed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from stdnum.cn import ric

__all__ = [
    "NORMALISERS",
    "PLATE_PROVINCES",
    "PROVINCE_CODES",
    "VALIDATORS",
    "is_cn_landline",
    "is_cn_mainland_travel_permit",
    "is_cn_mainland_travel_permit_strong",
    "is_cn_passport",
    "is_cn_plate",
    "is_cn_resident_id_15",
    "is_cn_uscc",
    "is_passport_mrz_td3",
    "key_cn_landline",
    "key_cn_mainland_travel_permit",
    "key_cn_passport",
    "key_cn_plate",
    "key_cn_resident_id_15",
    "key_cn_uscc",
    "key_passport_mrz_td3",
    "mrz_check_digit",
    "province_plausible",
]


# --- address codes (GB/T 2260) ---------------------------------------------------------------------------------

PROVINCE_CODES: frozenset[str] = frozenset(
    [f"{n}" for n in range(11, 16)]
    + [f"{n}" for n in range(21, 24)]
    + [f"{n}" for n in range(31, 38)]
    + [f"{n}" for n in range(41, 47)]
    + [f"{n}" for n in range(50, 55)]
    + [f"{n}" for n in range(61, 66)]
    + ["71", "81", "82", "83"]
)
"""Province-level prefixes of GB/T 2260 address codes, plus 81/82/83 of the HK, Macao and Taiwan residence permits."""

_SIX_DIGITS = re.compile(r"[0-9]{6}")


def province_plausible(code6: str) -> bool:
    """Six ASCII digits whose first two are a province-level code (usable for 15- and 18-digit resident ids).

    Only the province is checked: county tables lag new and retired codes (see ``detectors.is_cn_resident_id``).
    """
    return _SIX_DIGITS.fullmatch(code6) is not None and code6[:2] in PROVINCE_CODES


# --- cn_resident_id_15: first-generation resident id (1984-2004), no check digit ------------------------------
# GB 11643-1989 layout: 6-digit address code, birth date YYMMDD in the 1900s, 3-digit sequence (odd = male).

_FIFTEEN_DIGITS = re.compile(r"[0-9]{15}")


def is_cn_resident_id_15(value: str) -> bool:
    """15 digits: plausible province, a real 19YY-MM-DD birth date, 3-digit sequence (no check digit exists)."""
    if len(value) != 15 or _FIFTEEN_DIGITS.fullmatch(value) is None or not province_plausible(value[:6]):
        return False
    try:
        date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    except ValueError:
        return False
    return True


def key_cn_resident_id_15(value: str) -> str:
    """The 18-character form of GB 11643-1999 (insert ``19``, append the MOD 11-2 check), which keys the same
    person as their second-generation id; the value uppercased if it is not a valid 15-digit id."""
    value = value.strip()
    if not is_cn_resident_id_15(value):
        return value.upper()
    base = value[:6] + "19" + value[6:]
    return base + ric.calc_check_digit(base + "0")


# --- cn_uscc: unified social credit code, GB 32100-2015 -------------------------------------------------------
# Layout: registration authority (1 digit) and entity type (1 digit), 6-digit administrative division code,
# 9-character organisation code, check character. python-stdnum checks the alphabet and the check character.
# We accept the compact form or the 2-6-10 grouping with one space or dash (as in stdnum's own examples).

_USCC_SHAPE = re.compile(r"([0-9]{2})[ \-]?([0-9]{6})[ \-]?([0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]{10})")


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28


def uscc_check_character(first17: str) -> str:
    """GB 32100-2015's check character: weights 3^i mod 31, check = alphabet[(31 - sum mod 31) mod 31].

    Computed here rather than with ``stdnum.cn.uscc`` because the scanner calls it on every 18-character
    candidate and stdnum's clean-up costs ten times the arithmetic; the tests check both agree on the vectors.
    """
    total = sum(w * _USCC_VALUE[c] for w, c in zip(_USCC_WEIGHTS, first17, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def is_cn_uscc(value: str) -> bool:
    """18 characters over the GB 32100 alphabet (no I O S V Z), case-insensitive, with the right check character."""
    m = _USCC_SHAPE.fullmatch(value)
    if m is None:
        return False
    number = m[1] + m[2] + m[3].upper()
    return uscc_check_character(number[:17]) == number[17]


def key_cn_uscc(value: str) -> str:
    """Uppercase, spaces and dashes removed."""
    return _strip_separators(value).upper()


# --- cn_landline: mainland fixed-line numbers -----------------------------------------------------------------
# Numbering plan (MIIT): area code 0 + 2 digits (010 Beijing, 020-029 the large cities, all with 8-digit local
# numbers) or 0 + 3 digits starting 3-9 (7- or 8-digit local numbers); local numbers start 2-9 (0 is the trunk
# prefix, 1 the mobile and service range). From abroad the trunk 0 is dropped: +86 512 ..., 0086 10 ....

_LANDLINE = re.compile(
    r"(?:(?P<intl>\+86|0086)[ \-]?(?P<area_i>10|2[0-9]|[3-9][0-9]{2})"
    r"|\((?P<area_p>010|02[0-9]|0[3-9][0-9]{2})\)"
    r"|(?P<area_n>010|02[0-9]|0[3-9][0-9]{2}))"
    r"[ \-]?(?P<head>[2-9][0-9]{2,3})[ \-]?(?P<tail>[0-9]{4})"
    r"(?:(?:[ \-]?转|-|[ ]?(?:[Ee][Xx][Tt]\.?|[Xx])[ ]?)(?P<ext>[0-9]{1,6}))?"
)


def _landline_parts(value: str) -> tuple[str, str, str] | None:
    """(area code with its trunk 0, local number, extension) of a valid landline, else None."""
    if len(value) > 40:
        return None
    m = _LANDLINE.fullmatch(value)
    if m is None:
        return None
    area = m["area_p"] or m["area_n"] or "0" + m["area_i"]
    local = m["head"] + m["tail"]
    if len(area) == 3 and len(local) != 8:  # 010 and 02X: 8-digit local numbers only
        return None
    return area, local, m["ext"] or ""


def is_cn_landline(value: str) -> bool:
    """Area code (010, 020-029, 0[3-9]XX), local number of 7-8 digits not starting 0 or 1, optional separators,
    ``(0512)`` parentheses, +86/0086 prefix (trunk 0 dropped) and extension (``-123``, ``转123``, ``ext. 123``).

    Mobiles are rejected (their "local" part would start with 1); so are bare local numbers without area code.
    An unseparated national number (``051262345678``) is accepted: it is a landline, but 11-12 digits starting 0
    are also common in order and account numbers, so the scanner may want a phone key for that form.
    """
    return _landline_parts(value) is not None


def key_cn_landline(value: str) -> str:
    """The national number (trunk 0, area code, local number), then ``X`` and the extension if any."""
    parts = _landline_parts(value.strip())
    if parts is None:
        return _strip_separators(value).upper()
    area, local, ext = parts
    return area + local + ("X" + ext if ext else "")


# --- cn_passport ----------------------------------------------------------------------------------------------
# The bare number has no check digit (ICAO Doc 9303 puts check digits only in the MRZ). Forms relied on, as
# documented by doly-dev/util-helpers src/isPassport.ts (citing zh.wikipedia 中华人民共和国护照) and the
# project's vectors: ordinary e-passport E + 8 digits, and E + letter + 7 digits once the numeric E series ran
# out (we leave out I and O, easily read as 1 and 0, which the series is reported to skip); diplomatic DE,
# service SE and public-affairs ordinary PE + 7 digits; HKSAR passports K + 8 digits or KJ + 7 digits; Macao SAR
# passports MA/MB + 7 digits. Also G + 8 digits, the ordinary passports issued before the E series (widely
# reported; no primary source found, kept because such passports were valid until about 2022).
# Not included: H + 8 and M + 8 digits (those are the Mainland Travel Permit for HK/Macao residents), and the
# older 14/15 + 7 digit forms, for want of a source.

_CN_PASSPORT = re.compile(
    r"[Ee][0-9]{8}|[Ee][A-HJ-NP-Za-hj-np-z][0-9]{7}|[Gg][0-9]{8}"
    r"|[DdSsPp][Ee][0-9]{7}|[Kk][0-9]{8}|[Kk][Jj][0-9]{7}|[Mm][AaBb][0-9]{7}"
)


def is_cn_passport(value: str) -> bool:
    """A PRC, HKSAR or Macao SAR passport number in one of the documented 9-character forms (case-insensitive).

    Shape and series letters only (no check digit exists), so the evidence is moderate: the scanner should want
    a passport key or keyword for it.
    """
    return len(value) == 9 and _CN_PASSPORT.fullmatch(value) is not None


def key_cn_passport(value: str) -> str:
    """Uppercase, separators removed."""
    return _strip_separators(value).upper()


# --- passport_mrz_td3: ICAO Doc 9303 Part 4 machine-readable zone of a passport (two lines of 44) -----------
# Part 3 §4.9: check digit = sum of values times weights 7, 3, 1 (repeating) mod 10, with 0-9 = 0-9, A-Z = 10-35
# and the filler '<' = 0.

_MRZ_LINE1 = re.compile(r"P[A-Z<][A-Z<]{3}[A-Z<]{39}")
_MRZ_LINE2 = re.compile(r"[A-Z0-9<]{9}[0-9][A-Z<]{3}[0-9<]{6}[0-9][FMX<][0-9]{6}[0-9][A-Z0-9<]{14}[0-9<][0-9]")
_MRZ_WEIGHTS = (7, 3, 1)


def mrz_check_digit(field: str) -> str:
    """The ICAO 9303 check digit of an MRZ field (characters 0-9, A-Z and ``<``); ``""`` for any other input."""
    total = 0
    for i, char in enumerate(field):
        if "0" <= char <= "9":
            n = ord(char) - 48
        elif "A" <= char <= "Z":
            n = ord(char) - 55
        elif char == "<":
            n = 0
        else:
            return ""
        total += n * _MRZ_WEIGHTS[i % 3]
    return str(total % 10)


def _mrz_lines(value: str) -> tuple[str, str] | None:
    lines = value.split("\n")
    if len(lines) != 2:
        return None
    line1, line2 = lines[0].removesuffix("\r"), lines[1]
    if _MRZ_LINE1.fullmatch(line1) is None or _MRZ_LINE2.fullmatch(line2) is None:
        return None
    return line1, line2


def _mrz_date_ok(yymmdd: str) -> bool:
    if "<" in yymmdd:  # Part 3 §4.6: unknown parts of a birth date may be filled with '<'
        return True
    try:
        date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        return False
    return True


def is_passport_mrz_td3(value: str) -> bool:
    """Two 44-character MRZ lines (``\\n`` between) of a passport (document code P), every check digit right:
    document number, birth date, expiry date, optional data (``<`` or 0 when empty) and the composite.

    Dates must be calendar dates (a birth date may carry ``<`` for unknown parts; the century is not encoded, so
    29 February is checked against a leap year of the 2000s, which accepts it for 1900 too).
    """
    if len(value) > 90:
        return False
    lines = _mrz_lines(value)
    if lines is None:
        return False
    line2 = lines[1]
    birth, expiry, optional = line2[13:19], line2[21:27], line2[28:42]
    optional_check = line2[42]
    if optional_check == "<":
        if optional.strip("<"):
            return False
        optional_check = "0"
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    return (
        mrz_check_digit(line2[0:9]) == line2[9]
        and mrz_check_digit(birth) == line2[19]
        and mrz_check_digit(expiry) == line2[27]
        and mrz_check_digit(optional) == optional_check
        and mrz_check_digit(composite) == line2[43]
        and _mrz_date_ok(birth)
        and "<" not in expiry
        and _mrz_date_ok(expiry)
    )


def key_passport_mrz_td3(value: str) -> str:
    """The document number (fillers removed), so that an MRZ keys with the bare passport number."""
    lines = _mrz_lines(value.strip())
    if lines is None:
        return _strip_separators(value).upper()
    return lines[1][0:9].rstrip("<")


# --- cn_mainland_travel_permit --------------------------------------------------------------------------------
# HK/Macao residents (港澳居民来往内地通行证, "回乡证"): Ministry of Public Security numbering rule for the 1999
# card: 11 characters, H (Hong Kong) or M (Macao), an 8-digit lifelong number and a 2-digit renewal count
# (00 at first issue); the first 9 characters identify the holder across renewals. The 2013 card prints
# H/M + the 8-digit lifelong number only (9 characters).
# Taiwan residents (台湾居民来往大陆通行证, "台胞证"): from 1992 the number was an 8-digit lifelong number, a
# 2-digit issue count and the issuing authority's code in parentheses (a letter or digit); from June 2006
# Fujian, Jiangsu and Shanghai dropped the parenthesised code (10 digits); from 25 September 2008 it is the
# 8-digit lifelong number alone ("一人一号、终身不变", China News Service, 2008-09-12; NIA 中国出入境观察 2020/21).
# One-time short-stay permits (letter + 9 digits and others) are not covered: their format is not documented.

_HK_MACAO_PERMIT = re.compile(r"[HhMm][0-9]{8}(?:[0-9]{2})?")
_TAIWAN_PERMIT = re.compile(r"([0-9]{8})(?:[0-9]{2}(?:\([0-9A-Za-z]\))?)?")


def is_cn_mainland_travel_permit_strong(value: str) -> bool:
    """The HK/Macao residents' permit: H or M + 8 digits (2013 card) or + 10 digits (1999 card, with the renewal
    count). The series letter makes these safe to report in free text."""
    return len(value) in {9, 11} and _HK_MACAO_PERMIT.fullmatch(value) is not None


def is_cn_mainland_travel_permit(value: str) -> bool:
    """A Mainland Travel Permit number: the strong HK/Macao forms, or a Taiwan residents' permit number
    (8 digits since 2008, 10 digits with the issue count, or 10 digits and a parenthesised authority code).

    There is no check digit in any form. Bare 8 or 10 digits are weak evidence (order numbers, dates, counters):
    the scanner accepts those only under a permit key or keyword; use ``is_cn_mainland_travel_permit_strong`` for
    free text.
    """
    if is_cn_mainland_travel_permit_strong(value):
        return True
    return len(value) in {8, 10, 13} and _TAIWAN_PERMIT.fullmatch(value) is not None


def key_cn_mainland_travel_permit(value: str) -> str:
    """The lifelong number, which is stable across renewals: H/M + 8 digits, or the 8 Taiwan digits."""
    value = value.strip()
    if is_cn_mainland_travel_permit_strong(value):
        return value[:9].upper()
    m = _TAIWAN_PERMIT.fullmatch(value)
    if m is not None:
        return m[1]
    return _strip_separators(value).upper()


# --- cn_plate: motor vehicle plates, GA 36-2018 ---------------------------------------------------------------
# Province abbreviation, issuing-authority letter (A-Z without I and O), then the serial: 5 letters or digits
# (no I, O) on ordinary plates; 4 and a use character on coach (学), police (警), Hong Kong / Macao cross-border
# (港 澳), trailer (挂), consulate (领), test (试) and over-limit (超) plates; 6 on new-energy plates, where small
# vehicles put the energy letter first (D battery-electric, F other; later extensions reported from 2021 add
# A B C E and G H J K, accepted here) followed by a letter or digit and 4 digits, and large vehicles put D or F
# last after 5 digits. Embassy plates are 使 + 6 digits (3-digit mission code, 3-digit serial). A "·" or a
# space may follow the authority letter, as printed. Military and armed-police plates (other layouts) are not covered.

PLATE_PROVINCES: str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
"""The 31 province-level abbreviations that begin a civil plate."""

_PLATE_CHAR = "[A-HJ-NP-Z0-9]"
_PLATE = re.compile(
    rf"[{PLATE_PROVINCES}][A-HJ-NP-Z][·• ]?"
    rf"(?:{_PLATE_CHAR}{{5}}"  # ordinary
    rf"|{_PLATE_CHAR}{{4}}[学警港澳挂领试超]"  # special use
    rf"|[ABCDEFGHJK]{_PLATE_CHAR}[0-9]{{4}}"  # new energy, small
    rf"|[0-9]{{5}}[DF])"  # new energy, large
    r"|使[0-9]{6}"
)


def is_cn_plate(value: str) -> bool:
    """A civil vehicle plate per GA 36-2018: province character, authority letter, optional ``·`` or space, then an
    ordinary, special-use or new-energy serial; or an embassy plate. Letters are matched case-insensitively."""
    if not 7 <= len(value) <= 9:
        return False
    return _PLATE.fullmatch(value.upper()) is not None


def key_cn_plate(value: str) -> str:
    """Uppercase, the ``·`` and spaces removed."""
    return value.strip().upper().replace("·", "").replace("•", "").replace(" ", "")


# --- shared ---------------------------------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-·.()]")


def _strip_separators(value: str) -> str:
    return _SEPARATORS.sub("", value)


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "cn_resident_id_15": is_cn_resident_id_15,
    "cn_uscc": is_cn_uscc,
    "cn_landline": is_cn_landline,
    "cn_passport": is_cn_passport,
    "passport_mrz_td3": is_passport_mrz_td3,
    "cn_mainland_travel_permit": is_cn_mainland_travel_permit,
    "cn_plate": is_cn_plate,
}
"""Detector id to validator of one whole candidate."""

NORMALISERS: dict[str, Callable[[str], str]] = {
    "cn_resident_id_15": key_cn_resident_id_15,
    "cn_uscc": key_cn_uscc,
    "cn_landline": key_cn_landline,
    "cn_passport": key_cn_passport,
    "passport_mrz_td3": key_passport_mrz_td3,
    "cn_mainland_travel_permit": key_cn_mainland_travel_permit,
    "cn_plate": key_cn_plate,
}
"""Detector id to canonical form."""
