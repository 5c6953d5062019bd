"""Walks a parsed JSON body for personal data, reports it by RFC 6901 pointer and groups it into individuals.

Each string (and each integer, as its decimal text) is searched once with one combined regular expression for
identifier-shaped candidates, and each candidate is validated by its detector (check characters, dates, allocation
tables). The object key above a value is context: it raises confidence, and it is what lets weak detectors speak at
all (a name, a date of birth, an address, a diagnosis, a password: shapes that are everywhere in data that is not
personal). Free text is also searched for lexicon terms and secrets. A finding that is the whole value is reported
with ``end=None``, others with their span. Pure code: no I/O, no clock; never raises on a JSON value; iterative.

The hot loop is written for speed (see bench/classify.py): most values hold nothing, and are dismissed without a
function call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

from gateway.classify import attributes
from gateway.classify.catalogue import DETECTOR_CATEGORIES, DETECTOR_PRIORITY, ORGANISATION_DETECTORS
from gateway.classify.context_words import CONTEXT_CJK, CONTEXT_WORDS, NOT_CONTEXT_CJK, NOT_CONTEXT_PAIRS
from gateway.classify.detectors import (
    is_bank_card,
    is_cn_mobile,
    is_cn_resident_id,
    is_email,
    is_sg_mobile,
    is_sg_nric_fin,
)
from gateway.classify.identifiers_cn import (
    is_cn_landline,
    is_cn_mainland_travel_permit_strong,
    is_cn_passport,
    is_cn_plate,
    is_cn_resident_id_15,
    is_cn_uscc,
)
from gateway.classify.identifiers_net import is_geo_coordinates, is_iban, is_ip_address, is_mac_address
from gateway.classify.identifiers_sg import is_sg_passport, is_sg_uen
from gateway.classify.spans import overlap_test
from gateway.classify.validators import WEAK_VALIDATORS, normalise
from gateway.model import Classification, Finding, Json, Subject

__all__ = ["Classifier", "CustomDetector", "scan", "scan_text"]

_CONFIDENCE_CONTEXT = 0.95  # the key above the value names this kind of datum
_CONFIDENCE_WHOLE = 0.8  # the whole value is the identifier
_CONFIDENCE_EMBEDDED = 0.6  # found inside free text

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_ALNUM_UPPER = "0-9A-HJ-NP-Z"  # letters of identifiers that avoid I and O
_USCC_CHAR = "0-9A-HJ-NPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z

# One pass over the text finds every identifier-shaped candidate. The pattern opens with one character class, so the
# engine skips in C to the next digit, capital letter, '@', '(' or province character (an alternation of classes
# would not get that skip from `re`); each alternative then checks, by a lookbehind, the first character it needs.
# The named group says which shape matched; Python then checks the edges and validates.
_CANDIDATE = re.compile(
    rf"[0-9A-Z@({_PROVINCES}](?:"
    # Every shape starts where a run of digits (or of letters and digits) starts: the lookbehinds test that the
    # character before the first is not of the same kind, so a long number costs one attempt, not one per digit.
    r"(?<=[0-9])(?<![0-9][0-9])(?:"  # digit-led shapes
    # A unified social credit code may end in letters after a run of digits: tried first, and a candidate that is
    # no code goes on as a run of digits (_identifiers).
    rf"(?P<uscc>[0-9][0-9]{{6}}[{_USCC_CHAR}]{{10}}(?![0-9A-Za-z]))"
    # Resident ids, cards, mobiles, landlines: 11 or more digits, single spaces or dashes between them. Possessive,
    # and a separator must be followed by a digit, so a failed attempt never backtracks.
    r"|(?P<run>(?:[0-9]|[ \-](?=[0-9])){10,}+[Xx]?)"
    r"|(?P<uen>[0-9]{7,8}[A-Z])"
    r"|(?P<ipv4>[0-9]{0,2}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})"
    r"|(?P<geo>[0-9]{0,2}\.[0-9]{4,15} ?[,\uff0c] ?-?[0-9]{1,3}\.[0-9]{4,15})"
    r")"
    r"|(?<=[A-Z])(?<![A-Za-z0-9][A-Z])(?:"  # letter-led shapes
    r"(?P<iban>[A-Z][0-9]{2}(?: ?[0-9A-Z]{4}){2,7}(?: ?[0-9A-Z]{1,3})?)"
    r"|(?<=[RST])(?P<uenx>[0-9]{2}[A-Z]{2}[0-9]{4}[0-9A-Z])"
    r"|(?<=[STFGM])(?P<nric>[0-9]{7}[A-Z])"
    rf"|(?<=[EGHKMD])(?P<doc>[{_ALNUM_UPPER}][0-9]{{6,9}}[{_ALNUM_UPPER}]?)"
    r")"
    r"|(?<=@)(?P<at>[A-Za-z0-9][A-Za-z0-9\-]*\.[A-Za-z0-9])"
    r"|(?<=\()(?P<paren>0[0-9]{2,3}\) ?[2-9][0-9]{2,3}[ \-]?[0-9]{4})"
    rf"|(?<=[{_PROVINCES}])(?P<plate>[A-HJ-NP-Z][·• ]?[{_ALNUM_UPPER}]{{4}}[{_ALNUM_UPPER}学警港澳挂领试超使]{{1,2}})"
    ")"
)
# Hardware and IPv6 addresses: hex digits and colons, searched only in text with a colon, five dashes or two dots.
_HEX = re.compile(
    r"(?P<mac>[0-9A-Fa-f]{2}([:\-])[0-9A-Fa-f]{2}(?:\2[0-9A-Fa-f]{2}){4})"
    r"|(?P<cisco>[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})"
    r"|(?P<v6>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.[0-9]{1,3}){0,3})"
)
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_CISCO = re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}")
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9\-]{1,59})(?![A-Za-z0-9\-])"
)
# A whole value that is one address of the kind _local_part_start and _valid_local_part accept: dot-atom local part.
_PLAIN_ADDRESS = re.compile(r"([A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)@" + _DOMAIN.pattern)
_VERSION_CUE = re.compile(r"(?i:version|build|release|ver|v)[ _]?[=:\uff1a]?[ ]?$")
# An 8-digit Singapore number in free text counts only right after a word that says phone.
_SG_LOCAL = re.compile(r"(?<![0-9+])(?:\+?65[ \-]?)?[89][0-9]{3}[ \-]?[0-9]{4}(?![0-9])")
_SG_DIGITS = re.compile(r"[89][0-9]{3}")
_PHONE_CUE = re.compile(
    r"(?i:mobile|phone|tel|hp|handphone|whatsapp|contact|cell|line|fax|call(?:ed)?(?: from| on| at)?)"
    r"[ .:\uff1a#]*(?:no\.?|number)?[ .:\uff1a]*$|(?:手机|电话|联系方式)[号码]*[\uff1a: ]*$"
)
_RUN = re.compile(r"[0-9](?:[0-9]|[ \-](?=[0-9])){10,}+[Xx]?")  # the run alternative of _CANDIDATE, on its own
_PIECE = re.compile(r"\+?[0-9]+[Xx]?")
_LONG_GROUP = re.compile(r"\+?[0-9]{10,}[0-9Xx]")
# ASCII edges, not \b (which counts CJK as word characters): an identifier inside a longer run of digits or
# letters is not one, yet one right after 手机号 is.
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_HEX_EDGE = _ALNUM | {":"}
_DIGIT = frozenset("0123456789")
_EMAIL_LOCAL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-"
_EMAIL_LOCAL = frozenset(_EMAIL_LOCAL_CHARS)
_CONTAINERS = (dict, list)
_MAX_PIECES = 6  # a card written 4-4-4-4-3 has five groups, +86 138 0013 8000 has four
_MAX_GROUPS = 64  # runs with more groups than this are searched group by group
_SHORTEST = 7  # the shortest identifier the search finds: an IPv4 address or a plate ("1.2.3.4", "苏E12345")
_FREE_TEXT = 8  # strings at least this long with a space or a non-ASCII character are searched as free text
_ALSO_18 = frozenset({"bank_card", "cn_uscc", "cn_mobile", "cn_landline"})  # may also be 18 characters
_PRIORITY = {d: i for i, d in enumerate(DETECTOR_PRIORITY)}
_UNRANKED = len(_PRIORITY)

# (detector, start, end, confidence, matched text)
_Match = tuple[str, int, int | None, float, str]
# (pointer, holder pointer, what was found in the value at pointer, in text order)
_Hit = tuple[str, str, list[_Match]]
_POINTER = itemgetter(0)
# Free-text finders: what they find, and a function giving spans.
_TEXT_FINDERS: tuple[tuple[str, Callable[[str], list[tuple[int, int]]]], ...] = (
    ("credential", attributes.find_secrets),
    ("health", attributes.find_health_terms),
    ("religion", attributes.find_religion_terms),
    ("person_name", attributes.find_chinese_names),
    ("person_name", attributes.find_cued_latin_names),
    ("date_of_birth", attributes.find_dates_of_birth),
    ("postal_address", attributes.find_postal_addresses),
)
# Words in a key that say its value is not of a kind its shape suggests ("version": 1.2.3.4).
_KEY_DENIES: dict[str, frozenset[str]] = {
    "version": frozenset({"ip_address", "geo_coordinates"}),
    "ver": frozenset({"ip_address", "geo_coordinates"}),
    "build": frozenset({"ip_address"}),
    "release": frozenset({"ip_address"}),
    "rate": frozenset({"geo_coordinates"}),
    "price": frozenset({"geo_coordinates"}),
    "amount": frozenset({"geo_coordinates"}),
}


@dataclass(frozen=True, slots=True)
class CustomDetector:
    """An operator's detector, compiled from the policy's ``classification.detectors``.

    It reports a whole value that ``pattern`` matches in full (and that passes ``checksum``), or that is one of
    ``words``; with ``context``, only values whose key holds one of those words; with ``in_text``, also matches
    inside free text.
    """

    id: str
    category: str
    pattern: re.Pattern[str] | None = None
    checksum: Callable[[str], bool] | None = None
    context: tuple[str, ...] = ()
    words: frozenset[str] = frozenset()
    in_text: bool = False

    def applies_to(self, key: str) -> bool:
        """Whether values under ``key`` are looked at."""
        if not self.context:
            return True
        folded = key.casefold()
        return any(word in folded for word in self.context)

    def whole(self, value: str) -> bool:
        """Whether the whole (trimmed) value is such a datum."""
        if self.words and value.casefold() in self.words:
            return True
        if self.pattern is None or self.pattern.fullmatch(value) is None:
            return False
        return self.checksum is None or self.checksum(value)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Matches inside free text."""
        if self.pattern is None:
            return []
        return [
            m.span()
            for m in self.pattern.finditer(text)
            if m.end() > m.start() and (self.checksum is None or self.checksum(m[0]))
        ]


