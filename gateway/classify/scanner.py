"""Walks a parsed JSON body for identifiers, reports them by RFC 6901 pointer and groups them into individuals.

A string (or an integer, as its decimal text) is first checked as a whole identifier; otherwise one combined
regular expression finds candidates inside the text, each then validated by its detector. The object key above a
value is context: it raises confidence and is required before an 8-digit number counts as a Singapore mobile.
Pure code: no I/O, no clock; never raises on a JSON value; iterative, so nesting depth costs no recursion.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from gateway.classify.detectors import (
    DETECTOR_CATEGORIES,
    DETECTOR_PRIORITY,
    is_bank_card,
    is_cn_mobile,
    is_cn_resident_id,
    is_email,
    is_sg_mobile,
    is_sg_nric_fin,
    normalise,
)
from gateway.model import Classification, Finding, Json, Subject

__all__ = ["scan", "scan_text"]

_CONFIDENCE_CONTEXT = 0.95  # the key above the value names this kind of identifier
_CONFIDENCE_WHOLE = 0.8  # the whole value is the identifier
_CONFIDENCE_EMBEDDED = 0.6  # found inside free text

_PHONE = frozenset({"cn_mobile", "sg_mobile"})
_GOV_ID = frozenset({"cn_resident_id", "sg_nric_fin"})
_EMAIL = frozenset({"email"})
_CARD = frozenset({"bank_card"})
_NO_CONTEXT: frozenset[str] = frozenset()

# Whole key (lowercased, separators removed) or one of its words or word pairs, and what it announces.
_CONTEXT_WORDS: dict[str, frozenset[str]] = {
    "mobile": _PHONE,
    "mobileno": _PHONE,
    "phone": _PHONE,
    "phoneno": _PHONE,
    "cellphone": _PHONE,
    "telephone": _PHONE,
    "tel": _PHONE,
    "telno": _PHONE,
    "msisdn": _PHONE,
    "sfzh": _GOV_ID,
    "sfz": _GOV_ID,
    "idcard": _GOV_ID,
    "idcardno": _GOV_ID,
    "nric": _GOV_ID,
    "fin": _GOV_ID,
    "uinfin": _GOV_ID,
    "email": _EMAIL,
    "mail": _EMAIL,
    "card": _CARD,
    "cardno": _CARD,
    "bankcard": _CARD,
}
# Chinese keys carry no word breaks: matched as substrings (手机号码, 联系电话, 身份证号码 ...).
_CONTEXT_CJK: tuple[tuple[str, frozenset[str]], ...] = (
    ("手机", _PHONE),
    ("电话", _PHONE),
    ("身份证", _GOV_ID),
    ("邮箱", _EMAIL),
    ("卡号", _CARD),
    ("银行卡", _CARD),
)
_CONTEXT_CACHE: dict[str, frozenset[str]] = {}
_CONTEXT_CACHE_SIZE = 4096
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_KEY_WORDS = re.compile(r"[a-z0-9]+")

# One pass over the text finds every candidate. The pattern opens with a character class, so the engine skips
# to the next digit, '+', '@' or series letter in C; each branch then checks what came before. ASCII boundaries
# (not \b, which counts CJK as word characters) keep an identifier inside a longer run of digits or letters from
# matching, yet find one right after 手机号. An email is matched from its '@'; its local part is found backwards.
_CANDIDATE = re.compile(
    r"[@+0-9STFGM]"
    r"(?:(?P<email>(?<=[A-Za-z0-9._%+\-]@)"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9\-]{1,59})"
    r"(?![A-Za-z0-9\-]))"
    r"|(?P<nric>(?<=[STFGM])(?<![0-9A-Za-z].)[0-9]{7}[A-Z](?![0-9A-Za-z]))"
    r"|(?P<num>(?<![0-9A-Za-z+].)(?:(?<=[0-9])|(?<=\+)[0-9])[0-9 \-]{9,}[0-9Xx](?![0-9A-Za-z])))"
)
_EMAIL_LOCAL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_PIECE = re.compile(r"\+?[0-9]+[Xx]?")
_NUMERIC_START = frozenset("0123456789+")
_MAX_PIECES = 6  # a card written 4-4-4-4-3 has five groups, +86 138 0013 8000 has four
_PRIORITY = {d: i for i, d in enumerate(DETECTOR_PRIORITY)}

# (pointer, start, end, detector, confidence, holder pointer, matched text)
_Hit = tuple[str, int, int | None, str, float, str, str]
# (detector, start, end, confidence, matched text)
_Match = tuple[str, int, int | None, float, str]


def scan(doc: Json, categories: Mapping[str, str] | None = None) -> Classification:
    """Classify a parsed JSON document: every identifier found, and the individuals they belong to.

    ``categories`` overrides :data:`DETECTOR_CATEGORIES` per detector.
    """
    hits: list[_Hit] = []
    _walk(doc, hits)
    return _classification(hits, categories)


def scan_text(text: str, *, categories: Mapping[str, str] | None = None) -> tuple[Finding, ...]:
    """Findings in a bare string (a URL path, a query string), all with pointer ``""``."""
    hits: list[_Hit] = []
    if isinstance(text, str) and text:
        _add(hits, _find(text, ""), "", "")
    return _classification(hits, categories).findings


# --- walking ---------------------------------------------------------------------------------------------------


def _escape(token: str) -> str:
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


def _walk(doc: Json, hits: list[_Hit]) -> None:
    """Depth-first over containers with an explicit stack; leaves are looked at where they stand.

    The key above a value (for an array element: the key above the array) is carried as text and turned into
    context only when a candidate needs it.
    """
    if not isinstance(doc, (dict, list)):  # noqa: UP038 (a tuple is faster than a union here)
        _add(hits, _find_scalar(doc, ""), "", "")
        return
    # (container, its pointer, key above it, pointer of the object whose data its values are)
    stack: list[tuple[dict[str, Json] | list[Json], str, str, str]] = [(doc, "", "", "")]
    pop, push = stack.pop, stack.append
    while stack:
        node, pointer, key, holder = pop()
        if type(node) is dict or (type(node) is not list and isinstance(node, dict)):
            for name, value in node.items():  # type: ignore[union-attr]
                kind = type(value)
                if kind is str:
                    found = _find(value, name) if value else None  # type: ignore[arg-type]
                elif kind is dict or kind is list or isinstance(value, (dict, list)):  # noqa: UP038
                    child = pointer + "/" + _escape(name if type(name) is str else str(name))
                    push((value, child, name, pointer if isinstance(value, list) else child))  # type: ignore[arg-type]
                    continue
                else:
                    found = _find_scalar(value, name)
                if found:
                    _add(hits, found, pointer + "/" + _escape(name if type(name) is str else str(name)), pointer)
        else:
            for index, value in enumerate(node):
                kind = type(value)
                if kind is str:
                    found = _find(value, key) if value else None  # type: ignore[arg-type]
                elif kind is dict or kind is list or isinstance(value, (dict, list)):  # noqa: UP038
                    child = f"{pointer}/{index}"
                    push((value, child, key, holder if isinstance(value, list) else child))  # type: ignore[arg-type]
                    continue
                else:
                    found = _find_scalar(value, key)
                if found:
                    _add(hits, found, f"{pointer}/{index}", holder)


def _add(hits: list[_Hit], found: list[_Match] | None, pointer: str, holder: str) -> None:
    if found:
        for detector, start, end, confidence, raw in found:
            hits.append((pointer, start, end, detector, confidence, holder, raw))


def _find_scalar(value: object, key: str) -> list[_Match] | None:
    """A leaf that is not a plain ``str``: an integer as its decimal text, a ``str`` subclass, else nothing."""
    if isinstance(value, str):
        return _find(str(value), key) if value else None
    # IDs and phone numbers sometimes travel as JSON numbers: 8 to 19 digits (bool is an int: excluded).
    if type(value) is int and 10_000_000 <= value < 10**19:
        text = str(value)
        context = _context(key)
        detector = _numeric(text, context, whole=True)
        if detector is not None:
            return [(detector, 0, None, _confidence(detector, context, whole=True), text)]
    return None


# --- one string ------------------------------------------------------------------------------------------------


def _confidence(detector: str, context: frozenset[str], *, whole: bool) -> float:
    if detector in context:
        return _CONFIDENCE_CONTEXT
    return _CONFIDENCE_WHOLE if whole else _CONFIDENCE_EMBEDDED


def _choose(candidates: list[str], context: frozenset[str]) -> str | None:
    """Of the detectors that accept one value, the one the key names, else the strongest."""
    if not candidates:
        return None
    if len(candidates) > 1:
        for detector in candidates:
            if detector in context:
                return detector
    return candidates[0]


def _numeric(text: str, context: frozenset[str], *, whole: bool) -> str | None:
    """Detector for a run of digits with optional separators, ``+`` prefix or final X."""
    n = len(text)
    if n < 8:
        return None
    candidates: list[str] = []
    if n == 18 and is_cn_resident_id(text):
        candidates.append("cn_resident_id")
    if n >= 13 and is_bank_card(text):
        candidates.append("bank_card")
    if n >= 11 and is_cn_mobile(text):
        candidates.append("cn_mobile")
    # An 8-digit number is a Singapore mobile only as a whole value, and only if the key says phone or +65 is there.
    if whole and n <= 14 and is_sg_mobile(text) and ("sg_mobile" in context or text.startswith("+65")):
        candidates.append("sg_mobile")
    return _choose(candidates, context)


def _whole_only(text: str, key: str) -> list[_Match] | None:
    """Whole values the text search does not look for: an 8-digit Singapore mobile under a phone key or with
    +65, a lowercase NRIC/FIN, an address with a non-ASCII domain or unusual characters in its local part."""
    stripped = text.strip()
    n = len(stripped)
    if n < 6 or n > 254:
        return None
    first = stripped[0]
    detector: str | None = None
    if first in _NUMERIC_START:
        if n <= 14 and is_sg_mobile(stripped) and ("+" in stripped or "sg_mobile" in _context(key)):
            detector = "sg_mobile"
    elif n == 9 and first in "STFGMstfgm":
        if is_sg_nric_fin(stripped):
            detector = "sg_nric_fin"
    if detector is None and "@" in stripped and is_email(stripped):
        detector = "email"
    if detector is None:
        return None
    return [(detector, 0, None, _confidence(detector, _context(key), whole=True), stripped)]


def _spans_all(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is the whole text but for surrounding whitespace."""
    return (start == 0 or text[:start].isspace()) and (end == len(text) or text[end:].isspace())


