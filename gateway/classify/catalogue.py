"""The detectors the classifier knows: their ids, the data category each reports by default, and what they say
about a person. Data, not code: a policy overrides the categories (``classification.categories``).

The ids are a contract: policies name them in ``detectors_any`` and obligations, audit records count them,
regulators' reports group by them. Add ids; never rename one.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "DETECTORS",
    "DETECTOR_CATEGORIES",
    "DETECTOR_PRIORITY",
    "ORGANISATION_DETECTORS",
    "DetectorInfo",
]


class DetectorInfo(NamedTuple):
    """One built-in detector."""

    id: str
    category: str  # default data category (policies/vocabulary.yaml)
    what: str  # one line for operators and the `gateway classify` documentation
    organisation: bool = False  # identifies a company, not a person: never makes or keys an individual


DETECTORS: tuple[DetectorInfo, ...] = (
    # Strongest identifiers first: the order in which an individual's key is chosen.
    DetectorInfo("cn_resident_id", "SPI.GOV_ID", "PRC resident identity card number (18 or 15 digits)"),
    DetectorInfo("sg_nric_fin", "SPI.GOV_ID", "Singapore NRIC or FIN (S, T, F, G, M series)"),
    DetectorInfo("cn_passport", "SPI.GOV_ID", "PRC passport number"),
    DetectorInfo("sg_passport", "SPI.GOV_ID", "Singapore passport number"),
    DetectorInfo(
        "cn_mainland_travel_permit", "SPI.GOV_ID", "Mainland travel permit for Hong Kong, Macao or Taiwan residents"
    ),
    DetectorInfo("bank_card", "SPI.FIN_ACCOUNT", "Payment card number (Luhn, card network prefix)"),
    DetectorInfo("iban", "SPI.FIN_ACCOUNT", "International bank account number (ISO 13616)"),
    DetectorInfo("cn_mobile", "PI.CONTACT", "Mainland China mobile number"),
    DetectorInfo("sg_mobile", "PI.CONTACT", "Singapore mobile number"),
    DetectorInfo("email", "PI.CONTACT", "E-mail address"),
    DetectorInfo("cn_landline", "PI.CONTACT", "Mainland China fixed-line number"),
    DetectorInfo("biometric", "SPI.BIOMETRIC", "Face image or biometric template"),
    DetectorInfo("person_name", "PI.BASIC", "Person's name (Chinese by surname; Latin script by field name)"),
    DetectorInfo("date_of_birth", "PI.BASIC", "Date of birth"),
    DetectorInfo("postal_address", "PI.CONTACT", "Postal address (Chinese or Singaporean)"),
    DetectorInfo("cn_plate", "PI.BASIC", "Mainland China vehicle registration plate"),
    DetectorInfo("ip_address", "PI.ONLINE_ID", "IPv4 or IPv6 address"),
    DetectorInfo("mac_address", "PI.ONLINE_ID", "Hardware (MAC, EUI-48) address"),
    DetectorInfo("geo_coordinates", "SPI.LOCATION", "Precise latitude and longitude"),
    DetectorInfo("health", "SPI.HEALTH", "Health data: ICD-10 codes, diseases, medication, procedures"),
    DetectorInfo("religion", "SPI.RELIGION", "Religious belief"),
    DetectorInfo("credential", "SPI.CREDENTIAL", "Password, secret, API key or private key"),
    DetectorInfo("cn_uscc", "NP.BUSINESS", "Unified social credit code of a Chinese organisation", organisation=True),
    DetectorInfo("sg_uen", "NP.BUSINESS", "Singapore unique entity number of an organisation", organisation=True),
)

DETECTOR_CATEGORIES: dict[str, str] = {d.id: d.category for d in DETECTORS}
"""Data category of each detector's findings (reference vocabulary of the policy)."""

DETECTOR_PRIORITY: tuple[str, ...] = tuple(d.id for d in DETECTORS if not d.organisation)
"""Strongest identifier first: the order in which an individual's key is chosen."""

ORGANISATION_DETECTORS: frozenset[str] = frozenset(d.id for d in DETECTORS if d.organisation)
"""Detectors whose findings name a company: they are reported, but belong to no individual."""
