"""Sealed evidence: RFC 9180 HPKE blobs a third party can open, bound to their record, refused when altered.

A small RFC 9180 implementation written here from the RFC's pseudo-code (base mode, DHKEM(X25519, HKDF-SHA256),
HKDF-SHA256, AES-GCM) stands for the third party: it is checked against the RFC's published test vector (A.1.1),
then opens the gateway's blobs and makes blobs the gateway opens, which shows the format is standard HPKE as
documented and not only something this gateway can read back.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from gateway.audit.seal import (
    HEADER_SIZE,
    INFO_LABEL,
    MIN_SIZE,
    SealInvalid,
    key_id,
    seal,
    seal_digest,
    sealed_key_id,
    unseal,
)

# RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode; encryption sequence 0.
A11 = {
    "info": "4f6465206f6e2061204772656369616e2055726e",
    "skEm": "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
    "pkEm": "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    "skRm": "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
    "pkRm": "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
    "shared_secret": "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc",
    "key_schedule_context": "00725611c9d98c07c03f60095cd32d400d8347d45ed67097bbad50fc56da742d07"
    "cb6cffde367bb0565ba28bb02c90744a20f5ef37f30523526106f637abb05449",
    "secret": "12fff91991e93b48de37e7daddb52981084bd8aa64289c3788471d9a9712f397",
    "key": "4531685d41d65f03dc48f6b8302c05b0",
    "base_nonce": "56d890e5accaaf011cff4b7d",
    "pt": "4265617574792069732074727574682c20747275746820626561757479",
    "aad": "436f756e742d30",
    "ct": "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a",
}
AES_128_GCM, AES_256_GCM = 0x0001, 0x0002
BODY = b'{"employees":[{"name":"Wang Fang","resident_id":"11010519491231002X"}]}'
DECISION = b"4d3c2b1a-0000-4000-8000-000000000001"


# --- the third party: RFC 9180 from its pseudo-code ------------------------------------------------------------


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()  # an empty salt is HashLen zeros once HMAC pads it


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out, counter = out + block, counter + 1
    return out[:length]


def _labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def _labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return _expand(prk, length.to_bytes(2, "big") + b"HPKE-v1" + suite_id + label + info, length)


_KEM_ID = b"KEM\x00\x20"


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _shared_secret(dh: bytes, enc: bytes, pk_r: bytes) -> bytes:
    prk = _labeled_extract(_KEM_ID, b"", b"eae_prk", dh)
    return _labeled_expand(_KEM_ID, prk, b"shared_secret", enc + pk_r, 32)


def _key_schedule(shared_secret: bytes, info: bytes, aead: int) -> dict[str, bytes]:
    suite_id = b"HPKE\x00\x20\x00\x01" + aead.to_bytes(2, "big")
    context = (
        b"\x00"
        + _labeled_extract(suite_id, b"", b"psk_id_hash", b"")
        + _labeled_extract(suite_id, b"", b"info_hash", info)
    )
    secret = _labeled_extract(suite_id, shared_secret, b"secret", b"")
    key_size = 16 if aead == AES_128_GCM else 32
    return {
        "key_schedule_context": context,
        "secret": secret,
        "key": _labeled_expand(suite_id, secret, b"key", context, key_size),
        "base_nonce": _labeled_expand(suite_id, secret, b"base_nonce", context, 12),
    }


def rfc_seal(
    pk_r: X25519PublicKey, sk_e: X25519PrivateKey, info: bytes, aad: bytes, pt: bytes, aead: int
) -> tuple[bytes, bytes]:
    """SealBase with a given ephemeral key (RFC 9180 s.6.1): (enc, ct)."""
    enc = _raw(sk_e.public_key())
    schedule = _key_schedule(_shared_secret(sk_e.exchange(pk_r), enc, _raw(pk_r)), info, aead)
    return enc, AESGCM(schedule["key"]).encrypt(schedule["base_nonce"], pt, aad)


def rfc_open(sk_r: X25519PrivateKey, enc: bytes, info: bytes, aad: bytes, ct: bytes, aead: int) -> bytes:
    """OpenBase (RFC 9180 s.6.1)."""
    dh = sk_r.exchange(X25519PublicKey.from_public_bytes(enc))
    schedule = _key_schedule(_shared_secret(dh, enc, _raw(sk_r.public_key())), info, aead)
    return AESGCM(schedule["key"]).decrypt(schedule["base_nonce"], ct, aad)


def _x(name: str) -> bytes:
    return bytes.fromhex(A11[name])


def test_the_reference_reproduces_rfc_9180_a_1_1() -> None:
    """The third party's HPKE matches the RFC's published vector at every step, and opens the RFC's ciphertext."""
    sk_e = X25519PrivateKey.from_private_bytes(_x("skEm"))
    sk_r = X25519PrivateKey.from_private_bytes(_x("skRm"))
    assert _raw(sk_e.public_key()) == _x("pkEm")
    assert _raw(sk_r.public_key()) == _x("pkRm")
    shared = _shared_secret(sk_e.exchange(sk_r.public_key()), _x("pkEm"), _x("pkRm"))
    assert shared == _x("shared_secret")
    schedule = _key_schedule(shared, _x("info"), AES_128_GCM)
    assert {name: value.hex() for name, value in schedule.items()} == {
        name: A11[name] for name in ("key_schedule_context", "secret", "key", "base_nonce")
    }
    enc, ct = rfc_seal(sk_r.public_key(), sk_e, _x("info"), _x("aad"), _x("pt"), AES_128_GCM)
    assert (enc, ct) == (_x("pkEm"), _x("ct"))
    assert rfc_open(sk_r, enc, _x("info"), _x("aad"), ct, AES_128_GCM) == _x("pt")


