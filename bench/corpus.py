# (full-width Chinese punctuation in strings and the docstring is part of the data)
"""A seeded, labelled synthetic corpus for measuring the personal-data classifier, and its scorer.

``generate(count, seed)`` builds JSON documents from record templates (HR in English, Chinese and pinyin keys, CRM,
payments, support tickets, device logs, telemetry, medical claims, logistics, company KYC, nested organisations,
identifiers as JSON integers, biometric enrolment, service credentials, records whose keys say nothing, pure hard
negatives). Every planted datum is labelled with its JSON pointer, detector id and span *as it was built*: nothing
here imports or asks the classifier under test. ``score`` matches a classifier's findings against those labels.

Labels. A span is in Python ``str`` indices (code points) of the value's text: the string itself, or ``str(n)``
for an integer. A value that *is* the datum is labelled ``(0, len(text))``; a few string values carry surrounding
spaces, and then the label covers the datum without them. Floats, booleans and nulls are never labelled (the
corpus holds coordinates as strings for that reason). Conventions where a choice had to be made:

* Under a key that names the data (``diagnosis``, ``address``, ``face_image`` ...), the whole value is one label.
  In free text each planted item is its own label: ``诊断：2型糖尿病（E11.9）`` carries a ``health`` label on the
  term and another on the ICD-10 code.
* Names, addresses and dates of birth appear in free text only after an explicit cue (``姓名：``, ``联系人``,
  ``DOB:``, ``born on``, ``地址：``, an address ending ``Singapore 123456``); elsewhere they are values under a key
  that says so. Honorific-only mentions (``张先生``) are not used: whether they identify anyone is unclear.
* A religion is planted only under a religion key or after ``宗教信仰：`` / ``Religion:``; ``N/A``, ``无``,
  ``none`` under a religion key are hard negatives. Credentials are labelled on the secret itself (the value after
  ``password:``, the whole PEM block from ``-----BEGIN`` to ``-----``).
* Detectors report data types, not whose data it is: a company's registered address is a ``postal_address``, a
  USCC or UEN is labelled although it names an organisation.
* Keys that say nothing (``f1``, ``value``, ``remark``, ``note``, ``data``) hold only identifiers that carry a
  check character (resident id, USCC, NRIC/FIN, UEN, bank card, IBAN) plus unlabelled noise.

Hard negatives (``Record.negatives``, informational: a finding there matches no label, so the scorer counts it as a
false positive anyway; most records hold some): resident-id-shaped numbers with a wrong check character or an
impossible date, card-shaped numbers failing Luhn, NRIC/UEN/USCC/IBAN with a wrong check character, order numbers,
Unix timestamps in ms, yyyyMMddHHmmss timestamps, invoice and tracking numbers, 11-digit serial numbers starting 1
in unallocated mobile ranges (100, 101, 104, 110, 112, 120, 121, 140, 141, 144, 154, 160, 161, 164, 168, 169, 194),
8-digit SKUs and amounts starting with 8 or 9 under non-phone keys, exchange rates and prices with 4+ decimals,
SHA-256 hashes and UUIDs under ``request_id``, dates that are not a birth date (hire dates, ``created_at``), company
and department names under name-like keys, masked passwords, public keys, base64 images under ``logo`` keys,
``/healthz`` in log lines. Decisions: an IP-shaped version string under a ``version`` key (``2.4.10.3``) is *not* an
``ip_address``; a product name that begins with a surname character (``王老吉凉茶``) is *not* a ``person_name``.
No value is ambiguous between check-character identifiers: each planted one passes exactly its own check (a resident
id never also passes Luhn, a card never also a USCC ...), and no digit-string negative passes Luhn at 13-19 digits or
the mobile table.

Nothing here is a real person's data:

* Names are composed at random from lists of surnames and given-name characters or syllables; any coincidence
  with a real person is a coincidence of common names, with nothing else attached.
* Emails use only ``example.com``/``example.org``/``example.net`` (RFC 2606) and ``*.test`` (RFC 6761).
* IPs come only from 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737), 2001:db8::/32 (RFC 3849) and the
  private 10.0.0.0/8 and 192.168.0.0/16 (RFC 1918). MAC addresses have the locally-administered bit set (IEEE 802,
  second-least-significant bit of the first octet) and are unicast.
* Resident ids (GB 11643-1999) use an address code whose province prefix is real but which is *not* in
  python-stdnum's GB/T 2260 table (``stdnum.numdb.get("cn/loc").info(code)`` yields a province and no county; the
  city part is a real city), so the number can belong to no one. Note that ``stdnum.cn.ric.is_valid`` raises
  ``KeyError`` (not ``ValidationError``) on such numbers, python-stdnum 2.2. 15-digit first-generation ids use
  the same address codes and birth years 1940-1979.
* USCCs (GB 32100-2015, organisation code with its GB 11714-1997 check character) and UENs (ACRA formats, check
  characters from ``stdnum.sg.uen``) are made up: they name organisations, not people.
* Bank cards start with the issuer prefix of a card network's published test number (Stripe's list: Visa 424242,
  401288, 400005, 411111; Mastercard 555555, 520082, 510510 and 2-series 222300; Amex 378282, 371449; UnionPay
  620000, 620550; JCB 353011; Discover 601111); the rest is random with a Luhn check digit, so a number may in
  principle exist, but carries no name or expiry of a real holder.
* IBANs (ISO 13616, check digits from ``stdnum.iban``) use the bank codes of the standard examples (GB WEST/NWBK,
  DE 37040044, NL ABNA/INGB, CH 00762) with random account numbers.
* Mobile numbers (China: the allocated prefixes of VincentSit/ChinaMobilePhoneNumberRegex as published in
  tests/vectors/identifiers-public.json; Singapore: 8 digits starting 8 or 9), NRIC/FIN numbers (random digits,
  published check-letter algorithm), landlines, passports, travel permits and plates are random within their
  formats: they may coincide with a real number, but carry no real person's other data.
* Coordinates are random within bounding boxes of Suzhou (31.10-31.50 N, 120.40-120.95 E) and Singapore
  (1.24-1.46 N, 103.62-104.00 E). Biometric values are tiny synthetic byte strings (a JPEG/PNG header, an
  ISO/IEC 19794-2 ``FMR`` header, float32 vectors) followed by random bytes, base64-encoded: no real image.
  Private keys are a PKCS#8 header followed by random bytes (they do not parse as keys).

Deterministic: each record draws from its own ``random.Random(f"{seed}:{index}")`` (seeded through SHA-512, so no
hash randomisation), and templates iterate only over tuples and insertion-ordered dicts. ``generate(n)`` is a
prefix of ``generate(m)`` for n < m. (``stdnum.sg.uen`` compares years with today's; generated UEN years stop at
2024, so the clock does not matter.)

``python bench/corpus.py [--count N] [--seed S] [--out FILE]`` writes JSON lines ``{kind, doc, labels,
negatives}`` and prints the counts per detector and per kind.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import struct
import sys
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final, TypeAlias

from stdnum import iban as std_iban
from stdnum import luhn, numdb
from stdnum.cn import ric, uscc
from stdnum.sg import uen

__all__ = [
    "DETECTORS",
    "NEGATIVE_REASONS",
    "Counts",
    "Label",
    "Negative",
    "Record",
    "generate",
    "main",
    "overall",
    "score",
    "value_text",
]

DETECTORS: Final[tuple[str, ...]] = (
    "cn_resident_id",
    "cn_uscc",
    "cn_mobile",
    "cn_landline",
    "cn_passport",
    "cn_mainland_travel_permit",
    "sg_nric_fin",
    "sg_uen",
    "sg_mobile",
    "sg_passport",
    "bank_card",
    "iban",
    "email",
    "ip_address",
    "mac_address",
    "geo_coordinates",
    "date_of_birth",
    "person_name",
    "postal_address",
    "health",
    "biometric",
    "religion",
    "credential",
    "cn_plate",
)
"""The detector ids (a contract shared with the classifier)."""

NEGATIVE_REASONS: Final[tuple[str, ...]] = (
    "ric_bad_check",
    "ric_bad_date",
    "card_bad_luhn",
    "nric_bad_check",
    "uen_bad_check",
    "uscc_bad_check",
    "iban_bad_check",
    "order_number",
    "timestamp_ms",
    "timestamp_compact",
    "invoice_number",
    "tracking_number",
    "serial_unallocated_mobile",
    "sku_8digit",
    "version_string",
    "decimal_not_coordinate",
    "sha256",
    "uuid",
    "product_name",
    "company_name",
    "department_name",
    "date_not_birth",
    "religion_none",
    "masked_password",
    "public_key",
    "logo_image",
    "health_word",
)
"""Why a hard negative is there (``Negative.reason``)."""


@dataclass(frozen=True)
class Label:
    """A planted datum: the value at ``pointer`` holds ``detector``'s data at ``[start, end)`` of its text."""

    pointer: str
    detector: str
    start: int
    end: int


@dataclass(frozen=True)
class Negative:
    """A hard negative: ``[start, end)`` of the value at ``pointer`` looks like data but is not."""

    pointer: str
    reason: str
    start: int
    end: int


@dataclass(frozen=True)
class Record:
    """One JSON document, its labels, the template that made it and its hard negatives."""

    doc: Any
    labels: tuple[Label, ...]
    kind: str
    negatives: tuple[Negative, ...] = ()


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives of one detector."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when nothing was labelled."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


# --- drafts: a document whose planted values remember their spans ----------------------------------------------


@dataclass(frozen=True)
class _Mark:
    tag: str  # a detector id, or a hard-negative reason when negative
    start: int
    end: int
    negative: bool


@dataclass(frozen=True)
class _Planted:
    value: str | int
    marks: tuple[_Mark, ...]


_Draft: TypeAlias = "dict[str, _Draft] | list[_Draft] | _Planted | str | int | float | bool | None"


