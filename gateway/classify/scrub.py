"""Replace identifiers in text with their category, for places that must never hold them. Pure.

Log fields and JSON pointers repeat from one transfer to the next, so strings found clean are remembered (short
ones only, in a bounded table that holds no identifier by construction) and not scanned again.
"""

from __future__ import annotations

from gateway.classify.scanner import scan_text

__all__ = ["scrub_text"]

_CLEAN: dict[str, None] = {}
_CLEAN_MAX_ENTRIES = 8192
_CLEAN_MAX_LENGTH = 256


def scrub_text(text: str) -> str:
    """``text`` with every identifier the classifier finds replaced by ``{CATEGORY}``."""
    if text in _CLEAN:
        return text
    findings = scan_text(text)
    if not findings:
        if len(text) <= _CLEAN_MAX_LENGTH:
            if len(_CLEAN) >= _CLEAN_MAX_ENTRIES:
                _CLEAN.clear()
            _CLEAN[text] = None
        return text
    for f in sorted(findings, key=lambda f: f.start, reverse=True):
        end = len(text) if f.end is None else f.end
        text = text[: f.start] + "{" + f.category + "}" + text[end:]
    return text
