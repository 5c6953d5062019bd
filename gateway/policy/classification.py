"""The policy's ``classification`` section, compiled into the classifier the gateway scans bodies with. Pure.

Operators declare what no built-in detector can see, or see differently::

    classification:
      categories: {cn_plate: PI.BASIC}            # detector id -> data category, overriding the default
      paths: {/employees/*/salary: PI.EMPLOYEE}    # JSON pointer pattern (* = any one token) -> category
      subjects: [/employees/*]                     # the objects that are individuals
      detectors:                                   # the operator's own detectors
        staff_number:
          category: PI.EMPLOYEE
          pattern: "SIP[0-9]{7}"                   # matched against the whole value (Python syntax)
          checksum: luhn                           # optional
          context: [staff, 工号, gonghao]           # optional: only values under keys holding one of these
          words: [...]                              # optional: whole values that are one of these words
          in_text: false                           # also search free text for the pattern

Regular expressions are compiled once, at load; a pattern that does not compile is a problem with its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum import damm, verhoeff
from stdnum.iso7064 import mod_11_2, mod_97_10

from gateway.classify.catalogue import DETECTOR_CATEGORIES
from gateway.classify.detectors import luhn_valid
from gateway.classify.scanner import Classifier, CustomDetector
from gateway.errors import ConfigError
from gateway.policy.source import Located, Reader, child

__all__ = ["CHECKSUMS", "compile_classification"]


def _valid(module: object, *, digits_only: bool) -> Callable[[str], bool]:
    check: Callable[[str], bool] = module.is_valid  # type: ignore[attr-defined]

    def valid(value: str) -> bool:
        kept = "".join(c for c in value if (c.isdigit() if digits_only else c.isalnum()) and c.isascii())
        try:
            return bool(kept) and bool(check(kept.upper()))
        except Exception:  # noqa: BLE001 - stdnum raises its own errors on odd input; a datum is then invalid
            return False

    return valid


def _luhn_digits(value: str) -> bool:
    digits = "".join(c for c in value if c.isascii() and c.isdigit())
    return bool(digits) and luhn_valid(digits)


CHECKSUMS: dict[str, Callable[[str], bool]] = {
    "luhn": _luhn_digits,  # the scanner's own Luhn check, not a second implementation
    "verhoeff": _valid(verhoeff, digits_only=True),
    "damm": _valid(damm, digits_only=True),
    "iso7064_mod_11_2": _valid(mod_11_2, digits_only=False),
    "iso7064_mod_97_10": _valid(mod_97_10, digits_only=False),
}
"""Check-character algorithms an operator's detector may name (python-stdnum's implementations). Luhn, Verhoeff
and Damm run over the digits of the match (a prefix such as ``SIP`` is left out), the ISO 7064 ones over its
letters and digits."""

_FIELDS = {"categories", "paths", "subjects", "detectors"}
_DETECTOR_FIELDS = {"category", "pattern", "checksum", "context", "words", "in_text", "description"}
_MAX_PATTERN = 300  # characters: a detector's pattern is an identifier's shape, not a program
_ID = re.compile(r"[a-z][a-z0-9_]*")
_UNBOUNDED = re.compile(r"[+*]|\{[0-9]*,\}")


def compile_classification(
    doc: Located, categories_known: frozenset[str], problems: list[ConfigError]
) -> tuple[Classifier, frozenset[str]]:
    """The classifier the policy describes, and the ids of its own detectors; problems are appended."""
    r = Reader(doc)
    section = r.at("/classification")
    if section is None:
        return Classifier(), frozenset()
    try:
        r.mapping("/classification", allowed=_FIELDS)
    except ConfigError as e:
        problems.append(e)
        return Classifier(), frozenset()

    def category(pointer: str) -> str | None:
        try:
            value = r.string(pointer)
            if value not in categories_known:
                raise doc.error(pointer, f"unknown category {value!r}")
        except ConfigError as e:
            problems.append(e)
            return None
        return value

    overrides = {
        detector: found
        for detector in _keys(r, "/classification/categories", problems)
        if (found := _override(doc, detector, category, problems)) is not None
    }
    paths = {
        path: found
        for path in _keys(r, "/classification/paths", problems)
        if (found := _declared_path(doc, path, category, problems)) is not None
    }
    subjects = _subject_paths(doc, r, problems)
    custom = []
    for name in _keys(r, "/classification/detectors", problems):
        try:
            custom.append(_detector(doc, r, name, categories_known))
        except ConfigError as e:
            problems.append(e)
    return Classifier(overrides, custom, paths, subjects), frozenset(d.id for d in custom)


def _override(
    doc: Located, detector: str, category: Callable[[str], str | None], problems: list[ConfigError]
) -> str | None:
    p = child("/classification/categories", detector)
    if detector not in DETECTOR_CATEGORIES:
        problems.append(doc.error(p, f"unknown detector {detector!r}"))
        return None
    return category(p)


def _declared_path(
    doc: Located, path: str, category: Callable[[str], str | None], problems: list[ConfigError]
) -> str | None:
    p = child("/classification/paths", path)
    if not path.startswith("/"):
        problems.append(doc.error(p, "a path is a JSON pointer starting with '/'"))
        return None
    return category(p)


def _subject_paths(doc: Located, r: Reader, problems: list[ConfigError]) -> tuple[str, ...]:
    if r.at("/classification/subjects") is None:
        return ()
    try:
        subjects = r.strings("/classification/subjects")
        for i, path in enumerate(subjects):
            if not path.startswith("/"):
                raise doc.error(child("/classification/subjects", i), "a path is a JSON pointer starting with '/'")
    except ConfigError as e:
        problems.append(e)
        return ()
    return subjects


def _keys(r: Reader, pointer: str, problems: list[ConfigError]) -> list[str]:
    try:
        return list(r.mapping(pointer, required=False))
    except ConfigError as e:
        problems.append(e)
        return []


def _detector(doc: Located, r: Reader, name: str, categories_known: frozenset[str]) -> CustomDetector:
    p = child("/classification/detectors", name)
    fields = r.mapping(p, allowed=_DETECTOR_FIELDS)
    if _ID.fullmatch(name) is None:
        raise doc.error(p, f"a detector id is lower case letters, digits and '_': {name!r}")
    if name in DETECTOR_CATEGORIES:
        raise doc.error(p, f"{name!r} is a built-in detector; choose another id")
    category = r.string(child(p, "category"))
    if category not in categories_known:
        raise doc.error(child(p, "category"), f"unknown category {category!r}")
    if "pattern" not in fields and "words" not in fields:
        raise doc.error(p, "give a pattern, words, or both")
    pattern = _pattern(doc, r.string(child(p, "pattern")), child(p, "pattern")) if "pattern" in fields else None
    checksum = None
    if "checksum" in fields:
        method = r.string(child(p, "checksum"))
        if method not in CHECKSUMS:
            raise doc.error(child(p, "checksum"), f"unknown checksum {method!r}; one of {', '.join(sorted(CHECKSUMS))}")
        if pattern is None:
            raise doc.error(child(p, "checksum"), "a checksum checks what the pattern matched: give a pattern")
        checksum = CHECKSUMS[method]
    context = tuple(w.casefold() for w in r.strings(child(p, "context"))) if "context" in fields else ()
    words = frozenset(w.casefold() for w in r.strings(child(p, "words"))) if "words" in fields else frozenset()
    in_text = r.boolean(child(p, "in_text"), default=False)
    if in_text and pattern is None:
        raise doc.error(child(p, "in_text"), "searching free text needs a pattern")
    return CustomDetector(name, category, pattern, checksum, context, words, in_text)


def _pattern(doc: Located, text: str, pointer: str) -> re.Pattern[str]:
    """An operator's pattern, compiled, or a problem at its line."""
    if len(text) > _MAX_PATTERN:
        raise doc.error(pointer, f"longer than {_MAX_PATTERN} characters")
    try:
        pattern = re.compile(text)
    except re.error as e:
        raise doc.error(pointer, f"not a regular expression: {e}") from e
    if pattern.fullmatch("") is not None:
        raise doc.error(pointer, "matches the empty string")
    if _nested_repetition(text):
        raise doc.error(
            pointer,
            "a repeated group that itself repeats, as in (a+)+, can take exponential time on a crafted value;"
            " write each part once, e.g. a+, or bound it, e.g. (ab){1,4}",
        )
    return pattern


