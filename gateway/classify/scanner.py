"""Walks a parsed JSON body for identifiers, reports them by RFC 6901 pointer and groups them into individuals.

Each string (and each integer, as its decimal text) is searched once with one combined regular expression; each
candidate is validated by its detector. A candidate that is the whole value is reported with ``end=None``, others
with their span. The object key above a value is context: it raises confidence and is required before an 8-digit
number counts as a Singapore mobile. Pure code: no I/O, no clock; never raises on a JSON value; iterative.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from operator import itemgetter

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

# One pass over the text finds every candidate; Python then checks its edges and validates it. The pattern opens
# with a character class, so the engine skips in C to the next digit, '@' or series letter, and it uses no
# lookaround at the edges (slow in `re`): a candidate is a run of 11+ digits, spaces and dashes ending in a digit
# or X, an '@' before a domain label and a dot, or an upper-case NRIC/FIN shape.
_CANDIDATE = re.compile(
    r"[0-9@STFGM](?:(?<=[0-9])[0-9 \-]{9,}[0-9Xx]"
    r"|(?<=@)[A-Za-z0-9][A-Za-z0-9\-]*\.[A-Za-z0-9]"
    r"|(?<=[STFGM])[0-9]{7}[A-Z])"
)
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9\-]{1,59})(?![A-Za-z0-9\-])"
)
# A whole value that is one address of the kind _local_part_start and _valid_local_part accept: dot-atom local part.
_PLAIN_ADDRESS = re.compile(r"([A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)@" + _DOMAIN.pattern)
_PIECE = re.compile(r"\+?[0-9]+[Xx]?")
_LONG_GROUP = re.compile(r"\+?[0-9]{10,}[0-9Xx]")
# ASCII edges, not \b (which counts CJK as word characters): an identifier inside a longer run of digits or
# letters is not one, yet one right after 手机号 is.
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_DIGIT = frozenset("0123456789")
_EMAIL_LOCAL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-"
_EMAIL_LOCAL = frozenset(_EMAIL_LOCAL_CHARS)
_WHOLE_START = frozenset("0123456789+STFGMstfgm \t\r\n\u00a0\u3000")
_CONTAINERS = (dict, list)
_MAX_PIECES = 6  # a card written 4-4-4-4-3 has five groups, +86 138 0013 8000 has four
_MAX_GROUPS = 64  # runs with more groups than this are searched group by group
_PRIORITY = {d: i for i, d in enumerate(DETECTOR_PRIORITY)}
_UNRANKED = len(_PRIORITY)

# (detector, start, end, confidence, matched text)
_Match = tuple[str, int, int | None, float, str]
# (pointer, holder pointer, what was found in the value at pointer, in text order)
_Hit = tuple[str, str, list[_Match]]
_POINTER = itemgetter(0)


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
        found = _find(text, "", _CANDIDATE.search(text))
        if found:
            hits.append(("", "", found))
    return _classification(hits, categories).findings


# --- walking ---------------------------------------------------------------------------------------------------


def _walk(doc: Json, hits: list[_Hit]) -> None:
    """Depth-first over containers with an explicit stack; leaves are looked at where they stand.

    The key above a value (for an array element: the key above the array) is carried as text and turned into
    context only when a candidate needs it.
    """
    if not isinstance(doc, _CONTAINERS):
        found = _find_scalar(doc, "")
        if found:
            hits.append(("", "", found))
        return
    # (container, its pointer, key above it, pointer of the object whose data its values are)
    stack: list[tuple[dict[str, Json] | list[Json], str, str, str]] = [(doc, "", "", "")]
    pop, push, search, add = stack.pop, stack.append, _CANDIDATE.search, hits.append
    while stack:
        node, pointer, key, holder = pop()
        prefix = pointer + "/"  # of the pointers of its values
        entries: Iterable[tuple[object, Json]]
        if isinstance(node, dict):
            entries, owner, is_object = node.items(), pointer, True
        else:
            entries, owner, is_object = enumerate(node), holder, False
        for name, value in entries:
            kind = type(value)
            if kind is str:
                # Most values hold no candidate: decide that here, without a call. None fits in fewer than 9
                # characters without an '@' (the shortest, an NRIC/FIN, has 9): short values skip the search.
                m = search(value) if len(value) >= 9 or "@" in value else None  # type: ignore[arg-type,operator]
                # Without a candidate, only a short value or one with '@' may still be whole (see _whole_only).
                if m is None and not (value and ((len(value) <= 20 and value[0] in _WHOLE_START) or "@" in value)):  # type: ignore[arg-type,index,operator]
                    continue
                found = _find(value, name if is_object else key, m)  # type: ignore[arg-type]
            elif kind is dict or kind is list or isinstance(value, _CONTAINERS):
                child = prefix + _token(name)
                push((value, child, name if is_object else key, owner if isinstance(value, list) else child))  # type: ignore[arg-type]
                continue
            else:
                found = _find_scalar(value, name if is_object else key)  # type: ignore[arg-type]
            if found:
                add((prefix + _token(name), owner, found))


def _token(name: object) -> str:
    """A reference token of RFC 6901: '~' and '/' escaped as '~0' and '~1'."""
    if type(name) is not str:
        return str(name)
    if "~" in name or "/" in name:
        return name.replace("~", "~0").replace("/", "~1")
    return name


def _find_scalar(value: object, key: str) -> list[_Match] | None:
    """A leaf that is not a plain ``str``: an integer as its decimal text, a ``str`` subclass, else nothing."""
    if isinstance(value, str):
        text = str(value)
        return _find(text, key, _CANDIDATE.search(text)) if text else None
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


def _numeric(text: str, context: frozenset[str], *, whole: bool) -> str | None:
    """Detector for a run of digits with optional separators, ``+`` prefix or final X.

    An 8-digit number is a Singapore mobile only as a whole value, and only if the key says phone or +65 is there;
    without +65 its shape is at most 9 characters long, so longer numbers skip that check.
    """
    n = len(text)
    if n < 8 or n > 40:
        return None
    if n < 13:
        # Too short for a resident id or card: a mainland mobile or a Singapore one, whose shapes exclude each
        # other (1 against 8, 9 or +65 first): the first that validates is the only candidate, no list needed.
        if n >= 11 and is_cn_mobile(text):
            return "cn_mobile"
        sg = whole and (text.startswith("+65") or (n <= 9 and "sg_mobile" in context)) and is_sg_mobile(text)
        return "sg_mobile" if sg else None
    candidates: list[str] = []
    if n == 18 and is_cn_resident_id(text):
        candidates.append("cn_resident_id")
    if is_bank_card(text):
        candidates.append("bank_card")
    if is_cn_mobile(text):
        candidates.append("cn_mobile")
    if whole and n <= 14 and text.startswith("+65") and is_sg_mobile(text):
        candidates.append("sg_mobile")
    # Of the detectors that accept the value, the one the key names, else the strongest.
    for detector in candidates:
        if detector in context:
            return detector
    return candidates[0] if candidates else None


def _whole_only(text: str, key: str) -> list[_Match] | None:
    """Whole values that the text search does not look for: an 8-digit Singapore mobile under a phone key or
    with +65, a lower-case NRIC/FIN, an address with a non-ASCII domain or unusual characters in its local part."""
    stripped = text.strip()
    n = len(stripped)
    if n < 6 or n > 254:
        return None
    first = stripped[0]
    detector: str | None = None
    if first in _DIGIT or first == "+":
        if n <= 14 and is_sg_mobile(stripped) and ("+" in stripped or "sg_mobile" in _context(key)):
            detector = "sg_mobile"
    elif n == 9 and first in "STFGMstfgm" and is_sg_nric_fin(stripped):
        detector = "sg_nric_fin"
    if detector is None and "@" in stripped and is_email(stripped):
        detector = "email"
    if detector is None:
        return None
    return [(detector, 0, None, _confidence(detector, _context(key), whole=True), stripped)]


def _spans_all(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is the whole text but for surrounding whitespace."""
    return (start == 0 or text[:start].isspace()) and (end == len(text) or text[end:].isspace())