class _Plan:
    """What the key above a value means for it: detectors it announces, weak validators to try, denials."""

    __slots__ = ("announced", "custom", "denied", "weak")

    def __init__(
        self,
        announced: frozenset[str],
        weak: tuple[tuple[str, Callable[[str], bool]], ...],
        denied: frozenset[str],
        custom: tuple[CustomDetector, ...],
    ) -> None:
        self.announced = announced
        self.weak = weak
        self.denied = denied
        self.custom = custom


_NO_PLAN = _Plan(frozenset(), (), frozenset(), ())
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_KEY_WORDS = re.compile(r"[a-z0-9]+")
_WEAK_ORDER = tuple(d for d in DETECTOR_PRIORITY if d in WEAK_VALIDATORS)


def key_detectors(key: str) -> frozenset[str]:
    """The detectors a key announces: ``mobile``, ``contactPhone``, ``id_card_no``, ``手机号码``, ``xingming`` ..."""
    kinds = _cjk_context(key) if not key.isascii() else set()
    words = _KEY_WORDS.findall(_CAMEL.sub(r"\1 \2", key).lower())
    if words:
        kinds |= _word_context(words)
    return frozenset(kinds)


def _cjk_context(key: str) -> set[str]:
    """Detectors announced by the Chinese words in a key, which has no word breaks: by substring."""
    kinds: set[str] = set()
    for cancelled in NOT_CONTEXT_CJK:  # 密码强度 is a password's strength, not a password
        if cancelled in key:
            key = key.replace(cancelled, " ")
    for word, announced in CONTEXT_CJK:
        if word in key:
            kinds |= announced
    return kinds