class _Text:
    """Builds a string piece by piece, remembering the span of each planted piece."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._marks: list[_Mark] = []
        self._length = 0

    def add(self, text: str) -> _Text:
        self._parts.append(text)
        self._length += len(text)
        return self

    def plant(self, detector: str, text: str) -> _Text:
        self._marks.append(_Mark(detector, self._length, self._length + len(text), negative=False))
        return self.add(text)

    def avoid(self, reason: str, text: str) -> _Text:
        self._marks.append(_Mark(reason, self._length, self._length + len(text), negative=True))
        return self.add(text)

    def build(self) -> _Planted:
        return _Planted("".join(self._parts), tuple(self._marks))


def _whole(detector: str, value: str | int) -> _Planted:
    return _Planted(value, (_Mark(detector, 0, len(str(value)), negative=False),))


def _neg(reason: str, value: str | int) -> _Planted:
    return _Planted(value, (_Mark(reason, 0, len(str(value)), negative=True),))


def _field(rng: random.Random, detector: str, value: str) -> _Planted:
    """A whole-value label; now and then with surrounding spaces (the label then excludes them)."""
    if rng.random() < 0.03:
        return _Text().add(" ").plant(detector, value).add(rng.choice((" ", "  ", "\t"))).build()
    return _whole(detector, value)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _finish(draft: _Draft, pointer: str, labels: list[Label], negatives: list[Negative]) -> Any:
    """The JSON value of a draft; labels and negatives are appended with their pointers."""
    if isinstance(draft, _Planted):
        for m in draft.marks:
            if m.negative:
                negatives.append(Negative(pointer, m.tag, m.start, m.end))
            else:
                labels.append(Label(pointer, m.tag, m.start, m.end))
        return draft.value
    if isinstance(draft, dict):
        return {k: _finish(v, f"{pointer}/{_escape(k)}", labels, negatives) for k, v in draft.items()}
    if isinstance(draft, list):
        return [_finish(v, f"{pointer}/{i}", labels, negatives) for i, v in enumerate(draft)]
    return draft


# --- JSON pointers and scoring ---------------------------------------------------------------------------------

_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]{0,17}")


def _resolve(doc: Any, pointer: str) -> Any:
    if pointer == "":
        return doc
    if not pointer.startswith("/"):
        raise KeyError(pointer)
    node = doc
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and _ARRAY_INDEX.fullmatch(token) and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(pointer)
    return node


def value_text(doc: Any, pointer: str) -> str:
    """The text of the value at an RFC 6901 pointer: a string, or ``str(n)`` for an integer.

    Raises KeyError when the pointer does not resolve or names a value without text (object, array, float,
    boolean, null).
    """
    node = _resolve(doc, pointer)
    if isinstance(node, str):
        return node
    if isinstance(node, int) and not isinstance(node, bool):
        return str(node)
    raise KeyError(pointer)


def _whole_span(text: str) -> tuple[int, int]:
    stripped = text.lstrip()
    return len(text) - len(stripped), len(text.rstrip())


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return max(a[0], b[0]) < min(a[1], b[1])


def _max_matching(labels: Sequence[tuple[int, int]], predictions: Sequence[tuple[int, int]]) -> int:
    """Size of a maximum one-to-one matching of overlapping spans (augmenting paths; groups are tiny)."""
    owner: dict[int, int] = {}  # label index -> prediction index

    def assign(p: int, seen: set[int]) -> bool:
        for li, span in enumerate(labels):
            if li in seen or not _overlaps(span, predictions[p]):
                continue
            seen.add(li)
            if li not in owner or assign(owner[li], seen):
                owner[li] = p
                return True
        return False

    return sum(assign(p, set()) for p in range(len(predictions)))


Prediction: TypeAlias = tuple[str, str, int, int | None]
"""(pointer, detector, start, end); end None means the whole value."""


def _prediction_span(doc: Any, pointer: str, start: int, end: int | None) -> tuple[int, int] | None:
    if end is not None:
        return start, end
    try:
        return _whole_span(value_text(doc, pointer))
    except KeyError:
        return None


def score(records: Sequence[Record], predictions: Iterable[Iterable[Prediction]]) -> dict[str, Counts]:
    """Counts per detector: a prediction matches a label with the same pointer and detector whose span overlaps.

    A whole-value prediction (end None) spans the value's text without surrounding whitespace. Each label and each
    prediction matches at most once (a maximum matching per pointer and detector). Predictions for a detector not
    in ``DETECTORS`` are counted under their own id. ``predictions`` holds one iterable per record.
    """
    tallies: dict[str, list[int]] = {d: [0, 0, 0] for d in DETECTORS}
    for record, found in zip(records, predictions, strict=True):
        groups: dict[tuple[str, str], tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
        for label in record.labels:
            groups.setdefault((label.pointer, label.detector), ([], []))[0].append((label.start, label.end))
        for pointer, detector, start, end in found:
            span = _prediction_span(record.doc, pointer, start, end)
            if span is None:
                tallies.setdefault(detector, [0, 0, 0])[1] += 1
                continue
            groups.setdefault((pointer, detector), ([], []))[1].append(span)
        for (_, detector), (labelled, predicted) in groups.items():
            matched = _max_matching(labelled, predicted)
            tally = tallies.setdefault(detector, [0, 0, 0])
            tally[0] += matched
            tally[1] += len(predicted) - matched
            tally[2] += len(labelled) - matched
    return {d: Counts(tp, fp, fn) for d, (tp, fp, fn) in tallies.items()}


def overall(counts: dict[str, Counts]) -> Counts:
    """The micro-average: sums of tp, fp and fn over detectors."""
    return Counts(
        sum(c.tp for c in counts.values()), sum(c.fp for c in counts.values()), sum(c.fn for c in counts.values())
    )


# --- independent checks of strong identifiers (used to keep positives unambiguous and negatives negative) -------

# VincentSit/ChinaMobilePhoneNumberRegex, regex_all_with_sms (tests/vectors/identifiers-public.json).
_CN_MOBILE_ALLOCATED = re.compile(
    r"1(?:3[0-9]{3}|5[0-35-9][0-9]{2}|8[0-9]{3}|7(?:[0-35-9][0-9]{2}|4(?:0[0-9]|1[0-2]|9[0-9]))"
    r"|9[0-35-9][0-9]{2}|6[2567][0-9]{2}|4[579][0-9]{2})[0-9]{6}"
)
_NRIC_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
_NRIC_OFFSET = {"S": 0, "T": 4, "F": 0, "G": 4, "M": 3}
_NRIC_LETTERS = {"S": "JZIHGFEDCBA", "T": "JZIHGFEDCBA", "F": "XWUTRQPNMLK", "G": "XWUTRQPNMLK", "M": "KLJNPQRTUWX"}
_NRIC_SHAPE = re.compile(r"[STFGM][0-9]{7}[A-Z]")
_SEPARATORS = str.maketrans("", "", " -·")


def _nric_letter(prefix: str, digits: str) -> str:
    """Check letter of an NRIC/FIN (weights 2 7 6 5 4 3 2; offset T/G +4, M +3; M table reversed)."""
    remainder = (_NRIC_OFFSET[prefix] + sum(w * int(d) for w, d in zip(_NRIC_WEIGHTS, digits, strict=True))) % 11
    return _NRIC_LETTERS[prefix][10 - remainder] if prefix == "M" else _NRIC_LETTERS[prefix][remainder]


def _ric_date_ok(number: str) -> bool:
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return True


def _ric_check_ok(number: str) -> bool:
    return (
        len(number) == 18
        and number[:17].isdigit()
        and number.isascii()
        and number[17] == ric.calc_check_digit(number[:17] + "0")
    )


def _strong_kinds(text: str) -> frozenset[str]:
    """Which check-character identifiers ``text`` (separators removed) passes."""
    compact = text.translate(_SEPARATORS).upper()
    kinds: set[str] = set()
    if _ric_check_ok(compact) and _ric_date_ok(compact):
        kinds.add("cn_resident_id")
    if len(compact) == 18 and uscc.is_valid(compact):  # length tests first: stdnum's clean-up is slow
        kinds.add("cn_uscc")
    if _NRIC_SHAPE.fullmatch(compact) and _nric_letter(compact[0], compact[1:8]) == compact[8]:
        kinds.add("sg_nric_fin")
    if len(compact) in (9, 10) and uen.is_valid(compact):
        kinds.add("sg_uen")
    if compact.isdigit() and 13 <= len(compact) <= 19 and luhn.is_valid(compact):  # any prefix: stay clear of cards
        kinds.add("bank_card")
    if len(compact) > 4 and compact[:2].isalpha() and compact[2:4].isdigit() and std_iban.is_valid(compact):
        kinds.add("iban")
    if _CN_MOBILE_ALLOCATED.fullmatch(compact):
        kinds.add("cn_mobile")
    return frozenset(kinds)


def _draw(rng: random.Random, make: Callable[[random.Random], str], want: frozenset[str]) -> str:
    """Draw values until one passes exactly the checks in ``want`` (for a negative: none)."""
    while True:
        value = make(rng)
        if _strong_kinds(value) == want:
            return value


_NONE: Final = frozenset[str]()


# --- small value makers ------------------------------------------------------------------------------------------


def _digits(rng: random.Random, n: int) -> str:
    return f"{rng.randrange(10**n):0{n}d}"


def _pick(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]


def _date_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _birth_date(rng: random.Random) -> date:
    return _date_between(rng, date(1955, 1, 1), date(2006, 12, 31))


# English month names spelled out here: strftime's %B follows the process locale.
_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)  # fmt: skip


def _dob_text(rng: random.Random, born: date, style: str) -> str:
    if style in ("zh", "pinyin") and rng.random() < 0.5:
        return f"{born.year}年{born.month}月{born.day}日"
    forms = (
        born.isoformat(),
        born.isoformat(),
        f"{born.day:02d}/{born.month:02d}/{born.year}",
        f"{born.year}/{born.month:02d}/{born.day:02d}",
        f"{born.day} {_MONTHS[born.month - 1]} {born.year}",
        f"{born.year}年{born.month}月{born.day}日",
    )
    return _pick(rng, forms)


# --- names --------------------------------------------------------------------------------------------------------

_CN_SURNAMES: Final = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"), ("黄", "Huang"),
    ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"), ("马", "Ma"), ("朱", "Zhu"),
    ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("高", "Gao"), ("林", "Lin"), ("罗", "Luo"), ("郑", "Zheng"),
    ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"), ("唐", "Tang"), ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"),
    ("邓", "Deng"), ("曹", "Cao"), ("彭", "Peng"), ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"),
    ("袁", "Yuan"), ("潘", "Pan"), ("蒋", "Jiang"), ("蔡", "Cai"), ("余", "Yu"), ("杜", "Du"), ("叶", "Ye"),
    ("程", "Cheng"), ("苏", "Su"), ("魏", "Wei"), ("吕", "Lyu"), ("丁", "Ding"), ("沈", "Shen"), ("姚", "Yao"),
    ("陆", "Lu"), ("顾", "Gu"), ("钱", "Qian"), ("汪", "Wang"), ("范", "Fan"), ("金", "Jin"), ("严", "Yan"),
)  # fmt: skip
_CN_COMPOUND_SURNAMES: Final = (
    ("欧阳", "Ouyang"), ("司马", "Sima"), ("诸葛", "Zhuge"), ("上官", "Shangguan"), ("司徒", "Situ"),
    ("东方", "Dongfang"), ("皇甫", "Huangfu"), ("慕容", "Murong"), ("令狐", "Linghu"), ("公孙", "Gongsun"),
)  # fmt: skip
_CN_GIVEN: Final = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
    ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"),
    ("明", "ming"), ("超", "chao"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("华", "hua"), ("玉", "yu"),
    ("红", "hong"), ("鹏", "peng"), ("辉", "hui"), ("建", "jian"), ("宇", "yu"), ("浩", "hao"), ("凯", "kai"),
    ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("晨", "chen"), ("博", "bo"), ("文", "wen"), ("嘉", "jia"),
    ("欣", "xin"), ("怡", "yi"), ("子", "zi"), ("涵", "han"), ("睿", "rui"), ("泽", "ze"), ("思", "si"),
    ("雨", "yu"), ("梓", "zi"), ("轩", "xuan"), ("诺", "nuo"), ("佳", "jia"), ("俊", "jun"), ("志", "zhi"),
    ("晓", "xiao"), ("海", "hai"), ("斌", "bin"), ("燕", "yan"), ("倩", "qian"), ("云", "yun"), ("峰", "feng"),
)  # fmt: skip
_SG_CN_SURNAMES: Final = (
    "Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua", "Chan", "Koh", "Teo", "Ang", "Yeo", "Tay", "Ho", "Low",
    "Toh", "Sim", "Chong", "Chia", "Seah", "Quek",
)  # fmt: skip
_SG_CN_GIVEN: Final = (
    "Wei", "Ming", "Jun", "Hui", "Xin", "Li", "Jia", "Kai", "Yi", "Hao", "Zhi", "En", "Shu", "Qi", "Rui", "Boon",
    "Kiat", "Siew", "Ling", "Mei", "Hock", "Seng", "Choon", "Kok",
)  # fmt: skip
_MALAY_MALE: Final = ("Muhammad Hafiz", "Ahmad Faizal", "Mohamed Iskandar", "Amirul", "Zulkifli", "Hairul Nizam")
_MALAY_FEMALE: Final = ("Nur Aisyah", "Nurul Huda", "Farah Nabila", "Aishah", "Noraini", "Siti Hajar")
_MALAY_FATHER: Final = ("Ahmad", "Ismail", "Rahman", "Osman", "Hassan", "Yusof", "Abdullah", "Salleh")
_INDIAN_MALE: Final = ("Rajesh", "Arjun", "Suresh", "Vikram", "Karthik", "Ramesh", "Ganesh")
_INDIAN_FEMALE: Final = ("Priya", "Kavitha", "Lakshmi", "Deepa", "Anitha", "Meena", "Revathi")
_INDIAN_FATHER: Final = ("Kumar", "Subramaniam", "Raman", "Krishnan", "Pillai", "Nair", "Muthu", "Rajan")
_EN_FIRST: Final = (
    "John", "Sarah", "Michael", "Emily", "David", "Rachel", "James", "Olivia", "Daniel", "Chloe", "Matthew", "Grace",
    "Jason", "Michelle",
)  # fmt: skip
_EN_LAST: Final = (
    "O'Brien", "Smith", "Taylor", "Brown", "Walker", "MacDonald", "Fitzgerald", "Clarke", "Hughes", "Bennett",
    "O'Connor", "Van der Berg",
)  # fmt: skip


def _cn_name(rng: random.Random) -> tuple[str, str]:
    """(汉字 name, pinyin "Surname Given") from random surname and given-name characters."""
    surname = _pick_pair(rng, _CN_COMPOUND_SURNAMES if rng.random() < 0.06 else _CN_SURNAMES)
    given = [_pick_pair(rng, _CN_GIVEN) for _ in range(1 if rng.random() < 0.35 else 2)]
    hanzi = surname[0] + "".join(g[0] for g in given)
    latin = f"{surname[1]} {''.join(g[1] for g in given).capitalize()}"
    return hanzi, latin


def _pick_pair(rng: random.Random, options: Sequence[tuple[str, str]]) -> tuple[str, str]:
    return options[rng.randrange(len(options))]


def _sg_name(rng: random.Random) -> str:
    """A Singaporean or English name built at random: Chinese, Malay, Indian or Western naming."""
    roll = rng.random()
    if roll < 0.45:
        name = f"{_pick(rng, _SG_CN_SURNAMES)} {_pick(rng, _SG_CN_GIVEN)} {_pick(rng, _SG_CN_GIVEN)}"
        return f"{_pick(rng, _EN_FIRST)} {name}" if rng.random() < 0.2 else name
    if roll < 0.65:
        if rng.random() < 0.5:
            return f"{_pick(rng, _MALAY_MALE)} bin {_pick(rng, _MALAY_FATHER)}"
        return f"{_pick(rng, _MALAY_FEMALE)} binti {_pick(rng, _MALAY_FATHER)}"
    if roll < 0.82:
        if rng.random() < 0.5:
            return f"{_pick(rng, _INDIAN_MALE)} s/o {_pick(rng, _INDIAN_FATHER)}"
        return f"{_pick(rng, _INDIAN_FEMALE)} d/o {_pick(rng, _INDIAN_FATHER)}"
    return f"{_pick(rng, _EN_FIRST)} {_pick(rng, _EN_LAST)}"


def _email_for(rng: random.Random, latin: str) -> str:
    """An address at a reserved domain (RFC 2606 / RFC 6761), local part from a romanised name."""
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", latin)][:3] or ["user"]
    joiner = _pick(rng, (".", "_", "", "."))
    local = joiner.join(words) if rng.random() < 0.6 else words[-1][0] + joiner + words[0]
    if rng.random() < 0.3:
        local += str(rng.randrange(1, 100))
    domain = _pick(
        rng,
        ("example.com", "example.org", "example.net", "mail.example.com", "sip-corp.test", "hr.example.org", "sg.test"),
    )
    return f"{local}@{domain}"


def _email(rng: random.Random) -> str:
    return _email_for(rng, _cn_name(rng)[1] if rng.random() < 0.6 else _sg_name(rng))


# --- Chinese identifiers ------------------------------------------------------------------------------------------

_PROVINCES: Final = (
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44",
    "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
)  # fmt: skip


def _region_props(code: str) -> dict[str, str]:
    return {k: v for _, props in numdb.get("cn/loc").info(code) for k, v in props.items()}


@cache
def _unassigned_address_codes() -> tuple[str, ...]:
    """Codes ``PPCCDD``: a real province and city, a county number that python-stdnum's GB/T 2260 table lacks."""
    codes: list[str] = []
    for province in _PROVINCES:
        for city in range(1, 21):
            if "county" not in _region_props(f"{province}{city:02d}00"):
                continue
            for county in range(60, 100, 3):
                code = f"{province}{city:02d}{county:02d}"
                props = _region_props(code)
                if "province" in props and "county" not in props:
                    codes.append(code)
    return tuple(codes)