def _find(text: str, key: str, m: re.Match[str] | None) -> list[_Match] | None:
    """Identifiers in one string: the whole value (end ``None``), else every one embedded in it.

    ``m`` is the first candidate in the text, found by the caller. Embedded ones come in text order, by start (each
    candidate is searched for after the last; an address's local part starts after any earlier '@'; what overlaps
    an address is dropped): _classification relies on it.
    """
    if m is None:
        return _whole_only(text, key)
    context = _context(key)
    start, end = m.span()
    if start == 0 and end == len(text) and text[0] in _DIGIT:
        # The usual whole number (a mobile or id under its key): no edges to look at.
        detector = _numeric(text, context, whole=True)
        if detector is not None:
            return [(detector, 0, None, _CONFIDENCE_CONTEXT if detector in context else _CONFIDENCE_WHOLE, text)]
    elif "@" in text and _is_plain_address(text):
        # The usual whole address: what the search below would conclude, in one regex call (see _is_plain_address).
        return [("email", 0, None, _CONFIDENCE_CONTEXT if "email" in context else _CONFIDENCE_WHOLE, text)]
    found: list[_Match] = []
    while m is not None:
        start, end = m.span()
        first = text[start]
        if first == "@":
            end, matches = _email_at(text, start, context)
        elif first in _DIGIT:
            matches = _numbers(text, start, end, context, whole=not found)
        else:
            matches = _nric_at(text, start, end, context, whole=not found)
        if matches:
            if matches[0][2] is None:
                return matches  # the whole value
            found.extend(matches)
        m = _CANDIDATE.search(text, end)
    if not found:
        return _whole_only(text, key)
    emails = [(f[1], f[2] or 0) for f in found if f[0] == "email"]
    if emails and len(found) > len(emails):
        # A number or NRIC inside an address (13800138000@example.com) is part of it, not a second finding.
        found = [f for f in found if f[0] == "email" or not any(s < (f[2] or 0) and f[1] < e for s, e in emails)]
    return found