# --- the format, read as a third party reads it ----------------------------------------------------------------


@pytest.fixture(scope="module")
def regulator() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def _info(blob: bytes, aad: bytes) -> bytes:
    return INFO_LABEL + b"\x00" + blob[:HEADER_SIZE] + aad


def test_a_blob_is_laid_out_as_documented(regulator: X25519PrivateKey) -> None:
    """Magic, version, suite ids, the key id, a 32-byte enc, then the ciphertext with its 16-byte tag."""
    blob = seal(BODY, regulator.public_key(), aad=DECISION)
    assert blob[:4] == b"SGEV"
    assert blob[4] == 1
    assert blob[5:11] == bytes.fromhex("002000010002")  # kem 0x0020, kdf 0x0001, aead 0x0002
    assert blob[11:19] == hashlib.sha256(_raw(regulator.public_key())).digest()[:8]
    assert len(blob) == HEADER_SIZE + 32 + len(BODY) + 16
    assert sealed_key_id(blob) == key_id(regulator.public_key()) == blob[11:19].hex()
    assert re.fullmatch(r"[0-9a-f]{16}", key_id(regulator.public_key()))


def test_a_third_party_opens_the_gateways_blob_with_rfc_9180(regulator: X25519PrivateKey) -> None:
    """Any HPKE implementation opens a blob given the private key, the documented info and the decision id."""
    blob = seal(BODY, regulator.public_key(), aad=DECISION)
    enc, ct = blob[HEADER_SIZE : HEADER_SIZE + 32], blob[HEADER_SIZE + 32 :]
    assert rfc_open(regulator, enc, _info(blob, DECISION), b"", ct, AES_256_GCM) == BODY


def test_the_gateway_opens_a_blob_a_third_party_sealed(regulator: X25519PrivateKey) -> None:
    """A blob made by the reference HPKE (with a chosen ephemeral key) opens with unseal."""
    header = b"SGEV\x01\x00\x20\x00\x01\x00\x02" + bytes.fromhex(key_id(regulator.public_key()))
    sk_e = X25519PrivateKey.from_private_bytes(_x("skEm"))
    enc, ct = rfc_seal(regulator.public_key(), sk_e, _info(header, DECISION), b"", BODY, AES_256_GCM)
    assert unseal(header + enc + ct, regulator, aad=DECISION) == BODY


# --- sealing and opening -----------------------------------------------------------------------------------------


@given(body=st.binary(max_size=2048), aad=st.binary(max_size=64))
def test_unseal_opens_what_seal_made(regulator: X25519PrivateKey, body: bytes, aad: bytes) -> None:
    assert unseal(seal(body, regulator.public_key(), aad=aad), regulator, aad=aad) == body


