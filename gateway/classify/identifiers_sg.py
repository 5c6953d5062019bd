"""Singapore identifiers beyond NRIC/FIN and mobiles: validators and normalisers.

Detector ids (a contract): ``sg_uen``, ``sg_passport``. Each validator takes one candidate the scanner has already
trimmed, returns a bool and never raises; ``key_<id>`` gives the canonical form used to key an individual or an
entity (uppercase, separators removed).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum.sg import uen

__all__ = [
    "EXTRA_UEN_ENTITY_TYPES",
    "NORMALISERS",
    "SG_PASSPORT_STRONG",
    "VALIDATORS",
    "is_sg_passport",
    "is_sg_uen",
    "key_sg_passport",
    "key_sg_uen",
]


# --- sg_uen: Unique Entity Number ------------------------------------------------------------------------------
# Three layouts (uen.gov.sg, "About UEN"): businesses registered with ACRA, 8 digits + check letter; local
# companies, year of registration + 5 digits + check letter; other entities, R/S/T (1800s/1900s/2000s) + 2-digit
# year + 2-letter entity type + 4 digits + check character. python-stdnum (stdnum.sg.uen) checks all three.
# Its entity-type list lacks some types that uen.gov.sg and FormSG (opengovsg/FormSG shared/utils/
# uen-validation.ts @ 5f3e87ee) accept; those are checked here with stdnum's own check-character function, the
# same year rule (a T year may not be in the future) and no other change.

EXTRA_UEN_ENTITY_TYPES: frozenset[str] = frozenset({"BN", "EC", "FS", "HC", "LC", "UF", "VC"})
"""Entity types valid per uen.gov.sg / FormSG but absent from python-stdnum's list (UF: foreign entities)."""

_UEN_SHAPE = re.compile(r"[0-9]{8}[A-Za-z]|[0-9]{9}[A-Za-z]|[RSTrst][0-9]{2}[A-Za-z]{2}[0-9]{4}[A-Za-z0-9]")
_UEN_OTHER_ALPHABET = frozenset("ABCDEFGHJKLMNPQRSTUVWX0123456789")  # the alphabet of stdnum's check function


def _is_extra_type_uen(number: str) -> bool:
    """An 'other entity' UEN (uppercase, shape already checked) of a type stdnum does not list."""
    if number[3:5] not in EXTRA_UEN_ENTITY_TYPES or not set(number[:9]) <= _UEN_OTHER_ALPHABET:
        return False
    # No future-year test here (stdnum makes one for its own types, with the system clock): the classifier reads
    # no clock, and the check character decides.
    return bool(uen.calc_other_check_digit(number) == number[9])


def is_sg_uen(value: str) -> bool:
    """A UEN of any of the three layouts with the right check character (case-insensitive)."""
    if len(value) not in {9, 10} or _UEN_SHAPE.fullmatch(value) is None:
        return False
    number = value.upper()
    if bool(uen.is_valid(number)):
        return True
    return len(number) == 10 and number[0] in "RST" and _is_extra_type_uen(number)


def key_sg_uen(value: str) -> str:
    """Uppercase, surrounding whitespace removed."""
    return value.strip().upper()


# --- sg_passport ------------------------------------------------------------------------------------------------
# Since the biometric passport (15 August 2006) the number is no longer the holder's NRIC and changes with every
# passport (ICA; Straits Times forum reply of 8 September 2017). Its shape: E + 7 digits + a letter
# (Microsoft Purview's "Singapore passport number" definition: pattern E/e, seven digits, a letter; checksum
# "not applicable"). Passports of the 2017 design are reported to use a K series of the same shape; we accept it
# too rather than miss current passports (no official source found). No check-letter algorithm is published, so
# only the shape and series letter are validated: weak evidence, and the scanner must require a passport key or
# keyword before reporting one.

SG_PASSPORT_STRONG: bool = False
"""Whether ``is_sg_passport`` alone is enough evidence in free text (no: shape only, no check letter)."""

_SG_PASSPORT = re.compile(r"[EKek][0-9]{7}[A-Za-z]")


def is_sg_passport(value: str) -> bool:
    """E or K, seven digits and a letter (case-insensitive); shape only, see ``SG_PASSPORT_STRONG``."""
    return len(value) == 9 and _SG_PASSPORT.fullmatch(value) is not None


def key_sg_passport(value: str) -> str:
    """Uppercase, surrounding whitespace removed."""
    return value.strip().upper()


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "sg_uen": is_sg_uen,
    "sg_passport": is_sg_passport,
}
"""Detector id to validator of one whole candidate."""

NORMALISERS: dict[str, Callable[[str], str]] = {
    "sg_uen": key_sg_uen,
    "sg_passport": key_sg_passport,
}
"""Detector id to canonical form."""
