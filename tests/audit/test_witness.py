"""The witness's decisions, from real trees, checkpoints and consistency proofs, and its state file's checks."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from gateway.audit.checkpoint import Checkpoint
from gateway.audit.merkle import EMPTY_ROOT, consistency_proof, leaf_hash, root
from gateway.audit.note import NoteSigner, sign_note
from gateway.audit.witness import Outcome, StateInvalid, Verdict, WitnessState, decide, proof_needed

ORIGIN = "gateway.sip.example/audit"
SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
VERIFIER = SIGNER.verifier
SEEN = "2025-01-02T03:04:05Z"
LATER = "2025-01-03T00:00:00Z"


def _records(n: int, *, changed: int | None = None) -> list[bytes]:
    """``n`` audit records; ``changed`` rewrites one of them."""
    return [f'{{"i":{i}{",x" if i == changed else ""}}}'.encode() for i in range(n)]


def _hashes(records: list[bytes]) -> list[bytes]:
    return [leaf_hash(r) for r in records]


def _note(records: list[bytes], *, signer: NoteSigner = SIGNER, origin: str = ORIGIN) -> str:
    hashes = _hashes(records)
    return Checkpoint(origin, len(hashes), root(hashes)).sign([signer])


def _proof(records: list[bytes], first: int, second: int) -> list[bytes]:
    hashes = _hashes(records)
    return consistency_proof(first, second, lambda lo, hi: root(hashes[lo:hi]))


def _state(records: list[bytes]) -> WitnessState:
    outcome = decide(None, _note(records), VERIFIER, None, seen_at=SEEN)
    assert outcome.record is not None
    return outcome.record


def _grow(records: list[bytes], second: list[bytes]) -> Outcome:
    """What a witness that saw ``records`` concludes from ``second``, with the proof ``second``'s log gives."""
    previous = _state(records)
    note = _note(second)
    sizes = proof_needed(previous, note, VERIFIER)
    proof = None if sizes is None else _proof(second, *sizes)
    return decide(previous, note, VERIFIER, proof, seen_at=LATER)


def test_first_sight_is_trusted_and_recorded() -> None:
    """With no state, a validly signed checkpoint is trusted on first use and recorded, note and all."""
    records = _records(7)
    note = _note(records)
    outcome = decide(None, note, VERIFIER, None, seen_at=SEEN)
    assert outcome.verdict is Verdict.FIRST_SIGHT
    assert not outcome.verdict.alarm
    assert "trusted on first use" in outcome.message
    assert outcome.record == WitnessState(ORIGIN, 7, root(_hashes(records)), note, SEEN)
    assert outcome.evidence is None


@pytest.mark.parametrize(
    ("first", "second"), [(1, 2), (1, 8), (2, 3), (3, 7), (4, 8), (5, 13), (10, 12), (8, 9), (6, 17), (31, 64)]
)
def test_growth_with_a_valid_proof_is_consistent(first: int, second: int) -> None:
    """A larger tree whose proof shows the old one is its prefix is recorded, with the new time."""
    records = _records(second)
    outcome = _grow(records[:first], records)
    assert outcome.verdict is Verdict.CONSISTENT
    assert f"from size {first} to {second}" in outcome.message
    assert outcome.record == WitnessState(ORIGIN, second, root(_hashes(records)), _note(records), LATER)


@pytest.mark.parametrize("second", [1, 2, 5])
def test_growth_from_the_empty_tree_needs_no_proof(second: int) -> None:
    """The empty tree is a prefix of every tree: no proof is asked for, and the new tree is recorded."""
    previous = _state([])
    assert previous.root == EMPTY_ROOT
    note = _note(_records(second))
    assert proof_needed(previous, note, VERIFIER) is None
    outcome = decide(previous, note, VERIFIER, None, seen_at=LATER)
    assert outcome.verdict is Verdict.CONSISTENT
    assert outcome.record is not None
    assert outcome.record.size == second


def test_the_same_checkpoint_is_unchanged_and_not_recorded_again() -> None:
    records = _records(5)
    outcome = decide(_state(records), _note(records), VERIFIER, None, seen_at=LATER)
    assert outcome.verdict is Verdict.UNCHANGED
    assert outcome.record is None
    assert outcome.text == f"{ORIGIN} unchanged at size 5"


