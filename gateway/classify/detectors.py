"""Identifier detectors: each checks a candidate's shape, then its check character, date or allocation table.

The first identifiers of the classifier: ``cn_resident_id`` (18 characters), ``sg_nric_fin``, ``bank_card``,
``cn_mobile``, ``sg_mobile``, ``email``; the others are in ``identifiers_cn``, ``identifiers_sg``,
``identifiers_net`` and ``attributes``, and ``validators`` gathers them all by detector id. Validators take one
candidate string and never raise; normalisers give the canonical form used to key an individual.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from stdnum.cn import ric

from gateway.classify.identifiers_cn import PROVINCE_CODES

__all__ = [
    "NORMALISERS",
    "is_bank_card",
    "is_cn_mobile",
    "is_cn_resident_id",
    "is_email",
    "is_sg_mobile",
    "is_sg_nric_fin",
    "luhn_valid",
    "sg_nric_fin_check_letter",
]

# --- cn_resident_id: GB 11643-1999, 18 characters ------------------------------------------------------------

_CN_RIC_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9Xx]")
_CN_RIC_YEARS = range(1850, 2100)  # no clock here: a calendar-valid date within two centuries


def is_cn_resident_id(value: str) -> bool:
    """18 characters, a real province code first, ISO 7064 MOD 11-2 check character (``x`` accepted), valid birth
    date.

    The rest of the address code is deliberately not checked against stdnum's table (``stdnum.cn.ric.validate`` does):
    the table lags new and retired county codes and misses the HK/Macao/Taiwan residence permits (81/82/83),
    and for data-loss prevention a number with an unknown county is still a resident id.
    """
    if len(value) != 18 or _CN_RIC_SHAPE.fullmatch(value) is None or value[:2] not in PROVINCE_CODES:
        return False
    number = value.upper()
    if str(ric.calc_check_digit(number)) != number[17]:
        return False
    # stdnum's get_birth_date does the same after a Unicode clean-up that costs more than the check; the shape
    # above already guarantees ASCII digits.
    year = int(number[6:10])
    if year not in _CN_RIC_YEARS:
        return False
    try:
        date(year, int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return True


# --- sg_nric_fin: NRIC (S, T) and FIN (F, G, M) ----------------------------------------------------------------
# python-stdnum has no Singapore NRIC/FIN module (it has only stdnum.sg.uen), so the check letter is computed here.

_NRIC_SHAPE = re.compile(r"[STFGMstfgm][0-9]{7}[A-Za-z]")
_NRIC_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
_NRIC_OFFSET = {"S": 0, "T": 4, "F": 0, "G": 4, "M": 3}
_NRIC_TABLE = {
    "S": "JZIHGFEDCBA",
    "T": "JZIHGFEDCBA",
    "F": "XWUTRQPNMLK",
    "G": "XWUTRQPNMLK",
    "M": "KLJNPQRTUWX",
}


def sg_nric_fin_check_letter(prefix: str, digits: str) -> str:
    """The check letter for a series letter (S, T, F, G, M) and its seven digits."""
    total = _NRIC_OFFSET[prefix] + sum(w * (ord(d) - 48) for w, d in zip(_NRIC_WEIGHTS, digits, strict=True))
    remainder = total % 11
    if prefix == "M":
        return _NRIC_TABLE["M"][10 - remainder]
    return _NRIC_TABLE[prefix][remainder]


def is_sg_nric_fin(value: str) -> bool:
    """Series letter S/T/F/G/M, seven digits and the right check letter (case-insensitive)."""
    if len(value) != 9 or _NRIC_SHAPE.fullmatch(value) is None:
        return False
    number = value.upper()
    return sg_nric_fin_check_letter(number[0], number[1:8]) == number[8]


# --- cn_mobile: mainland China subscriber numbers --------------------------------------------------------------
# Allocation table of VincentSit/ChinaMobilePhoneNumberRegex (as published in shared/vectors/
# identifiers-public.json, cn_mobile_prefix_table.regex_all_with_sms): voice, SMS and data-only 11-digit ranges,
# MVNOs included. It is finer than "14[5-9], 17[0-8]": 146 and 148 are 13-digit IoT ranges, and of 174 only
# 17400-17412 (Telecom, MIIT emergency) and 1749 (Inmarsat) are allocated.

_CN_MOBILE_SHAPE = re.compile(r"(?:(?:\+|00)?86[ \-]?)?(1[0-9]{2})[ \-]?([0-9]{4})[ \-]?([0-9]{4})")
_CN_MOBILE_ALLOCATED = re.compile(
    r"1(?:3[0-9]{3}|4[579][0-9]{2}|5[0-35-9][0-9]{2}|6[2567][0-9]{2}"
    r"|7(?:[0-35-9][0-9]{2}|4(?:0[0-9]|1[0-2]|9[0-9]))|8[0-9]{3}|9[0-35-9][0-9]{2})[0-9]{6}"
)


def is_cn_mobile(value: str) -> bool:
    """11 digits in an allocated range, optional +86/86/0086 prefix, optional space or dash separators (3-4-4)."""
    if len(value) == 11:  # the usual form: the table alone decides
        return _CN_MOBILE_ALLOCATED.fullmatch(value) is not None
    m = _CN_MOBILE_SHAPE.fullmatch(value)
    if m is None:
        return False
    return _CN_MOBILE_ALLOCATED.fullmatch(m[1] + m[2] + m[3]) is not None


# --- sg_mobile -------------------------------------------------------------------------------------------------

_SG_MOBILE_SHAPE = re.compile(r"(?:\+65[ \-]?)?[89][0-9]{3}[ \-]?[0-9]{4}")


def is_sg_mobile(value: str) -> bool:
    """8 digits starting with 8 or 9, optional +65 prefix, optional separator (4-4).

    The shape alone is weak evidence (any 8-digit number starting 8 or 9); the scanner also wants a phone key
    or the +65 prefix.
    """
    return _SG_MOBILE_SHAPE.fullmatch(value) is not None


# --- bank_card -------------------------------------------------------------------------------------------------

_CARD_SHAPE = re.compile(r"[0-9]+(?:[ \-][0-9]+)*")
_CARD_SEPARATORS = str.maketrans("", "", " -")
_CARD_ISSUER = re.compile(
    r"4"  # Visa
    r"|5[1-5]|2(?:22[1-9]|2[3-9][0-9]|[3-6][0-9]{2}|7[01][0-9]|720)"  # Mastercard 51-55, 2221-2720
    r"|3[47]"  # American Express
    r"|62"  # UnionPay
    r"|35(?:2[89]|[3-8][0-9])"  # JCB 3528-3589
    r"|6011|64[4-9]|65"  # Discover
    r"|3(?:0[0-5]|[68])"  # Diners Club 300-305, 36, 38
    r"|50(?:1[89]|20|38)|5893|6304|6759|676[1-3]"  # Dankort 5019, Maestro
)


def is_bank_card(value: str) -> bool:
    """13-19 digits (spaces or dashes between groups), a card network's prefix, and a valid Luhn check digit."""
    if _CARD_SHAPE.fullmatch(value) is None:
        return False
    digits = value.translate(_CARD_SEPARATORS)
    if not 13 <= len(digits) <= 19 or _CARD_ISSUER.match(digits) is None:
        return False
    return luhn_valid(digits)


