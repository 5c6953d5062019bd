"""Network, banking and location validators: IP vectors, IBAN, MAC and coordinates, with hard negatives.

Vectors: the ``ip_address`` entries of ``tests/vectors/identifiers-public.json`` (Presidio's recognizer tests and
RFC 791 / RFC 4291 text forms; see ``tests/vectors/SOURCES.md``), every one asserted. IBAN examples are the ones
printed in ISO 13616 / the SWIFT IBAN registry (GB82 WEST..., DE89 3704...), also used by python-stdnum's tests.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iban

from gateway.classify.identifiers_net import (
    NORMALISERS,
    VALIDATORS,
    is_geo_coordinates,
    is_host_ip_address,
    is_iban,
    is_ip_address,
    is_latitude,
    is_longitude,
    is_mac_address,
    key_geo_coordinates,
    key_iban,
    key_ip_address,
    key_latitude,
    key_longitude,
    key_mac_address,
)

VECTORS = Path(__file__).parents[1] / "vectors" / "identifiers-public.json"


@cache
def _entries() -> tuple[dict[str, Any], ...]:
    if not VECTORS.is_file():
        pytest.fail(f"published vectors missing: {VECTORS}", pytrace=False)
    return tuple(json.loads(VECTORS.read_text(encoding="utf-8"))["entries"])


def _ip_entries() -> list[dict[str, Any]]:
    entries = [e for e in _entries() if e["type"] == "ip_address"]
    assert entries, f"no ip_address entries in {VECTORS}"
    return entries


# --- iban ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "GB82 WEST 1234 5698 7654 32",
        "GB82WEST12345698765432",
        "gb82west12345698765432",
        "DE89 3704 0044 0532 0130 00",
        "NL91 ABNA 0417 1643 00",
    ],
)
def test_iban_valid(value: str) -> None:
    """Published examples in the printed and electronic forms, any case; the key is the electronic form."""
    assert is_iban(value)
    assert key_iban(value) == value.replace(" ", "").upper()


def test_iban_wrong_check_digits() -> None:
    """Changing a check digit or a BBAN character breaks MOD 97-10."""
    assert not is_iban("GB83 WEST 1234 5698 7654 32")
    assert not is_iban("GB82 WEST 1234 5698 7654 33")


def test_iban_country_length_and_structure() -> None:
    """A number with correct MOD 97-10 digits but the wrong length or structure for its country is rejected."""
    too_long = "GB00WEST123456987654321"
    too_long = too_long[:2] + iban.calc_check_digits(too_long) + too_long[4:]
    assert not is_iban(too_long)
    digits_for_bank = "GB00123412345698765432"  # GB's bank code is 4 letters
    digits_for_bank = digits_for_bank[:2] + iban.calc_check_digits(digits_for_bank) + digits_for_bank[4:]
    assert not is_iban(digits_for_bank)
    unknown = "XX00WEST12345698765432"
    unknown = unknown[:2] + iban.calc_check_digits(unknown) + unknown[4:]
    assert not is_iban(unknown)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("GB82  WEST 1234 5698 7654 32", "double space"),
        ("GB82 WES T123 4569 8765 432", "groups not of four"),
        ("GB82-WEST-1234-5698-7654-32", "dashes"),
        ("GB82 WEST 1234 5698 7654 32 ", "trailing space"),
        ("1234 5678 9012 3456", "a card number"),
        ("GB82", "too short"),
    ],
)
def test_iban_invalid_forms(value: str, reason: str) -> None:
    """Only the compact form and single-space groups of four are accepted."""
    assert not is_iban(value), reason


# --- ip_address ------------------------------------------------------------------------------------------------------


def test_ip_agrees_with_published_vectors() -> None:
    """Every published IP entry gets its verdict, which also matches Python's ipaddress annotation."""
    wrong = []
    for entry in _ip_entries():
        assert entry["valid"] == entry["python_ipaddress_valid"]
        if is_ip_address(entry["value"]) != entry["valid"]:
            wrong.append(entry["value"])
    assert wrong == []


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1.2.3", "version string"),
        ("3.11.4", "version string"),
        ("1.2.3.4.5", "five parts"),
        ("001.002.003.004", "leading zeros"),
        ("12:30:45", "a time"),
        ("2024-01-01", "a date"),
        ("1.2.3.4/24", "a network, not an address"),
        ("fe80::1%", "empty zone id"),
        ("fe80::1%eth 0", "space in zone id"),
        ("::g", "not hex"),
        ("1.2.3.4 ", "trailing space"),
        ("\u0661.\u0662.\u0663.\u0664", "Arabic-Indic digits"),
    ],
)
def test_ip_hard_negatives(value: str, reason: str) -> None:
    """Version strings, times, dates, networks and malformed text are not addresses."""
    assert not is_ip_address(value), reason


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("1.2.3.4", True),
        ("10.0.0.1", True),
        ("192.168.0.1", True),
        ("fe80::5054:ff:fe1b:b031", True),
        ("2400:c401::5054:ff:fe1b:b031", True),
        ("::ffff:10.0.0.1", True),
        ("0.0.0.0", False),  # noqa: S104 - a value under test, not a bind address
        ("::", False),
        ("127.0.0.1", False),
        ("::1", False),
        ("255.255.255.255", False),
        ("224.0.0.1", False),
        ("ff02::1", False),
        ("240.0.0.1", False),
        ("192.0.2.1", False),
        ("198.51.100.7", False),
        ("203.0.113.9", False),
        ("2001:db8::1", False),
        ("::ffff:127.0.0.1", False),
    ],
)
def test_host_addresses(value: str, host: bool) -> None:
    """Private and link-local addresses name hosts; unspecified, loopback, multicast, broadcast, reserved and
    documentation addresses do not (IPv4-mapped addresses judged by their IPv4)."""
    assert is_ip_address(value)
    assert is_host_ip_address(value) is host


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("2345:0425:2CA1:0000:0000:0567:5673:23b5", "2345:425:2ca1::567:5673:23b5"),
        ("2345:0425:2CA1::0567:5673:23b5", "2345:425:2ca1::567:5673:23b5"),
        ("fe80::1%eth0", "fe80::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("0:0:0:0:0:FFFF:129.144.52.38", "129.144.52.38"),
        ("192.168.0.1", "192.168.0.1"),
    ],
)
def test_ip_key_is_canonical(value: str, key: str) -> None:
    """Equal addresses written differently share one key (RFC 5952 text, zone dropped, mapped IPv4 unwrapped)."""
    assert key_ip_address(value) == key


