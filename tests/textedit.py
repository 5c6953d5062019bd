"""Helpers for tests that change a YAML document as text and expect an error on a given line."""

from __future__ import annotations


def edit_once(text: str, old: str, new: str) -> str:
    """``text`` with the only occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"test bug: {old!r} must occur exactly once"
    return text.replace(old, new)


def line_of(text: str, marker: str) -> int:
    """The 1-based number of the only line holding ``marker``."""
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(lines) == 1, f"test bug: marker {marker!r} must be on exactly one line"
    return lines[0]