def _word_context(words: list[str]) -> set[str]:
    """Detectors announced by a key's words: the whole key joined, else word pairs, else single words."""
    whole = "".join(words)
    if whole in NOT_CONTEXT_PAIRS:
        return set()
    if whole in CONTEXT_WORDS:
        return set(CONTEXT_WORDS[whole])
    kinds: set[str] = set()
    used = [False] * len(words)
    for i in range(len(words) - 1):
        pair = words[i] + words[i + 1]
        if pair in NOT_CONTEXT_PAIRS or pair in CONTEXT_WORDS:
            kinds |= CONTEXT_WORDS.get(pair, frozenset())
            used[i] = used[i + 1] = True
    for i, word in enumerate(words):
        if not used[i]:
            single = CONTEXT_WORDS.get(word)
            if single is None and len(word) > 3 and word.endswith("s"):
                single = CONTEXT_WORDS.get(word[:-1])  # plurals: phones, emails, cards
            kinds |= single or frozenset()
    return kinds


def _key_denies(key: str) -> frozenset[str]:
    denied: set[str] = set()
    for word in _KEY_WORDS.findall(_CAMEL.sub(r"\1 \2", key).lower()):
        denied |= _KEY_DENIES.get(word, frozenset())
    return frozenset(denied)


class Classifier:
    """A scanner configured by a policy: category overrides, operator detectors, declared paths, subject paths.

    ``categories`` maps detector ids to data categories (overriding the defaults of the catalogue);
    ``paths`` maps pointer patterns (``*`` for any one token) to a category for whatever is there;
    ``subjects`` are pointer patterns naming the objects that are individuals (default: the nearest enclosing
    object holding personal data).
    """

    PATH_DETECTOR = "declared_path"  # the detector id of a finding made by a declared path

    def __init__(
        self,
        categories: Mapping[str, str] | None = None,
        custom: Sequence[CustomDetector] = (),
        paths: Mapping[str, str] | None = None,
        subjects: Sequence[str] = (),
    ) -> None:
        self.categories = {**DETECTOR_CATEGORIES, **(categories or {})}
        for detector in custom:
            self.categories[detector.id] = detector.category
        self.custom = tuple(custom)
        self.paths = tuple((_pattern_tokens(p), c) for p, c in (paths or {}).items())
        self._subjects = tuple(_pointer_pattern(p) for p in subjects)
        self._plans: dict[str, _Plan] = {}

    # --- entry points ---

    def scan(self, doc: Json) -> Classification:
        """Classify a parsed JSON document: every datum found, and the individuals it belongs to."""
        hits: list[_Hit] = []
        self._walk(doc, hits)
        declared = self._declared(doc) if self.paths else []
        return self._classification(hits, declared)

    def scan_text(self, text: str) -> tuple[Finding, ...]:
        """Findings in a bare string (a URL path, a query string, a log field), all with pointer ``""``."""
        hits: list[_Hit] = []
        if isinstance(text, str) and text:
            found = self._find(text, _NO_PLAN, _CANDIDATE.search(text))
            if found:
                hits.append(("", "", found))
        return self._classification(hits, []).findings

    # --- key context ---

    def _plan(self, key: object) -> _Plan:
        if type(key) is not str:
            return _NO_PLAN
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        if len(self._plans) >= 4096:
            self._plans.clear()
        announced = key_detectors(key)
        weak = tuple((d, WEAK_VALIDATORS[d]) for d in _WEAK_ORDER if d in announced)
        custom = tuple(d for d in self.custom if d.applies_to(key))
        denied = _key_denies(key)
        plan = _NO_PLAN if not (announced or weak or custom or denied) else _Plan(announced, weak, denied, custom)
        self._plans[key] = plan
        return plan

    # --- walking ---

    def _walk(self, doc: Json, hits: list[_Hit]) -> None:  # noqa: PLR0912 - the hot loop, kept in one frame
        """Depth-first over containers with an explicit stack; leaves are looked at where they stand."""
        if not isinstance(doc, _CONTAINERS):
            found = self._leaf(doc, _NO_PLAN)
            if found:
                hits.append(("", "", found))
            return
        # (container, its pointer, key above it, pointer of the object whose data its values are)
        stack: list[tuple[dict[str, Json] | list[Json], str, str, str]] = [(doc, "", "", "")]
        pop, push, search, add = stack.pop, stack.append, _CANDIDATE.search, hits.append
        plans, plan_of, find, leaf = self._plans, self._plan, self._find, self._leaf
        custom = bool(self.custom)
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
                    k = name if is_object else key
                    plan = plans.get(k)  # type: ignore[arg-type]
                    if plan is None:
                        plan = plan_of(k)
                    if plan is _NO_PLAN and not custom:
                        # Most values hold nothing: decide that here, without a call. Nothing the search finds fits
                        # in fewer than 7 characters; without a candidate, only free text (a space or a non-ASCII
                        # character), an e-mail address, a hardware or IPv6 address, or a whole value _whole_only
                        # knows (+65..., a lower-case NRIC) can hold anything.
                        n = len(value)  # type: ignore[arg-type]
                        m = search(value) if n >= _SHORTEST else None  # type: ignore[arg-type]
                        if m is None and "@" not in value and "::" not in value and (n < _FREE_TEXT or _plain(value)):  # type: ignore[operator,arg-type]
                            continue
                    else:
                        m = search(value)  # type: ignore[arg-type]
                    found = find(value, plan, m)  # type: ignore[arg-type]
                elif kind is dict or kind is list or isinstance(value, _CONTAINERS):
                    child = prefix + _token(name)
                    push((value, child, name if is_object else key, owner if isinstance(value, list) else child))  # type: ignore[arg-type]
                    continue
                elif value is None or kind is bool:
                    continue
                elif (
                    kind is int
                    and -10_000_000 < value < 10_000_000  # type: ignore[operator]
                    and plans.get(name if is_object else key) is _NO_PLAN  # type: ignore[arg-type]
                ):
                    continue  # a count or an amount under a key that announces nothing: too short for an identifier
                else:
                    found = leaf(value, plan_of(name if is_object else key))
                if found:
                    add((prefix + _token(name), owner, found))

    def _leaf(self, value: object, plan: _Plan) -> list[_Match] | None:
        """A value that is not a plain ``str``: a ``str`` subclass, an integer as its decimal text, a float under a
        key that announces coordinates or a weak detector."""
        if isinstance(value, str):
            text = str(value)
            return self._find(text, plan, _CANDIDATE.search(text)) if text else None
        if type(value) is int:
            text = str(value)
            # IDs and phone numbers sometimes travel as JSON numbers: 8 to 19 digits.
            if 10_000_000 <= value < 10**19:
                detector = _numeric(text, plan.announced, whole=True)
                if detector is not None:
                    return [(detector, 0, None, _confidence(detector, plan.announced, whole=True), text)]
        elif type(value) is float:
            text = repr(value)
        else:
            return None
        # A number under a key that announces a weak or an operator's detector: its decimal text, whole.
        custom = [m for m in self._custom(text, plan) if m[2] is None] if plan.custom else []
        if custom:
            return custom[:1]
        return _weak(text, plan) if plan.weak else None

    # --- one string ---

    def _find(self, text: str, plan: _Plan, m: re.Match[str] | None) -> list[_Match] | None:
        """Personal data in one string: the whole value (end ``None``), else every datum embedded in it, by start.

        ``m`` is the first identifier-shaped candidate, found by the caller. Stages: identifiers, hardware and IPv6
        addresses, then what the key and the words of the text say (:meth:`_attributes`).
        """
        found = [] if m is None else _identifiers(text, plan, m)
        if found and found[0][2] is None:
            return found
        if (
            "::" in text
            or text.count(":") >= 5
            or text.count("-") >= 5
            or (text.count(".") >= 2 and _CISCO.search(text))
        ):
            found.extend(_hex_in(text, plan.announced, whole=not found))
            if found and found[-1][2] is None:
                return None if found[-1][0] in plan.denied else [found[-1]]
        return self._attributes(text, plan, found)

    def _attributes(self, text: str, plan: _Plan, found: list[_Match]) -> list[_Match] | None:
        """The operator's detectors, the weak detectors the key announces, free text; then tidied."""
        if not found:
            known = _whole_only(text, plan.announced)
            if known is not None:
                return known
        whole: list[_Match] = []
        if plan.custom:
            # The operator's own detectors speak before the built-in weak ones: the policy knows its data.
            for match in self._custom(text, plan):
                (whole if match[2] is None else found).append(match)
        if plan.weak and not whole:
            whole = _weak(text, plan) or []
        if not whole and len(text) >= _FREE_TEXT and (" " in text or not text.isascii()):
            found.extend(_free_text(text, found))
            found.extend(_cued_sg_mobiles(text, found))
        return _finish(whole[:1], found, plan.denied)

    def _custom(self, text: str, plan: _Plan) -> list[_Match]:
        """The operator's detectors that apply under this key: whole-value matches, then matches inside the text."""
        out: list[_Match] = []
        stripped = text.strip()
        for detector in plan.custom:
            if detector.whole(stripped):
                out.append((detector.id, 0, None, _CONFIDENCE_CONTEXT, stripped))
            elif detector.in_text:
                out.extend((detector.id, a, b, _CONFIDENCE_EMBEDDED, text[a:b]) for a, b in detector.spans(text))
        return out

    # --- declared paths ---

    def _declared(self, doc: Json) -> list[Finding]:
        found: list[Finding] = []
        for tokens, category in self.paths:
            found.extend(
                Finding(pointer, self.PATH_DETECTOR, category, 1.0) for pointer in _resolve_pattern(doc, tokens)
            )
        return found

    # --- result ---

    def _classification(self, hits: list[_Hit], declared: list[Finding]) -> Classification:
        if not hits and not declared:
            return Classification((), ())
        category = self.categories
        # Findings go by (pointer, start). A pointer names one value and _find lists a value's matches in text order,
        # so sorting the values by pointer alone orders the findings: one str key per value, no tuple per finding.
        hits.sort(key=_POINTER)
        findings: list[Finding] = []
        add = findings.append
        by_holder: dict[str, list[_Match]] = {}
        subjects_at = self._subjects
        for pointer, holder, found in hits:
            for detector, start, end, confidence, _raw in found:
                # Positional arguments: keyword calls cost twice as much, and a body can hold hundreds of findings.
                add(Finding(pointer, detector, category.get(detector, "PI"), confidence, start, end))
            personal = found if len(found) == 1 else [f for f in found if f[0] not in ORGANISATION_DETECTORS]
            if not personal or personal[0][0] in ORGANISATION_DETECTORS:
                continue
            individual = _subject_of(pointer, subjects_at, holder) if subjects_at else holder
            group = by_holder.get(individual)
            if group is None:
                by_holder[individual] = personal
            else:
                group += personal
        if declared:
            findings = sorted(findings + declared, key=lambda f: (f.pointer, f.start))
        subjects = []
        for holder in sorted(by_holder):
            group = by_holder[holder]
            key = group[0] if len(group) == 1 else _strongest(group)
            detector = key[0]
            kinds = frozenset([category.get(m[0], "PI") for m in group])
            subjects.append(Subject(holder, detector, f"{detector}:{normalise(detector, key[4])}", len(group), kinds))
        return Classification(tuple(findings), tuple(subjects))


