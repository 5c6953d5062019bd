"""Signed policy bundles: a signature binds the policy's revision to an operator's key; anything else is refused."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import jwt
import pytest

from gateway.cli import main
from gateway.config import PolicySignature, load_config
from gateway.errors import ConfigError
from gateway.keys import SigningKey, generate_signing_key
from gateway.policy.bundle import BUNDLE_FILE, key_id, load_public_keys, public_pem, sign_directory, verify_bundle
from gateway.policy.load import load_policy
from gateway.web.app import prepare
from tests.conftest import make_config
from tests.web.test_admin import VERSION_A, VERSION_B, policy_tree, write_policy


@pytest.fixture
def operator_key() -> SigningKey:
    return generate_signing_key()


@pytest.fixture
def signed(tmp_path: Path, operator_key: SigningKey) -> Path:
    """A policy directory signed with ``operator_key``."""
    directory = policy_tree(tmp_path, VERSION_A)
    sign_directory(directory, operator_key.private_pem)
    return directory


def _public_file(key: SigningKey, directory: Path) -> Path:
    """``key``'s public half as a PEM file, as an operator hands it to the gateway."""
    path = directory / f"{key.kid}.pub.pem"
    path.write_bytes(public_pem(key.private_pem))
    return path


def test_key_id_is_the_jwk_thumbprint(tmp_path: Path, operator_key: SigningKey) -> None:
    """The bundle's ``kid`` is the same RFC 7638 thumbprint as the token keys' ``kid``."""
    (public,) = load_public_keys([_public_file(operator_key, tmp_path)])
    assert key_id(public) == operator_key.kid


def test_signed_bundle_verifies(tmp_path: Path, signed: Path, operator_key: SigningKey) -> None:
    """The bundle is a compact EdDSA JWS over the policy's name, revision and signing time."""
    policy = load_policy(signed)
    token = (signed / BUNDLE_FILE).read_text(encoding="ascii").strip()
    header = jwt.get_unverified_header(token)
    assert (header["alg"], header["kid"]) == ("EdDSA", operator_key.kid)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert (payload["policy"], payload["revision"]) == (policy.name, policy.revision)
    assert payload["signed_at"].endswith("Z")
    assert (
        verify_bundle(signed, policy.revision, load_public_keys([_public_file(operator_key, tmp_path)]))
        == operator_key.kid
    )


def test_unsigned_policy_is_refused(tmp_path: Path, operator_key: SigningKey) -> None:
    directory = policy_tree(tmp_path, VERSION_A)
    with pytest.raises(ConfigError, match=r"not signed.*gateway policy sign") as e:
        verify_bundle(
            directory, load_policy(directory).revision, load_public_keys([_public_file(operator_key, tmp_path)])
        )
    assert e.value.file == str(directory / BUNDLE_FILE)


def test_tampered_policy_is_refused(tmp_path: Path, signed: Path, operator_key: SigningKey) -> None:
    """A change of meaning after signing gives another revision, which the signature does not name."""
    write_policy(signed, VERSION_B)
    with pytest.raises(ConfigError, match="tampered"):
        verify_bundle(signed, load_policy(signed).revision, load_public_keys([_public_file(operator_key, tmp_path)]))


def test_a_comment_is_not_tampering(tmp_path: Path, signed: Path, operator_key: SigningKey) -> None:
    """The revision is the policy's meaning: a comment added after signing keeps the signature valid."""
    write_policy(signed, "# reviewed by the DPO\n" + VERSION_A)
    verify_bundle(signed, load_policy(signed).revision, load_public_keys([_public_file(operator_key, tmp_path)]))


def test_untrusted_key_is_refused(tmp_path: Path, signed: Path) -> None:
    stranger = generate_signing_key()
    with pytest.raises(ConfigError, match="does not trust"):
        verify_bundle(signed, load_policy(signed).revision, load_public_keys([_public_file(stranger, tmp_path)]))


def test_forged_signatures_are_refused(tmp_path: Path, signed: Path, operator_key: SigningKey) -> None:
    """A trusted key id over another key's signature, or another algorithm, does not verify."""
    revision = load_policy(signed).revision
    trusted = load_public_keys([_public_file(operator_key, tmp_path)])
    token = (signed / BUNDLE_FILE).read_text(encoding="ascii").strip()
    stranger = generate_signing_key()
    sign_directory(signed, stranger.private_pem)
    other = (signed / BUNDLE_FILE).read_text(encoding="ascii").strip()
    (signed / BUNDLE_FILE).write_text(token.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1], encoding="ascii")
    with pytest.raises(ConfigError, match="does not verify"):
        verify_bundle(signed, revision, trusted)

    hmac = jwt.encode({"revision": revision}, "a-shared-secret-of-32-bytes-or-more!", headers={"kid": operator_key.kid})
    (signed / BUNDLE_FILE).write_text(hmac, encoding="ascii")
    with pytest.raises(ConfigError, match="must use EdDSA"):
        verify_bundle(signed, revision, trusted)

    (signed / BUNDLE_FILE).write_text("not a signature", encoding="ascii")
    with pytest.raises(ConfigError, match="not a compact JWS"):
        verify_bundle(signed, revision, trusted)


