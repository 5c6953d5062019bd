"""Plan and apply a decision's obligations to a JSON body (steps 6 and 7). Pure.

The plan (which pointers are masked or redacted, by which rule) goes into the audit record before anything
leaves; applying it yields the document that is forwarded. Redaction wins over masking where both apply.
"""

from __future__ import annotations

import re
from itertools import groupby
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


def _edited_value(value: Json, edits: list[Edit]) -> Json:
    if isinstance(value, str):
        return _edit_text(value, edits)
    if isinstance(value, int) and not isinstance(value, bool):
        return _edit_text(str(value), edits)
    return value


def _member(container: dict[str, Json] | list[Json], token: str) -> tuple[str | int, Json] | None:
    """The key (or index) a reference token names in ``container``, and the value there; None if absent."""
    if isinstance(container, dict):
        key = token.replace("~1", "/").replace("~0", "~") if "~" in token else token
        return (key, container[key]) if key in container else None
    if token.isdigit() and int(token) < len(container):
        return int(token), container[int(token)]
    return None


def _copy_of(pointer: str, copies: dict[str, dict[str, Json] | list[Json]]) -> dict[str, Json] | list[Json] | None:
    """The copied container at ``pointer``, copying it (and, first, its ancestors) the first time it is asked for."""
    found = copies.get(pointer)
    if found is not None:
        return found
    parent_pointer, _, token = pointer.rpartition("/")
    parent = _copy_of(parent_pointer, copies)
    member = _member(parent, token) if parent is not None else None
    if member is None:
        return None
    key, original = member
    copy: dict[str, Json] | list[Json]
    if isinstance(original, dict):
        copy = dict(original)
    elif isinstance(original, list):
        copy = list(original)
    else:
        return None
    parent[key] = copy  # type: ignore[index]  # key is a str for a dict parent, an int for a list parent
    copies[pointer] = copy
    return copy


def apply_edits(doc: Json, edits: tuple[Edit, ...]) -> Json:
    """The document with ``edits`` applied; ``doc`` itself is left unchanged.

    Each container on the path of an edit is copied once, when first reached; the rest of the document is shared.
    """
    if not edits:
        return doc
    if not isinstance(doc, (dict, list)):
        return _edited_value(doc, [e for e in edits if e.pointer == ""])
    root: dict[str, Json] | list[Json] = dict(doc) if isinstance(doc, dict) else list(doc)
    copies = {"": root}
    # Timsort is linear on the already ordered edits of plan_edits; others are put in order here.
    for pointer, group in groupby(sorted(edits, key=_pointer_of), key=_pointer_of):
        parent_pointer, _, token = pointer.rpartition("/")
        parent = _copy_of(parent_pointer, copies)
        member = _member(parent, token) if parent is not None and pointer else None
        if member is not None:
            key, value = member
            parent[key] = _edited_value(value, list(group))  # type: ignore[index]  # as in _copy_of
    return root


def _pointer_of(edit: Edit) -> str:
    return edit.pointer
