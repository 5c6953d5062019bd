"""Consent receipts: a JWS (compact, EdDSA over Ed25519) the gateway signs for each recorded consent. Pure, apart
from reading and writing the key file.

The payload carries the fields of the Kantara Initiative Consent Receipt Specification v1.1 where they fit
(``version``, ``jurisdiction``, ``consentTimestamp``, ``collectionMethod``, ``consentReceiptID``, ``language``,
``piiPrincipalId``, ``piiControllers``, ``services`` with their ``purposes``, ``sensitive``, ``spiCat``) and the
gateway's own under ``gateway`` (exporter, recipients with name, contact and jurisdiction, categories, separate
consent, who gave it, the notice fields shown, expiry, policy revision). ``piiPrincipalId`` is the subject's keyed
hash, never the identifier: the individual can check it only with the enterprise's help, which knows the identifier
and can ask the gateway to look it up. Kantara's ``policyUrl`` and the controller's address, e-mail and phone are
not known to the gateway and are left out.

The header names the key by ``kid``, its RFC 7638 thumbprint; the public key is published as a JWKS, so anyone can
verify a receipt with any JOSE library.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit.record import timestamp
from gateway.consent.validate import ConsentRecord
from gateway.errors import ConfigError
from gateway.keys import generate_signing_key, public_jwk, write_private
from gateway.model import Json, Level
from gateway.policy.compiled import CompiledPolicy

__all__ = [
    "KANTARA_VERSION",
    "RECEIPT_TYPE",
    "ReceiptInvalid",
    "ReceiptSigner",
    "create_receipt_key",
    "load_receipt_signer",
    "receipt_claims",
    "verify_receipt",
]

KANTARA_VERSION = "KI-CR-v1.1.0"
RECEIPT_TYPE = "consent-receipt+jwt"
ISSUER = "sip-sg-gateway"


class ReceiptInvalid(ValueError):
    """A receipt that does not verify with the given keys."""


class ReceiptSigner:
    """Signs receipts with one Ed25519 key; ``jwk`` is its public half, ``kid`` its RFC 7638 thumbprint."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.jwk: dict[str, str] = public_jwk(private.public_key())
        self.kid = self.jwk["kid"]

    @classmethod
    def from_pem(cls, pem: bytes) -> ReceiptSigner:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(key)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public key set to publish (``GET /v1/consents/jwks.json``)."""
        return {"keys": [dict(self.jwk)]}

    def sign(self, claims: dict[str, Json]) -> str:
        """The compact JWS of ``claims``."""
        return jwt.encode(claims, self._private, algorithm="EdDSA", headers={"kid": self.kid, "typ": RECEIPT_TYPE})


def receipt_claims(record: ConsentRecord, policy: CompiledPolicy) -> dict[str, Json]:
    """The receipt's payload for ``record``, with names and contacts from ``policy``."""
    d = record.draft
    exporter = policy.exporters.get(d.exporter)
    recipients = [policy.recipients[r] for r in d.recipients if r in policy.recipients]
    sensitive: list[Json] = [c for c in d.categories if policy.levels.get(c, Level.PERSONAL) >= Level.SENSITIVE]
    termination = f"expires {timestamp(d.expires_at)}" if d.expires_at else "until withdrawn"
    services: list[Json] = [
        {
            "service": r.name,
            "purposes": [
                {
                    "purpose": purpose,
                    "purposeCategory": [purpose],
                    "consentType": "EXPLICIT" if d.separate else "IMPLICIT",
                    "piiCategory": list(d.categories),
                    "primaryPurpose": True,
                    "termination": termination,
                    "thirdPartyDisclosure": True,
                    "thirdPartyName": r.name,
                }
                for purpose in d.purposes
                if purpose in r.purposes
            ],
        }
        for r in recipients
    ]
    return {
        "iss": ISSUER,
        "iat": int(record.recorded_at.timestamp()),
        "jti": record.id,
        "version": KANTARA_VERSION,
        "jurisdiction": exporter.jurisdiction if exporter else "",
        "consentTimestamp": int(d.given_at.timestamp()),
        "collectionMethod": d.collection_method,
        "consentReceiptID": record.id,
        "language": d.language,
        "piiPrincipalId": d.subject_hash,
        "piiControllers": [{"piiController": exporter.name if exporter else d.exporter, "onBehalf": False}],
        "services": services,
        "sensitive": bool(sensitive),
        "spiCat": sensitive,
        "gateway": {
            "exporter": d.exporter,
            "subject_type": d.subject_type,
            "recipients": [
                {"id": r.id, "name": r.name, "contact": r.contact, "jurisdiction": r.jurisdiction} for r in recipients
            ],
            "purposes": list(d.purposes),
            "categories": list(d.categories),
            "separate": d.separate,
            "given_by": d.given_by,
            "notice_fields": [*sorted(d.notice)],
            "given_at": timestamp(d.given_at),
            "expires_at": None if d.expires_at is None else timestamp(d.expires_at),
            "recorded_at": timestamp(record.recorded_at),
            "policy_revision": policy.revision,
        },
    }


def verify_receipt(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The payload of a receipt signed by a key of ``jwks``; :class:`ReceiptInvalid` otherwise."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(jwks).keys}
        key = keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise ReceiptInvalid("the receipt's key id is not among the published keys")
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=["EdDSA"], issuer=ISSUER, options={"require": ["iss", "jti"]}
        )
    except jwt.PyJWTError as e:
        raise ReceiptInvalid(f"the receipt does not verify: {e}") from e
    return claims


def create_receipt_key(path: Path) -> bool:
    """Create the receipt signing key (PKCS#8 PEM, owner-only) if it is missing; whether it was created."""
    if path.exists():
        return False
    write_private(path, generate_signing_key().private_pem)
    return True


def load_receipt_signer(path: Path) -> ReceiptSigner:
    """The key that signs consent receipts; a missing or unreadable key is a start-up error."""
    if not path.exists():
        raise ConfigError(
            "the consent receipt signing key does not exist; `gateway keys init --config ...` creates it",
            file=str(path),
        )
    try:
        return ReceiptSigner.from_pem(path.read_bytes())
    except (OSError, ValueError, TypeError) as e:
        raise ConfigError(f"cannot read the consent receipt key (Ed25519 PEM expected): {e}", file=str(path)) from e
