"""Consent receipts: Kantara fields, no identifier, and a signature another JOSE library (jwcrypto) verifies."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwcrypto import jwk, jws  # type: ignore[import-untyped]  # jwcrypto ships no type information

from gateway.consent.receipt import (
    KANTARA_VERSION,
    ReceiptInvalid,
    ReceiptSigner,
    create_receipt_key,
    load_receipt_signer,
    receipt_claims,
    verify_receipt,
)
from gateway.consent.validate import ConsentRecord, parse_consent
from gateway.demo import POLICY_DIR
from gateway.errors import ConfigError
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.load import load_policy
from tests.conftest import RESIDENT_ID
from tests.consent.test_validate import KEY, NOW, request


@pytest.fixture(scope="module")
def policy() -> CompiledPolicy:
    return load_policy(POLICY_DIR)


@pytest.fixture(scope="module")
def record(policy: CompiledPolicy) -> ConsentRecord:
    draft = parse_consent(request(), policy, policy.exporters["sip-precision-manufacturing"], KEY, NOW)
    return ConsentRecord("3f1c2a8e-0000-4000-8000-000000000001", draft, datetime(2026, 6, 1, 12, 0, 5, tzinfo=UTC))


def _jwcrypto_verify(token: str, jwks: Mapping[str, object]) -> dict[str, Any]:
    keyset = jwk.JWKSet.from_json(json.dumps(jwks))
    kid = json.loads(base64.urlsafe_b64decode(token.split(".", maxsplit=1)[0] + "=="))["kid"]
    signed = jws.JWS()
    signed.deserialize(token)
    signed.verify(keyset.get_key(kid), alg="EdDSA")
    payload: dict[str, Any] = json.loads(signed.payload)
    return payload


def test_a_receipt_verifies_with_jwcrypto_from_published_jwks(policy: CompiledPolicy, record: ConsentRecord) -> None:
    signer = ReceiptSigner(Ed25519PrivateKey.generate())
    token = signer.sign(receipt_claims(record, policy))
    claims = _jwcrypto_verify(token, signer.jwks())
    assert claims["consentReceiptID"] == record.id
    assert claims["version"] == KANTARA_VERSION
    assert claims["jurisdiction"] == "CN"
    assert claims["piiPrincipalId"] == record.draft.subject_hash
    assert claims["consentTimestamp"] == int(record.draft.given_at.timestamp())
    assert claims["sensitive"] is True
    assert claims["spiCat"] == ["SPI.GOV_ID"]
    assert claims["piiControllers"] == [{"piiController": "SIP Precision Manufacturing Co., Ltd.", "onBehalf": False}]
    services = claims["services"]
    assert services[0]["service"] == "Merlion People Services Pte. Ltd."
    assert [p["purpose"] for p in services[0]["purposes"]] == ["payroll"]
    assert RESIDENT_ID not in token
    assert RESIDENT_ID not in json.dumps(claims)


def test_the_kid_is_the_rfc7638_thumbprint(record: ConsentRecord) -> None:
    """jwcrypto computes the same thumbprint from the published key."""
    signer = ReceiptSigner(Ed25519PrivateKey.generate())
    assert jwk.JWK(**signer.jwk).thumbprint() == signer.kid


def test_a_changed_payload_or_another_key_fails(policy: CompiledPolicy, record: ConsentRecord) -> None:
    signer, other = ReceiptSigner(Ed25519PrivateKey.generate()), ReceiptSigner(Ed25519PrivateKey.generate())
    token = signer.sign(receipt_claims(record, policy))
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["gateway"]["purposes"] = ["marketing"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = f"{header}.{forged_payload}.{signature}"
    with pytest.raises(jws.InvalidJWSSignature):
        _jwcrypto_verify(forged, signer.jwks())
    with pytest.raises(ReceiptInvalid):
        verify_receipt(forged, signer.jwks())
    other_jwks = {"keys": [dict(other.jwk, kid=signer.kid)]}  # another key published under the same id
    with pytest.raises(jws.InvalidJWSSignature):
        _jwcrypto_verify(token, other_jwks)
    with pytest.raises(ReceiptInvalid):
        verify_receipt(token, other.jwks())  # its kid does not match
    assert verify_receipt(token, signer.jwks())["jti"] == record.id


def test_the_key_file_is_created_once_owner_only_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "consent-receipt.pem"
    assert create_receipt_key(path)
    assert not create_receipt_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_receipt_signer(path).kid == load_receipt_signer(path).kid


def test_a_missing_or_wrong_key_file_is_a_start_up_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_receipt_signer(tmp_path / "missing.pem")
    (tmp_path / "bad.pem").write_text("not a key")
    with pytest.raises(ConfigError, match="Ed25519 PEM"):
        load_receipt_signer(tmp_path / "bad.pem")
