"""Plan and apply a decision's obligations to a JSON body (steps 6 and 7). Pure.

The plan (which pointers are masked or redacted, by which rule) goes into the audit record before anything
leaves; applying it yields the document that is forwarded. Redaction wins over masking where both apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from gateway.model import Classification, Json, Obligation

__all__ = ["REDACTED", "Edit", "apply_edits", "plan_edits"]

REDACTED = "[REDACTED]"


class Edit(NamedTuple):
    """One change to one value: a span (or the whole value when ``end`` is None) masked or redacted."""

    pointer: str
    start: int
    end: int | None
    action: str
    rule_id: str
    keep_first: int = 0
    keep_last: int = 0


def plan_edits(classification: Classification, obligations: tuple[Obligation, ...]) -> tuple[Edit, ...]:
    """The edits that ``obligations`` require on the classified findings, one per finding at most."""
    chosen: dict[tuple[str, int, int | None], Edit] = {}
    for obligation in obligations:
        wanted = set(obligation.categories)
        for f in classification.findings:
            if f.category not in wanted:
                continue
            key = (f.pointer, f.start, f.end)
            edit = Edit(
                f.pointer,
                f.start,
                f.end,
                obligation.action,
                obligation.rule_id,
                obligation.keep_first,
                obligation.keep_last,
            )
            if key not in chosen or (edit.action == "redact" and chosen[key].action != "redact"):
                chosen[key] = edit
    return tuple(sorted(chosen.values(), key=lambda e: (e.pointer, e.start)))


_MASKABLE = re.compile(r"[^\W_]")  # letters and digits of any script; separators stay readable
_ASCII_ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ASCII_MASK = bytes.maketrans(_ASCII_ALNUM, b"*" * len(_ASCII_ALNUM))  # the same rule, in C, for ASCII text


def _mask(text: str, keep_first: int, keep_last: int) -> str:
    if keep_first + keep_last >= len(text):
        keep_first, keep_last = 0, 0  # keeping everything would not mask: mask it all
    end = len(text) - keep_last
    middle = text[keep_first:end]
    masked = middle.encode().translate(_ASCII_MASK).decode() if middle.isascii() else _MASKABLE.sub("*", middle)
    return text[:keep_first] + masked + text[end:]


def _edit_span(text: str, e: Edit) -> str:
    end = len(text) if e.end is None else e.end
    replacement = REDACTED if e.action == "redact" else _mask(text[e.start : end], e.keep_first, e.keep_last)
    return text[: e.start] + replacement + text[end:]


def _edit_text(text: str, edits: list[Edit]) -> str:
    if len(edits) == 1:
        return _edit_span(text, edits[0])
    # Right to left so earlier offsets stay valid; an edit overlapping one already applied is skipped.
    floor = len(text) + 1
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        if (len(text) if e.end is None else e.end) > floor:
            continue
        text = _edit_span(text, e)
        floor = e.start
    return text


@dataclass(slots=True)
class _Node:
    """The edits under one pointer prefix: edits of the value itself, and of its members by token."""

    edits: list[Edit] = field(default_factory=list)
    children: dict[str, _Node] = field(default_factory=dict)


def _apply(doc: Json, node: _Node) -> Json:
    """A copy of ``doc`` with the edits of ``node`` applied; each container on an edited path is copied once."""
    if node.edits:
        if isinstance(doc, str):
            return _edit_text(doc, node.edits)
        if isinstance(doc, int) and not isinstance(doc, bool):
            return _edit_text(str(doc), node.edits)
    if isinstance(doc, dict):
        members = dict(doc)
        for token, child in node.children.items():
            if token in members:
                members[token] = _apply(members[token], child)
        return members
    if isinstance(doc, list):
        items = list(doc)
        for token, child in node.children.items():
            if token.isdigit() and int(token) < len(items):
                items[int(token)] = _apply(items[int(token)], child)
        return items
    return doc


def apply_edits(doc: Json, edits: tuple[Edit, ...]) -> Json:
    """The document with ``edits`` applied; ``doc`` itself is left unchanged. Linear in the edits and paths."""
    root = _Node()
    for e in edits:
        node = root
        for token in e.pointer.split("/")[1:]:
            key = token.replace("~1", "/").replace("~0", "~") if "~" in token else token
            node = node.children.get(key) or node.children.setdefault(key, _Node())
        node.edits.append(e)
    return _apply(doc, root) if edits else doc
