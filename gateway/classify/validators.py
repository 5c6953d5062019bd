"""Every detector's validator and normaliser, by detector id, gathered from the modules that define them.

A validator takes one candidate (trimmed) and answers whether it is such a datum; it never raises. Validators of
*weak* detectors accept shapes that are common in data that is not personal (any short Han string may be a name,
any date a date of birth): the scanner asks them only about a value whose key announces that detector. A
normaliser gives the canonical form that keys an individual (digits only, upper case, country prefix removed).
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.classify import attributes, identifiers_cn, identifiers_net, identifiers_sg
from gateway.classify.catalogue import DETECTOR_CATEGORIES
from gateway.classify.detectors import (
    NORMALISERS as _BASE_NORMALISERS,
)
from gateway.classify.detectors import (
    is_bank_card,
    is_cn_mobile,
    is_cn_resident_id,
    is_email,
    is_sg_mobile,
    is_sg_nric_fin,
)

__all__ = ["NORMALISERS", "VALIDATORS", "WEAK_VALIDATORS", "normalise"]

DETECTOR_IDS = frozenset(DETECTOR_CATEGORIES)


def _any_resident_id(value: str) -> bool:
    if len(value) == 15:
        return identifiers_cn.is_cn_resident_id_15(value)
    return is_cn_resident_id(value)


def _geo(value: str) -> bool:
    return identifiers_net.is_geo_coordinates(value) or identifiers_net.is_latitude(value)


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "cn_resident_id": _any_resident_id,
    "sg_nric_fin": is_sg_nric_fin,
    "cn_passport": identifiers_cn.is_cn_passport,
    "sg_passport": identifiers_sg.is_sg_passport,
    "cn_mainland_travel_permit": identifiers_cn.is_cn_mainland_travel_permit,
    "bank_card": is_bank_card,
    "iban": identifiers_net.is_iban,
    "cn_mobile": is_cn_mobile,
    "sg_mobile": is_sg_mobile,
    "email": is_email,
    "cn_landline": identifiers_cn.is_cn_landline,
    "biometric": attributes.is_biometric,
    "person_name": attributes.is_person_name,
    "date_of_birth": attributes.is_date_of_birth,
    "postal_address": attributes.is_postal_address,
    "cn_plate": identifiers_cn.is_cn_plate,
    "ip_address": identifiers_net.is_ip_address,
    "mac_address": identifiers_net.is_mac_address,
    "geo_coordinates": _geo,
    "health": attributes.is_health,
    "religion": attributes.is_religion,
    "credential": attributes.is_credential,
    "cn_uscc": identifiers_cn.is_cn_uscc,
    "sg_uen": identifiers_sg.is_sg_uen,
}
"""Detector id to validator of one whole value."""


def _latitude_or_longitude(value: str) -> bool:
    return identifiers_net.is_latitude(value) or identifiers_net.is_longitude(value)


WEAK_VALIDATORS: dict[str, Callable[[str], bool]] = {
    "person_name": attributes.is_person_name,
    "date_of_birth": attributes.is_date_of_birth,
    "postal_address": attributes.is_postal_address,
    "health": attributes.is_health_under_key,
    "religion": attributes.is_religion,
    "biometric": attributes.is_biometric,
    "credential": attributes.is_credential,
    "geo_coordinates": _latitude_or_longitude,
    "cn_mainland_travel_permit": identifiers_cn.is_cn_mainland_travel_permit,
    "cn_passport": identifiers_cn.is_cn_passport,
    "sg_passport": identifiers_sg.is_sg_passport,
    "cn_landline": identifiers_cn.is_cn_landline,
    "sg_mobile": is_sg_mobile,
    "ip_address": identifiers_net.is_ip_address,
    "mac_address": identifiers_net.is_mac_address,
    "cn_plate": identifiers_cn.is_cn_plate,
}
"""Validators the scanner asks about a whole value only when the key above it announces the detector."""


def _resident_id_key(value: str) -> str:
    """Upper case; a first-generation 15-digit id widened to its 18-character form, so that both forms of one
    person's number key one individual and carry the birth date where the 18-character form has it."""
    stripped = value.strip()
    if len(stripped) == 15:
        return identifiers_cn.key_cn_resident_id_15(stripped)
    return stripped.upper()


def _collapse(value: str) -> str:
    return " ".join(value.split()).casefold()


NORMALISERS: dict[str, Callable[[str], str]] = {
    **_BASE_NORMALISERS,
    "cn_resident_id": _resident_id_key,
    # The identifier modules' own keys: +86 512 ... and 0512 ... give one landline, an IPv4-mapped IPv6 address
    # its IPv4 form, a MAC address its twelve hex digits.
    **{d: fn for d, fn in identifiers_cn.NORMALISERS.items() if d in DETECTOR_IDS},
    **identifiers_sg.NORMALISERS,
    **{d: fn for d, fn in identifiers_net.NORMALISERS.items() if d in DETECTOR_IDS},
    "person_name": _collapse,
    "postal_address": _collapse,
    "date_of_birth": _collapse,
    "health": _collapse,
    "religion": _collapse,
}
"""Detector id to canonical form; detectors not listed key by their value as found."""


def normalise(detector: str, value: str) -> str:
    """The canonical form of a value found by ``detector`` (the value itself for an unknown detector)."""
    fn = NORMALISERS.get(detector)
    return value if fn is None else fn(value)
