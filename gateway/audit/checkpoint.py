"""Checkpoints in the C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint). Pure.

A checkpoint is the body of a signed note: the log's origin, the tree size in decimal, the root hash in standard
base64, and optional extension lines. Signed by the gateway's key (:mod:`gateway.audit.note`), it commits the
gateway to exactly one tree of that size; regulators keep checkpoints and ask for consistency proofs between them.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from gateway.audit.note import NoteInvalid, NoteSigner, NoteVerifier, open_note, sign_note

__all__ = ["Checkpoint", "open_checkpoint"]

_MAX_SIZE = (1 << 64) - 1


@dataclass(frozen=True)
class Checkpoint:
    """A log's origin, size and root, with any extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text: origin, size, base64 root, extensions, each ending in a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "".join(line + "\n" for line in lines)

    def sign(self, signers: list[NoteSigner]) -> str:
        """The signed note a gateway publishes at ``GET /v1/audit/checkpoint``."""
        return sign_note(self.body(), signers)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """A checkpoint from a note's text; :class:`NoteInvalid` names what is wrong."""
        if not body.endswith("\n"):
            raise NoteInvalid("a checkpoint's last line ends with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise NoteInvalid("a checkpoint has an origin, a size and a root hash")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise NoteInvalid("a checkpoint's origin is not empty")
        if not size_text.isascii() or not size_text.isdigit() or (size_text != "0" and size_text[0] == "0"):
            raise NoteInvalid(f"a checkpoint's size is a decimal number without leading zeros: {size_text!r}")
        size = int(size_text)
        if size > _MAX_SIZE:
            raise NoteInvalid("a checkpoint's size fits in 64 bits")
        try:
            root = base64.b64decode(root_text, validate=True)
        except (ValueError, binascii.Error) as e:
            raise NoteInvalid("a checkpoint's root hash is standard base64") from e
        return cls(origin, size, root, tuple(extensions))


def open_checkpoint(note: str, verifiers: list[NoteVerifier], origin: str) -> Checkpoint:
    """The checkpoint a signed note carries, if a known key signed it and its origin is the one expected."""
    text, _ = open_note(note, verifiers)
    checkpoint = Checkpoint.parse(text)
    if checkpoint.origin != origin:
        raise NoteInvalid(f"the checkpoint is for the log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