# --- mac_address -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", "02:00:5e:10:00:01", "DE:AD:BE:EF:00:02"]
)
def test_mac_valid(value: str) -> None:
    """Colon, dash and Cisco forms of unicast addresses (locally administered ones too); one key for all forms."""
    assert is_mac_address(value)
    assert key_mac_address(value) == value.replace(":", "").replace("-", "").replace(".", "").upper()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("00:00:00:00:00:00", "all zeros"),
        ("ff:ff:ff:ff:ff:ff", "broadcast"),
        ("01:00:5e:00:00:fb", "IPv4 multicast group"),
        ("33:33:00:00:00:01", "IPv6 multicast group"),
        ("00:1A-2B:3C:4D:5E", "mixed separators"),
        ("00:1A:2B:3C:4D", "five octets"),
        ("00:1A:2B:3C:4D:5E:6F", "seven octets"),
        ("001A2B3C4D5E", "no separators"),
        ("0:1A:2B:3C:4D:5E", "one-digit octet"),
        ("00:1G:2B:3C:4D:5E", "not hex"),
        ("001a.2b3c:4d5e", "mixed Cisco separators"),
    ],
)
def test_mac_invalid(value: str, reason: str) -> None:
    """Group and all-zero addresses, inconsistent separators and wrong lengths are rejected."""
    assert not is_mac_address(value), reason


def test_mac_time_like() -> None:
    """Six colon-separated pairs are a MAC whatever they look like; a time has at most three pairs."""
    assert is_mac_address("12:30:45:00:00:00")
    assert not is_mac_address("12:30:45")