def test_a_smaller_tree_is_a_rollback() -> None:
    records = _records(10)
    outcome = decide(_state(records), _note(records[:8]), VERIFIER, None, seen_at=LATER)
    assert outcome.verdict is Verdict.ROLLBACK
    assert outcome.text.startswith("ALARM: rollback:")
    assert "size 8, smaller than size 10" in outcome.message
    assert outcome.record is None
    assert outcome.evidence == _note(records[:8])


def test_another_root_for_the_same_size_is_a_fork() -> None:
    outcome = decide(_state(_records(10)), _note(_records(10, changed=9)), VERIFIER, None, seen_at=LATER)
    assert outcome.verdict is Verdict.FORK
    assert outcome.text.startswith("ALARM: fork:")
    assert outcome.record is None
    assert outcome.evidence == _note(_records(10, changed=9))


@pytest.mark.parametrize("changed", [0, 3, 9])
def test_a_rewritten_history_fails_the_proof_and_is_a_fork(changed: int) -> None:
    """Tree A of 10, then tree B of 12 with an old record changed: B's own proof cannot link it to A's root."""
    outcome = _grow(_records(10), _records(12, changed=changed))
    assert outcome.verdict is Verdict.FORK
    assert "does not extend the tree of size 10" in outcome.message
    assert outcome.record is None


@given(data=st.data(), second=st.integers(min_value=2, max_value=70))
def test_growth_is_consistent_exactly_when_history_is_kept(data: st.DataObject, second: int) -> None:
    """For any sizes first < second: the same history is consistent, any rewritten old record is a fork."""
    first = data.draw(st.integers(min_value=1, max_value=second - 1))
    assert _grow(_records(first), _records(second)).verdict is Verdict.CONSISTENT
    changed = data.draw(st.integers(min_value=0, max_value=first - 1))
    assert _grow(_records(first), _records(second, changed=changed)).verdict is Verdict.FORK


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p[:-1],
        lambda p: [*p, p[0]],
        lambda p: list(reversed(p)),
        lambda p: [bytes([p[0][0] ^ 1]) + p[0][1:], *p[1:]],
        lambda p: [],
    ],
    ids=["truncated", "extended", "reversed", "bit flipped", "empty"],
)
def test_a_damaged_proof_is_a_fork(tamper: Any) -> None:
    records = _records(13)
    previous = _state(records[:6])
    outcome = decide(previous, _note(records), VERIFIER, tamper(_proof(records, 6, 13)), seen_at=LATER)
    assert outcome.verdict is Verdict.FORK
    assert outcome.record is None


def test_a_checkpoint_signed_by_another_key_is_a_bad_signature() -> None:
    """Same log name, another key: an impersonation or an unannounced key change; both need a person."""
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    outcome = decide(_state(_records(3)), _note(_records(4), signer=impostor), VERIFIER, None, seen_at=LATER)
    assert outcome.verdict is Verdict.BAD_SIGNATURE
    assert outcome.text.startswith(f"ALARM: the checkpoint is not signed by the key {ORIGIN}+{VERIFIER.key_id:08x}")
    assert outcome.record is None
    assert outcome.evidence is None


def test_a_checkpoint_changed_after_signing_is_a_bad_signature() -> None:
    note = _note(_records(4)).replace(f"{ORIGIN}\n4\n", f"{ORIGIN}\n5\n", 1)
    outcome = decide(None, note, VERIFIER, None, seen_at=SEEN)
    assert outcome.verdict is Verdict.BAD_SIGNATURE
    assert outcome.record is None


def test_garbage_is_a_bad_signature_not_a_first_sight() -> None:
    outcome = decide(None, "<html>hello</html>", VERIFIER, None, seen_at=SEEN)
    assert outcome.verdict is Verdict.BAD_SIGNATURE
    assert outcome.record is None


def test_a_log_renamed_under_a_new_key_is_an_origin_change() -> None:
    renamed = NoteSigner("other.example/log", Ed25519PrivateKey.generate())
    note = _note(_records(4), signer=renamed, origin="other.example/log")
    outcome = decide(_state(_records(3)), note, VERIFIER, None, seen_at=LATER)
    assert outcome.verdict is Verdict.ORIGIN_CHANGED
    assert "'other.example/log'" in outcome.message
    assert outcome.record is None


