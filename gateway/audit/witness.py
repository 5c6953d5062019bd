"""A witness of the audit log: what a regulator concludes from the checkpoint it kept and the one the log serves now.

Pure: the command in :mod:`gateway.web.witness_client` fetches, reads and writes; this module only decides. A log
that keeps its promise only ever grows, and each checkpoint it signs extends the last one; so, against the checkpoint
the witness recorded before::

    nothing recorded               FIRST_SIGHT      trust on first use: record it
    same size, same root           UNCHANGED        nothing to record
    larger, proof verifies         CONSISTENT       record the new checkpoint
    smaller                        ROLLBACK         alarm
    same size, other root          FORK             alarm
    larger, proof does not verify  FORK             alarm
    not signed by the key          BAD_SIGNATURE    alarm
    another log's name             ORIGIN_CHANGED   alarm
    signed, but not a checkpoint   MALFORMED        an error, not evidence of a fork

Each answer is an :class:`Outcome` value; only outcomes that carry a ``record`` may be written to the state, so an
alarm never overwrites what the witness saw. The state is the full signed note, so that it can be verified again,
by this module when it is loaded and by anyone it is handed to.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.audit.checkpoint import Checkpoint, open_checkpoint
from gateway.audit.merkle import EMPTY_ROOT, HASH_SIZE, ProofInvalid, verify_consistency
from gateway.audit.note import NoteInvalid, NoteVerifier, open_note

__all__ = ["Outcome", "StateInvalid", "Verdict", "WitnessState", "decide", "proof_needed"]

_STATE_FIELDS = ("origin", "size", "root", "note", "seen_at")


class StateInvalid(ValueError):
    """A witness state file that is corrupt, or that was kept for another log or another key."""


class Verdict(enum.Enum):
    """What the witness concludes from one new checkpoint."""

    FIRST_SIGHT = "first-sight"
    UNCHANGED = "unchanged"
    CONSISTENT = "consistent"
    ROLLBACK = "rollback"
    FORK = "fork"
    BAD_SIGNATURE = "bad-signature"
    ORIGIN_CHANGED = "origin-changed"
    MALFORMED = "malformed"

    @property
    def alarm(self) -> bool:
        """Whether this is evidence that the log broke its promise (or is being impersonated)."""
        return self in {Verdict.ROLLBACK, Verdict.FORK, Verdict.BAD_SIGNATURE, Verdict.ORIGIN_CHANGED}


@dataclass(frozen=True)
class WitnessState:
    """The last checkpoint the witness verified: its fields, the signed note itself, and when it was first seen."""

    origin: str
    size: int
    root: bytes
    note: str
    seen_at: str

    def to_json(self) -> str:
        """The state file's content: ``{"origin", "size", "root" (base64), "note", "seen_at"}``."""
        fields = {
            "origin": self.origin,
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "note": self.note,
            "seen_at": self.seen_at,
        }
        return json.dumps(fields, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, verifier: NoteVerifier) -> WitnessState:
        """A state file's content, checked again: its note must verify with ``verifier`` and agree with its fields;
        :class:`StateInvalid` says what is wrong."""
        fields = _state_fields(text)
        if fields["origin"] != verifier.name:
            raise StateInvalid(f"it was kept for the log {fields['origin']!r}, but the key is for {verifier.name!r}")
        try:
            checkpoint = open_checkpoint(fields["note"], [verifier], verifier.name)
        except NoteInvalid as e:
            raise StateInvalid(f"its checkpoint does not verify with the key {_key_label(verifier)}: {e}") from e
        root = _state_root(fields["root"])
        if (checkpoint.size, checkpoint.root) != (fields["size"], root):
            raise StateInvalid("its size and root disagree with its signed checkpoint")
        return cls(checkpoint.origin, checkpoint.size, checkpoint.root, fields["note"], fields["seen_at"])