def _find(text: str, key: str) -> list[_Match] | None:
    """Identifiers in one string: the whole value (end ``None``), else every one embedded in it."""
    m = _CANDIDATE.search(text)
    if m is None:
        return _whole_only(text, key)
    context = _context(key)
    found: list[_Match] = []
    emails: list[tuple[int, int]] = []
    while m is not None:
        kind = m.lastgroup
        start, end = m.span()
        if kind == "email":
            start = _local_part_start(text, start)
            if start >= 0 and is_email(text[start:end]):
                if not found and _spans_all(text, start, end):
                    return [("email", 0, None, _confidence("email", context, whole=True), text[start:end])]
                emails.append((start, end))
                found.append(("email", start, end, _confidence("email", context, whole=False), text[start:end]))
        elif kind == "nric":
            if is_sg_nric_fin(m[0]):
                if not found and _spans_all(text, start, end):
                    return [("sg_nric_fin", 0, None, _confidence("sg_nric_fin", context, whole=True), m[0])]
                found.append(("sg_nric_fin", start, end, _confidence("sg_nric_fin", context, whole=False), m[0]))
        elif _spans_all(text, start, end):
            detector = _numeric(m[0], context, whole=True)
            if detector is not None:
                return [(detector, 0, None, _confidence(detector, context, whole=True), m[0])]
            found.extend(_embedded_numbers(text, m[0], start, context))
        else:
            found.extend(_embedded_numbers(text, m[0], start, context))
        m = _CANDIDATE.search(text, end)
    if not found:
        return _whole_only(text, key)
    if emails and len(found) > len(emails):
        # A number or NRIC inside an address (13800138000@example.com) is part of it, not a second finding.
        found = [f for f in found if f[0] == "email" or not any(s < (f[2] or 0) and f[1] < e for s, e in emails)]
    return found