def _is_plain_address(text: str) -> bool:
    """Whether the text is exactly one address with a local part of [A-Za-z0-9._%+-] and an ASCII domain.

    For such a text :func:`_find` reports the whole value as an email: the candidates in the local part are never
    whole values themselves, and at its '@' :data:`_DOMAIN` matches the rest of the text, the local part (which
    :data:`_PLAIN_ADDRESS` also holds to the dot rules) starts at 0, and :func:`_spans_all` holds.
    """
    address = _PLAIN_ADDRESS.fullmatch(text)
    return address is not None and address.end(1) <= 64 and len(text) <= 254


def _email_at(text: str, at: int, context: frozenset[str]) -> tuple[int, list[_Match]]:
    """The address around the '@' at index ``at``, if any, and where to search on."""
    domain = _DOMAIN.match(text, at + 1)
    if domain is None:
        return at + 1, []
    end = domain.end()
    local = _local_part_start(text, at)
    valid = local >= 0 and _valid_local_part(text[local:at]) and end - local <= 254
    if valid and _spans_all(text, local, end):  # anything found before lies inside this address
        return end, [("email", 0, None, _confidence("email", context, whole=True), text[local:end])]
    if (end == len(text) or text[end:].isspace()) and text.count("@") == 1:
        # The value may be one address whose local part uses characters rarely seen in text (= / ! ...).
        stripped = text.strip()
        if is_email(stripped):
            return end, [("email", 0, None, _confidence("email", context, whole=True), stripped)]
    if not valid:
        return end, []
    return end, [("email", local, end, _confidence("email", context, whole=False), text[local:end])]