_DEFAULT = Classifier()


def scan(doc: Json, categories: Mapping[str, str] | None = None) -> Classification:
    """Classify a parsed JSON document with the built-in detectors; ``categories`` overrides their categories."""
    return (_DEFAULT if not categories else Classifier(categories)).scan(doc)


def scan_text(text: str, *, categories: Mapping[str, str] | None = None) -> tuple[Finding, ...]:
    """Findings in a bare string with the built-in detectors, all with pointer ``""``."""
    return (_DEFAULT if not categories else Classifier(categories)).scan_text(text)


# --- pointers ----------------------------------------------------------------------------------------------------


def _token(name: object) -> str:
    """A reference token of RFC 6901: '~' and '/' escaped as '~0' and '~1'."""
    if type(name) is not str:
        return str(name)
    if "~" in name or "/" in name:
        return name.replace("~", "~0").replace("/", "~1")
    return name


def _pattern_tokens(pattern: str) -> tuple[str, ...]:
    """The unescaped tokens of a pointer pattern ("/employees/*/salary")."""
    if pattern == "":
        return ()
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pattern[1:].split("/"))


def _pointer_pattern(pattern: str) -> re.Pattern[str]:
    """A regular expression matching the pointers under a pattern's match, capturing the match."""
    parts = ["" if t == "*" else re.escape(t) for t in pattern[1:].split("/")] if pattern else []
    body = "".join("/[^/]+" if p == "" else "/" + p for p in parts)
    return re.compile(f"({body})(?:/|$)")


