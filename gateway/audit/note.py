"""C2SP signed notes with Ed25519 (https://c2sp.org/signed-note), the envelope of the log's checkpoints. Pure.

A note is text (UTF-8, lines ending in a newline, no other control characters), a blank line, and one or more
signature lines ``— <key name> <base64(4-byte key id || signature)>``. The key id is the first four bytes of
``SHA-256(key name || 0x0A || 0x01 || public key)`` (0x01: Ed25519). A verifier key is written
``<name>+<8 hex key id>+<base64(0x01 || public key)>``, so that a regulator can paste it anywhere; signing keys use
the same form behind ``PRIVATE+KEY+``, as Go's ``golang.org/x/mod/sumdb/note`` writes them.

Opening a note follows the specification: signatures by keys the verifier does not know are ignored, a known key's
signature that does not verify rejects the note, and a note with no verified signature is rejected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

__all__ = ["ED25519", "NoteInvalid", "NoteSigner", "NoteVerifier", "open_note", "sign_note"]

ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space
MAX_SIGNATURES = 100  # as Go's note.Open; C2SP asks verifiers to accept at least 16


class NoteInvalid(ValueError):
    """A note, a key or a signature that is malformed or does not verify."""


def _key_id(name: str, public_key: bytes) -> int:
    return int.from_bytes(hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4], "big")


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name) or not name.isprintable():
        raise NoteInvalid(f"a key name is printable, without spaces or '+': {name!r}")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class NoteVerifier:
    """A public key that checks signatures of one name."""

    name: str
    key_id: int
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, vkey: str) -> NoteVerifier:
        """A verifier key in its text form ``name+hash+base64key``."""
        name, sep, rest = vkey.partition("+")
        hex_id, sep2, encoded = rest.partition("+")
        if not (sep and sep2) or len(hex_id) != 8:
            raise NoteInvalid("a verifier key is name+8 hex digits+base64 key")
        _check_name(name)
        try:
            key_id = int(hex_id, 16)
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as e:
            raise NoteInvalid("the verifier key's id or key is not hex and base64") from e
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteInvalid("only Ed25519 keys (type 0x01, 32 bytes) are supported")
        if _key_id(name, raw[1:]) != key_id:
            raise NoteInvalid("the verifier key's id does not match its name and key")
        return cls(name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:]))

    @classmethod
    def from_public_key(cls, name: str, public_key: Ed25519PublicKey) -> NoteVerifier:
        _check_name(name)
        return cls(name, _key_id(name, _raw_public(public_key)), public_key)

    @property
    def vkey(self) -> str:
        """The text form a regulator pastes into `gateway audit verify --key`."""
        encoded = base64.b64encode(bytes([ED25519]) + _raw_public(self.public_key)).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"


@dataclass(frozen=True)
class NoteSigner:
    """A private key that signs notes under one name."""

    name: str
    private_key: Ed25519PrivateKey

    @classmethod
    def parse(cls, skey: str) -> NoteSigner:
        """A signing key in Go's text form ``PRIVATE+KEY+name+hash+base64(0x01 || seed)``."""
        prefix, _, rest = skey.partition("+KEY+")
        if prefix != "PRIVATE":
            raise NoteInvalid("a signing key starts PRIVATE+KEY+")
        name, _, rest = rest.partition("+")
        hex_id, _, encoded = rest.partition("+")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as e:
            raise NoteInvalid("the signing key is not base64") from e
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteInvalid("only Ed25519 signing keys (type 0x01, 32-byte seed) are supported")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if f"{signer.verifier.key_id:08x}" != hex_id.lower():
            raise NoteInvalid("the signing key's id does not match its name and key")
        return signer

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """A fresh Ed25519 signing key for ``name``."""
        _check_name(name)
        return cls(name, Ed25519PrivateKey.generate())

    @property
    def skey(self) -> str:
        """The text form Go's ``note.NewSigner`` reads: ``PRIVATE+KEY+name+hash+base64(0x01 || seed)``."""
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        encoded = base64.b64encode(bytes([ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id:08x}+{encoded}"

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier.from_public_key(self.name, self.private_key.public_key())

    def signature_line(self, text: str) -> str:
        """``— name base64(key id || Ed25519 signature of text)`` and its newline."""
        signature = self.verifier.key_id.to_bytes(4, "big") + self.private_key.sign(text.encode())
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(signature).decode()}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteInvalid("a note's text ends with a newline")
    if any(c != "\n" and (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) for c in text):
        raise NoteInvalid("a note's text holds no control characters but newlines")


def sign_note(text: str, signers: list[NoteSigner]) -> str:
    """The signed note: ``text``, a blank line, one signature line per signer."""
    _check_text(text)
    if not signers:
        raise NoteInvalid("a note needs at least one signature")
    return text + "\n" + "".join(signer.signature_line(text) for signer in signers)


def open_note(note: str, verifiers: list[NoteVerifier]) -> tuple[str, list[str]]:
    """The note's text and the names whose signatures verified; :class:`NoteInvalid` when the note is malformed,
    a known key's signature fails, or no known key signed it."""
    at = note.rfind("\n\n")
    if at < 0:
        raise NoteInvalid("a note is text, a blank line and signatures")
    text, signatures = note[: at + 1], note[at + 2 :]
    _check_text(text)
    if not signatures.endswith("\n"):
        raise NoteInvalid("a signature line ends with a newline")
    lines = signatures[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteInvalid(f"more than {MAX_SIGNATURES} signatures")
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: list[str] = []
    for line in lines:
        name, signature = _signature(line)
        key_id = int.from_bytes(signature[:4], "big")
        verifier = known.get((name, key_id))
        if verifier is None:
            continue  # a cosigner or another log's key: not ours to judge
        try:
            verifier.public_key.verify(signature[4:], text.encode())
        except InvalidSignature as e:
            raise NoteInvalid(f"the signature of {name} does not verify") from e
        if name not in verified:
            verified.append(name)
    if not verified:
        raise NoteInvalid("no signature by a known key")
    return text, verified


def _signature(line: str) -> tuple[str, bytes]:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteInvalid("every line after the blank line is a signature starting with an em dash")
    name, sep, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    _check_name(name)
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error) as e:
        raise NoteInvalid(f"the signature of {name} is not base64") from e
    if not sep or len(signature) < 5:
        raise NoteInvalid(f"the signature of {name} is too short")
    return name, signature
