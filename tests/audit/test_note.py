"""Signed notes and checkpoints against published vectors.

Vectors: ``tests/vectors/checkpoint.json`` (sources in ``tests/vectors/SOURCES.md``): the examples of C2SP's
signed-note and tlog-checkpoint specifications, golang/mod's ``sumdb/note`` test keys, signatures and cases,
transparency-dev/formats' test keys, a real sum.golang.org checkpoint and its body-parsing cases, and two Sigstore
Rekor v2 staging checkpoints with their logs' Ed25519 keys.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key

from gateway.audit.checkpoint import Checkpoint, open_checkpoint
from gateway.audit.note import NoteInvalid, NoteSigner, NoteVerifier, open_note, sign_note

VECTORS = Path(__file__).parents[1] / "vectors" / "checkpoint.json"


@cache
def _vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data


def test_the_specifications_example_verifies() -> None:
    (example,) = [e for e in _vectors()["spec_examples"] if e["expect"] == "valid"]
    text, names = open_note(example["note"], [NoteVerifier.parse(example["vkey"])])
    assert (text, names) == ("This is an example message.\n", ["example.com/foo"])


def test_our_signatures_are_gos_signatures() -> None:
    """Ed25519 is deterministic: signing Go's test text with Go's test key gives Go's published signature line."""
    go = _vectors()["go_sumdb_note_vectors"]
    signer = NoteSigner.parse(go["keys"]["PeterNeumann"]["skey"])
    assert signer.verifier.vkey == go["keys"]["PeterNeumann"]["vkey"]
    assert signer.signature_line(go["text"]) == go["signature_lines"]["PeterNeumann"]
    for name, keys in _vectors()["transparency_dev_formats"]["test_keys"].items():
        assert NoteSigner.parse(keys["skey"]).verifier.vkey == keys["vkey"], name


@pytest.mark.parametrize("case", _vectors()["go_sumdb_note_vectors"]["cases"], ids=lambda c: c["desc"])
def test_go_note_cases(case: dict[str, Any]) -> None:
    keys = _vectors()["go_sumdb_note_vectors"]["keys"]
    verifiers = [NoteVerifier.parse(keys[name]["vkey"]) for name in case["verifiers"]]
    if case["expect"] == "valid":
        _, names = open_note(case["note"], verifiers)
        assert names == case["verified_sigs"]
    else:
        with pytest.raises(NoteInvalid):
            open_note(case["note"], verifiers)


@pytest.mark.parametrize("bad", _vectors()["go_sumdb_note_vectors"]["bad_vkeys"], ids=lambda b: b["why"])
def test_bad_verifier_keys_are_refused(bad: dict[str, str]) -> None:
    with pytest.raises(NoteInvalid):
        NoteVerifier.parse(bad["vkey"])


def test_a_real_sum_golang_org_checkpoint() -> None:
    real = _vectors()["transparency_dev_formats"]["real_sumdb_checkpoint"]
    verifier = NoteVerifier.parse(real["vkey"])
    checkpoint = open_checkpoint(real["note"], [verifier], real["expected_origin"])
    assert (checkpoint.origin, checkpoint.size) == (real["parsed"]["origin"], real["parsed"]["tree_size"])
    assert base64.b64encode(checkpoint.root).decode() == real["parsed"]["root_hash_b64"]
    with pytest.raises(NoteInvalid):
        open_checkpoint(real["note"], [verifier], real["wrong_origin_case"]["expected_origin"])
    cosigned = _vectors()["transparency_dev_formats"]["cosigned_sumdb_checkpoint"]["note"]
    assert open_checkpoint(cosigned, [verifier], real["expected_origin"]).size == checkpoint.size  # cosigners ignored


@pytest.mark.parametrize("case", _vectors()["real_world_checkpoints"], ids=lambda c: c["label"])
def test_rekor_checkpoints_verify_with_the_logs_published_keys(case: dict[str, Any]) -> None:
    key = load_der_public_key(base64.b64decode(case["log_public_key_spki_der_b64"]))
    assert isinstance(key, Ed25519PublicKey)
    verifier = NoteVerifier.from_public_key(case["origin"], key)
    assert verifier.vkey == case["derived_vkey"]
    checkpoint = open_checkpoint(case["note"], [verifier], case["origin"])
    assert checkpoint.size == case["tree_size"]


@pytest.mark.parametrize(
    "case", _vectors()["transparency_dev_formats"]["checkpoint_body_parse_cases"], ids=lambda c: c["body"][:30]
)
def test_checkpoint_bodies(case: dict[str, Any]) -> None:
    if case["expect"].startswith("valid"):
        checkpoint = Checkpoint.parse(case["body"])
        if "origin" in case:
            assert (checkpoint.origin, checkpoint.size) == (case["origin"], case["size"])
            assert checkpoint.root == case["hash_utf8"].encode()
        assert checkpoint.body() == case["body"]  # a checkpoint writes itself back byte for byte
    else:
        with pytest.raises(NoteInvalid):
            Checkpoint.parse(case["body"])


def test_a_checkpoint_signed_here_opens_only_with_its_own_key() -> None:
    signer = NoteSigner("sip-sg-gateway.example/log", Ed25519PrivateKey.generate())
    other = NoteSigner("sip-sg-gateway.example/log", Ed25519PrivateKey.generate())
    note = Checkpoint("sip-sg-gateway.example/log", 42, bytes(range(32))).sign([signer])
    verifier = NoteVerifier.parse(signer.verifier.vkey)
    assert open_checkpoint(note, [verifier], "sip-sg-gateway.example/log").size == 42
    with pytest.raises(NoteInvalid):
        open_checkpoint(note, [other.verifier], "sip-sg-gateway.example/log")  # same name, another key: unknown
    tampered = note.replace("\n42\n", "\n43\n")
    with pytest.raises(NoteInvalid):
        open_checkpoint(tampered, [verifier], "sip-sg-gateway.example/log")


def test_text_with_control_characters_is_refused() -> None:
    signer = NoteSigner("k", Ed25519PrivateKey.generate())
    for text in ("tab\there\n", "no newline", "bell\x07\n"):
        with pytest.raises(NoteInvalid):
            sign_note(text, [signer])


def test_signing_keys_are_written_as_go_writes_them() -> None:
    """Go's skey text round-trips through parse, and a generated key's text parses back to the same key."""
    go = _vectors()["go_sumdb_note_vectors"]["keys"]["PeterNeumann"]
    assert NoteSigner.parse(go["skey"]).skey == go["skey"]
    fresh = NoteSigner.generate("sip-sg-gateway.example/audit")
    again = NoteSigner.parse(fresh.skey)
    assert again.verifier.vkey == fresh.verifier.vkey
    assert again.signature_line("x\n") == fresh.signature_line("x\n")


def test_a_key_name_with_a_space_cannot_be_generated() -> None:
    with pytest.raises(NoteInvalid, match="without spaces"):
        NoteSigner.generate("two words")
