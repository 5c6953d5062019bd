"""Network, banking and location identifiers: validators and normalisers.

Detector ids (a contract): ``iban``, ``ip_address``, ``mac_address``, ``geo_coordinates``. Each validator takes one
candidate the scanner has already trimmed, returns a bool and never raises; ``key_<id>`` gives the canonical form
used to key an individual (uppercase or the address's canonical text, separators removed).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from decimal import Decimal

from stdnum import iban

__all__ = [
    "NORMALISERS",
    "VALIDATORS",
    "is_geo_coordinates",
    "is_host_ip_address",
    "is_iban",
    "is_ip_address",
    "is_latitude",
    "is_longitude",
    "is_mac_address",
    "key_geo_coordinates",
    "key_iban",
    "key_ip_address",
    "key_latitude",
    "key_longitude",
    "key_mac_address",
]


# --- iban: ISO 13616 --------------------------------------------------------------------------------------------
# python-stdnum checks the country's length and BBAN structure (its IBAN registry copy), the ISO 7064 MOD 97-10
# check digits and, where it has one, the country's national check. We accept the compact (electronic) form or the
# printed form: groups of four separated by single spaces, the last group shorter.

_IBAN_COMPACT = re.compile(r"[A-Za-z]{2}[0-9]{2}[A-Za-z0-9]{11,30}")
_IBAN_PRINTED = re.compile(r"[A-Za-z]{2}[0-9]{2}(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,3})?")


def is_iban(value: str) -> bool:
    """An IBAN (compact, or printed in groups of four) with a known country, its length and structure, and valid
    MOD 97-10 check digits; case-insensitive."""
    if not 15 <= len(value) <= 42:
        return False
    if _IBAN_COMPACT.fullmatch(value) is None and _IBAN_PRINTED.fullmatch(value) is None:
        return False
    compact = value.replace(" ", "").upper()
    # ISO 7064 MOD 97-10 first, in one integer operation: most candidates fail it, and stdnum's registry lookup
    # costs some 40 microseconds.
    if int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97 != 1:
        return False
    return bool(iban.is_valid(compact))


def key_iban(value: str) -> str:
    """Uppercase, spaces removed (the electronic form)."""
    return re.sub(r"\s", "", value).upper()


# --- ip_address --------------------------------------------------------------------------------------------------
# IPv4 dotted quad (RFC 791; no leading zeros: Python's ipaddress rejects them since 3.9.5, as octal readings made
# them ambiguous) and every RFC 4291 §2.2 text form of IPv6 ("::" compression, embedded IPv4), with an RFC 4007
# zone id. A cheap character check keeps arbitrary text away from the parser.

_IPV4_SHAPE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_IPV6_SHAPE = re.compile(r"[0-9A-Fa-f:.]{2,45}(?:%[0-9A-Za-z_.~\-]{1,64})?")

_IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse_ip(value: str) -> _IpAddress | None:
    try:
        if _IPV4_SHAPE.fullmatch(value) is not None:
            return ipaddress.IPv4Address(value)
        if ":" in value and _IPV6_SHAPE.fullmatch(value) is not None:
            return ipaddress.IPv6Address(value)
    except ValueError:  # AddressValueError is a ValueError
        return None
    return None


def is_ip_address(value: str) -> bool:
    """An IPv4 or IPv6 address in any standard text form (``1.2.3.4`` is an address: context is the scanner's)."""
    return _parse_ip(value) is not None


# Addresses that name no host, hence no person: unspecified (0.0.0.0, ::), loopback, multicast, the limited
# broadcast, IPv4 class E (240.0.0.0/4) and the documentation ranges (RFC 5737, RFC 3849). Private and link-local
# addresses stay host addresses: they identify a device within its network, and IPv6 interface ids built from a
# MAC (EUI-64) identify it everywhere.
_DOCUMENTATION = (
    ipaddress.ip_network("192.0.2.0/24"),
    ipaddress.ip_network("198.51.100.0/24"),
    ipaddress.ip_network("203.0.113.0/24"),
    ipaddress.ip_network("2001:db8::/32"),
)
_LIMITED_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def _names_a_host(address: _IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified or address.is_loopback or address.is_multicast or address == _LIMITED_BROADCAST:
        return False
    if isinstance(address, ipaddress.IPv4Address) and address.is_reserved:
        return False
    return not any(address.version == net.version and address in net for net in _DOCUMENTATION)


def is_host_ip_address(value: str) -> bool:
    """An IP address that can name a host (hence relate to a person): not unspecified, loopback, multicast,
    broadcast, reserved or documentation-only. IPv4-mapped IPv6 addresses are judged by their IPv4 address."""
    address = _parse_ip(value)
    return address is not None and _names_a_host(address)


def key_ip_address(value: str) -> str:
    """The canonical text (RFC 5952 for IPv6), zone id dropped; an IPv4-mapped IPv6 address keys as its IPv4."""
    address = _parse_ip(value.strip())
    if address is None:
        return value.strip().lower()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Address(int(address)))  # without the scope id
    return str(address)


# --- mac_address: EUI-48 -----------------------------------------------------------------------------------------
# IEEE 802 text forms: six hex pairs with one consistent separator (':' or '-'), or Cisco's three dotted groups of
# four. Group addresses (the I/G bit, least significant bit of the first octet: multicast and the broadcast
# ff:ff:ff:ff:ff:ff) and the all-zero address name no device and are rejected. Locally administered addresses
# (randomised per network by phones) are kept: they still single out a device on that network.

_MAC_PAIRS = re.compile(r"[0-9A-Fa-f]{2}([:\-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}")
_MAC_CISCO = re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}")
_MAC_SEPARATORS = str.maketrans("", "", ":-.")


