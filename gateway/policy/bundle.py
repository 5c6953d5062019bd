"""Signed policy bundles: ``policy.jws`` next to ``policy.yaml`` binds a policy's revision to an operator's key.

The file is a compact JWS (EdDSA, Ed25519) whose payload names the policy, its revision and when it was signed.
The revision is the digest of the policy's meaning (see :mod:`gateway.policy.load`), so any change to the files
after signing gives another revision and the bundle no longer verifies. The header's ``kid`` is the RFC 7638
thumbprint of the signing key, as for token keys in :mod:`gateway.keys`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.errors import ConfigError
from gateway.keys import jwk_thumbprint
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.load import load_policy

__all__ = [
    "BUNDLE_FILE",
    "key_id",
    "load_public_keys",
    "public_pem",
    "sign_directory",
    "sign_policy",
    "verify_bundle",
]

BUNDLE_FILE = "policy.jws"
_ALGORITHM = "EdDSA"
_TYPE = "gateway-policy+jws"


def key_id(public: Ed25519PublicKey) -> str:
    """The id a bundle names its signer by: the key's RFC 7638 JWK thumbprint."""
    return jwk_thumbprint(public)


def _private_key(private_pem: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(private_pem, password=None)
    except (ValueError, TypeError) as e:
        raise ConfigError("not a PEM private key without a passphrase", file=source) from e
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("the signing key must be an Ed25519 key", file=source)
    return key


def public_pem(private_pem: bytes) -> bytes:
    """The PEM public key (SubjectPublicKeyInfo) of an Ed25519 private key: what a gateway is told to trust."""
    public = _private_key(private_pem, "<private key>").public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign_policy(policy: CompiledPolicy, private_pem: bytes, *, now: datetime | None = None, source: str = "") -> str:
    """The compact JWS of ``policy``'s name and revision, signed with ``private_pem`` (Ed25519)."""
    key = _private_key(private_pem, source or "<private key>")
    signed_at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    payload = json.dumps({"policy": policy.name, "revision": policy.revision, "signed_at": signed_at}).encode()
    headers = {"kid": key_id(key.public_key()), "typ": _TYPE}
    return jwt.PyJWS().encode(payload, key, algorithm=_ALGORITHM, headers=headers)


def sign_directory(directory: Path, private_pem: bytes, *, source: str = "") -> tuple[CompiledPolicy, Path]:
    """Load the policy in ``directory``, sign it and write ``directory/policy.jws``; the policy and that path."""
    policy = load_policy(directory)
    token = sign_policy(policy, private_pem, source=source)
    path = directory / BUNDLE_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(token + "\n", encoding="ascii")
    tmp.replace(path)  # readers see the old signature or the new one, never half a file
    return policy, path


def load_public_keys(paths: Sequence[Path]) -> tuple[Ed25519PublicKey, ...]:
    """Read PEM Ed25519 public keys; a file that is missing or holds another kind of key is a ConfigError."""
    keys: list[Ed25519PublicKey] = []
    for path in paths:
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except OSError as e:
            raise ConfigError(f"cannot read the policy signature key: {e.strerror}", file=str(path)) from e
        except (ValueError, TypeError) as e:
            raise ConfigError("not a PEM public key", file=str(path)) from e
        if not isinstance(key, Ed25519PublicKey):
            raise ConfigError("a policy signature key must be an Ed25519 public key", file=str(path))
        keys.append(key)
    return tuple(keys)


def verify_bundle(directory: Path, revision: str, public_keys: Sequence[Ed25519PublicKey]) -> str:
    """Check that ``directory/policy.jws`` signs ``revision`` with a trusted key; return that key's id.

    Raises :class:`ConfigError` when the file is missing or malformed, the key is not trusted, the signature does
    not verify, or the signed revision is not ``revision`` (the files changed after signing).
    """
    path = directory / BUNDLE_FILE
    where = str(path)
    try:
        token = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as e:
        raise ConfigError(
            f"the policy is not signed: {BUNDLE_FILE} is missing, and policy_signature.required is set; "
            "sign it with 'gateway policy sign'",
            file=where,
        ) from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the policy signature: {e.__class__.__name__}", file=where) from e
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        raise ConfigError("the policy signature is not a compact JWS", file=where) from e
    if header.get("alg") != _ALGORITHM:
        raise ConfigError(f"the policy signature must use {_ALGORITHM}", file=where)
    kid = header.get("kid")
    trusted = {key_id(k): k for k in public_keys}
    key = trusted.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise ConfigError(
            f"the policy is signed by key {str(kid)[:64]!r}, which this gateway does not trust", file=where
        )
    try:
        payload = jwt.PyJWS().decode_complete(token, key, algorithms=[_ALGORITHM])["payload"]
        claims = json.loads(payload)
    except (jwt.PyJWTError, ValueError) as e:
        raise ConfigError("the policy signature does not verify", file=where) from e
    signed = claims.get("revision") if isinstance(claims, dict) else None
    if signed != revision:
        raise ConfigError(
            f"the policy files were changed after signing (tampered): signed revision {str(signed)[:80]}, "
            f"the files give {revision}",
            file=where,
        )
    return str(kid)