def _resident_id(rng: random.Random, born: date) -> str:
    want_x = rng.random() < 0.15
    codes = _unassigned_address_codes()
    while True:
        body = f"{_pick(rng, codes)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + ric.calc_check_digit(body + "0")
        if (not want_x or number.endswith("X")) and _strong_kinds(number) == {"cn_resident_id"}:
            return number


def _old_resident_id(rng: random.Random) -> str:
    """A 15-digit first-generation id (no check digit): address code, YYMMDD, sequence."""
    born = _date_between(rng, date(1940, 1, 1), date(1979, 12, 31))
    return _draw(rng, lambda r: f"{_pick(r, _unassigned_address_codes())}{born:%y%m%d}{r.randrange(1000):03d}", _NONE)


def _ric_bad_check(rng: random.Random) -> str:
    def make(r: random.Random) -> str:
        good = _resident_id(r, _birth_date(r))
        return good[:17] + _pick(r, [c for c in "0123456789X" if c != good[17]])

    return _draw(rng, make, _NONE)


def _ric_bad_date(rng: random.Random) -> str:
    def make(r: random.Random) -> str:
        year = r.randrange(1960, 2005)
        month, day = _pick_pair(r, (("13", "05"), ("02", "30"), ("04", "31"), ("00", "12"), ("11", "32")))
        body = f"{_pick(r, _unassigned_address_codes())}{year}{month}{day}{r.randrange(1000):03d}"
        return body + ric.calc_check_digit(body + "0")

    return _draw(rng, make, _NONE)


_USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_CODE_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_code(rng: random.Random) -> str:
    """A GB 11714-1997 organisation code: 8 characters and a check character (weights 3 7 9 10 5 8 4 2, mod 11)."""
    body = "".join(
        _pick(rng, "0123456789ABCDEFGHJKLMNPQRTUWXY" if i >= 2 and rng.random() < 0.15 else "0123456789")
        for i in range(8)
    )
    total = sum(w * (int(c) if c.isdigit() else ord(c) - 55) for w, c in zip(_ORG_CODE_WEIGHTS, body, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _uscc(rng: random.Random) -> str:
    def make(r: random.Random) -> str:
        head = _pick(r, ("91", "91", "91", "92", "93", "12", "52"))
        region = f"{_pick(r, ('32', '32', '31', '33', '11', '44'))}{r.randrange(1, 20):02d}{r.randrange(0, 99):02d}"
        body = head + region + _org_code(r)
        return body + uscc.calc_check_digit(body + "0")

    return _draw(rng, make, frozenset({"cn_uscc"}))


def _uscc_bad_check(rng: random.Random) -> str:
    def make(r: random.Random) -> str:
        good = _uscc(r)
        return good[:17] + _pick(r, [c for c in _USCC_ALPHABET if c != good[17]])

    return _draw(rng, make, _NONE)


def _cn_mobile_digits(rng: random.Random) -> str:
    prefixes = (
        "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153",
        "155", "156", "157", "158", "159", "162", "165", "166", "167", "172", "173", "175", "176", "177", "178",
        "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "190", "191", "193", "195", "196",
        "197", "198", "199",
    )  # fmt: skip
    return _pick(rng, prefixes) + _digits(rng, 8)


def _cn_mobile_text(rng: random.Random, number: str) -> str:
    a, b, c = number[:3], number[3:7], number[7:]
    forms = (
        number, number, number, number, f"{a} {b} {c}", f"{a}-{b}-{c}", f"+86 {a} {b} {c}", f"+86 {number}",
        f"+86{number}", f"+86-{a}-{b}-{c}", f"86-{number}",
    )  # fmt: skip
    return _pick(rng, forms)


def _cn_mobile(rng: random.Random) -> str:
    return _cn_mobile_text(rng, _cn_mobile_digits(rng))


_AREA_CODES: Final = (
    "010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0512", "0512", "0512", "0510", "0519",
    "0571", "0574", "0755", "0757", "0532", "0531", "0731", "0371", "0551", "0591", "0592",
)  # fmt: skip


def _cn_landline(rng: random.Random) -> str:
    area = _pick(rng, _AREA_CODES)
    local = str(rng.randrange(2, 9)) + _digits(rng, 7)
    head, tail = local[:4], local[4:]
    forms = (
        f"{area}-{head} {tail}", f"{area}-{local}", f"({area}){head} {tail}", f"({area}) {head}-{tail}",
        f"+86 {area[1:]} {head} {tail}", f"+86-{area[1:]}-{local}", f"{area} {head} {tail}",
    )  # fmt: skip
    return _pick(rng, forms)


_LETTERS_NO_IO: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _cn_passport(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return "E" + _digits(rng, 8)
    if roll < 0.85:
        return "E" + _pick(rng, _LETTERS_NO_IO) + _digits(rng, 7)
    return "G" + _digits(rng, 8)


def _travel_permit(rng: random.Random) -> str:
    """港澳居民来往内地通行证: H (Hong Kong) or M (Macao) and 8 digits."""
    return ("H" if rng.random() < 0.75 else "M") + _digits(rng, 8)


_PLATE_PROVINCES: Final = ("苏", "苏", "苏", "苏", "沪", "浙", "皖", "京", "粤", "鲁")


def _cn_plate(rng: random.Random) -> str:
    province = _pick(rng, _PLATE_PROVINCES)
    city = _pick(rng, "EEEEUABCDFHJK") if province == "苏" else _pick(rng, "ABCDEFGH")
    if rng.random() < 0.2:  # new-energy vehicle: D (electric) or F (hybrid) and 5 digits
        body = _pick(rng, "DF") + _digits(rng, 5)
    else:
        chars = [_pick(rng, "0123456789") for _ in range(5)]
        for i in rng.sample(range(5), rng.randrange(0, 3)):
            chars[i] = _pick(rng, _LETTERS_NO_IO)
        body = "".join(chars)
    sep = _pick(rng, ("", "", "", "·", " "))
    return f"{province}{city}{sep}{body}"


# --- Singapore identifiers ------------------------------------------------------------------------------------------


def _nric(rng: random.Random) -> str:
    prefix = _pick(rng, "SSSSTTTFGGMM")
    digits = _digits(rng, 7)
    return prefix + digits + _nric_letter(prefix, digits)


def _nric_bad_check(rng: random.Random) -> str:
    def make(r: random.Random) -> str:
        good = _nric(r)
        return good[:8] + _pick(r, [c for c in _NRIC_LETTERS[good[0]] if c != good[8]])

    return _draw(rng, make, _NONE)


def _uen(rng: random.Random) -> str:
    def make(r: random.Random) -> str:
        roll = r.random()
        if roll < 0.3:
            body = "5" + _digits(r, 7)
            return body + uen.calc_business_check_digit(body)
        if roll < 0.8:
            body = f"{r.randrange(1975, 2025)}{_digits(r, 5)}"
            return body + uen.calc_local_company_check_digit(body)
        year = f"T{r.randrange(8, 25):02d}" if r.random() < 0.8 else f"S{r.randrange(90, 100)}"
        body = year + _pick(r, uen.OTHER_UEN_ENTITY_TYPES) + _digits(r, 4)
        return body + uen.calc_other_check_digit(body)

    return _draw(rng, make, frozenset({"sg_uen"}))


def _uen_bad_check(rng: random.Random) -> str:
    def make(r: random.Random) -> str:
        good = _uen(r)
        return good[:-1] + _pick(r, [c for c in "ABCDEGHKMNRWXZ" if c != good[-1]])

    return _draw(rng, make, _NONE)


def _sg_mobile_digits(rng: random.Random) -> str:
    return _pick(rng, "8899") + str(rng.randrange(1, 9)) + _digits(rng, 6)


def _sg_mobile_text(rng: random.Random, number: str) -> str:
    a, b = number[:4], number[4:]
    forms = (number, f"{a} {b}", f"+65 {a} {b}", f"+65{number}", f"+65-{a}-{b}", f"+65 {number}", f"65 {a} {b}")
    return _pick(rng, forms)


def _sg_mobile(rng: random.Random) -> str:
    return _sg_mobile_text(rng, _sg_mobile_digits(rng))


def _sg_passport(rng: random.Random) -> str:
    return ("K" if rng.random() < 0.8 else "E") + _digits(rng, 7) + _pick(rng, "ABCDEFGHJKLMNPQRTUWXYZ")


# --- finance ---------------------------------------------------------------------------------------------------------

_CARD_PREFIXES: Final = (
    ("620000", 16), ("620000", 16), ("620550", 19), ("620000", 19), ("620550", 17), ("620000", 18),
    ("424242", 16), ("401288", 16), ("400005", 16), ("411111", 16),
    ("555555", 16), ("520082", 16), ("510510", 16), ("222300", 16), ("222300", 16),
    ("378282", 15), ("371449", 15), ("353011", 16), ("601111", 16),
)  # fmt: skip


def _card_digits(rng: random.Random) -> str:
    def make(r: random.Random) -> str:
        prefix, length = _pick_pair_int(r, _CARD_PREFIXES)
        body = prefix + _digits(r, length - len(prefix) - 1)
        return body + luhn.calc_check_digit(body)

    return _draw(rng, make, frozenset({"bank_card"}))


def _pick_pair_int(rng: random.Random, options: Sequence[tuple[str, int]]) -> tuple[str, int]:
    return options[rng.randrange(len(options))]


def _card_text(rng: random.Random, digits: str) -> str:
    if len(digits) == 15 and rng.random() < 0.7:
        return f"{digits[:4]} {digits[4:10]} {digits[10:]}"  # Amex 4-6-5
    roll = rng.random()
    if roll < 0.45:
        return digits
    sep = " " if roll < 0.85 else "-"
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def _card(rng: random.Random) -> str:
    return _card_text(rng, _card_digits(rng))


def _card_bad_luhn(rng: random.Random) -> str:
    def make(r: random.Random) -> str:
        good = _card_digits(r)
        return good[:-1] + str((int(good[-1]) + r.randrange(1, 10)) % 10)

    return _card_text(rng, _draw(rng, make, _NONE))


_IBAN_BANKS: Final = (
    ("GB", "WEST"),
    ("GB", "NWBK"),
    ("DE", "37040044"),
    ("NL", "ABNA"),
    ("NL", "INGB"),
    ("CH", "00762"),
)


def _iban_compact(rng: random.Random) -> str:
    country, bank = _pick_pair(rng, _IBAN_BANKS)
    rest = {"GB": 14, "DE": 10, "NL": 10, "CH": 12}[country]
    bban = bank + _digits(rng, rest)
    return country + std_iban.calc_check_digits(country + "00" + bban) + bban


def _iban_text(rng: random.Random, compact: str) -> str:
    return std_iban.format(compact) if rng.random() < 0.6 else compact


def _iban(rng: random.Random) -> str:
    return _iban_text(rng, _draw(rng, _iban_compact, frozenset({"iban"})))


def _iban_bad_check(rng: random.Random) -> str:
    def make(r: random.Random) -> str:
        good = _iban_compact(r)
        return good[:2] + f"{(int(good[2:4]) + r.randrange(1, 90)) % 100:02d}" + good[4:]

    return _iban_text(rng, _draw(rng, make, _NONE))


# --- network and location ---------------------------------------------------------------------------------------------


def _ipv4(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        net = _pick(rng, ("192.0.2", "198.51.100", "203.0.113"))
        return f"{net}.{rng.randrange(1, 255)}"
    if roll < 0.8:
        return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return f"192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _ipv6(rng: random.Random) -> str:
    groups = [0x2001, 0xDB8] + [rng.randrange(0x10000) for _ in range(6)]
    start = rng.randrange(2, 6)
    for i in range(start, start + rng.randrange(1, 4)):
        groups[i] = 0
    if rng.random() < 0.3:
        groups = [0x2001, 0xDB8, 0, 0, 0, 0, 0, rng.randrange(1, 0x10000)]
    text = ":".join(f"{g:x}" for g in groups)
    return _compress_ipv6(text)


def _compress_ipv6(text: str) -> str:
    """RFC 5952 text: the longest run of two or more zero groups becomes ``::``."""
    groups = text.split(":")
    best, best_len, run_start, run_len = -1, 0, -1, 0
    for i, g in enumerate([*groups, "x"]):
        if g == "0":
            if run_len == 0:
                run_start = i
            run_len += 1
            continue
        if run_len > best_len:
            best, best_len = run_start, run_len
        run_len = 0
    if best_len < 2:
        return text
    return ":".join(groups[:best]) + "::" + ":".join(groups[best + best_len :])


def _ip(rng: random.Random) -> str:
    return _ipv6(rng) if rng.random() < 0.25 else _ipv4(rng)


def _mac(rng: random.Random) -> str:
    octets = [(rng.randrange(256) | 0x02) & 0xFE] + [rng.randrange(256) for _ in range(5)]
    hexes = [f"{o:02x}" for o in octets]
    roll = rng.random()
    if roll < 0.4:
        return ":".join(hexes)
    if roll < 0.55:
        return ":".join(hexes).upper()
    if roll < 0.8:
        return "-".join(hexes).upper()
    return ".".join("".join(hexes[i : i + 2]) for i in range(0, 6, 2))


_BOXES: Final = {"suzhou": (31.10, 31.50, 120.40, 120.95), "singapore": (1.24, 1.46, 103.62, 104.00)}


def _lat_lng(rng: random.Random, place: str) -> tuple[str, str]:
    south, north, west, east = _BOXES[place]
    places = rng.randrange(4, 7)
    return f"{rng.uniform(south, north):.{places}f}", f"{rng.uniform(west, east):.{places}f}"


def _coordinates(rng: random.Random) -> str:
    lat, lng = _lat_lng(rng, "suzhou" if rng.random() < 0.65 else "singapore")
    return f"{lat}{_pick(rng, (', ', ',', ', ', ' , '))}{lng}"


# --- addresses --------------------------------------------------------------------------------------------------------

_CN_PLACES: Final = (
    ("江苏省", "苏州市", ("工业园区", "姑苏区", "吴中区", "相城区", "虎丘区", "吴江区")),
    ("江苏省", "苏州市", ("工业园区", "工业园区")),
    ("江苏省", "无锡市", ("梁溪区", "滨湖区", "新吴区")),
    ("", "上海市", ("浦东新区", "徐汇区", "闵行区", "长宁区")),
    ("浙江省", "杭州市", ("西湖区", "滨江区", "余杭区")),
    ("广东省", "深圳市", ("南山区", "福田区")),
    ("", "北京市", ("海淀区", "朝阳区")),
)
_ROAD_WORDS: Final = (
    "星湖",
    "金鸡湖",
    "现代",
    "东环",
    "人民",
    "长江",
    "中山",
    "建设",
    "和平",
    "新华",
    "苏雅",
    "星海",
    "青年",
)
_ROAD_KINDS: Final = ("路", "街", "大道", "路", "路")
_ESTATES: Final = ("翰林苑", "星海花园", "湖畔佳苑", "金色家园", "东方名城", "水岸清华")


def _cn_address(rng: random.Random) -> str:
    province, city, districts = _pick_place(rng)
    district = _pick(rng, districts)
    prefix = (province if rng.random() < 0.6 else "") + city
    road = f"{_pick(rng, _ROAD_WORDS)}{_pick(rng, _ROAD_KINDS)}{rng.randrange(1, 999)}号"
    if rng.random() < 0.6:
        building = f"{rng.randrange(1, 40)}{_pick(rng, ('幢', '栋'))}"
        road += f"{_pick(rng, _ESTATES)}{building}{rng.randrange(1, 33)}0{rng.randrange(1, 9)}室"
    return prefix + district + road


def _pick_place(rng: random.Random) -> tuple[str, str, tuple[str, ...]]:
    return _CN_PLACES[rng.randrange(len(_CN_PLACES))]


_SG_TOWNS: Final = (
    ("Ang Mo Kio", "56"), ("Tampines", "52"), ("Bedok North", "46"), ("Jurong West", "64"), ("Woodlands", "73"),
    ("Yishun", "76"), ("Toa Payoh", "31"), ("Clementi", "12"), ("Punggol", "82"), ("Sengkang East", "54"),
)  # fmt: skip
_SG_STREETS: Final = (("Anson Road", "07"), ("Orchard Road", "23"), ("Robinson Road", "06"), ("Cecil Street", "06"))


def _sg_address(rng: random.Random) -> str:
    unit = f"#{rng.randrange(1, 30):02d}-{rng.randrange(1, 200):02d}"
    if rng.random() < 0.7:
        town, sector = _pick_pair(rng, _SG_TOWNS)
        block = rng.randrange(100, 800)
        street = f"{town} {_pick(rng, ('Ave', 'St', 'Dr'))} {rng.randrange(1, 10)}"
        return f"Blk {block} {street} {unit} Singapore {sector}0{block:03d}"  # HDB: sector, 0, block number
    street, sector = _pick_pair(rng, _SG_STREETS)
    return f"{rng.randrange(1, 200)} {street} {unit} Singapore {sector}{_digits(rng, 4)}"


# --- health, religion, biometric, credentials -----------------------------------------------------------------------

# (Chinese term, English term, ICD-10 code), codes from the WHO ICD-10 (2019) tabular list.
_CONDITIONS: Final = (
    ("2型糖尿病", "type 2 diabetes mellitus", "E11.9"),
    ("原发性高血压", "essential hypertension", "I10"),
    ("支气管哮喘", "asthma", "J45.9"),
    ("急性支气管炎", "acute bronchitis", "J20.9"),
    ("抑郁发作", "depressive episode", "F32.9"),
    ("焦虑障碍", "anxiety disorder", "F41.9"),
    ("慢性乙型病毒性肝炎", "chronic viral hepatitis B", "B18.1"),
    ("肺炎", "pneumonia", "J18.9"),
    ("胃溃疡", "gastric ulcer", "K25.9"),
    ("桡骨下端骨折", "fracture of lower end of radius", "S52.5"),
    ("偏头痛", "migraine", "G43.9"),
    ("变应性鼻炎", "allergic rhinitis", "J30.4"),
    ("动脉粥样硬化性心脏病", "atherosclerotic heart disease", "I25.1"),
    ("新型冠状病毒感染", "COVID-19", "U07.1"),
    ("腰椎间盘突出", "lumbar disc displacement", "M51.2"),
)
_RELIGIONS_ZH: Final = ("佛教", "基督教", "天主教", "伊斯兰教", "道教", "印度教")
_RELIGIONS_EN: Final = (
    "Buddhism",
    "Christianity",
    "Catholic",
    "Islam",
    "Hinduism",
    "Taoism",
    "Sikhism",
    "Muslim",
    "Hindu",
)
_NO_RELIGION: Final = ("N/A", "无", "none", "不适用", "-", "无宗教信仰")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _jpeg_bytes(rng: random.Random) -> bytes:
    """SOI, a JFIF APP0 segment, then random bytes: a header, not an image."""
    header = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")
    return header + rng.randbytes(rng.randrange(48, 160))


def _png_bytes(rng: random.Random) -> bytes:
    """PNG signature and an IHDR chunk with its CRC-32, then random bytes."""
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", rng.randrange(64, 640), rng.randrange(64, 640), 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk + rng.randbytes(rng.randrange(32, 128))


def _biometric(rng: random.Random, kind: str) -> str:
    if kind == "face":
        data = _jpeg_bytes(rng) if rng.random() < 0.7 else _png_bytes(rng)
        text = _b64(data)
        if rng.random() < 0.3:
            return ("data:image/jpeg;base64," if data[:2] == b"\xff\xd8" else "data:image/png;base64,") + text
        return text
    if kind == "fingerprint":  # ISO/IEC 19794-2 finger minutiae record: format id "FMR\0", version " 20\0"
        return _b64(b"FMR\x00 20\x00" + rng.randbytes(rng.randrange(60, 200)))
    dims = _pick_pair_int(rng, (("128", 128), ("64", 64)))[1]  # face embedding: float32 little-endian
    return _b64(struct.pack(f"<{dims}f", *(rng.uniform(-1.0, 1.0) for _ in range(dims))))


_WORDS: Final = ("harbour", "lotus", "tiger", "orchid", "canal", "silk", "maple", "river", "jade", "summit")


def _password(rng: random.Random) -> str:
    word = _pick(rng, _WORDS)
    return f"{word.capitalize()}{rng.randrange(10, 9999)}{_pick(rng, '!@#$%&*?')}{_pick(rng, _WORDS)[:3]}"


_ALNUM: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _token(rng: random.Random, n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_pick(rng, alphabet) for _ in range(n))


def _api_key(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return "sk_test_" + _token(rng, 24)
    if roll < 0.5:
        return "AKIA" + _token(rng, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    if roll < 0.7:
        return "ghp_" + _token(rng, 36)
    return _token(rng, 32, "0123456789abcdef")


def _jwt(rng: random.Random) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    claims = json.dumps({"sub": f"u{rng.randrange(10**6)}", "iat": rng.randrange(1_760_000_000, 1_800_000_000)})
    payload = base64.urlsafe_b64encode(claims.encode()).rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def _pem(label: str, der_head: bytes, body: bytes) -> str:
    text = _b64(der_head + body)
    lines = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"


def _private_key(rng: random.Random) -> str:
    """PEM armour around a PKCS#8 rsaEncryption header and random bytes (does not parse as a key)."""
    head = bytes.fromhex("308204bd020100300d06092a864886f70d0101010500048204a7")
    label = _pick(rng, ("PRIVATE KEY", "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"))
    return _pem(label, head, rng.randbytes(rng.randrange(90, 200)))


def _public_key(rng: random.Random) -> str:
    head = bytes.fromhex("30820122300d06092a864886f70d01010105000382010f00")
    return _pem("PUBLIC KEY", head, rng.randbytes(rng.randrange(90, 200)))


# --- hard-negative makers --------------------------------------------------------------------------------------------


def _order_number(rng: random.Random) -> str:
    return _draw(
        rng, lambda r: f"{_date_between(r, date(2024, 1, 1), date(2026, 12, 31)):%Y%m%d}{_digits(r, 11)}", _NONE
    )


def _timestamp_ms(rng: random.Random) -> int:
    return int(_draw(rng, lambda r: str(r.randrange(1_700_000_000_000, 1_800_000_000_000)), _NONE))


def _moment(rng: random.Random) -> datetime:
    return datetime(2024, 1, 1) + timedelta(seconds=rng.randrange(3 * 365 * 86400))


def _timestamp_compact(rng: random.Random) -> str:
    return _draw(rng, lambda r: f"{_moment(r):%Y%m%d%H%M%S}", _NONE)


def _iso_moment(rng: random.Random) -> str:
    return f"{_moment(rng):%Y-%m-%dT%H:%M:%S}+08:00"


def _invoice_number(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return f"INV-{rng.randrange(2024, 2027)}-{rng.randrange(1, 99999):05d}"
    if roll < 0.7:
        return _draw(rng, lambda r: f"{r.randrange(24, 27)}32{_digits(r, 16)}", _NONE)  # 20-digit e-fapiao number
    return str(rng.randrange(10_000_000, 80_000_000))  # 8-digit fapiao number, never starting 8 or 9


def _tracking_number(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return "SF" + _draw(rng, lambda r: _digits(r, 13), _NONE)
    if roll < 0.6:
        return "JDVA" + _digits(rng, 11)
    if roll < 0.8:
        return "YT" + _draw(rng, lambda r: _digits(r, 13), _NONE)
    return "E" + _pick(rng, "ABCEM") + _digits(rng, 9) + "CN"  # UPU S10 shape


_UNALLOCATED: Final = ("100", "101", "104", "110", "112", "120", "121", "140", "141", "144", "154", "160", "161",
                       "164", "168", "169", "194")  # fmt: skip


def _serial_unallocated(rng: random.Random) -> str:
    return _draw(rng, lambda r: _pick(r, _UNALLOCATED) + _digits(r, 8), _NONE)


def _sku_8digit(rng: random.Random) -> str:
    return _pick(rng, "89") + _digits(rng, 7)


def _version_string(rng: random.Random) -> str:
    return f"{rng.randrange(1, 12)}.{rng.randrange(0, 20)}.{rng.randrange(0, 30)}.{rng.randrange(0, 200)}"


def _fx_rate(rng: random.Random) -> str:
    return _pick(
        rng, (f"{rng.uniform(6.8, 7.4):.4f}", f"{rng.uniform(0.13, 0.15):.5f}", f"{rng.uniform(5.2, 5.6):.4f}")
    )


def _sha256(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


_PRODUCTS: Final = (
    "王老吉凉茶",
    "张飞牛肉干",
    "李锦记蚝油",
    "周黑鸭鸭脖",
    "陈克明挂面",
    "黄飞红麻辣花生",
    "马大姐酥糖",
    "刘一手火锅底料",
)
_COMPANY_WORDS: Final = ("星湖", "金鸡", "东沙", "润华", "博远", "恒通", "新创", "华瑞", "鼎盛")
_INDUSTRIES: Final = ("精密机械", "电子科技", "生物医药", "物流", "软件", "新材料")
_EN_COMPANY: Final = ("Lion Harbour", "Merlion", "Straits", "Orchid Bay", "Raffles Tech", "Kallang", "Marina")
_EN_INDUSTRY: Final = ("Logistics", "Trading", "Holdings", "Semiconductor", "Foods", "Analytics")
_DEPARTMENTS_ZH: Final = ("人力资源部", "财务部", "研发中心", "销售一部", "质量管理部", "采购部", "法务部")
_DEPARTMENTS_EN: Final = ("Human Resources", "Finance", "R&D", "Sales", "Quality Assurance", "Procurement", "Legal")


def _company_zh(rng: random.Random) -> str:
    return f"苏州{_pick(rng, _COMPANY_WORDS)}{_pick(rng, _INDUSTRIES)}有限公司"


def _company_en(rng: random.Random) -> str:
    return f"{_pick(rng, _EN_COMPANY)} {_pick(rng, _EN_INDUSTRY)} Pte. Ltd."


# --- keys in four styles --------------------------------------------------------------------------------------

_KEYS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    # field: (camelCase, snake_case, Chinese, pinyin)
    "name": (
        ("fullName", "name", "employeeName"),
        ("full_name", "name", "employee_name"),
        ("姓名",),
        ("xingming", "xm"),
    ),
    "mobile": (
        ("mobile", "mobileNo", "mobilePhone", "phone"),
        ("mobile", "mobile_no", "mobile_phone", "cell_phone"),
        ("手机号", "手机号码", "联系电话", "手机"),
        ("shoujihao", "sjh", "shouji", "lxdh"),
    ),
    "resident_id": (
        ("idCardNo", "residentId", "citizenId", "idNumber"),
        ("id_card_no", "resident_id", "citizen_id", "id_number"),
        ("身份证号", "身份证号码", "公民身份号码"),
        ("sfzh", "shenfenzhenghao", "sfzhm"),
    ),
    "dob": (
        ("dateOfBirth", "birthDate", "dob", "birthday"),
        ("date_of_birth", "birth_date", "dob"),
        ("出生日期", "生日"),
        ("chushengriqi", "csrq", "shengri"),
    ),
    "address": (
        ("homeAddress", "address", "residentialAddress", "mailingAddress"),
        ("home_address", "address", "residential_address", "mailing_address"),
        ("家庭住址", "住址", "通讯地址", "地址"),
        ("dizhi", "jtzz", "zhuzhi"),
    ),
    "email": (
        ("email", "emailAddress", "workEmail"),
        ("email", "email_address", "work_email"),
        ("邮箱", "电子邮箱"),
        ("youxiang", "yx", "dzyx"),
    ),
    "card": (
        ("bankCardNo", "cardNumber", "salaryCard"),
        ("bank_card_no", "card_number", "salary_card"),
        ("银行卡号", "工资卡号"),
        ("yhkh", "yinhangkahao", "gzkh"),
    ),
    "religion": (
        ("religion", "religiousBelief"),
        ("religion", "religious_belief"),
        ("宗教信仰",),
        ("zongjiao", "zjxy"),
    ),
    "passport": (
        ("passportNo", "passportNumber"),
        ("passport_no", "passport_number"),
        ("护照号", "护照号码"),
        ("huzhao", "hzh", "huzhaohao"),
    ),
    "plate": (
        ("licensePlate", "plateNo", "vehiclePlate"),
        ("license_plate", "plate_no", "vehicle_plate"),
        ("车牌号", "车牌号码"),
        ("chepai", "cph", "chepaihao"),
    ),
    "landline": (
        ("officePhone", "landline", "telephone"),
        ("office_phone", "landline", "office_tel"),
        ("办公电话", "座机", "固定电话"),
        ("zuoji", "gddh", "bgdh"),
    ),
    "permit": (
        ("homeReturnPermitNo", "travelPermitNo"),
        ("home_return_permit_no", "hk_macao_permit_no"),
        ("回乡证号", "港澳居民来往内地通行证号码"),
        ("huixiangzheng", "hxzh"),
    ),
    "diagnosis": (
        ("diagnosis", "medicalCondition"),
        ("diagnosis", "medical_condition", "chronic_disease"),
        ("诊断", "诊断结果", "既往病史"),
        ("zhenduan", "zdjg", "bingshi"),
    ),
    "icd": (("icd10", "icdCode"), ("icd10", "icd_code"), ("疾病编码", "ICD编码"), ("jbbm",)),
    "gender": (("gender",), ("gender", "sex"), ("性别",), ("xingbie", "xb")),
    "department": (("department", "deptName"), ("department", "dept_name"), ("部门名称", "部门"), ("bumen", "bmmc")),
    "hire_date": (("hireDate", "joinDate"), ("hire_date", "join_date"), ("入职日期",), ("ruzhiriqi", "rzrq")),
    "employee_id": (("employeeId", "staffNo"), ("employee_id", "staff_no"), ("工号",), ("gonghao", "gh")),
    "emergency": (("emergencyContact",), ("emergency_contact",), ("紧急联系人",), ("jjlxr",)),
    "relation": (("relationship",), ("relationship",), ("关系",), ("guanxi",)),
    "created": (("createdAt", "updatedAt"), ("created_at", "updated_at"), ("创建时间", "更新时间"), ("cjsj", "gxsj")),
    "face": (
        ("faceImage", "facePhoto", "avatarFace"),
        ("face_image", "face_photo", "face_capture"),
        ("人脸照片", "人脸图像"),
        ("renlian", "rlzp"),
    ),
    "fingerprint": (
        ("fingerprintTemplate",),
        ("fingerprint_template", "fingerprint"),
        ("指纹模板", "指纹"),
        ("zhiwen", "zwmb"),
    ),
    "embedding": (
        ("faceEmbedding", "faceFeature"),
        ("face_embedding", "face_feature_vector"),
        ("人脸特征", "人脸特征值"),
        ("rltz",),
    ),
    "password": (("password", "loginPassword"), ("password", "passwd"), ("密码", "登录密码"), ("mima", "mm")),
    "api_key": (
        ("apiKey", "clientSecret", "accessToken"),
        ("api_key", "client_secret", "access_token"),
        ("接口密钥", "访问令牌"),
        ("miyao", "lingpai"),
    ),
    "company": (("companyName",), ("company_name",), ("企业名称", "公司名称"), ("qiyemingcheng", "gsmc")),
    "uscc": (
        ("unifiedSocialCreditCode", "creditCode"),
        ("uscc", "credit_code"),
        ("统一社会信用代码",),
        ("tyshxydm", "xydm"),
    ),
    "legal_rep": (("legalRepresentative",), ("legal_representative",), ("法定代表人",), ("fddbr",)),
    "reg_address": (("registeredAddress",), ("registered_address",), ("注册地址",), ("zcdz",)),
    "order_no": (("orderNo", "orderId"), ("order_no", "order_id"), ("订单号",), ("dingdanhao", "ddh")),
    "sku": (("sku", "itemCode"), ("sku", "item_code"), ("商品编码",), ("spbm",)),
    "product": (("productName",), ("product_name",), ("商品名称",), ("spmc",)),
    "serial": (("serialNo", "deviceSn"), ("serial_no", "device_sn"), ("设备序列号",), ("xuliehao", "sbxlh")),
    "amount": (("amount", "totalAmount"), ("amount", "total_amount"), ("金额",), ("jine",)),
}
_STYLES: Final = ("camel", "snake", "zh", "pinyin")


def _key(rng: random.Random, field: str, style: str) -> str:
    return _pick(rng, _KEYS[field][_STYLES.index(style)])


# --- free-text clauses ----------------------------------------------------------------------------------------

_Clause: TypeAlias = Callable[[random.Random, _Text], None]


def _zh_contact(rng: random.Random, t: _Text) -> None:
    cue = _pick(rng, ("联系人：", "联系人", "姓名：", "客户姓名："))
    t.add(f"{cue}").plant("person_name", _cn_name(rng)[0])
    t.add(_pick(rng, ("，手机", "，联系电话：", "，手机号 "))).plant("cn_mobile", _cn_mobile(rng)).add("。")


def _zh_identity(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("身份证号", "身份证号码：", "证件号码："))).plant(
        "cn_resident_id", _resident_id(rng, _birth_date(rng))
    )
    t.add("，")


def _zh_card(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("退款至银行卡", "银行卡号：", "请核实卡号 "))).plant("bank_card", _card(rng)).add("。")


def _zh_email(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("邮箱：", "回复邮件至", "发送到 "))).plant("email", _email(rng)).add("。")


def _zh_address(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("地址：", "收货地址：", "家庭住址："))).plant("postal_address", _cn_address(rng)).add("。")


def _zh_dob(rng: random.Random, t: _Text) -> None:
    t.add("出生日期：").plant("date_of_birth", _dob_text(rng, _birth_date(rng), "zh")).add("，")


def _zh_landline(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("座机", "办公电话：", "固定电话 "))).plant("cn_landline", _cn_landline(rng)).add("。")


def _zh_plate(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("车牌号", "车辆", "车牌 "))).plant("cn_plate", _cn_plate(rng)).add("已登记入园。")


def _zh_passport(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("护照号码：", "护照号"))).plant("cn_passport", _cn_passport(rng)).add("，")


def _zh_permit(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("回乡证号码", "港澳居民来往内地通行证："))).plant(
        "cn_mainland_travel_permit", _travel_permit(rng)
    ).add("，")