def _nric_at(text: str, start: int, end: int, context: frozenset[str], *, whole: bool) -> list[_Match]:
    """An upper-case NRIC/FIN candidate at text[start:end], if it stands alone and its check letter is right."""
    if (start and text[start - 1] in _ALNUM) or (end < len(text) and text[end] in _ALNUM):
        return []
    raw = text[start:end]
    if not is_sg_nric_fin(raw):
        return []
    if whole and _spans_all(text, start, end):
        return [("sg_nric_fin", 0, None, _confidence("sg_nric_fin", context, whole=True), raw)]
    return [("sg_nric_fin", start, end, _confidence("sg_nric_fin", context, whole=False), raw)]


def _local_part_start(text: str, at: int) -> int:
    """Start of the local part that ends at the '@' at index ``at`` (leading dots dropped); -1 if none."""
    limit = max(0, at - 65)
    # Stepping back over local-part characters from the '@', but in C: what rstrip leaves ends where the run starts.
    start = limit + len(text[limit:at].rstrip(_EMAIL_LOCAL_CHARS))
    if start == limit and limit > 0 and text[start - 1] in _EMAIL_LOCAL:
        return -1  # longer than a local part may be
    while start < at and text[start] == ".":
        start += 1
    return start if start < at else -1


def _valid_local_part(local: str) -> bool:
    """Dot rules for a local part already made of [A-Za-z0-9._%+-] before a domain that matched ``_DOMAIN``:
    together the same verdict as :func:`is_email`, without its slower Unicode-aware pattern."""
    return len(local) <= 64 and local[-1] != "." and ".." not in local


def _edges(text: str, start: int, end: int) -> tuple[int, bool, bool]:
    """Where a digit run really starts (a '+' just before it belongs to it) and whether each edge is clear: not
    touching a letter, a digit, or a decimal point between digits."""
    length = len(text)
    if start and text[start - 1] == "+":
        start -= 1
        left_clear = start == 0 or (text[start - 1] not in _ALNUM and text[start - 1] != "+")
    else:
        left_clear = start == 0 or (
            text[start - 1] not in _ALNUM and not (text[start - 1] == "." and start > 1 and text[start - 2] in _DIGIT)
        )
    right_clear = end == length or (
        text[end] not in _ALNUM and not (text[end] == "." and end + 1 < length and text[end + 1] in _DIGIT)
    )
    return start, left_clear, right_clear


def _numbers(text: str, start: int, end: int, context: frozenset[str], *, whole: bool) -> list[_Match]:
    """Identifiers in a run of digits, spaces and dashes at text[start:end]: the run itself, or else the
    longest runs of its groups that validate, left to right. A group at an edge that is not clear is in none."""
    start, left_clear, right_clear = _edges(text, start, end)
    token = text[start:end]
    if left_clear and right_clear:
        if whole and _spans_all(text, start, end):
            detector = _numeric(token, context, whole=True)
            if detector is not None:
                return [(detector, 0, None, _confidence(detector, context, whole=True), token)]
        detector = _numeric(token, context, whole=False)
        if detector is not None:
            return [(detector, start, end, _confidence(detector, context, whole=False), token)]
    if " " not in token and "-" not in token:
        return []
    return _groups(token, start, context, skip_first=not left_clear, skip_last=not right_clear)


def _plausible_groups(first: str, sizes: list[int]) -> bool:
    """Whether an identifier written in groups of ``sizes`` digits can start with ``first``: a mobile number (11
    digits; 13 or 15 with 86, +86 or 0086 before it) or a card laid out in groups of 4-6 digits but the last
    (4-4-4-4, 4-6-5, 4-4-4-4-3). Resident ids have no separators. Dates, amounts and tables of small numbers
    thus cost no validation, and the groups of two neighbouring numbers make no card."""
    count = sum(sizes)
    if first == "1":
        return count == 11
    if first in "+08":
        return count in (13, 15)
    return "2" <= first <= "6" and count >= 13 and all(4 <= n <= 6 for n in sizes[:-1])