def _resolve_pattern(doc: Json, steps: tuple[str, ...]) -> list[str]:
    """Pointers of the values a pattern names in ``doc`` (``*``: every member or element)."""
    level: list[tuple[Json, str]] = [(doc, "")]
    for step in steps:
        level = [(value, pointer + "/" + _token(name)) for node, pointer in level for name, value in _step(node, step)]
    return [pointer for value, pointer in level if value is not None]


def _step(node: Json, step: str) -> list[tuple[object, Json]]:
    """The members or elements of ``node`` that one pattern token names."""
    if isinstance(node, dict):
        if step == "*":
            return list(node.items())
        return [(step, node[step])] if step in node else []
    if isinstance(node, list):
        if step == "*":
            return list(enumerate(node))
        if _ARRAY_INDEX.fullmatch(step) and int(step) < len(node):  # RFC 6901: no leading zeros, ASCII digits
            return [(int(step), node[int(step)])]
    return []


def _subject_of(pointer: str, patterns: tuple[re.Pattern[str], ...], default: str) -> str:
    """The individual a finding belongs to: the longest declared subject path above it, else ``default``."""
    best = None
    for pattern in patterns:
        m = pattern.match(pointer)
        if m is not None and (best is None or len(m[1]) > len(best)):
            best = m[1]
    return default if best is None else best