def _zh_health(rng: random.Random, t: _Text) -> None:
    term, _, code = _CONDITIONS[rng.randrange(len(_CONDITIONS))]
    t.add(_pick(rng, ("诊断：", "初步诊断为", "既往史："))).plant("health", term).add("（").plant("health", code).add(
        "）。"
    )


def _zh_religion(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("宗教信仰：", "宗教信仰 "))).plant("religion", _pick(rng, _RELIGIONS_ZH)).add("，饮食需注意。")


def _zh_credential(rng: random.Random, t: _Text) -> None:
    if rng.random() < 0.25:
        t.add("私钥如下：\n").plant("credential", _private_key(rng)).add("\n")
        return
    if rng.random() < 0.5:
        t.add(_pick(rng, ("测试账号密码：", "密码 "))).plant("credential", _password(rng)).add("。")
    else:
        t.add(_pick(rng, ("api_key=", "接口密钥 "))).plant("credential", _api_key(rng)).add(" 。")


def _zh_sg(rng: random.Random, t: _Text) -> None:
    t.add("新加坡同事NRIC ").plant("sg_nric_fin", _nric(rng)).add("，手机").plant("sg_mobile", _sg_mobile(rng)).add(
        "。"
    )


def _zh_negatives(rng: random.Random, t: _Text) -> None:
    roll = rng.random()
    if roll < 0.2:
        t.add("订单号").avoid("order_number", _order_number(rng)).add("，")
    elif roll < 0.35:
        t.add("工单创建于").avoid("timestamp_compact", _timestamp_compact(rng)).add("，")
    elif roll < 0.5:
        t.add("物流单号").avoid("tracking_number", _tracking_number(rng)).add("，")
    elif roll < 0.62:
        t.add("设备序列号").avoid("serial_unallocated_mobile", _serial_unallocated(rng)).add("，")
    elif roll < 0.72:
        t.add("流水号").avoid("ric_bad_check", _ric_bad_check(rng)).add("，")
    elif roll < 0.82:
        t.add("参考卡号").avoid("card_bad_luhn", _card_bad_luhn(rng)).add("（校验失败），")
    elif roll < 0.9:
        t.add("发票号码").avoid("invoice_number", _invoice_number(rng)).add("，")
    else:
        t.add("今日汇率").avoid("decimal_not_coordinate", _fx_rate(rng)).add("，")


_ZH_FILLERS: Final = (
    "客户来电反映账单问题。", "已转二线处理。", "请尽快回访。", "系统于昨晚升级后出现异常。", "客户要求开具发票。",
    "已核实身份信息。", "问题已解决，待关闭。", "",
)  # fmt: skip
_ZH_CLAUSES: Final[tuple[_Clause, ...]] = (
    _zh_contact, _zh_contact, _zh_identity, _zh_card, _zh_email, _zh_address, _zh_dob, _zh_landline, _zh_plate,
    _zh_passport, _zh_permit, _zh_health, _zh_religion, _zh_credential, _zh_sg,
)  # fmt: skip


def _en_contact(rng: random.Random, t: _Text) -> None:
    if rng.random() < 0.5:
        t.add(_pick(rng, ("Contact person: ", "Name: ", "Customer name: "))).plant("person_name", _sg_name(rng))
        t.add(", mobile ").plant("sg_mobile", _sg_mobile(rng)).add(". ")
    else:
        t.add("Contact person: ").plant("person_name", _cn_name(rng)[1]).add(", tel ").plant(
            "cn_mobile", _cn_mobile(rng)
        ).add(". ")