def _mac_hex(value: str) -> str | None:
    if len(value) not in {14, 17} or (_MAC_PAIRS.fullmatch(value) is None and _MAC_CISCO.fullmatch(value) is None):
        return None
    return value.translate(_MAC_SEPARATORS).upper()


def is_mac_address(value: str) -> bool:
    """An EUI-48 address (``aa:bb:cc:dd:ee:ff``, ``aa-bb-...``, ``aabb.ccdd.eeff``) of one device: not all zeros
    and not a group (multicast or broadcast) address."""
    hex12 = _mac_hex(value)
    if hex12 is None or hex12 == "000000000000":
        return False
    return int(hex12[:2], 16) & 1 == 0


def key_mac_address(value: str) -> str:
    """Twelve uppercase hex digits, separators removed."""
    hex12 = _mac_hex(value.strip())
    return hex12 if hex12 is not None else value.strip().upper()


# --- geo_coordinates --------------------------------------------------------------------------------------------
# A precise position: latitude then longitude (ISO 6709 order, as Google Maps and most text give it; GeoJSON's
# [lon, lat] arrays are not recognised unless the first value is out of latitude range anyway), decimal degrees
# with at least 4 decimals (1e-4 degree is about 11 m of latitude), optional degree sign and hemisphere letter,
# optional "lat"/"lon"/"lng" (or 纬度/经度) labels, comma, semicolon or space between, optional brackets.
# 0.0000, 0.0000 ("null island") is a missing-value default, not a position, and is rejected.

_DECIMALS = r"\.[0-9]{4,15}"
_LAT_NUMBER = rf"(?P<lat>[+\-]?[0-9]{{1,2}}{_DECIMALS})°?(?:[ ]?(?P<lat_h>[NSns]))?"
_LON_NUMBER = rf"(?P<lon>[+\-]?[0-9]{{1,3}}{_DECIMALS})°?(?:[ ]?(?P<lon_h>[EWew]))?"
_LAT_LABEL = r"(?:(?i:lat(?:itude)?)|纬度)[ ]?[:=\uff1a]?[ ]?"  # \uff1a: full-width colon
_LON_LABEL = r"(?:(?i:lng|lon(?:g(?:itude)?)?)|经度)[ ]?[:=\uff1a]?[ ]?"
_GEO_SEPARATOR = r"[ ]?(?:[,;\uff0c][ ]?|[ ])"  # \uff0c: full-width comma
_GEO_PAIR = re.compile(
    rf"(?P<open>[(\[])?[ ]?(?:{_LAT_LABEL})?{_LAT_NUMBER}"
    rf"{_GEO_SEPARATOR}(?:{_LON_LABEL})?{_LON_NUMBER}[ ]?(?P<close>[)\]])?"
)
_LATITUDE = re.compile(_LAT_NUMBER)
_LONGITUDE = re.compile(_LON_NUMBER)
_BRACKETS = {None: None, "(": ")", "[": "]"}