def _local_part_start(text: str, at: int) -> int:
    """Start of the local part that ends at the '@' at index ``at`` (leading dots dropped); -1 if none."""
    start = at
    limit = max(0, at - 65)
    while start > limit and text[start - 1] in _EMAIL_LOCAL:
        start -= 1
    if start == limit and limit > 0 and text[start - 1] in _EMAIL_LOCAL:
        return -1  # longer than a local part may be
    while start < at and text[start] == ".":
        start += 1
    return start if start < at else -1


def _embedded_numbers(text: str, token: str, offset: int, context: frozenset[str]) -> list[_Match]:
    """A digit run from the text: itself, or else the longest runs of its groups that validate, left to right."""
    detector = _numeric(token, context, whole=False)
    if detector is not None:
        return [(detector, offset, offset + len(token), _confidence(detector, context, whole=False), token)]
    pieces = [m.span() for m in _PIECE.finditer(token)]
    count = len(pieces)
    out: list[_Match] = []
    i = 0
    while i < count - 1 or (i == count - 1 and count > 1):
        found_at = 0
        for j in range(min(count, i + _MAX_PIECES), i, -1):
            if i == 0 and j == count:
                continue  # the whole run was tried above
            start, end = pieces[i][0], pieces[j - 1][1]
            if end - start < 11:
                break
            raw = token[start:end]
            detector = _numeric(raw, context, whole=False)
            if detector is not None:
                confidence = _confidence(detector, context, whole=False)
                out.append((detector, offset + start, offset + end, confidence, raw))
                found_at = j
                break
        i = found_at or i + 1
    return out


