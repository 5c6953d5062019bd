"""Key material: Ed25519 token-signing keys as JWKS, the HMAC key for subject hashes, the checkpoint signing key.

Keys are generated with ``cryptography`` and written with owner-only permissions. The key id is the RFC 7638
JWK thumbprint, so it is derived from the key and cannot drift from it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.audit.note import NoteInvalid, NoteSigner
from gateway.errors import ConfigError

__all__ = [
    "SigningKey",
    "create_checkpoint_key",
    "create_pseudonym_keys",
    "generate_signing_key",
    "jwk_thumbprint",
    "load_checkpoint_signer",
    "load_named_keys",
    "load_pseudonym_keys",
    "load_secret",
    "new_secret",
    "pseudonym_key_file",
    "public_jwk",
    "write_private",
]


_K = TypeVar("_K")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An Ed25519 key pair with its public JWK."""

    private_pem: bytes
    jwk: dict[str, str]

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.jwk]}


def jwk_thumbprint(public: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint of an Ed25519 public key: SHA-256 over its required members (crv, kty, x),
    sorted, without white space."""
    members = _required_members(public)
    return _b64url(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest())


def public_jwk(public: Ed25519PublicKey) -> dict[str, str]:
    """The public JWK of an Ed25519 key for EdDSA signatures, with its thumbprint as ``kid``."""
    return {**_required_members(public), "kid": jwk_thumbprint(public), "alg": "EdDSA", "use": "sig"}


def _required_members(public: Ed25519PublicKey) -> dict[str, str]:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}


def generate_signing_key() -> SigningKey:
    """A fresh Ed25519 key; ``kid`` is its RFC 7638 thumbprint."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningKey(pem, public_jwk(private.public_key()))


def new_secret() -> bytes:
    """32 random bytes for HMAC keys."""
    return secrets.token_bytes(32)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only; refuse to overwrite an existing key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def load_secret(path: Path) -> bytes:
    """Read an HMAC key file (hex); at least 32 bytes."""
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read the key (hex expected): {e.__class__.__name__}", file=str(path)) from e
    if len(key) < 32:
        raise ConfigError("the key is shorter than 32 bytes", file=str(path))
    return key


def pseudonym_key_file(keys_dir: Path, name: str) -> Path:
    """Where the pseudonymisation key ``name`` (as a policy names it) is kept: ``<keys>/pseudonym/<name>.key``."""
    return keys_dir / "pseudonym" / f"{name}.key"


def load_named_keys(
    names: frozenset[str], where: Callable[[str], Path], read: Callable[[Path], _K], missing: Callable[[str], str]
) -> dict[str, _K]:
    """The keys a policy names, each read from ``where(name)``; a missing one is a :class:`ConfigError` naming the
    file, with ``missing(name)`` saying what to do."""
    keys = {}
    for name in sorted(names):
        path = where(name)
        if not path.exists():
            raise ConfigError(missing(name), file=str(path))
        keys[name] = read(path)
    return keys


def load_pseudonym_keys(keys_dir: Path, names: frozenset[str]) -> dict[str, bytes]:
    """The pseudonymisation keys a policy names; a missing one is a start-up error that says how to make it."""
    return load_named_keys(
        names,
        partial(pseudonym_key_file, keys_dir),
        load_secret,
        lambda name: (
            f"the policy pseudonymises with key {name!r}, which does not exist; "
            "`gateway keys init --config ...` creates it"
        ),
    )


def create_pseudonym_keys(keys_dir: Path, names: frozenset[str]) -> list[Path]:
    """Create the missing pseudonymisation keys among ``names``; the paths created."""
    created = []
    for name in sorted(names):
        path = pseudonym_key_file(keys_dir, name)
        if not path.exists():
            write_private(path, new_secret().hex().encode())
            created.append(path)
    return created


def create_checkpoint_key(path: Path, origin: str) -> bool:
    """Create the log's checkpoint signing key for ``origin`` if it is missing; whether it was created."""
    if path.exists():
        return False
    write_private(path, (NoteSigner.generate(origin).skey + "\n").encode())
    return True


def load_checkpoint_signer(path: Path, origin: str) -> NoteSigner:
    """The key that signs checkpoints; its name must be the log's origin, so verifiers can match the two."""
    if not path.exists():
        raise ConfigError(
            "the checkpoint signing key does not exist; `gateway keys init --config ...` creates it", file=str(path)
        )
    try:
        signer = NoteSigner.parse(path.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, NoteInvalid) as e:
        raise ConfigError(f"cannot read the checkpoint signing key: {e}", file=str(path)) from e
    if signer.name != origin:
        raise ConfigError(
            f"the checkpoint key is named {signer.name!r} but the log's origin is {origin!r}: "
            "set audit.origin to the key's name, or create a key for the new origin",
            file=str(path),
        )
    return signer