def _nested_repetition(pattern: str) -> bool:
    """Whether a group that holds a quantifier, at any depth, is itself repeated without bound: ``(a+)+``,
    ``((a+))*``, ``(x{2,}){3,}``, the shape of catastrophic backtracking in a backtracking engine such as Python's.

    Escapes and character classes are skipped. Alternations of overlapping branches (``(a|aa)+``) are not caught.
    """
    groups: list[bool] = []  # per open group: does it hold a quantifier?
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = _class_end(pattern, i)
            continue
        if c == "(":
            groups.append(False)
            if pattern.startswith("?P<", i + 1) or (
                pattern.startswith("?<", i + 1) and pattern[i + 3 : i + 4] not in "=!"
            ):
                i = pattern.find(">", i) if ">" in pattern[i:] else n  # a named group's name
            elif pattern.startswith("?", i + 1):
                i += 2  # (?: (?= (?! (?<= (?<! (?i) ...: the character after '?' is syntax, not a quantifier
        elif c == ")" and groups:
            held = groups.pop()
            repeated = _UNBOUNDED.match(pattern, i + 1) is not None
            if held and repeated:
                return True
            if groups and (held or _QUANTIFIER.match(pattern, i + 1)):
                groups[-1] = True
        elif groups and _QUANTIFIER.match(pattern, i):
            groups[-1] = True
        i += 1
    return False


_QUANTIFIER = re.compile(r"[+*?]|\{[0-9]*,[0-9]*\}")  # {n} repeats a fixed number of times: no choice to undo


def _class_end(pattern: str, start: int) -> int:
    """The index after the character class opening at ``start`` (``[...]``, ``[]...]``, ``[^]...]``)."""
    i = start + 1
    if i < len(pattern) and pattern[i] == "^":
        i += 1
    if i < len(pattern) and pattern[i] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1
