"""Regulators' evidence keys on disk, ``gateway audit keygen`` and ``gateway audit unseal``."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from gateway.audit.seal import key_id, seal
from gateway.errors import ConfigError
from gateway.evidence import (
    evidence_key_file,
    generate_key_pair,
    keygen,
    load_evidence_keys,
    read_private_key,
    read_public_key,
    unseal_file,
)

BODY = b'{"name":"Wang Fang","mobile":"13800138000"}'
DECISION = "4d3c2b1a-0000-4000-8000-000000000001"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """A regulator key pair made by keygen: (private PEM, public PEM)."""
    private, public = tmp_path / "regulator" / "pdpc.pem", tmp_path / "regulator" / "pdpc.pub"
    assert keygen(private, public, io.StringIO()) == 0
    return private, public


def _sealed(tmp_path: Path, public: Path, decision: str = DECISION) -> Path:
    blob = tmp_path / "evidence.sealed"
    blob.write_bytes(seal(BODY, read_public_key(public), aad=decision.encode()))
    return blob


# --- keygen -----------------------------------------------------------------------------------------------------


def test_keygen_writes_a_pair_the_private_key_owner_only(tmp_path: Path) -> None:
    private, public = tmp_path / "k" / "pdpc.pem", tmp_path / "k" / "pdpc.pub"
    out, err = io.StringIO(), io.StringIO()
    assert keygen(private, public, out, err) == 0
    assert err.getvalue() == ""
    assert _mode(private) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert read_private_key(private).public_key() == read_public_key(public)
    assert f"key id {key_id(read_public_key(public))}" in out.getvalue()
    assert "keep it offline" in out.getvalue()


def test_keygen_never_overwrites_a_key(pair: tuple[Path, Path], tmp_path: Path) -> None:
    """A second keygen onto an existing file refuses (status 1) and leaves both old files as they were."""
    private, public = pair
    before = private.read_bytes(), public.read_bytes()
    out, err = io.StringIO(), io.StringIO()
    assert keygen(private, tmp_path / "new.pub", out, err) == 1
    assert f"refused: {private} already exists" in err.getvalue()
    assert out.getvalue() == ""
    assert not (tmp_path / "new.pub").exists()
    assert keygen(tmp_path / "new.pem", public, io.StringIO(), io.StringIO()) == 1
    assert not (tmp_path / "new.pem").exists()
    assert (private.read_bytes(), public.read_bytes()) == before


def test_keygen_needs_two_files(tmp_path: Path) -> None:
    err = io.StringIO()
    assert keygen(tmp_path / "k.pem", tmp_path / "k.pem", io.StringIO(), err) == 2
    assert "two different files" in err.getvalue()
    assert not (tmp_path / "k.pem").exists()


def test_keygen_writes_no_half_pair(tmp_path: Path) -> None:
    """When the public key cannot be written, the private key just written is removed again."""
    (tmp_path / "a-file").write_text("not a directory")
    err = io.StringIO()
    assert keygen(tmp_path / "k.pem", tmp_path / "a-file" / "k.pub", io.StringIO(), err) == 2
    assert "nothing written" in err.getvalue()
    assert not (tmp_path / "k.pem").exists()


def test_generated_pairs_differ_and_name_their_key() -> None:
    first, second = generate_key_pair(), generate_key_pair()
    assert first.key_id != second.key_id
    public = serialization.load_pem_public_key(first.public_pem)
    assert isinstance(public, X25519PublicKey)
    assert key_id(public) == first.key_id
    assert "PRIVATE" not in repr(first)  # the private PEM is kept out of repr


# --- the gateway's keys ---------------------------------------------------------------------------------------


def test_load_evidence_keys_reads_the_named_public_keys(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    keys_dir = tmp_path / "keys"
    evidence_key_file(keys_dir, "pdpc").parent.mkdir(parents=True)
    evidence_key_file(keys_dir, "pdpc").write_bytes(pair[1].read_bytes())
    assert evidence_key_file(keys_dir, "pdpc") == keys_dir / "evidence" / "pdpc.pub"
    keys = load_evidence_keys(keys_dir, frozenset({"pdpc"}))
    assert list(keys) == ["pdpc"]
    assert keys["pdpc"] == read_public_key(pair[1])
    assert load_evidence_keys(tmp_path / "nowhere", frozenset()) == {}


def test_a_missing_evidence_key_says_where_and_how(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_evidence_keys(tmp_path, frozenset({"sip-admin"}))
    assert caught.value.file == str(tmp_path / "evidence" / "sip-admin.pub")
    assert "seals evidence for key 'sip-admin'" in caught.value.message
    assert "gateway audit keygen" in caught.value.message


_ED25519_PUBLIC = (
    Ed25519PrivateKey.generate()
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (generate_key_pair().private_pem, "this is a private key; the gateway holds only"),
        (_ED25519_PUBLIC, "not an X25519 public key but Ed25519PublicKey"),
        (b"not a key\n", "not a PEM public key"),
    ],
    ids=["private-key", "ed25519", "garbage"],
)
def test_a_bad_evidence_key_is_a_config_error_naming_the_file(tmp_path: Path, data: bytes, message: str) -> None:
    path = evidence_key_file(tmp_path, "pdpc")
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        load_evidence_keys(tmp_path, frozenset({"pdpc"}))
    assert message in caught.value.message
    assert caught.value.file == str(path)


# --- unseal -------------------------------------------------------------------------------------------------------


def test_unseal_writes_the_body_to_a_stream(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    out, err = io.BytesIO(), io.StringIO()
    assert unseal_file(_sealed(tmp_path, pair[1]), pair[0], f" {DECISION}\n", out, err) == 0
    assert out.getvalue() == BODY
    assert err.getvalue() == ""


def test_unseal_writes_a_new_owner_only_file(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    target, err = tmp_path / "opened" / "body.json", io.StringIO()
    assert unseal_file(_sealed(tmp_path, pair[1]), pair[0], DECISION, target, err) == 0
    assert target.read_bytes() == BODY
    assert _mode(target) == 0o600
    assert f"{len(BODY)} bytes" in err.getvalue()
    assert "13800138000" not in err.getvalue()
    again = io.StringIO()
    assert unseal_file(_sealed(tmp_path, pair[1]), pair[0], DECISION, target, again) == 1
    assert "already exists" in again.getvalue()


@pytest.mark.parametrize("wrong", ["decision", "key"])
def test_a_blob_that_does_not_open_writes_nothing(tmp_path: Path, pair: tuple[Path, Path], wrong: str) -> None:
    """Another record's id or another regulator's key: status 1, a reason, no file, no body in the message."""
    other_private, other_public = tmp_path / "other.pem", tmp_path / "other.pub"
    assert keygen(other_private, other_public, io.StringIO()) == 0
    blob = _sealed(tmp_path, pair[1])
    decision = "4d3c2b1a-0000-4000-8000-000000000002" if wrong == "decision" else DECISION
    key = other_private if wrong == "key" else pair[0]
    target, err = tmp_path / "body.json", io.StringIO()
    assert unseal_file(blob, key, decision, target, err) == 1
    assert not target.exists()
    want = "sealed for another key" if wrong == "key" else "belongs to a record other than the decision id given"
    assert want in err.getvalue()
    assert err.getvalue().startswith(f"{blob}: ")
    assert "13800138000" not in err.getvalue()


def test_unusable_inputs_are_status_2(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    blob = _sealed(tmp_path, pair[1])
    err = io.StringIO()
    assert unseal_file(tmp_path / "missing.sealed", pair[0], DECISION, io.BytesIO(), err) == 2
    assert "cannot read the sealed evidence" in err.getvalue()
    err = io.StringIO()
    assert unseal_file(blob, pair[1], DECISION, io.BytesIO(), err) == 2  # the public key given as the private one
    assert "not a PEM private key" in err.getvalue()


def test_a_passphrase_protected_key_is_explained(tmp_path: Path, pair: tuple[Path, Path]) -> None:
    protected = tmp_path / "protected.pem"
    protected.write_bytes(
        read_private_key(pair[0]).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"correct horse"),
        )
    )
    err = io.StringIO()
    assert unseal_file(_sealed(tmp_path, pair[1]), protected, DECISION, io.BytesIO(), err) == 2
    assert "protected by a passphrase" in err.getvalue()