def _en_nric(rng: random.Random, t: _Text) -> None:
    t.add("Customer ").plant("sg_nric_fin", _nric(rng)).add(" called from ").plant("sg_mobile", _sg_mobile(rng))
    t.add(" about card ").plant("bank_card", _card(rng)).add(". ")


def _en_dob(rng: random.Random, t: _Text) -> None:
    born = _birth_date(rng)
    if rng.random() < 0.5:
        t.add("DOB: ").plant("date_of_birth", _dob_text(rng, born, "en")).add(". ")
    else:
        t.add("The applicant, born on ").plant("date_of_birth", _dob_text(rng, born, "en")).add(", applied online. ")


def _en_address(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("Please ship to ", "Address: ", "Deliver to "))).plant("postal_address", _sg_address(rng)).add(
        ". "
    )


def _en_email(rng: random.Random, t: _Text) -> None:
    t.add(_pick(rng, ("Mail to ", "Reply sent to ", "Email "))).plant("email", _email(rng)).add(" bounced. ")


def _en_iban(rng: random.Random, t: _Text) -> None:
    t.add("Refund to IBAN ").plant("iban", _iban(rng)).add(". ")


def _en_passport(rng: random.Random, t: _Text) -> None:
    if rng.random() < 0.5:
        t.add("Passport no. ").plant("sg_passport", _sg_passport(rng)).add(" (Singapore). ")
    else:
        t.add("Chinese passport ").plant("cn_passport", _cn_passport(rng)).add(". ")


def _en_health(rng: random.Random, t: _Text) -> None:
    _, term, code = _CONDITIONS[rng.randrange(len(_CONDITIONS))]
    t.add("Diagnosis: ").plant("health", term).add(" (").plant("health", code).add("). ")


def _en_religion(rng: random.Random, t: _Text) -> None:
    t.add("Religion: ").plant("religion", _pick(rng, _RELIGIONS_EN)).add(". ")


def _en_credential(rng: random.Random, t: _Text) -> None:
    roll = rng.random()
    if roll < 0.3:
        t.add("here is the key:\n").plant("credential", _private_key(rng)).add("\n")
    elif roll < 0.6:
        t.add("password: ").plant("credential", _password(rng)).add(" ")
    else:
        t.add("api_key=").plant("credential", _api_key(rng)).add(" ")


def _en_network(rng: random.Random, t: _Text) -> None:
    t.add("Login from ").plant("ip_address", _ip(rng)).add(" (").plant("mac_address", _mac(rng)).add("). ")


def _en_landline(rng: random.Random, t: _Text) -> None:
    t.add("Office line ").plant("cn_landline", _cn_landline(rng)).add(". ")


def _en_location(rng: random.Random, t: _Text) -> None:
    t.add("Last seen at ").plant("geo_coordinates", _coordinates(rng)).add(". ")


def _en_uen(rng: random.Random, t: _Text) -> None:
    t.add("Employer UEN ").plant("sg_uen", _uen(rng)).add(", supplier USCC ").plant("cn_uscc", _uscc(rng)).add(". ")


def _en_negatives(rng: random.Random, t: _Text) -> None:
    roll = rng.random()
    if roll < 0.15:
        t.add("Order ").avoid("order_number", _order_number(rng)).add(" placed at ")
        t.avoid("timestamp_ms", str(_timestamp_ms(rng))).add(". ")
    elif roll < 0.3:
        t.add("Invoice ").avoid("invoice_number", _invoice_number(rng)).add(" attached. ")
    elif roll < 0.42:
        t.add("Tracking ").avoid("tracking_number", _tracking_number(rng)).add(". ")
    elif roll < 0.52:
        t.add("FX rate ").avoid("decimal_not_coordinate", _fx_rate(rng)).add(" applied. ")
    elif roll < 0.62:
        t.add("Client build ").avoid("version_string", _version_string(rng)).add(". ")
    elif roll < 0.72:
        t.add("ref ").avoid("card_bad_luhn", _card_bad_luhn(rng)).add(" (rejected, bad number). ")
    elif roll < 0.8:
        t.add("Old ref ").avoid("nric_bad_check", _nric_bad_check(rng)).add(" is invalid. ")
    elif roll < 0.88:
        t.add("Request ").avoid("uuid", _uuid(rng)).add(" failed. ")
    else:
        t.add("Our public key:\n").avoid("public_key", _public_key(rng)).add("\n")


_EN_FILLERS: Final = (
    "Customer reports a billing issue. ", "Escalated to tier 2. ", "Please call back today. ", "Resolved, closing. ",
    "App crashed after the update. ", "Refund requested. ", "",
)  # fmt: skip
_EN_CLAUSES: Final[tuple[_Clause, ...]] = (
    _en_contact, _en_contact, _en_nric, _en_dob, _en_address, _en_email, _en_iban, _en_passport, _en_health,
    _en_religion, _en_credential, _en_network, _en_landline, _en_location, _en_uen,
)  # fmt: skip


def _free_text(rng: random.Random, language: str, clauses: int) -> _Planted:
    t = _Text()
    bank, fillers, negatives = (
        (_ZH_CLAUSES, _ZH_FILLERS, _zh_negatives) if language == "zh" else (_EN_CLAUSES, _EN_FILLERS, _en_negatives)
    )
    t.add(_pick(rng, fillers))
    for _ in range(clauses):
        bank[rng.randrange(len(bank))](rng, t)
        if rng.random() < 0.35:
            negatives(rng, t)
    t.add(_pick(rng, fillers))
    return t.build()


# --- record templates ------------------------------------------------------------------------------------------------


def _person(rng: random.Random, style: str, region: str, *, rich: bool) -> dict[str, _Draft]:
    """A person's fields: name, phone, id, date of birth, email, address; more when ``rich``."""
    born = _birth_date(rng)
    doc: dict[str, _Draft] = {}
    if region == "cn":
        hanzi, latin = _cn_name(rng)
        name = latin if style in ("camel", "snake") and rng.random() < 0.3 else hanzi
        doc[_key(rng, "name", style)] = _field(rng, "person_name", name)
        if rng.random() < 0.9:
            doc[_key(rng, "resident_id", style)] = _person_id_cn(rng, born)
        doc[_key(rng, "mobile", style)] = _phone_value(rng, "cn")
    else:
        name = _sg_name(rng)
        latin = name
        doc[_key(rng, "name", style)] = _field(rng, "person_name", name)
        doc["nric" if style == "snake" else "nricFin" if style == "camel" else _key(rng, "resident_id", style)] = (
            _field(rng, "sg_nric_fin", _nric(rng))
        )
        doc[_key(rng, "mobile", style)] = _phone_value(rng, "sg")
    doc[_key(rng, "gender", style)] = _pick(rng, ("男", "女") if style in ("zh", "pinyin") else ("M", "F"))
    doc[_key(rng, "dob", style)] = _dob_value(rng, born, style)
    if rich:
        doc[_key(rng, "email", style)] = _field(rng, "email", _email_for(rng, latin))
        address = _cn_address(rng) if region == "cn" else _sg_address(rng)
        doc[_key(rng, "address", style)] = _field(rng, "postal_address", address)
    return doc


def _person_id_cn(rng: random.Random, born: date) -> _Planted:
    if rng.random() < 0.06:
        return _field(rng, "cn_resident_id", _old_resident_id(rng))
    number = _resident_id(rng, born)
    if rng.random() < 0.04 and number[-1] != "X":
        return _whole("cn_resident_id", int(number))
    return _field(rng, "cn_resident_id", number)


def _phone_value(rng: random.Random, region: str) -> _Planted:
    if region == "cn":
        digits = _cn_mobile_digits(rng)
        if rng.random() < 0.08:
            return _whole("cn_mobile", int(digits))
        return _field(rng, "cn_mobile", _cn_mobile_text(rng, digits))
    digits = _sg_mobile_digits(rng)
    if rng.random() < 0.08:
        return _whole("sg_mobile", int(digits))
    return _field(rng, "sg_mobile", _sg_mobile_text(rng, digits))


def _dob_value(rng: random.Random, born: date, style: str) -> _Planted:
    if rng.random() < 0.04:
        return _whole("date_of_birth", int(f"{born:%Y%m%d}"))
    return _field(rng, "date_of_birth", _dob_text(rng, born, style))


def _card_value(rng: random.Random) -> _Planted:
    digits = _card_digits(rng)
    if rng.random() < 0.08:
        return _whole("bank_card", int(digits))
    return _field(rng, "bank_card", _card_text(rng, digits))


def _maybe_religion(rng: random.Random, doc: dict[str, _Draft], style: str, chance: float) -> None:
    if rng.random() >= chance:
        return
    key = _key(rng, "religion", style)
    if rng.random() < 0.3:
        doc[key] = _neg("religion_none", _pick(rng, _NO_RELIGION))
    else:
        doc[key] = _field(rng, "religion", _pick(rng, _RELIGIONS_ZH if style in ("zh", "pinyin") else _RELIGIONS_EN))


def _tpl_hr(rng: random.Random, style: str) -> _Draft:
    region = "cn" if style in ("zh", "pinyin") or rng.random() < 0.7 else "sg"
    doc: dict[str, _Draft] = {_key(rng, "employee_id", style): f"EMP-{rng.randrange(1, 99999):05d}"}
    doc.update(_person(rng, style, region, rich=True))
    doc[_key(rng, "card", style)] = _card_value(rng)
    zh = style in ("zh", "pinyin")
    doc[_key(rng, "department", style)] = _neg(
        "department_name", _pick(rng, _DEPARTMENTS_ZH if zh else _DEPARTMENTS_EN)
    )
    doc[_key(rng, "hire_date", style)] = _neg(
        "date_not_birth", _date_between(rng, date(2010, 1, 1), date(2026, 6, 30)).isoformat()
    )
    _maybe_religion(rng, doc, style, 0.35)
    if rng.random() < 0.25:
        doc[_key(rng, "passport", style)] = _field(
            rng,
            "cn_passport" if region == "cn" else "sg_passport",
            _cn_passport(rng) if region == "cn" else _sg_passport(rng),
        )
    if region == "cn" and rng.random() < 0.1:
        doc[_key(rng, "permit", style)] = _field(rng, "cn_mainland_travel_permit", _travel_permit(rng))
    if rng.random() < 0.25:
        doc[_key(rng, "plate", style)] = _field(rng, "cn_plate", _cn_plate(rng))
    if rng.random() < 0.35:
        doc[_key(rng, "landline", style)] = _field(rng, "cn_landline", _cn_landline(rng))
    if rng.random() < 0.4:
        hanzi, latin = _cn_name(rng)
        doc[_key(rng, "emergency", style)] = {
            _key(rng, "name", style): _field(rng, "person_name", hanzi if zh or rng.random() < 0.5 else latin),
            _key(rng, "relation", style): _pick(
                rng, ("配偶", "父亲", "母亲") if zh else ("spouse", "father", "mother")
            ),
            _key(rng, "mobile", style): _phone_value(rng, region),
        }
    if rng.random() < 0.5:
        doc[_key(rng, "created", style)] = _neg("timestamp_ms", _timestamp_ms(rng))
    return doc


def _tpl_crm_sg(rng: random.Random) -> _Draft:
    style = _pick(rng, ("camel", "snake"))
    doc: dict[str, _Draft] = (
        {"customerId": f"C{rng.randrange(10**7):07d}"}
        if style == "camel"
        else {"customer_id": f"C{rng.randrange(10**7):07d}"}
    )
    doc.update(_person(rng, style, "sg", rich=True))
    doc["nationality"] = _pick(rng, ("Singaporean", "Malaysian", "Chinese", "Indian"))
    if rng.random() < 0.35:
        doc[_key(rng, "passport", style)] = _field(rng, "sg_passport", _sg_passport(rng))
    if rng.random() < 0.5:
        doc["employer"] = {
            _key(rng, "company", style): _neg("company_name", _company_en(rng)),
            "uen": _field(rng, "sg_uen", _uen(rng)),
        }
    doc["customer_since" if style == "snake" else "customerSince"] = _neg(
        "date_not_birth", _date_between(rng, date(2012, 1, 1), date(2026, 6, 1)).isoformat()
    )
    _maybe_religion(rng, doc, style, 0.15)
    if rng.random() < 0.3:
        doc["loyaltyPoints" if style == "camel" else "loyalty_points"] = rng.randrange(0, 50000)
    if rng.random() < 0.35:
        doc["notes"] = _free_text(rng, "en", 1)
    if rng.random() < 0.2:
        doc["lastOrder" if style == "camel" else "last_order"] = _neg("sku_8digit", _sku_8digit(rng))
    return doc