# --- validation of one candidate ---------------------------------------------------------------------------------


def _plain(text: str) -> bool:
    """An ASCII value without spaces that no candidate matched, and that no later stage of _find looks at."""
    return (
        text.isascii()
        and " " not in text
        and text[0] != "+"
        and not text[0].isspace()
        and not (len(text) == 9 and text[0] in "STFGMstfgm")  # an NRIC/FIN with a lower-case letter somewhere
        and "::" not in text
        and text.count(":") < 5
        and text.count("-") < 5
        and text.count(".") < 2
    )


def _shape_of(text: str, m: re.Match[str]) -> tuple[str | None, int]:
    """The shape a candidate has and where it ends. A USCC candidate is checked here, once: a code that fails goes
    on as the run of digits it starts."""
    if m.lastgroup == "uscc":
        if is_cn_uscc(m[0]):
            return "uscc_valid", m.end()
        run = _RUN.match(text, m.start())
        if run is not None:
            return "run", run.end()
    return m.lastgroup, m.end()


def _identifiers(text: str, plan: _Plan, m: re.Match[str]) -> list[_Match]:
    """Identifiers in a string from its first candidate ``m`` on: the whole value alone, or those embedded, by start
    (each candidate is searched for after the last; what overlaps an e-mail address is dropped by _tidy)."""
    context = plan.announced
    start, end = m.span()
    if start == 0 and end == len(text) and (m.lastgroup == "run" or (m.lastgroup == "uscc" and text.isdigit())):
        # The usual whole number (a mobile or id under its key): no edges to look at.
        detector = _numeric(text, context, whole=True)
        if detector is not None and detector not in plan.denied:
            return [(detector, 0, None, _confidence(detector, context, whole=True), text)]
    elif "@" in text and _is_plain_address(text):
        # The usual whole address, in one regex call (see _is_plain_address).
        return [("email", 0, None, _confidence("email", context, whole=True), text)]
    found: list[_Match] = []
    found_m: re.Match[str] | None = m
    while found_m is not None:
        start = found_m.start()
        group, end = _shape_of(text, found_m)
        if group == "run":
            matches = _numbers(text, start, end, context, whole=not found)
        elif group == "at":
            end, matches = _email_at(text, start, context)
        else:
            matches = _token_at(text, start, end, group, context, whole=not found)
        if matches and matches[0][2] is None:
            if matches[0][0] not in plan.denied:
                return matches  # the whole value
        elif matches:
            found.extend(matches)
        found_m = _CANDIDATE.search(text, end)
    return found


def _confidence(detector: str, context: frozenset[str], *, whole: bool) -> float:
    if detector in context:
        return _CONFIDENCE_CONTEXT
    return _CONFIDENCE_WHOLE if whole else _CONFIDENCE_EMBEDDED


def _numeric(text: str, context: frozenset[str], *, whole: bool) -> str | None:
    """Detector for a run of digits with optional separators, ``+`` prefix or final X.

    Of the detectors that accept the value, the one the key names, else the strongest.
    """
    n = len(text)
    if n < 8 or n > 40:
        return None
    if n < 13:
        return _short_numeric(text, context, whole=whole)
    candidates: list[str] = []
    if (n == 18 and is_cn_resident_id(text)) or (n == 15 and is_cn_resident_id_15(text)):
        if n == 18 and not context & _ALSO_18:
            return "cn_resident_id"  # the strongest, and no key says it is something else
        candidates.append("cn_resident_id")
    if n == 18 and is_cn_uscc(text):
        candidates.append("cn_uscc")
    if is_bank_card(text):
        candidates.append("bank_card")
    if is_cn_mobile(text):
        candidates.append("cn_mobile")
    if n <= 14 and text.startswith("+65") and is_sg_mobile(text):
        candidates.append("sg_mobile")
    if (text[0] == "0" or text.startswith("+86")) and _landline_ok(text, context):
        candidates.append("cn_landline")
    for detector in candidates:
        if detector in context:
            return detector
    if n == 15 and candidates[:1] == ["cn_resident_id"]:
        return candidates[1] if len(candidates) > 1 else None  # 15 digits alone are an order number as often
    return candidates[0] if candidates else None