# --- geo_coordinates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("31.2989, 120.5853", "31.2989,120.5853"),
        ("31.2989,120.5853", "31.2989,120.5853"),
        ("(1.3521, 103.8198)", "1.3521,103.8198"),
        ("[1.3521, 103.8198]", "1.3521,103.8198"),
        ("lat 31.2989 lon 120.5853", "31.2989,120.5853"),
        ("Lat: 31.2989, Lng: 120.5853", "31.2989,120.5853"),
        ("latitude=31.29890, longitude=120.58530", "31.2989,120.5853"),
        ("纬度\uff1a31.2989\uff0c经度\uff1a120.5853", "31.2989,120.5853"),  # full-width colon and comma
        ("31.2989°N 120.5853°E", "31.2989,120.5853"),
        ("33.8688° S, 151.2093° E", "-33.8688,151.2093"),
        ("-33.8688, 151.2093", "-33.8688,151.2093"),
        ("40.7128 -74.0060", "40.7128,-74.006"),
        ("0.0000, 103.8198", "0,103.8198"),
    ],
)
def test_geo_pairs(value: str, key: str) -> None:
    """Precise pairs in common text forms; the key is signed decimal degrees without trailing zeros."""
    assert is_geo_coordinates(value)
    assert key_geo_coordinates(value) == key


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("31.298, 120.5853", "3 decimals: not precise"),
        ("31.2989, 120.585", "3 decimals: not precise"),
        ("31, 120", "integers"),
        ("91.0000, 120.5853", "latitude out of range"),
        ("31.2989, 180.0001", "longitude out of range"),
        ("120.5853, 31.2989", "longitude first (GeoJSON order) puts latitude out of range"),
        ("0.0000, 0.0000", "null island: a missing-value default"),
        ("(31.2989, 120.5853]", "mismatched brackets"),
        ("-31.2989 S, 120.5853", "sign and hemisphere together"),
        ("31.2989 E, 120.5853 N", "hemisphere letters swapped"),
        ("1.2.3.4", "an IP address"),
        ("1700000000.1234, 5.1234", "a timestamp"),
        ("31.2989", "a single value"),
        ("31.2989, 120.5853, 12.0000", "three values"),
        ("31.2989,  120.5853", "doubled space"),
    ],
)
def test_geo_hard_negatives(value: str, reason: str) -> None:
    """Imprecise, out-of-range, swapped and non-coordinate values are rejected."""
    assert not is_geo_coordinates(value), reason


@pytest.mark.parametrize(("value", "key"), [("31.2989", "31.2989"), ("-90.0000", "-90"), ("1.35210°N", "1.3521")])
def test_latitude_single(value: str, key: str) -> None:
    """A single precise latitude."""
    assert is_latitude(value)
    assert key_latitude(value) == key


@pytest.mark.parametrize(("value", "key"), [("120.5853", "120.5853"), ("-180.0000", "-180"), ("74.0060 W", "-74.006")])
def test_longitude_single(value: str, key: str) -> None:
    """A single precise longitude."""
    assert is_longitude(value)
    assert key_longitude(value) == key


@pytest.mark.parametrize("value", ["90.0001", "120.5853", "31.298", "31", "1.2.3", "31.2989 E"])
def test_latitude_invalid(value: str) -> None:
    """Out of range, imprecise, malformed or with a longitude's hemisphere."""
    assert not is_latitude(value)


@pytest.mark.parametrize("value", ["180.0001", "1000.0000", "120.585", "120.5853 N"])
def test_longitude_invalid(value: str) -> None:
    """Out of range, imprecise or with a latitude's hemisphere."""
    assert not is_longitude(value)


# --- contract and robustness -------------------------------------------------------------------------------------


def test_detector_ids_and_normalisers() -> None:
    """The detector ids of this module, each with a normaliser."""
    assert set(VALIDATORS) == set(NORMALISERS) == {"iban", "ip_address", "mac_address", "geo_coordinates"}


_NEAR_MISS = st.text(alphabet="0123456789abcdefABCDEF:.-%, ()[]°NSEWlatong", max_size=60)


@given(st.one_of(st.text(max_size=120), _NEAR_MISS))
def test_validators_and_normalisers_never_raise(value: str) -> None:
    """Any text gives a bool from every validator and a str from every normaliser."""
    for validate in (*VALIDATORS.values(), is_host_ip_address, is_latitude, is_longitude):
        assert isinstance(validate(value), bool)
    for normalise in (*NORMALISERS.values(), key_latitude, key_longitude):
        assert isinstance(normalise(value), str)