def _groups(token: str, offset: int, context: frozenset[str], *, skip_first: bool, skip_last: bool) -> list[_Match]:
    """Identifiers made of consecutive groups of a run that is not one as a whole (greedy, longest first)."""
    if token.count(" ") + token.count("-") >= _MAX_GROUPS:
        return _long_groups(token, offset, context, skip_first=skip_first, skip_last=skip_last)
    pieces = [p.span() for p in _PIECE.finditer(token)]
    sizes = [b - a - (token[a] == "+") for a, b in pieces]  # digits (and X) per group
    digits = [0]  # digits[k]: in the first k groups
    for size in sizes:
        digits.append(digits[-1] + size)
    low = 1 if skip_first else 0
    high = len(pieces) - 1 if skip_last else len(pieces)
    whole_tried = low == 0 and high == len(pieces)
    out: list[_Match] = []
    i = low
    while i < high:
        top = min(high, i + _MAX_PIECES)
        if digits[top] - digits[i] < 11:  # the shortest embedded identifier, a mobile number, has 11 digits
            i += 1
            continue
        next_i = i + 1
        for j in range(top, i, -1):
            count = digits[j] - digits[i]
            if count < 11:
                break
            if count > 19 or (whole_tried and i == 0 and j == len(pieces)):
                continue  # longer than a card number; or the whole run, tried before
            a, b = pieces[i][0], pieces[j - 1][1]
            if j > i + 1 and not _plausible_groups(token[a], sizes[i:j]):
                continue
            raw = token[a:b]
            detector = _numeric(raw, context, whole=False)
            if detector is not None:
                out.append((detector, offset + a, offset + b, _confidence(detector, context, whole=False), raw))
                next_i = j
                break
        i = next_i
    return out


def _long_groups(
    token: str, offset: int, context: frozenset[str], *, skip_first: bool, skip_last: bool
) -> list[_Match]:
    """In a run of very many groups (a flattened table of numbers), identifiers written as one group of 11 or
    more digits: trying every window of groups would cost a validation per group, for text people rarely write."""
    out: list[_Match] = []
    for group in _LONG_GROUP.finditer(token):
        a, b = group.span()
        if (skip_first and a == 0) or (skip_last and b == len(token)):
            continue
        detector = _numeric(group[0], context, whole=False)
        if detector is not None:
            out.append((detector, offset + a, offset + b, _confidence(detector, context, whole=False), group[0]))
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
        return Classification((), ())
    category = DETECTOR_CATEGORIES if categories is None else {**DETECTOR_CATEGORIES, **categories}
    # Findings go by (pointer, start). A pointer names one value and _find lists a value's matches in text order,
    # so sorting the values by pointer alone orders the findings: one str key per value, no tuple per finding.
    hits.sort(key=_POINTER)
    findings: list[Finding] = []
    add = findings.append
    by_holder: dict[str, list[_Match]] = {}
    for pointer, holder, found in hits:
        for detector, start, end, confidence, _raw in found:
            # Positional arguments: keyword calls cost twice as much, and a body can hold hundreds of findings.
            add(Finding(pointer, detector, category.get(detector, "PI"), confidence, start, end))
        group = by_holder.get(holder)
        if group is None:
            by_holder[holder] = found  # the value's own list, which nothing reads again: extended in place below
        else:
            group += found
    subjects = []
    for holder in sorted(by_holder):
        group = by_holder[holder]
        key = group[0] if len(group) == 1 else _strongest(group)
        detector = key[0]
        kinds = frozenset([category.get(m[0], "PI") for m in group])
        subjects.append(Subject(holder, detector, f"{detector}:{normalise(detector, key[4])}", len(group), kinds))
    return Classification(tuple(findings), tuple(subjects))


def _strongest(group: list[_Match]) -> _Match:
    """The identifier that keys an individual: highest in DETECTOR_PRIORITY, the first by pointer among equals."""
    best, best_rank = group[0], _PRIORITY.get(group[0][0], _UNRANKED)
    for match in group:
        rank = _PRIORITY.get(match[0], _UNRANKED)
        if rank < best_rank:
            best, best_rank = match, rank
    return best