# --- context ---------------------------------------------------------------------------------------------------


def _context(key: str) -> frozenset[str]:
    """What a key announces: ``mobile``, ``contactPhone``, ``id_card_no``, ``手机号码`` ..."""
    try:
        return _CONTEXT_CACHE[key]
    except KeyError:
        pass
    if len(_CONTEXT_CACHE) >= _CONTEXT_CACHE_SIZE:
        _CONTEXT_CACHE.clear()
    context = _CONTEXT_CACHE[key] = _key_context(key) if type(key) is str else _NO_CONTEXT
    return context


def _key_context(key: str) -> frozenset[str]:
    kinds: set[str] = set()
    for word, announced in _CONTEXT_CJK:
        if word in key:
            kinds |= announced
    words = _KEY_WORDS.findall(_CAMEL.sub(r"\1 \2", key).lower())
    if words:
        whole = _CONTEXT_WORDS.get("".join(words))
        if whole is not None:
            return frozenset(kinds | whole)
        used = [False] * len(words)
        for i in range(len(words) - 1):
            pair = _CONTEXT_WORDS.get(words[i] + words[i + 1])
            if pair is not None:
                kinds |= pair
                used[i] = used[i + 1] = True
        for i, word in enumerate(words):
            if not used[i]:
                single = _CONTEXT_WORDS.get(word)
                if single is None and len(word) > 3 and word.endswith("s"):
                    single = _CONTEXT_WORDS.get(word[:-1])  # plurals: phones, emails, cards
                if single is not None:
                    kinds |= single
    return frozenset(kinds) if kinds else _NO_CONTEXT


# --- result ----------------------------------------------------------------------------------------------------


def _classification(hits: list[_Hit], categories: Mapping[str, str] | None) -> Classification:
    if not hits:
        return Classification(findings=(), subjects=())
    category = DETECTOR_CATEGORIES if categories is None else {**DETECTOR_CATEGORIES, **categories}
    hits.sort(key=lambda h: (h[0], h[1]))
    findings = tuple(
        Finding(
            pointer=pointer,
            detector=detector,
            category=category.get(detector, "PI"),
            confidence=confidence,
            start=start,
            end=end,
        )
        for pointer, start, end, detector, confidence, _holder, _raw in hits
    )
    by_holder: dict[str, list[_Hit]] = {}
    for hit in hits:
        by_holder.setdefault(hit[5], []).append(hit)
    subjects: list[Subject] = []
    for holder in sorted(by_holder):
        group = by_holder[holder]
        key = min(group, key=lambda h: _PRIORITY.get(h[3], len(_PRIORITY)))  # stable: first in (pointer, start)
        subjects.append(
            Subject(
                pointer=holder,
                key_detector=key[3],
                key_value=f"{key[3]}:{normalise(key[3], key[6])}",
                finding_count=len(group),
            )
        )
    return Classification(findings=findings, subjects=tuple(subjects))
