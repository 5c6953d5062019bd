"""Plan and apply a decision's obligations to a JSON body (steps 6 and 7). Pure.

The plan (which pointers are redacted, pseudonymised, generalised or masked, by which rule, and which individuals
are dropped) goes into the audit record before anything leaves; applying it yields the document that is forwarded.
Where several obligations reach one value, the strongest wins: redact, then pseudonymise, generalise, mask.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterator, Mapping
from itertools import groupby
from typing import NamedTuple

from gateway.classify.age import AGE_DETECTOR
from gateway.classify.declared import DECLARED_DETECTOR
from gateway.model import Classification, Finding, Json, Obligation

__all__ = ["PSEUDONYM_PREFIX", "REDACTED", "Edit", "apply_edits", "drop_subjects", "plan_edits"]

REDACTED = "[REDACTED]"
PSEUDONYM_PREFIX = "pn:"
MARKERS = frozenset({AGE_DETECTOR, DECLARED_DETECTOR})  # findings that mark a record or body, not a value
_STRENGTH = {"redact": 4, "pseudonymise": 3, "generalise": 2, "mask": 1}


class Edit(NamedTuple):
    """One change to one value: a span (or the whole value when ``end`` is None) and what happens to it.

    ``param`` is the pseudonymisation key's name, or the precision of a generalised date.
    """

    pointer: str
    start: int
    end: int | None
    action: str
    rule_id: str
    keep_first: int = 0
    keep_last: int = 0
    param: str | None = None


def _edit(pointer: str, start: int, end: int | None, o: Obligation) -> Edit:
    return Edit(pointer, start, end, o.action, o.rule_id, o.keep_first, o.keep_last, o.key or o.to)


def _within(pointer: str, dropped: frozenset[str]) -> bool:
    return any(pointer == d or pointer.startswith(d + "/") for d in dropped)


def _matches(doc: Json, tokens: list[str], pointer: str = "") -> Iterator[str]:
    """The pointers in ``doc`` that a path pattern (tokens, ``*`` for any one) names, scalars only."""
    if not tokens:
        if not isinstance(doc, (dict, list)):
            yield pointer
        return
    head, rest = tokens[0], tokens[1:]
    if isinstance(doc, dict):
        if head == "*":
            for key, value in doc.items():
                yield from _matches(value, rest, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
        else:
            key = head.replace("~1", "/").replace("~0", "~")
            if key in doc:
                yield from _matches(doc[key], rest, f"{pointer}/{head}")
    elif isinstance(doc, list):
        if head == "*":
            for i, value in enumerate(doc):
                yield from _matches(value, rest, f"{pointer}/{i}")
        elif head.isdigit() and int(head) < len(doc):
            yield from _matches(doc[int(head)], rest, f"{pointer}/{head}")


def plan_edits(
    classification: Classification,
    obligations: tuple[Obligation, ...],
    doc: Json = None,
    dropped: tuple[str, ...] = (),
) -> tuple[Edit, ...]:
    """The edits that ``obligations`` require, one per value (or span) at most, none inside a dropped record."""
    chosen: dict[tuple[str, int, int | None], Edit] = {}
    gone = frozenset(dropped)

    def offer(key: tuple[str, int, int | None], edit: Edit) -> None:
        held = chosen.get(key)
        if held is None or _STRENGTH[edit.action] > _STRENGTH[held.action]:
            chosen[key] = edit

    for obligation in obligations:
        categories, detectors = set(obligation.categories), set(obligation.detectors)
        if categories or detectors:
            f: Finding
            for f in classification.findings:
                if f.detector in MARKERS:
                    continue  # a mark on a record or the whole body, not a value to edit
                if f.category in categories or f.detector in detectors:
                    offer((f.pointer, f.start, f.end), _edit(f.pointer, f.start, f.end, obligation))
        for path in obligation.paths:
            for pointer in _matches(doc, path.split("/")[1:]):
                offer((pointer, 0, None), _edit(pointer, 0, None, obligation))
    edits = [e for e in chosen.values() if not gone or not _within(e.pointer, gone)]
    return tuple(sorted(_absorb_spans(edits), key=lambda e: (e.pointer, e.start)))


def _absorb_spans(edits: list[Edit]) -> list[Edit]:
    """Where a whole value is edited, edits of spans inside it go: the whole value takes the strongest action.

    A mask of a number inside a text that is also to be redacted whole must not leave the rest of the text as it
    was; a redaction of a span inside a text masked whole makes the whole text redacted. Nothing leaves finer than
    any obligation allows.
    """
    whole = {e.pointer: e for e in edits if e.end is None}
    if not whole:
        return edits
    out = [e for e in edits if e.end is None or e.pointer not in whole]
    for e in edits:
        if e.end is not None and e.pointer in whole and _STRENGTH[e.action] > _STRENGTH[whole[e.pointer].action]:
            stronger = e._replace(start=0, end=None)
            out[out.index(whole[e.pointer])] = stronger
            whole[e.pointer] = stronger
    return out


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


_DATE = re.compile(r"(\d{4})-(\d{2})(?:-\d{2})?(?:[T ][0-9:.+\-Z]*)?")


def _generalise(text: str, to: str | None) -> str:
    m = _DATE.fullmatch(text.strip())
    if m is None:
        return REDACTED  # not a date this obligation can coarsen: nothing finer than asked for may leave
    return m.group(1) if to == "year" else f"{m.group(1)}-{m.group(2)}"


def _pseudonym(text: str, key: bytes) -> str:
    digest = hmac.new(key, text.encode(), hashlib.sha256).digest()[:15]
    return PSEUDONYM_PREFIX + base64.b32encode(digest).decode().lower()


def _replacement(span: str, e: Edit, keys: Mapping[str, bytes]) -> str:
    if e.action == "redact":
        return REDACTED
    if e.action == "pseudonymise":
        return _pseudonym(span, keys[e.param or ""])
    if e.action == "generalise":
        return _generalise(span, e.param)
    return _mask(span, e.keep_first, e.keep_last)


def _edit_span(text: str, e: Edit, keys: Mapping[str, bytes]) -> str:
    end = len(text) if e.end is None else e.end
    return text[: e.start] + _replacement(text[e.start : end], e, keys) + text[end:]


def _edit_text(text: str, edits: list[Edit], keys: Mapping[str, bytes]) -> str:
    if len(edits) == 1:
        return _edit_span(text, edits[0], keys)
    # Right to left so earlier offsets stay valid; an edit overlapping one already applied is skipped.
    floor = len(text) + 1
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        if (len(text) if e.end is None else e.end) > floor:
            continue
        text = _edit_span(text, e, keys)
        floor = e.start
    return text


def _edited_value(value: Json, edits: list[Edit], keys: Mapping[str, bytes]) -> Json:
    if isinstance(value, str):
        return _edit_text(value, edits, keys)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _edit_text(str(value), edits, keys)
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


def apply_edits(doc: Json, edits: tuple[Edit, ...], keys: Mapping[str, bytes] | None = None) -> Json:
    """The document with ``edits`` applied; ``doc`` itself is left unchanged.

    ``keys`` holds the pseudonymisation keys by name. Each container on the path of an edit is copied once, when
    first reached; the rest of the document is shared.
    """
    if not edits:
        return doc
    keys = keys or {}
    if not isinstance(doc, (dict, list)):
        return _edited_value(doc, [e for e in edits if e.pointer == ""], keys)
    root: dict[str, Json] | list[Json] = dict(doc) if isinstance(doc, dict) else list(doc)
    copies = {"": root}
    # Timsort is linear on the already ordered edits of plan_edits; others are put in order here.
    for pointer, group in groupby(sorted(edits, key=_pointer_of), key=_pointer_of):
        parent_pointer, _, token = pointer.rpartition("/")
        parent = _copy_of(parent_pointer, copies)
        member = _member(parent, token) if parent is not None and pointer else None
        if member is not None:
            key, value = member
            parent[key] = _edited_value(value, list(group), keys)  # type: ignore[index]  # as in _copy_of
    return root


def drop_subjects(doc: Json, pointers: tuple[str, ...]) -> Json:
    """The document without the records at ``pointers`` (members removed, list items taken out); a copy."""
    if not pointers or not isinstance(doc, (dict, list)):
        return doc
    root: dict[str, Json] | list[Json] = dict(doc) if isinstance(doc, dict) else list(doc)
    copies: dict[str, dict[str, Json] | list[Json]] = {"": root}
    # Deepest and last first, so removing a list item never shifts the index of one still to remove.
    for pointer in sorted(pointers, key=_drop_order, reverse=True):
        parent_pointer, _, token = pointer.rpartition("/")
        parent = _copy_of(parent_pointer, copies)
        member = _member(parent, token) if parent is not None and pointer else None
        if parent is not None and member is not None:
            del parent[member[0]]  # type: ignore[arg-type]  # a str key for a dict, an int index for a list
    return root


def _drop_order(pointer: str) -> tuple[int, str, int]:
    parent, _, token = pointer.rpartition("/")
    return (pointer.count("/"), parent, int(token) if token.isdigit() else -1)


def _pointer_of(edit: Edit) -> str:
    return edit.pointer