def _short_numeric(text: str, context: frozenset[str], *, whole: bool) -> str | None:
    """8 to 12 characters: a mainland mobile, a Singapore one, or a landline, whose shapes exclude each other (1,
    8 or 9, 0 first). An 8-digit number is a Singapore mobile only as a whole value under a phone key, or with
    +65; a landline needs separators or a key that says phone."""
    n = len(text)
    if n >= 11 and is_cn_mobile(text):
        return "cn_mobile"
    if text[0] == "0":
        return "cn_landline" if _landline_ok(text, context) else None
    if whole and "sg_mobile" in context and text.startswith("65") and n >= 10:
        text = "+" + text  # 65 9146 5722 under a phone key: the country code without its plus
    sg = (text.startswith("+65") or (whole and n <= 9 and "sg_mobile" in context)) and is_sg_mobile(text)
    return "sg_mobile" if sg else None


def _landline_ok(text: str, context: frozenset[str]) -> bool:
    """A fixed-line number: with separators (0512-6288 1234) or under a key that says phone."""
    if "cn_landline" not in context and text.isdigit():
        return False
    return is_cn_landline(text)


def _whole_only(text: str, context: frozenset[str]) -> list[_Match] | None:
    """Whole values that the text search does not look for: an 8-digit Singapore mobile with +65, a lower-case
    NRIC/FIN, an address with a non-ASCII domain or unusual characters in its local part."""
    stripped = text.strip()
    n = len(stripped)
    if n < 6 or n > 254:
        return None
    first = stripped[0]
    detector: str | None = None
    if first in _DIGIT or first == "+":
        if n <= 14 and is_sg_mobile(stripped) and ("+" in stripped or "sg_mobile" in context):
            detector = "sg_mobile"
    elif n == 9 and first in "STFGMstfgm" and is_sg_nric_fin(stripped):
        detector = "sg_nric_fin"
    if detector is None and "@" in stripped and is_email(stripped):
        detector = "email"
    if detector is None:
        return None
    return [(detector, 0, None, _confidence(detector, context, whole=True), stripped)]


def _weak(text: str, plan: _Plan) -> list[_Match] | None:
    """The whole value, if one of the weak detectors its key announces accepts it."""
    stripped = text.strip()
    if not stripped or len(stripped) > 4096:
        return None
    for detector, accepts in plan.weak:
        if accepts(stripped):
            return [(detector, 0, None, _CONFIDENCE_CONTEXT, stripped)]
    return None


def _free_text(text: str, found: list[_Match]) -> list[_Match]:
    """Lexicon terms, secrets, and names, dates of birth and addresses after a cue, that overlap nothing found."""
    out: list[_Match] = []
    taken = _taken(text, found)
    for detector, spans in _TEXT_FINDERS:
        for a, b in spans(text):
            if b > a and not taken(a, b):
                out.append((detector, a, b, _CONFIDENCE_EMBEDDED, text[a:b]))
    return out


def _taken(text: str, found: list[_Match]) -> Callable[[int, int], bool]:
    """Whether a span overlaps one already found (a whole-value finding covers the text)."""
    return overlap_test((f[1], f[2] if f[2] is not None else len(text)) for f in found)


def _cued_sg_mobiles(text: str, found: list[_Match]) -> list[_Match]:
    """Singapore mobiles in free text that the digit runs miss: +65 and 8 digits unseparated, or 8 digits (or 65
    and 8 digits) right after a word that says phone ("mobile 8199 1839", "called from 95242595")."""
    out: list[_Match] = []
    if _SG_DIGITS.search(text) is None:  # the common case, found at C speed: no 8 or 9 followed by three digits
        return out
    taken = _taken(text, found)
    for m in _SG_LOCAL.finditer(text):
        a, b = m.span()
        if a and text[a - 1] in _ALNUM:
            continue
        number = m[0]
        plus = number.startswith("+")
        if not plus and _PHONE_CUE.search(text, max(0, a - 20), a) is None:
            continue
        if not is_sg_mobile("+" + number.lstrip("+") if number.lstrip("+").startswith("65") else number):
            continue
        if not taken(a, b):
            out.append(("sg_mobile", a, b, _CONFIDENCE_EMBEDDED, m[0]))
    return out


def _finish(whole: list[_Match], spans: list[_Match], denied: frozenset[str]) -> list[_Match] | None:
    """A value's findings as the scanner reports them: a whole-value finding first, then the spans of other
    detectors by start, overlaps resolved; none of a detector the key denies."""
    if denied:
        whole = [m for m in whole if m[0] not in denied]
        spans = [m for m in spans if m[0] not in denied]
    if whole:
        spans = [m for m in spans if m[0] != whole[0][0]]
    out = whole + _tidy(spans)
    return out or None


def _tidy(found: list[_Match]) -> list[_Match]:
    """Spans by start; of overlapping ones, the first and longest (a number inside an address is part of it)."""
    if len(found) < 2:
        return found
    found.sort(key=lambda f: (f[1], -(f[2] or 0)))
    out: list[_Match] = []
    last_end = -1
    for match in found:
        end = match[2] if match[2] is not None else match[1]
        if match[1] >= last_end:
            out.append(match)
            last_end = end
    return out