def _signed(number: str, hemisphere: str | None, negative: str) -> Decimal | None:
    """The signed value, or None when a sign and a hemisphere letter are both given."""
    value = Decimal(number)
    if hemisphere is None:
        return value
    if number[0] in "+-":
        return None
    return -value if hemisphere.upper() == negative else value


def _latitude(m: re.Match[str]) -> Decimal | None:
    value = _signed(m["lat"], m["lat_h"], "S")
    return value if value is not None and -90 <= value <= 90 else None


def _longitude(m: re.Match[str]) -> Decimal | None:
    value = _signed(m["lon"], m["lon_h"], "W")
    return value if value is not None and -180 <= value <= 180 else None


def _geo_pair(value: str) -> tuple[Decimal, Decimal] | None:
    if len(value) > 120:
        return None
    m = _GEO_PAIR.fullmatch(value)
    if m is None or _BRACKETS.get(m["open"]) != m["close"]:
        return None
    lat, lon = _latitude(m), _longitude(m)
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None
    return lat, lon


def is_geo_coordinates(value: str) -> bool:
    """A latitude, longitude pair in decimal degrees with at least 4 decimals each, in range, not 0, 0:
    ``31.2989, 120.5853``, ``(1.3521, 103.8198)``, ``lat 31.2989 lon 120.5853``, ``31.2989°N 120.5853°E``."""
    return _geo_pair(value) is not None


def is_latitude(value: str) -> bool:
    """One latitude in decimal degrees, at least 4 decimals, within [-90, 90] (for values under a "lat" key)."""
    m = _LATITUDE.fullmatch(value) if len(value) <= 24 else None
    return m is not None and _latitude(m) is not None


def is_longitude(value: str) -> bool:
    """One longitude in decimal degrees, at least 4 decimals, within [-180, 180] (for values under "lng"/"lon")."""
    m = _LONGITUDE.fullmatch(value) if len(value) <= 24 else None
    return m is not None and _longitude(m) is not None


def _decimal_text(value: Decimal) -> str:
    return f"{value.normalize() + 0:f}"  # trailing zeros and a negative zero removed


def key_geo_coordinates(value: str) -> str:
    """``lat,lon`` as signed decimal degrees, trailing zeros removed (hemisphere letters turned into signs)."""
    pair = _geo_pair(value.strip())
    if pair is None:
        return value.strip()
    return f"{_decimal_text(pair[0])},{_decimal_text(pair[1])}"


def key_latitude(value: str) -> str:
    """Signed decimal degrees, trailing zeros removed."""
    m = _LATITUDE.fullmatch(value.strip())
    lat = None if m is None else _latitude(m)
    return value.strip() if lat is None else _decimal_text(lat)


def key_longitude(value: str) -> str:
    """Signed decimal degrees, trailing zeros removed."""
    m = _LONGITUDE.fullmatch(value.strip())
    lon = None if m is None else _longitude(m)
    return value.strip() if lon is None else _decimal_text(lon)


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "iban": is_iban,
    "ip_address": is_ip_address,
    "mac_address": is_mac_address,
    "geo_coordinates": is_geo_coordinates,
}
"""Detector id to validator of one whole candidate."""

NORMALISERS: dict[str, Callable[[str], str]] = {
    "iban": key_iban,
    "ip_address": key_ip_address,
    "mac_address": key_mac_address,
    "geo_coordinates": key_geo_coordinates,
}
"""Detector id to canonical form."""