def _state_fields(text: str) -> dict[str, Any]:
    try:
        fields = json.loads(text)
    except ValueError as e:
        raise StateInvalid(f"it is not JSON ({e})") from e
    if not isinstance(fields, dict):
        raise StateInvalid("it is not a JSON object")
    missing = [name for name in _STATE_FIELDS if name not in fields]
    if missing:
        raise StateInvalid(f"it lacks {', '.join(missing)}")
    size = fields["size"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise StateInvalid("its size is not a whole number")
    if not all(isinstance(fields[name], str) for name in ("origin", "root", "note", "seen_at")):
        raise StateInvalid("its origin, root, note and seen_at are not all strings")
    return fields


def _state_root(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error) as e:
        raise StateInvalid("its root is not standard base64") from e


@dataclass(frozen=True)
class Outcome:
    """The witness's conclusion, with a message for a person, the state to record (only when the new checkpoint is
    trusted) and, for an alarm, the new signed note to keep as evidence (only when the log's key signed it)."""

    verdict: Verdict
    message: str
    record: WitnessState | None = None
    evidence: str | None = None

    @property
    def text(self) -> str:
        """The message as shown: alarms start with ``ALARM:``."""
        return f"ALARM: {self.message}" if self.verdict.alarm else self.message


def proof_needed(previous: WitnessState | None, note: str, verifier: NoteVerifier) -> tuple[int, int] | None:
    """The sizes ``(first, second)`` of the consistency proof :func:`decide` needs for ``note``, or None when it
    needs none (first sight, no growth, growth from an empty tree, or a note that does not verify)."""
    observed = _observe(note, verifier)
    if previous is None or isinstance(observed, Outcome):
        return None
    if 0 < previous.size < observed.size:
        return previous.size, observed.size
    return None


def decide(
    previous: WitnessState | None,
    note: str,
    verifier: NoteVerifier,
    proof: Sequence[bytes] | None,
    *,
    seen_at: str,
) -> Outcome:
    """What the witness concludes from the signed ``note`` the log serves now, given the state it kept.

    ``proof`` is the consistency proof for the sizes :func:`proof_needed` names (None when it names none);
    ``seen_at`` is the time to record with a newly trusted checkpoint.
    """
    if previous is not None and previous.origin != verifier.name:
        raise ValueError("the previous state is for another log than the key's")
    observed = _observe(note, verifier)
    if isinstance(observed, Outcome):
        return observed
    new = observed
    record = WitnessState(new.origin, new.size, new.root, note, seen_at)
    if previous is None:
        message = (
            f"first sight of {new.origin} at size {new.size}, root {_b64(new.root)}: trusted on first use "
            "(compare it with a checkpoint obtained another way)"
        )
        return Outcome(Verdict.FIRST_SIGHT, message, record)
    if new.size < previous.size:
        message = (
            f"rollback: {new.origin} now shows size {new.size}, smaller than size {previous.size} "
            f"signed and seen at {previous.seen_at}"
        )
        return Outcome(Verdict.ROLLBACK, message, evidence=note)
    if new.size == previous.size:
        if new.root == previous.root:
            return Outcome(Verdict.UNCHANGED, f"{new.origin} unchanged at size {new.size}")
        message = (
            f"fork: {new.origin} signed two different roots for size {new.size}: {_b64(previous.root)} "
            f"(seen at {previous.seen_at}) and {_b64(new.root)} now"
        )
        return Outcome(Verdict.FORK, message, evidence=note)
    return _grown(previous, new, proof, note, record)


def _grown(
    previous: WitnessState, new: Checkpoint, proof: Sequence[bytes] | None, note: str, record: WitnessState
) -> Outcome:
    """A larger tree: consistent only if the old tree is provably its prefix (the empty tree is everyone's)."""
    if previous.size > 0:
        if proof is None:
            raise ValueError(f"a consistency proof from {previous.size} to {new.size} is needed")
        try:
            verify_consistency(previous.size, new.size, previous.root, new.root, proof)
        except ProofInvalid as e:
            message = (
                f"fork: the tree of {new.origin} at size {new.size} does not extend the tree of size "
                f"{previous.size} seen at {previous.seen_at}; the history was rewritten ({e})"
            )
            return Outcome(Verdict.FORK, message, evidence=note)
    message = f"{new.origin} grew consistently from size {previous.size} to {new.size}, root {_b64(new.root)}"
    return Outcome(Verdict.CONSISTENT, message, record)


def _observe(note: str, verifier: NoteVerifier) -> Checkpoint | Outcome:
    """The checkpoint ``note`` carries if the key signed it for its own log; otherwise the outcome that says why."""
    text = _open(note, verifier)
    if isinstance(text, Outcome):
        return text
    try:
        checkpoint = Checkpoint.parse(text)
    except NoteInvalid as e:
        return Outcome(Verdict.MALFORMED, f"the log signed a note that is not a checkpoint: {e}")
    if checkpoint.origin != verifier.name:
        message = (
            f"origin changed: the key for {verifier.name!r} signed a checkpoint of the log {checkpoint.origin[:100]!r}"
        )
        return Outcome(Verdict.ORIGIN_CHANGED, message, evidence=note)
    if len(checkpoint.root) != HASH_SIZE:
        return Outcome(Verdict.MALFORMED, f"the checkpoint's root is {len(checkpoint.root)} bytes, not {HASH_SIZE}")
    if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
        return Outcome(Verdict.MALFORMED, "the checkpoint of an empty tree does not carry the empty tree's root")
    return checkpoint


def _open(note: str, verifier: NoteVerifier) -> str | Outcome:
    """The text of ``note`` if the key signed it; otherwise why not, naming a new origin if the note claims one."""
    try:
        text, _ = open_note(note, [verifier])
    except NoteInvalid as e:
        claimed = _claimed_origin(note)
        if claimed is not None and claimed != verifier.name:
            message = (
                f"origin changed: the log now calls itself {claimed[:100]!r}, not {verifier.name!r}, "
                f"and its checkpoint is not signed by the key {_key_label(verifier)}"
            )
            return Outcome(Verdict.ORIGIN_CHANGED, message)
        return Outcome(Verdict.BAD_SIGNATURE, f"the checkpoint is not signed by the key {_key_label(verifier)}: {e}")
    return text


def _claimed_origin(note: str) -> str | None:
    """The origin an unverified note claims, if its text reads as a checkpoint: only to word an alarm."""
    at = note.rfind("\n\n")
    try:
        return Checkpoint.parse(note[: at + 1]).origin if at >= 0 else None
    except NoteInvalid:
        return None


def _key_label(verifier: NoteVerifier) -> str:
    return f"{verifier.name}+{verifier.key_id:08x}"


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