def _tpl_crm_cn(rng: random.Random) -> _Draft:
    style = _pick(rng, ("zh", "zh", "pinyin", "camel", "snake"))
    doc: dict[str, _Draft] = {}
    doc.update(_person(rng, style, "cn", rich=rng.random() < 0.8))
    phones: list[_Draft] = [_phone_value(rng, "cn")]
    if rng.random() < 0.5:
        phones.append(_field(rng, "cn_landline", _cn_landline(rng)))
    if rng.random() < 0.3:
        phones.append(_phone_value(rng, "cn"))
    doc["phones" if style in ("camel", "snake") else "联系方式" if style == "zh" else "lxfs"] = phones
    if rng.random() < 0.35:
        doc[_key(rng, "permit", style)] = _field(rng, "cn_mainland_travel_permit", _travel_permit(rng))
    doc["会员等级" if style == "zh" else "level"] = _pick(rng, ("金卡", "银卡", "普通", "VIP"))
    if rng.random() < 0.5:
        doc["备注" if style == "zh" else "remark"] = _free_text(rng, "zh", 1)
    if rng.random() < 0.3:
        doc[_key(rng, "order_no", style)] = _neg("order_number", _order_number(rng))
    return doc


def _tpl_payment(rng: random.Random) -> _Draft:
    style = _pick(rng, ("camel", "snake", "zh"))
    amount = round(rng.uniform(5, 50000), 2)
    doc: dict[str, _Draft] = {
        _key(rng, "order_no", style): _neg("order_number", _order_number(rng)),
        _key(rng, "amount", style): amount,
        "currency": _pick(rng, ("CNY", "SGD", "USD", "EUR")),
    }
    payer: dict[str, _Draft] = {
        _key(rng, "name", style): _field(rng, "person_name", _cn_name(rng)[0] if rng.random() < 0.6 else _sg_name(rng))
    }
    payer[_key(rng, "card", style)] = _card_value(rng)
    payer["expiry"] = f"{rng.randrange(1, 13):02d}/{rng.randrange(27, 32)}"
    doc["payer" if style != "zh" else "付款人"] = payer
    if rng.random() < 0.5:
        doc["beneficiary" if style != "zh" else "收款人"] = {
            "name" if style != "zh" else "户名": _neg("company_name", _company_en(rng))
            if rng.random() < 0.5
            else _field(rng, "person_name", _sg_name(rng)),
            "iban": _field(rng, "iban", _iban(rng)),
        }
    if rng.random() < 0.4:
        doc["fx_rate" if style != "camel" else "fxRate"] = _neg("decimal_not_coordinate", _fx_rate(rng))
    if rng.random() < 0.5:
        t = _Text().add(_pick(rng, ("Payment for ", "Settlement of ")))
        t.avoid("invoice_number", _invoice_number(rng))
        if rng.random() < 0.6:
            t.add(" to IBAN ").plant("iban", _iban(rng))
        if rng.random() < 0.3:
            t.add(", card ").plant("bank_card", _card(rng))
        if rng.random() < 0.2:
            t.add(", retry of ").avoid("iban_bad_check", _iban_bad_check(rng)).add(" (invalid)")
        doc["note" if style != "zh" else "附言"] = t.add(".").build()
    if rng.random() < 0.3:
        doc["raw_ref"] = _neg("card_bad_luhn", _card_bad_luhn(rng))
    doc[_key(rng, "created", style)] = (
        _neg("date_not_birth", _iso_moment(rng)) if rng.random() < 0.5 else _neg("timestamp_ms", _timestamp_ms(rng))
    )
    return doc


def _tpl_ticket(rng: random.Random) -> _Draft:
    language = "zh" if rng.random() < 0.5 else "en"
    doc: dict[str, _Draft] = {
        "ticket_id": f"TK-{rng.randrange(10**6):06d}",
        "created_at": _neg("date_not_birth", _iso_moment(rng)),
        "channel": _pick(rng, ("phone", "email", "chat", "wechat")),
        "subject": _pick(rng, ("账单问题", "退款", "登录失败"))
        if language == "zh"
        else _pick(rng, ("Billing", "Refund", "Login")),
        "body": _free_text(rng, language, rng.randrange(2, 5)),
    }
    if rng.random() < 0.5:
        doc["comments"] = [
            {"author": f"agent{rng.randrange(100)}", "text": _free_text(rng, language, rng.randrange(0, 2))}
            for _ in range(rng.randrange(1, 3))
        ]
    return doc


def _log_line(rng: random.Random) -> _Planted:
    t = _Text().avoid("date_not_birth", f"{_moment(rng):%Y-%m-%dT%H:%M:%S}Z").add(" ")
    roll = rng.random()
    if roll < 0.3:
        t.add("INFO login ok user=").plant("email", _email(rng)).add(" src=").plant("ip_address", _ip(rng))
    elif roll < 0.45:
        t.add("WARN dhcp lease ").plant("ip_address", _ipv4(rng)).add(" to ").plant("mac_address", _mac(rng))
    elif roll < 0.55:
        t.add("DEBUG auth header Authorization: Bearer ").plant("credential", _jwt(rng))
    elif roll < 0.62:
        t.add("INFO gps fix ").plant("geo_coordinates", _coordinates(rng)).add(" acc=5m")
    elif roll < 0.72:
        t.add("INFO GET ").avoid("health_word", "/healthz").add(f" 200 {rng.randrange(1, 30)}ms from ").plant(
            "ip_address", _ip(rng)
        )
    elif roll < 0.82:
        t.add("INFO request_id=").avoid("uuid", _uuid(rng)).add(" client_version=").avoid(
            "version_string", _version_string(rng)
        )
    elif roll < 0.9:
        t.add("ERROR upstream ").plant("ip_address", _ipv6(rng)).add(f" port {rng.randrange(1024, 65535)} refused")
    else:
        t.add("INFO config reload api_key=").plant("credential", _api_key(rng))
    return t.build()


def _tpl_device_log(rng: random.Random) -> _Draft:
    return {
        "device_id": f"dev-{rng.randrange(10**5):05d}",
        "firmware_version": _neg("version_string", _version_string(rng)),
        "lines": [_log_line(rng) for _ in range(rng.randrange(2, 7))],
    }


def _tpl_telemetry(rng: random.Random) -> _Draft:
    camel = rng.random() < 0.5
    doc: dict[str, _Draft] = {
        "deviceId" if camel else "device_id": f"sn-{rng.randrange(10**6):06d}",
        "macAddress" if camel else "mac": _field(rng, "mac_address", _mac(rng)),
        "ipAddress" if camel else "client_ip": _field(rng, "ip_address", _ip(rng)),
        "version": _neg("version_string", _version_string(rng)),
        "ts": _neg("timestamp_ms", _timestamp_ms(rng)),
        "battery": rng.randrange(5, 100),
        "temperature": round(rng.uniform(15.0, 45.0), 1),
    }
    if rng.random() < 0.5:
        lat, lng = _lat_lng(rng, "suzhou" if rng.random() < 0.6 else "singapore")
        doc["location"] = {
            "lat": _whole("geo_coordinates", lat),
            ("lng" if rng.random() < 0.6 else "lon"): _whole("geo_coordinates", lng),
        }
    else:
        doc["gps" if camel else "coordinates"] = _field(rng, "geo_coordinates", _coordinates(rng))
    if rng.random() < 0.4:
        doc["serial_no" if not camel else "serialNo"] = _neg("serial_unallocated_mobile", _serial_unallocated(rng))
    if rng.random() < 0.4:
        doc["request_id"] = _neg("sha256", _sha256(rng)) if rng.random() < 0.5 else _neg("uuid", _uuid(rng))
    if rng.random() < 0.3:
        doc["ipv6"] = _field(rng, "ip_address", _ipv6(rng))
    if rng.random() < 0.3:
        doc["wifi_mac" if not camel else "bluetoothMac"] = _field(rng, "mac_address", _mac(rng))
    return doc


def _tpl_medical(rng: random.Random) -> _Draft:
    style = _pick(rng, ("camel", "snake", "zh", "pinyin"))
    region = "sg" if style in ("camel", "snake") and rng.random() < 0.4 else "cn"
    term_zh, term_en, code = _CONDITIONS[rng.randrange(len(_CONDITIONS))]
    zh = style in ("zh", "pinyin")
    doc: dict[str, _Draft] = {
        "claim_no" if not zh else "理赔单号": _neg("invoice_number", _invoice_number(rng)),
        "patient" if not zh else "患者": _person(rng, style, region, rich=rng.random() < 0.5),
        _key(rng, "diagnosis", style): _field(rng, "health", term_zh if zh else term_en),
        "hospital" if not zh else "医院": _neg(
            "company_name", _pick(rng, ("苏州大学附属第一医院", "园区星海医院", "Singapore General Clinic"))
        ),
        _key(rng, "amount", style): round(rng.uniform(100, 80000), 2),
    }
    if rng.random() < 0.6:
        doc[_key(rng, "icd", style)] = _whole("health", code)
    if rng.random() < 0.6:
        doc["notes" if not zh else "备注"] = _claim_note(rng, zh)
    if rng.random() < 0.15:
        doc[_key(rng, "face", style)] = _field(rng, "biometric", _biometric(rng, "face"))
    _maybe_religion(rng, doc, style, 0.1)
    return doc


def _claim_note(rng: random.Random, zh: bool) -> _Planted:
    t = _Text()
    if zh:
        _zh_health(rng, t)
        if rng.random() < 0.4:
            _zh_health(rng, t)
        if rng.random() < 0.2:
            _zh_religion(rng, t)
        if rng.random() < 0.3:
            t.add("保单号").avoid("invoice_number", _invoice_number(rng)).add("。")
    else:
        _en_health(rng, t)
        if rng.random() < 0.3:
            _en_dob(rng, t)
        if rng.random() < 0.2:
            _en_religion(rng, t)
    return t.build()


def _tpl_logistics(rng: random.Random) -> _Draft:
    style = _pick(rng, ("zh", "zh", "camel", "snake", "pinyin"))
    zh = style in ("zh", "pinyin")
    consignee: dict[str, _Draft] = {
        _key(rng, "name", style): _field(
            rng, "person_name", _cn_name(rng)[0] if zh or rng.random() < 0.5 else _sg_name(rng)
        ),
        _key(rng, "mobile", style): _phone_value(rng, "cn" if zh or rng.random() < 0.6 else "sg"),
        _key(rng, "address", style): _field(
            rng, "postal_address", _cn_address(rng) if zh or rng.random() < 0.5 else _sg_address(rng)
        ),
    }
    doc: dict[str, _Draft] = {
        "tracking_no" if not zh else "运单号": _neg("tracking_number", _tracking_number(rng)),
        "consignee" if not zh else "收件人": consignee,
    }
    if rng.random() < 0.6:
        doc["vehicle" if not zh else "车辆"] = {
            _key(rng, "plate", style): _field(rng, "cn_plate", _cn_plate(rng)),
            "driver" if not zh else "司机": _field(rng, "person_name", _cn_name(rng)[0]),
            _key(rng, "mobile", style): _phone_value(rng, "cn"),
        }
    if rng.random() < 0.5:
        lat, lng = _lat_lng(rng, "suzhou")
        doc["warehouse" if not zh else "仓库"] = {
            "name" if not zh else "名称": _neg("company_name", _company_zh(rng)),
            _key(rng, "landline", style): _field(rng, "cn_landline", _cn_landline(rng)),
            "lat" if not zh else "纬度": _whole("geo_coordinates", lat),
            "lng" if not zh else "经度": _whole("geo_coordinates", lng),
        }
    doc["items" if not zh else "商品"] = [
        {
            _key(rng, "sku", style): _neg("sku_8digit", _sku_8digit(rng)),
            _key(rng, "product", style): _neg("product_name", _pick(rng, _PRODUCTS)),
            "qty": rng.randrange(1, 20),
        }
        for _ in range(rng.randrange(1, 4))
    ]
    return doc


def _tpl_kyc(rng: random.Random) -> _Draft:
    if rng.random() < 0.5:
        style = _pick(rng, ("zh", "zh", "pinyin", "camel"))
        director: dict[str, _Draft] = _person(rng, style, "cn", rich=False)
        doc: dict[str, _Draft] = {
            _key(rng, "company", style): _neg("company_name", _company_zh(rng)),
            _key(rng, "uscc", style): _field(rng, "cn_uscc", _uscc(rng)),
            _key(rng, "reg_address", style): _field(rng, "postal_address", _cn_address(rng)),
            _key(rng, "legal_rep", style): director,
            _key(rng, "landline", style): _field(rng, "cn_landline", _cn_landline(rng)),
        }
        if rng.random() < 0.3:
            director[_key(rng, "permit", style)] = _field(rng, "cn_mainland_travel_permit", _travel_permit(rng))
        if rng.random() < 0.3:
            director[_key(rng, "passport", style)] = _field(rng, "cn_passport", _cn_passport(rng))
        if rng.random() < 0.3:
            doc["统一社会信用代码（旧）" if style == "zh" else "old_code"] = _neg(
                "uscc_bad_check", _uscc_bad_check(rng)
            )
        return doc
    style = _pick(rng, ("camel", "snake"))
    directors: list[_Draft] = []
    for _ in range(rng.randrange(1, 4)):
        person = _person(rng, style, "sg", rich=False)
        if rng.random() < 0.4:
            person[_key(rng, "passport", style)] = _field(rng, "sg_passport", _sg_passport(rng))
        directors.append(person)
    doc = {
        _key(rng, "company", style): _neg("company_name", _company_en(rng)),
        "uen": _field(rng, "sg_uen", _uen(rng)),
        _key(rng, "reg_address", style): _field(rng, "postal_address", _sg_address(rng)),
        "directors": directors,
        "contactEmail" if style == "camel" else "contact_email": _field(rng, "email", _email(rng)),
    }
    if rng.random() < 0.3:
        doc["previous_uen" if style == "snake" else "previousUen"] = _neg("uen_bad_check", _uen_bad_check(rng))
    if rng.random() < 0.3:
        doc["bank_iban" if style == "snake" else "bankIban"] = _field(rng, "iban", _iban(rng))
    return doc


