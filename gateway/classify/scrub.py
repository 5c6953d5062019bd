"""Replace identifiers in text with their category, for places that must never hold them. Pure."""

from __future__ import annotations

from gateway.classify.scanner import scan_text

__all__ = ["scrub_text"]


def scrub_text(text: str) -> str:
    """``text`` with every identifier the classifier finds replaced by ``{CATEGORY}``."""
    for f in sorted(scan_text(text), key=lambda f: f.start, reverse=True):
        end = len(text) if f.end is None else f.end
        text = text[: f.start] + "{" + f.category + "}" + text[end:]
    return text