def test_each_seal_uses_a_fresh_ephemeral_key(regulator: X25519PrivateKey) -> None:
    """The same body sealed twice gives two different blobs (and digests); both open."""
    first, second = (seal(BODY, regulator.public_key(), aad=DECISION) for _ in range(2))
    assert first[HEADER_SIZE : HEADER_SIZE + 32] != second[HEADER_SIZE : HEADER_SIZE + 32]
    assert seal_digest(first) != seal_digest(second)
    assert unseal(first, regulator, aad=DECISION) == unseal(second, regulator, aad=DECISION) == BODY


def test_a_blob_moved_to_another_record_does_not_open(regulator: X25519PrivateKey) -> None:
    blob = seal(BODY, regulator.public_key(), aad=DECISION)
    with pytest.raises(SealInvalid, match="belongs to a record other than the decision id given"):
        unseal(blob, regulator, aad=b"4d3c2b1a-0000-4000-8000-000000000002")


def test_another_regulators_key_is_told_apart(regulator: X25519PrivateKey) -> None:
    """The error names both key ids, so the holder knows whose key the blob needs."""
    other = X25519PrivateKey.generate()
    blob = seal(BODY, regulator.public_key(), aad=DECISION)
    with pytest.raises(SealInvalid) as caught:
        unseal(blob, other, aad=DECISION)
    want, got = key_id(regulator.public_key()), key_id(other.public_key())
    assert str(caught.value) == f"sealed for another key (key id {want}), not for this one ({got})"


def test_every_flipped_bit_is_refused(regulator: X25519PrivateKey) -> None:
    """One bit changed anywhere and the blob does not open, with the reason of the part changed; no data shown."""
    body = b'{"mobile":"13800138000"}'
    blob = seal(body, regulator.public_key(), aad=DECISION)
    reason = [
        *["not sealed evidence"] * 4,
        "unknown version",
        *["unsupported HPKE suite"] * 6,
        *["sealed for another key"] * 8,
        *["does not open"] * (len(blob) - HEADER_SIZE),  # enc, ciphertext, tag
    ]
    for i in range(len(blob) * 8):
        changed = bytearray(blob)
        changed[i // 8] ^= 1 << (i % 8)
        with pytest.raises(SealInvalid) as caught:
            unseal(bytes(changed), regulator, aad=DECISION)
        assert str(caught.value).startswith(reason[i // 8]), (i // 8, str(caught.value))
        assert "13800138000" not in str(caught.value)


def test_a_cut_or_lengthened_blob_is_refused(regulator: X25519PrivateKey) -> None:
    blob = seal(BODY, regulator.public_key(), aad=DECISION)
    for size in range(len(blob)):
        with pytest.raises(SealInvalid) as caught:
            unseal(blob[:size], regulator, aad=DECISION)
        assert str(caught.value).startswith("truncated" if size < MIN_SIZE else "does not open"), size
    with pytest.raises(SealInvalid, match=r"^does not open"):
        unseal(blob + b"\x00", regulator, aad=DECISION)


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", f"truncated: 0 bytes, sealed evidence has at least {MIN_SIZE}"),
        (b"SG", f"truncated: 2 bytes, sealed evidence has at least {MIN_SIZE}"),
        (b"SGEV\x01" + bytes(20), f"truncated: 25 bytes, sealed evidence has at least {MIN_SIZE}"),
        (b"-----BEGIN PRIVATE KEY-----\n" + bytes(80), "not sealed evidence: the blob does not start with 'SGEV'"),
        (b"SGEV\x02" + bytes(80), "unknown version 2; this gateway reads version 1"),
        (b"SGEV\x02", "unknown version 2; this gateway reads version 1"),
        (
            b"SGEV\x01\x00\x20\x00\x01\x00\x01" + bytes(80),
            "unsupported HPKE suite kem 0x0020, kdf 0x0001, aead 0x0001; version 1 is "
            "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM (0x0020, 0x0001, 0x0002)",
        ),
    ],
    ids=["empty", "short-magic", "short", "a-pem-file", "version-2", "version-2-alone", "aes-128"],
)
def test_what_is_not_a_version_1_blob_is_named(regulator: X25519PrivateKey, blob: bytes, message: str) -> None:
    with pytest.raises(SealInvalid) as caught:
        unseal(blob, regulator, aad=DECISION)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


def test_seal_digest_is_sha256_of_the_blob(regulator: X25519PrivateKey) -> None:
    blob = seal(BODY, regulator.public_key(), aad=DECISION)
    assert seal_digest(blob) == "sha256:" + hashlib.sha256(blob).hexdigest()
    assert seal_digest(b"") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