def _spans_all(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is the whole text but for surrounding whitespace."""
    return (start == 0 or text[:start].isspace()) and (end == len(text) or text[end:].isspace())


def _clear(text: str, start: int, end: int, edge: frozenset[str] = _ALNUM) -> bool:
    """Whether text[start:end] touches no letter or digit on either side."""
    return (start == 0 or text[start - 1] not in edge) and (end == len(text) or text[end] not in edge)


def _token_at(
    text: str, start: int, end: int, group: str | None, context: frozenset[str], *, whole: bool
) -> list[_Match]:
    """An identifier of the shape ``group`` at text[start:end], if it stands alone and validates."""
    if group == "geo" and start and text[start - 1] == "-":
        start -= 1
    if not _clear(text, start, end) or (group in ("ipv4", "geo") and not _clear_of_dots(text, start, end)):
        return []
    if group == "ipv4" and _VERSION_CUE.search(text, max(0, start - 16), start) is not None:
        return []  # client_version=5.3.19.80, "build 11.1.14.131": a version, not an address
    raw = text[start:end]
    detector = _shape_detector(raw, group)
    if detector is None:
        return []
    if whole and _spans_all(text, start, end):
        return [(detector, 0, None, _confidence(detector, context, whole=True), raw)]
    return [(detector, start, end, _confidence(detector, context, whole=False), raw)]


def _clear_of_dots(text: str, start: int, end: int) -> bool:
    """A dotted number is not part of a longer dotted one (1.2.3.4.5, a version or an OID)."""
    left = start < 2 or not (text[start - 1] == "." and text[start - 2] in _DIGIT)
    right = end + 1 >= len(text) or not (text[end] == "." and text[end + 1] in _DIGIT)
    return left and right


_SHAPES: dict[str | None, tuple[tuple[str, Callable[[str], bool]], ...]] = {
    "nric": (("sg_nric_fin", is_sg_nric_fin),),
    "uscc": (("cn_uscc", is_cn_uscc),),
    "uscc_valid": (("cn_uscc", lambda _: True),),  # validated by _identifiers already
    "uen": (("sg_uen", is_sg_uen),),
    "uenx": (("sg_uen", is_sg_uen),),
    "ipv4": (("ip_address", is_ip_address),),
    "geo": (("geo_coordinates", is_geo_coordinates),),
    "iban": (("iban", is_iban),),
    "paren": (("cn_landline", is_cn_landline),),
    "plate": (("cn_plate", is_cn_plate),),
    "doc": (
        ("cn_mainland_travel_permit", is_cn_mainland_travel_permit_strong),
        ("cn_passport", is_cn_passport),
        ("sg_passport", is_sg_passport),
    ),
}
"""Candidate shape (a group of _CANDIDATE) to the detectors that may accept it, in order."""


def _shape_detector(raw: str, group: str | None) -> str | None:
    """Which detector accepts a candidate of the given shape."""
    for detector, accepts in _SHAPES.get(group, ()):
        if accepts(raw):
            return detector
    return None


def _hex_in(text: str, context: frozenset[str], *, whole: bool) -> list[_Match]:
    """Hardware and IPv6 addresses in text that holds a colon, dashes or dots."""
    out: list[_Match] = []
    for m in _HEX.finditer(text):
        start, end = m.span()
        if end - start < 3 or not _clear(text, start, end, _HEX_EDGE):
            continue
        raw = m[0]
        if m.lastgroup == "v6":
            detector = "ip_address" if raw.count(":") >= 2 and is_ip_address(raw) else None
        else:
            detector = "mac_address" if is_mac_address(raw) else None
        if detector is None:
            continue
        if whole and not out and _spans_all(text, start, end):
            return [(detector, 0, None, _confidence(detector, context, whole=True), raw)]
        out.append((detector, start, end, _confidence(detector, context, whole=False), raw))
    return out


# --- e-mail and digit runs ---------------------------------------------------------------------------------------


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
    digits; 13 or 15 with 86, +86 or 0086 before it; 10 with +65), a landline (10 to 12 digits with its area code,
    more with +86) or a card laid out in groups of 4-6 digits but the last (4-4-4-4, 4-6-5, 4-4-4-4-3). Resident
    ids have no separators. Dates, amounts and tables of small numbers thus cost no validation, and the groups of
    two neighbouring numbers make no card."""
    count = sum(sizes)
    if first == "1":
        return count == 11
    if first == "0":
        return 10 <= count <= 12 or count == 15
    if first in "+8":
        return 10 <= count <= 15
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
        if digits[top] - digits[i] < 10:  # the shortest embedded identifier, +65 and a mobile, has 10 digits
            i += 1
            continue
        next_i = i + 1
        for j in range(top, i, -1):
            count = digits[j] - digits[i]
            if count < 10:
                break
            if count > 19 or (whole_tried and i == 0 and j == len(pieces)):
                continue  # longer than a card number; or the whole run, tried before
            a, b = pieces[i][0], pieces[j - 1][1]
            if j > i + 1 and not _plausible_groups(token[a], sizes[i:j]):
                continue
            raw = token[a:b]
            detector = _numeric(raw, context, whole=False)
            if detector == "cn_landline" and i > 0:
                detector = None  # 0526 5788 0226 after 4000: the tail of a card number that failed its check
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


def _strongest(group: list[_Match]) -> _Match:
    """The identifier that keys an individual: highest in DETECTOR_PRIORITY, the first by pointer among equals."""
    best, best_rank = group[0], _PRIORITY.get(group[0][0], _UNRANKED)
    for match in group:
        rank = _PRIORITY.get(match[0], _UNRANKED)
        if rank < best_rank:
            best, best_rank = match, rank
    return best