def test_public_keys_must_be_ed25519_pem(tmp_path: Path, operator_key: SigningKey) -> None:
    private = tmp_path / "private.pem"
    private.write_bytes(operator_key.private_pem)
    with pytest.raises(ConfigError, match="not a PEM public key"):
        load_public_keys([private])
    with pytest.raises(ConfigError, match="cannot read"):
        load_public_keys([tmp_path / "missing.pem"])


def test_start_up_refuses_an_unsigned_or_tampered_policy(
    tmp_path: Path, signing_key: SigningKey, operator_key: SigningKey
) -> None:
    """With ``policy_signature.required``, the gateway starts only on a policy signed by a trusted key."""
    directory = policy_tree(tmp_path, VERSION_A)
    signature = PolicySignature(required=True, public_keys=(_public_file(operator_key, tmp_path),))
    config = replace(make_config(tmp_path, signing_key, "http://127.0.0.1:9"), policy_dir=directory)
    config = replace(config, policy_signature=signature)
    with pytest.raises(ConfigError, match="not signed"):
        prepare(config)
    sign_directory(directory, operator_key.private_pem)
    assert prepare(config).live.signed_by == operator_key.kid
    write_policy(directory, VERSION_B)
    with pytest.raises(ConfigError, match="tampered"):
        prepare(config)
    assert prepare(replace(config, policy_signature=PolicySignature())).live.signed_by is None  # not required


def test_cli_signs_a_policy_directory(
    tmp_path: Path, operator_key: SigningKey, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = policy_tree(tmp_path, VERSION_A)
    key_file = tmp_path / "operator.pem"
    key_file.write_bytes(operator_key.private_pem)
    assert main(["policy", "sign", str(directory), "--key", str(key_file)]) == 0
    revision = load_policy(directory).revision
    assert revision in capsys.readouterr().out
    assert (
        verify_bundle(directory, revision, load_public_keys([_public_file(operator_key, tmp_path)])) == operator_key.kid
    )
    public_file = tmp_path / "operator.pub.pem"
    public_file.write_bytes(public_pem(operator_key.private_pem))
    assert main(["policy", "sign", str(directory), "--key", str(public_file)]) == 2  # a public key cannot sign
    assert "private key" in capsys.readouterr().err


CONFIG = """\
listen: {host: 127.0.0.1, port: 8080}
data_dir: data
policy: policies/reload-test
shadow_policy: policies/reload-test-next
policy_signature:
  required: true
  public_keys: [keys/operator-1.pub.pem, keys/operator-2.pub.pem]
auth: {jwks_file: keys/jwks.json, issuer: https://idp.example, audience: sip-sg-gateway}
keys: {audit_hmac_file: keys/audit-hmac.key}
routes:
  sg-hr: {upstream: "http://127.0.0.1:9001", recipient: sg-hr, default_purpose: payroll}
"""


def test_configuration_names_the_shadow_policy_and_the_trusted_keys(tmp_path: Path) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    base = tmp_path.resolve()
    assert config.shadow_policy_dir == base / "policies" / "reload-test-next"
    assert config.policy_signature == PolicySignature(
        True, (base / "keys" / "operator-1.pub.pem", base / "keys" / "operator-2.pub.pem")
    )
    path.write_text(CONFIG.replace("  public_keys: [keys/operator-1.pub.pem, keys/operator-2.pub.pem]\n", ""))
    with pytest.raises(ConfigError, match="needs public_keys") as e:
        load_config(path)
    assert e.value.line == 5
    path.write_text(CONFIG.replace("policy_signature:\n  required: true\n", "policy_signature:\n  requird: true\n"))
    with pytest.raises(ConfigError, match="unknown field 'requird'"):
        load_config(path)
    start, end = CONFIG.index("shadow_policy:"), CONFIG.index("auth:")
    path.write_text(CONFIG[:start] + CONFIG[end:])
    config = load_config(path)
    assert (config.shadow_policy_dir, config.policy_signature) == (None, PolicySignature())