_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(digits: str) -> bool:
    """The Luhn (ISO/IEC 7812-1) check over a string of ASCII digits; the tests check it against stdnum's."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = ord(d) - 48
        total += _LUHN_DOUBLED[n] if i & 1 else n
    return total % 10 == 0


# --- email -----------------------------------------------------------------------------------------------------
# Dot-atom local part (RFC 5322 atext, plus non-ASCII letters and digits as in RFC 6531), a domain of at least two
# labels (letters and digits of any script, inner hyphens), and an alphabetic or punycode top-level label.

_ATOM = r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]|[^\x00-\x7f\W])+"
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_EMAIL = re.compile(
    rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>(?:{_LABEL}\.)+(?:[^\W\d_]{{2,63}}|[Xx][Nn]--[A-Za-z0-9\-]{{1,59}}))"
)


def is_email(value: str) -> bool:
    """An address ``local@domain.tld``: no leading, trailing or doubled dots, at most 254 characters."""
    if len(value) > 254 or "@" not in value:
        return False
    m = _EMAIL.fullmatch(value)
    return m is not None and len(m["local"]) <= 64


# --- normalisers -----------------------------------------------------------------------------------------------

_NOT_DIGIT = re.compile(r"[^0-9]")


def _upper(value: str) -> str:
    return value.strip().upper()


def _digits(value: str) -> str:
    if value.isascii() and value.isdigit():  # the usual key (a mobile or card number as typed): nothing to remove
        return value
    return _NOT_DIGIT.sub("", value)


def _cn_mobile_key(value: str) -> str:
    return _digits(value)[-11:]


def _sg_mobile_key(value: str) -> str:
    return _digits(value)[-8:]


def _email_key(value: str) -> str:
    return value.strip().lower()


NORMALISERS: dict[str, Callable[[str], str]] = {
    "cn_resident_id": _upper,
    "sg_nric_fin": _upper,
    "bank_card": _digits,
    "cn_mobile": _cn_mobile_key,
    "sg_mobile": _sg_mobile_key,
    "email": _email_key,
}
"""Detector id to canonical form: digits only or uppercased, country prefix removed, emails lowercased."""
