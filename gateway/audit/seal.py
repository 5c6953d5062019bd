"""Sealed evidence: a transfer's original body encrypted to a regulator's X25519 public key. Pure.

The encryption is HPKE (RFC 9180) in base mode with the suite DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
AES-256-GCM (kem 0x0020, kdf 0x0001, aead 0x0002), done by ``cryptography``'s own HPKE rather than by hand: a
published standard, so a regulator can open a blob with any HPKE library, not only with this gateway. A blob is::

    offset  size    field
    0       4       magic "SGEV" (sealed gateway evidence)
    4       1       version, 1
    5       2       kem_id 0x0020, big-endian
    7       2       kdf_id 0x0001
    9       2       aead_id 0x0002
    11      8       recipient key id: the first 8 bytes of SHA-256 over the raw 32-byte X25519 public key
    19      32      enc: HPKE's encapsulated key (a fresh ephemeral X25519 public key per blob)
    51      n + 16  the AES-256-GCM ciphertext of the n-byte body, and its tag

HPKE's ``info`` is ``"sip-sg-gateway sealed evidence v1" || 0x00 || bytes 0-18 of the blob || aad``, and the
AEAD's associated data is empty. ``info`` enters the key schedule, so the header (version, suite, key id) and the
record (the caller passes the decision id as ``aad``) are both bound: a blob moved to another record, or with a
byte of its header changed, does not open. The record goes into ``info`` because ``cryptography``'s public HPKE
API takes no associated data; the header has a fixed length, so the concatenation is unambiguous.

There is no random nonce: HPKE derives key and nonce from the ephemeral key exchange, which is fresh for every
blob, so no key and nonce pair is ever used twice.
"""

from __future__ import annotations

import hashlib
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "AEAD_AES_256_GCM",
    "HEADER_SIZE",
    "INFO_LABEL",
    "KDF_HKDF_SHA256",
    "KEM_X25519_HKDF_SHA256",
    "MAGIC",
    "MIN_SIZE",
    "VERSION",
    "SealInvalid",
    "key_id",
    "seal",
    "seal_digest",
    "sealed_key_id",
    "unseal",
]

MAGIC = b"SGEV"
VERSION = 1
KEM_X25519_HKDF_SHA256 = 0x0020
KDF_HKDF_SHA256 = 0x0001
AEAD_AES_256_GCM = 0x0002
INFO_LABEL = b"sip-sg-gateway sealed evidence v1"

_HEADER = struct.Struct(">4sBHHH8s")  # magic, version, kem, kdf, aead, key id
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_SUITE_IDS = (KEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_256_GCM)
_ENC_SIZE = 32
_TAG_SIZE = 16
HEADER_SIZE = _HEADER.size  # 19
MIN_SIZE = HEADER_SIZE + _ENC_SIZE + _TAG_SIZE  # the blob of an empty body


class SealInvalid(ValueError):
    """A blob that is not sealed evidence, is cut short, is of an unknown version, or does not open."""


def _key_id_bytes(public: X25519PublicKey) -> bytes:
    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).digest()[:8]


def key_id(public: X25519PublicKey) -> str:
    """The key id of a regulator's public key, as a blob names it: 16 hex digits."""
    return _key_id_bytes(public).hex()


def _info(header: bytes, aad: bytes) -> bytes:
    return INFO_LABEL + b"\x00" + header + aad


def seal(plaintext: bytes, recipient: X25519PublicKey, *, aad: bytes) -> bytes:
    """``plaintext`` encrypted to ``recipient``, bound to ``aad`` (the decision id of the record it belongs to)."""
    header = _HEADER.pack(MAGIC, VERSION, *_SUITE_IDS, _key_id_bytes(recipient))
    return header + _SUITE.encrypt(plaintext, recipient, info=_info(header, aad))


def _header(sealed: bytes) -> bytes:
    """The blob's header, checked: magic, version, length and suite; the first problem found is raised."""
    if len(sealed) < len(MAGIC) or sealed[: len(MAGIC)] != MAGIC:
        if MAGIC.startswith(sealed):
            raise SealInvalid(f"truncated: {len(sealed)} bytes, sealed evidence has at least {MIN_SIZE}")
        raise SealInvalid("not sealed evidence: the blob does not start with 'SGEV'")
    if len(sealed) > len(MAGIC) and sealed[len(MAGIC)] != VERSION:
        raise SealInvalid(f"unknown version {sealed[len(MAGIC)]}; this gateway reads version {VERSION}")
    if len(sealed) < MIN_SIZE:
        raise SealInvalid(f"truncated: {len(sealed)} bytes, sealed evidence has at least {MIN_SIZE}")
    _, _, kem, kdf, aead, _ = _HEADER.unpack_from(sealed)
    if (kem, kdf, aead) != _SUITE_IDS:
        raise SealInvalid(
            f"unsupported HPKE suite kem 0x{kem:04x}, kdf 0x{kdf:04x}, aead 0x{aead:04x}; version 1 is "
            "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM (0x0020, 0x0001, 0x0002)"
        )
    return sealed[:HEADER_SIZE]


def sealed_key_id(sealed: bytes) -> str:
    """The key id of the regulator key a blob was sealed for (16 hex digits), without opening it."""
    return _header(sealed)[-8:].hex()


def unseal(sealed: bytes, private: X25519PrivateKey, *, aad: bytes) -> bytes:
    """The body sealed in ``sealed``, opened with the regulator's ``private`` key and the record's ``aad``."""
    header = _header(sealed)
    mine = _key_id_bytes(private.public_key())
    if header[-8:] != mine:
        raise SealInvalid(f"sealed for another key (key id {header[-8:].hex()}), not for this one ({mine.hex()})")
    try:
        return _SUITE.decrypt(sealed[HEADER_SIZE:], private, info=_info(header, aad))
    except InvalidTag as e:
        raise SealInvalid(
            "does not open: the blob was changed, or it belongs to a record other than the decision id given"
        ) from e


def seal_digest(sealed: bytes) -> str:
    """The digest an audit record commits to for a sealed blob: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(sealed).hexdigest()
