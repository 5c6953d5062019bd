"""Plan and apply a decision's obligations to a JSON body (steps 6 and 7). Pure.

The plan (which pointers are masked or redacted, by which rule) goes into the audit record before anything
leaves; applying it yields the document that is forwarded. Redaction wins over masking where both apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.model import Classification, Json, Obligation

__all__ = ["REDACTED", "Edit", "apply_edits", "plan_edits"]

REDACTED = "[REDACTED]"


@dataclass(frozen=True, slots=True)
class Edit:
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


def _mask(text: str, keep_first: int, keep_last: int) -> str:
    if keep_first + keep_last >= len(text):
        keep_first, keep_last = 0, 0  # keeping everything would not mask: mask it all
    tail = text[len(text) - keep_last :] if keep_last else ""
    middle = "".join("*" if ch.isalnum() else ch for ch in text[keep_first : len(text) - keep_last])
    return text[:keep_first] + middle + tail


def _edit_text(text: str, edits: list[Edit]) -> str:
    # Right to left so earlier offsets stay valid; an edit overlapping one already applied is skipped.
    floor = len(text) + 1
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        end = len(text) if e.end is None else e.end
        if end > floor:
            continue
        piece = text[e.start : end]
        replacement = REDACTED if e.action == "redact" else _mask(piece, e.keep_first, e.keep_last)
        text = text[: e.start] + replacement + text[end:]
        floor = e.start
    return text


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _replace(doc: Json, tokens: list[str], edits: list[Edit]) -> Json:
    """A copy of ``doc`` with the value at ``tokens`` edited; containers off the path are shared, not copied."""
    if not tokens:
        if isinstance(doc, str):
            return _edit_text(doc, edits)
        if isinstance(doc, int) and not isinstance(doc, bool):
            return _edit_text(str(doc), edits)
        return doc
    head, rest = tokens[0], tokens[1:]
    if isinstance(doc, dict) and head in doc:
        copy = dict(doc)
        copy[head] = _replace(doc[head], rest, edits)
        return copy
    if isinstance(doc, list) and head.isdigit() and int(head) < len(doc):
        items = list(doc)
        items[int(head)] = _replace(doc[int(head)], rest, edits)
        return items
    return doc


def apply_edits(doc: Json, edits: tuple[Edit, ...]) -> Json:
    """The document with ``edits`` applied; ``doc`` itself is left unchanged."""
    by_pointer: dict[str, list[Edit]] = {}
    for e in edits:
        by_pointer.setdefault(e.pointer, []).append(e)
    for pointer, group in by_pointer.items():
        doc = _replace(doc, _tokens(pointer), group)
    return doc