def _tpl_nested_org(rng: random.Random) -> _Draft:
    style = _pick(rng, ("camel", "snake", "zh", "pinyin"))
    zh = style in ("zh", "pinyin")
    region = "cn" if zh or rng.random() < 0.6 else "sg"
    departments: list[_Draft] = []
    for _ in range(rng.randrange(1, 4)):
        employees: list[_Draft] = []
        for _ in range(rng.randrange(1, 4)):
            person = _person(rng, style, region, rich=rng.random() < 0.5)
            if rng.random() < 0.4:
                person["phones" if not zh else "电话"] = [
                    _phone_value(rng, region),
                    _field(rng, "cn_landline", _cn_landline(rng)),
                ]
            employees.append(person)
        departments.append(
            {
                _key(rng, "department", style): _neg(
                    "department_name", _pick(rng, _DEPARTMENTS_ZH if zh else _DEPARTMENTS_EN)
                ),
                "employees" if not zh else "员工": employees,
            }
        )
    company: dict[str, _Draft] = {
        _key(rng, "company", style): _neg("company_name", _company_zh(rng) if zh else _company_en(rng))
    }
    if region == "cn":
        company[_key(rng, "uscc", style)] = _field(rng, "cn_uscc", _uscc(rng))
    else:
        company["uen"] = _field(rng, "sg_uen", _uen(rng))
    return {"company" if not zh else "公司": company, "departments" if not zh else "部门": departments}


def _tpl_int_ids(rng: random.Random) -> _Draft:
    doc: dict[str, _Draft] = {
        "member_id": rng.randrange(10**6, 10**7),
        "mobile": _whole("cn_mobile", int(_cn_mobile_digits(rng))),
        "cardNo": _whole("bank_card", int(_card_digits(rng))),
        "orderId": _neg("order_number", int(_order_number(rng))),
        "created_at": _neg("timestamp_ms", _timestamp_ms(rng)),
    }
    if rng.random() < 0.5:
        doc["sg_mobile"] = _whole("sg_mobile", int(_sg_mobile_digits(rng)))
    if rng.random() < 0.5:
        doc["amount_cents"] = _neg("sku_8digit", int(_sku_8digit(rng)))
    if rng.random() < 0.3:
        doc["contacts"] = [_whole("cn_mobile", int(_cn_mobile_digits(rng))) for _ in range(rng.randrange(1, 4))]
    if rng.random() < 0.3:
        doc["device_sn"] = _neg("serial_unallocated_mobile", int(_serial_unallocated(rng)))
    return doc


def _tpl_biometric(rng: random.Random) -> _Draft:
    style = _pick(rng, ("camel", "snake", "zh", "pinyin"))
    doc: dict[str, _Draft] = {
        _key(rng, "employee_id", style): f"EMP-{rng.randrange(1, 99999):05d}",
        _key(rng, "name", style): _field(
            rng, "person_name", _cn_name(rng)[0] if style in ("zh", "pinyin") else _sg_name(rng)
        ),
        _key(rng, "face", style): _whole("biometric", _biometric(rng, "face")),
    }
    if rng.random() < 0.6:
        doc[_key(rng, "fingerprint", style)] = _whole("biometric", _biometric(rng, "fingerprint"))
    if rng.random() < 0.6:
        doc[_key(rng, "embedding", style)] = _whole("biometric", _biometric(rng, "embedding"))
    if rng.random() < 0.4:
        doc["terminal_mac"] = _field(rng, "mac_address", _mac(rng))
    if rng.random() < 0.4:
        doc["company_logo" if rng.random() < 0.5 else "qr_code"] = _neg("logo_image", _b64(_png_bytes(rng)))
    return doc


def _tpl_credentials(rng: random.Random) -> _Draft:
    style = _pick(rng, ("camel", "snake", "zh", "pinyin"))
    doc: dict[str, _Draft] = {
        "username" if style != "zh" else "用户名": f"svc_{_pick(rng, _WORDS)}{rng.randrange(100)}",
        _key(rng, "password", style): _whole("credential", _password(rng)),
    }
    if rng.random() < 0.6:
        doc[_key(rng, "api_key", style)] = _whole("credential", _api_key(rng))
    if rng.random() < 0.3:
        doc["private_key" if style != "camel" else "privateKey"] = _whole("credential", _private_key(rng))
    if rng.random() < 0.4:
        doc["old_password" if style == "snake" else "confirmPassword"] = _neg(
            "masked_password", _pick(rng, ("********", "[REDACTED]", "<hidden>"))
        )
    if rng.random() < 0.3:
        doc["public_key" if style != "camel" else "publicKey"] = _neg("public_key", _public_key(rng))
    if rng.random() < 0.3:
        doc["token_type"] = "Bearer"  # noqa: S105 (an OAuth token type, not a secret)
        doc["expires_in"] = 3600
    doc["callback_ip" if style != "camel" else "callbackIp"] = _field(rng, "ip_address", _ip(rng))
    return doc


_STRONG_MAKERS: Final[tuple[tuple[str, Callable[[random.Random], str]], ...]] = (
    ("cn_resident_id", lambda r: _resident_id(r, _birth_date(r))),
    ("cn_uscc", _uscc),
    ("sg_nric_fin", _nric),
    ("sg_uen", _uen),
    ("bank_card", _card),
    ("iban", _iban),
)
_NEGATIVE_MAKERS: Final[tuple[tuple[str, Callable[[random.Random], str]], ...]] = (
    ("ric_bad_check", _ric_bad_check),
    ("ric_bad_date", _ric_bad_date),
    ("card_bad_luhn", _card_bad_luhn),
    ("nric_bad_check", _nric_bad_check),
    ("uen_bad_check", _uen_bad_check),
    ("uscc_bad_check", _uscc_bad_check),
    ("iban_bad_check", _iban_bad_check),
    ("order_number", _order_number),
    ("timestamp_compact", _timestamp_compact),
    ("tracking_number", _tracking_number),
    ("serial_unallocated_mobile", _serial_unallocated),
    ("sku_8digit", _sku_8digit),
    ("sha256", _sha256),
)


def _tpl_opaque(rng: random.Random) -> _Draft:
    """Keys that say nothing: only check-character identifiers are labelled."""
    keys = ("f1", "f2", "f3", "f4", "value", "data", "remark", "note", "col_7", "x")
    doc: dict[str, _Draft] = {}
    for key in rng.sample(keys, rng.randrange(3, 7)):
        roll = rng.random()
        if roll < 0.45:
            detector, make = _STRONG_MAKERS[rng.randrange(len(_STRONG_MAKERS))]
            doc[key] = _field(rng, detector, make(rng))
        elif roll < 0.75:
            reason, make = _NEGATIVE_MAKERS[rng.randrange(len(_NEGATIVE_MAKERS))]
            doc[key] = _neg(reason, make(rng))
        elif roll < 0.85:
            detector, make = _STRONG_MAKERS[rng.randrange(len(_STRONG_MAKERS))]
            doc[key] = (
                _Text()
                .add(_pick(rng, ("核对 ", "ref ", "见 ")))
                .plant(detector, make(rng))
                .add(_pick(rng, (" 后放行", " ok", "")))
                .build()
            )
        else:
            doc[key] = (
                _pick(rng, ("OK", "pending", "已处理", "1", "")) if rng.random() < 0.5 else rng.randrange(0, 1000)
            )
    if rng.random() < 0.3:
        doc["data"] = [
            _neg("order_number", _order_number(rng)),
            _whole("bank_card", _card(rng)),
            round(rng.uniform(1, 999), 2),
        ]
    return doc


def _tpl_negatives(rng: random.Random) -> _Draft:
    """Only hard negatives: catalogues, build info, rates, orders."""
    roll = rng.random()
    if roll < 0.25:
        return {
            "catalogue": [
                {
                    "sku": _neg("sku_8digit", _sku_8digit(rng)),
                    "product_name": _neg("product_name", _pick(rng, _PRODUCTS)),
                    "unit_price": _neg("decimal_not_coordinate", f"{rng.uniform(1, 99):.5f}"),
                }
                for _ in range(rng.randrange(2, 6))
            ]
        }
    if roll < 0.45:
        return {
            "version": _neg("version_string", _version_string(rng)),
            "build_id": _neg("sha256", _sha256(rng)),
            "request_id": _neg("uuid", _uuid(rng)),
            "created_at": _neg("date_not_birth", _iso_moment(rng)),
            "status": _neg("health_word", "healthy"),
        }
    if roll < 0.65:
        return {
            "base": "CNY",
            "rates": {c: _neg("decimal_not_coordinate", _fx_rate(rng)) for c in ("SGD", "USD", "EUR")},
            "as_of": _neg("timestamp_compact", _timestamp_compact(rng)),
        }
    if roll < 0.85:
        return {
            "order_no": _neg("order_number", _order_number(rng)),
            "invoice_no": _neg("invoice_number", _invoice_number(rng)),
            "tracking_no": _neg("tracking_number", _tracking_number(rng)),
            "serial_no": _neg("serial_unallocated_mobile", _serial_unallocated(rng)),
            "ts": _neg("timestamp_ms", _timestamp_ms(rng)),
            "religion": _neg("religion_none", _pick(rng, _NO_RELIGION)),
        }
    return {
        "公司名称": _neg("company_name", _company_zh(rng)),
        "部门名称": _neg("department_name", _pick(rng, _DEPARTMENTS_ZH)),
        "参考号": _neg("ric_bad_date", _ric_bad_date(rng)),
        "旧编号": _neg("nric_bad_check", _nric_bad_check(rng)),
        "product_image": _neg("logo_image", _b64(_png_bytes(rng))),
    }


_TEMPLATES: Final[tuple[tuple[str, float, Callable[[random.Random], _Draft]], ...]] = (
    ("hr_en", 10, lambda r: _tpl_hr(r, _pick(r, ("camel", "snake")))),
    ("hr_zh", 8, lambda r: _tpl_hr(r, "zh")),
    ("hr_pinyin", 5, lambda r: _tpl_hr(r, "pinyin")),
    ("crm_sg", 8, _tpl_crm_sg),
    ("crm_cn", 6, _tpl_crm_cn),
    ("payment", 8, _tpl_payment),
    ("ticket_text", 12, _tpl_ticket),
    ("device_log", 5, _tpl_device_log),
    ("telemetry", 5, _tpl_telemetry),
    ("medical_claim", 6, _tpl_medical),
    ("logistics", 6, _tpl_logistics),
    ("kyc_company", 6, _tpl_kyc),
    ("nested_org", 4, _tpl_nested_org),
    ("int_ids", 3, _tpl_int_ids),
    ("biometric", 3, _tpl_biometric),
    ("credentials", 3, _tpl_credentials),
    ("opaque_keys", 5, _tpl_opaque),
    ("negatives", 4, _tpl_negatives),
)
_KIND_WEIGHTS: Final = tuple(w for _, w, _ in _TEMPLATES)


def _record(seed: int, index: int) -> Record:
    rng = random.Random(f"{seed}:{index}")
    kind, _, template = rng.choices(_TEMPLATES, weights=_KIND_WEIGHTS)[0]
    labels: list[Label] = []
    negatives: list[Negative] = []
    doc = _finish(template(rng), "", labels, negatives)
    return Record(doc, tuple(labels), kind, tuple(negatives))


def generate(count: int = 6000, seed: int = 20261128) -> list[Record]:
    """``count`` labelled records, the same for the same seed (record i depends only on seed and i)."""
    return [_record(seed, i) for i in range(count)]


# --- command line ---------------------------------------------------------------------------------------------------


def _record_json(record: Record) -> str:
    return json.dumps(
        {
            "kind": record.kind,
            "doc": record.doc,
            "labels": [[x.pointer, x.detector, x.start, x.end] for x in record.labels],
            "negatives": [[x.pointer, x.reason, x.start, x.end] for x in record.negatives],
        },
        ensure_ascii=False,
    )


def main() -> None:
    """Write the corpus as JSON lines (optional) and print counts per detector and per kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    records = generate(args.count, args.seed)
    if args.out is not None:
        with args.out.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(_record_json(record) + "\n")
    per_detector = Counter(label.detector for r in records for label in r.labels)
    per_kind = Counter(r.kind for r in records)
    per_reason = Counter(n.reason for r in records for n in r.negatives)
    with_negatives = sum(1 for r in records if r.negatives)
    print(f"{len(records)} records, {sum(per_detector.values())} labels, {with_negatives} records with hard negatives")
    print("labels per detector:")
    for detector in DETECTORS:
        print(f"  {detector:28} {per_detector[detector]:6}")
    print("records per kind:")
    for kind, n in sorted(per_kind.items()):
        print(f"  {kind:28} {n:6}")
    print("hard negatives per reason:")
    for reason in NEGATIVE_REASONS:
        print(f"  {reason:28} {per_reason[reason]:6}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