def test_the_key_signing_another_origin_is_an_origin_change() -> None:
    note = _note(_records(4), origin="other.example/log")
    outcome = decide(_state(_records(3)), note, VERIFIER, None, seen_at=LATER)
    assert outcome.verdict is Verdict.ORIGIN_CHANGED
    assert outcome.evidence == note
    assert outcome.record is None


@pytest.mark.parametrize(
    ("body", "want"),
    [
        (f"{ORIGIN}\nten\n{base64.b64encode(bytes(32)).decode()}\n", "not a checkpoint"),
        (f"{ORIGIN}\n3\n{base64.b64encode(bytes(31)).decode()}\n", "31 bytes"),
        (f"{ORIGIN}\n0\n{base64.b64encode(bytes(32)).decode()}\n", "empty tree"),
    ],
    ids=["size not a number", "short root", "empty tree with a root"],
)
def test_a_signed_note_that_is_no_checkpoint_is_malformed_not_an_alarm(body: str, want: str) -> None:
    outcome = decide(None, sign_note(body, [SIGNER]), VERIFIER, None, seen_at=SEEN)
    assert outcome.verdict is Verdict.MALFORMED
    assert not outcome.verdict.alarm
    assert want in outcome.message
    assert outcome.record is None


def test_proof_needed_names_the_sizes_only_for_growth_from_a_non_empty_tree() -> None:
    records = _records(9)
    assert proof_needed(None, _note(records), VERIFIER) is None
    assert proof_needed(_state(records[:4]), _note(records), VERIFIER) == (4, 9)
    assert proof_needed(_state(records), _note(records[:4]), VERIFIER) is None
    assert proof_needed(_state(records), _note(records), VERIFIER) is None
    assert proof_needed(_state(records[:4]), "not a note", VERIFIER) is None


def test_deciding_growth_without_the_proof_is_a_programming_error() -> None:
    records = _records(9)
    with pytest.raises(ValueError, match="proof from 4 to 9 is needed"):
        decide(_state(records[:4]), _note(records), VERIFIER, None, seen_at=LATER)


# --- the state file ------------------------------------------------------------------------------------------------


def test_the_state_round_trips_through_json_and_keeps_the_signed_note() -> None:
    state = _state(_records(6))
    text = state.to_json()
    assert set(json.loads(text)) == {"origin", "size", "root", "note", "seen_at"}
    assert json.loads(text)["root"] == base64.b64encode(state.root).decode()
    assert WitnessState.from_json(text, VERIFIER) == state


def _edited(**changes: Any) -> str:
    fields = json.loads(_state(_records(6)).to_json())
    fields.update(changes)
    return json.dumps(fields)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("", "not JSON"),
        ('{"origin": ', "not JSON"),
        ("[]", "not a JSON object"),
        ('{"origin": "x"}', "lacks size, root, note, seen_at"),
        (_edited(size="6"), "size is not a whole number"),
        (_edited(size=True), "size is not a whole number"),
        (_edited(note=None), "not all strings"),
        (_edited(size=7), "disagree with its signed checkpoint"),
        (_edited(root=base64.b64encode(bytes(32)).decode()), "disagree with its signed checkpoint"),
        (_edited(root="not base64!"), "not standard base64"),
        (_edited(note=_note(_records(6)).replace("\n6\n", "\n7\n")), "does not verify"),
        (_edited(origin="other.example/log"), "kept for the log 'other.example/log'"),
    ],
    ids=[
        "empty",
        "truncated",
        "array",
        "missing fields",
        "size as text",
        "size as bool",
        "note not text",
        "size edited",
        "root edited",
        "root not base64",
        "note edited",
        "another origin",
    ],
)
def test_a_corrupt_state_is_refused_with_a_reason(text: str, want: str) -> None:
    with pytest.raises(StateInvalid, match=want):
        WitnessState.from_json(text, VERIFIER)


def test_a_state_kept_under_another_key_is_refused() -> None:
    """A state signed by another key of the same name cannot be verified, so it is not trusted either."""
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    outcome = decide(None, _note(_records(3), signer=other), other.verifier, None, seen_at=SEEN)
    assert outcome.record is not None
    with pytest.raises(StateInvalid, match="does not verify with the key"):
        WitnessState.from_json(outcome.record.to_json(), VERIFIER)
