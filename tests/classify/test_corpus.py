"""The labelled corpus (bench/corpus.py): determinism, coverage, label integrity, hard negatives and the scorer.

The checks on labelled text are independent of the generator: python-stdnum's check-digit functions, Python's
``ipaddress``, the published allocated-prefix regex of Chinese mobiles and the NRIC/FIN check-letter rule (both
from tests/vectors/identifiers-public.json, the latter verified here against its published vectors).
"""

# (full-width Chinese punctuation in strings is test data)

from __future__ import annotations

import base64
import ipaddress
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from stdnum import iban, luhn, numdb
from stdnum.cn import ric, uscc
from stdnum.sg import uen

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402

VECTORS = Path(__file__).parents[1] / "vectors" / "identifiers-public.json"
CHECKSUM_DETECTORS = ("cn_resident_id", "cn_uscc", "sg_nric_fin", "sg_uen", "bank_card", "iban")
WEAK_WITHOUT_CUE = ("person_name", "postal_address", "date_of_birth")


@cache
def _vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data


@cache
def _records() -> tuple[corpus.Record, ...]:
    return tuple(corpus.generate())


@pytest.fixture(scope="module")
def records() -> tuple[corpus.Record, ...]:
    return _records()


def _texts(records: tuple[corpus.Record, ...], detector: str) -> list[str]:
    return [
        corpus.value_text(r.doc, x.pointer)[x.start : x.end]
        for r in records
        for x in r.labels
        if x.detector == detector
    ]


def _negative_texts(records: tuple[corpus.Record, ...], reason: str) -> list[tuple[str, str]]:
    """(context, text) of every hard negative with ``reason``: context is the pointer and the text before it."""
    found = []
    for r in records:
        for n in r.negatives:
            if n.reason == reason:
                value = corpus.value_text(r.doc, n.pointer)
                found.append((f"{n.pointer} {value[: n.start]}", value[n.start : n.end]))
    return found


# --- independent checkers -------------------------------------------------------------------------------------------

_NRIC_TABLES = {"S": "JZIHGFEDCBA", "T": "JZIHGFEDCBA", "F": "XWUTRQPNMLK", "G": "XWUTRQPNMLK", "M": "KLJNPQRTUWX"}


def nric_ok(value: str) -> bool:
    """NRIC/FIN per the published rule (vectors file ``semantics``): weights 2 7 6 5 4 3 2, T/G +4, M +3."""
    if re.fullmatch(r"[STFGM][0-9]{7}[A-Z]", value) is None:
        return False
    total = sum(w * int(d) for w, d in zip((2, 7, 6, 5, 4, 3, 2), value[1:8], strict=True))
    total += {"T": 4, "G": 4, "M": 3}.get(value[0], 0)
    table = _NRIC_TABLES[value[0]]
    expected = table[10 - total % 11] if value[0] == "M" else table[total % 11]
    return value[8] == expected


def cn_mobile_ok(value: str) -> bool:
    allocated = _vectors()["cn_mobile_prefix_table"]["regex_all_with_sms"]
    return re.fullmatch(allocated, re.sub(r"[ \-]", "", value)) is not None


def _address_code_unassigned(code: str) -> bool:
    props = {k: v for _, p in numdb.get("cn/loc").info(code) for k, v in p.items()}
    return "province" in props and "county" not in props


def _valid_date(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def resident_id_ok(value: str) -> bool:
    if len(value) == 15:  # first generation: no check digit, 19YY
        return value.isdigit() and _valid_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    return (
        re.fullmatch(r"[0-9]{17}[0-9X]", value) is not None
        and ric.calc_check_digit(value) == value[17]
        and _valid_date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        and _address_code_unassigned(value[:6])
    )


_ALLOWED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "10.0.0.0/8", "192.168.0.0/16")
)


def ip_ok(value: str) -> bool:
    address = ipaddress.ip_address(value)
    return any(address in net for net in _ALLOWED_NETWORKS if net.version == address.version)


def mac_ok(value: str) -> bool:
    if re.fullmatch(r"(?:[0-9a-fA-F]{2}([:\-])){5}[0-9a-fA-F]{2}|(?:[0-9a-f]{4}\.){2}[0-9a-f]{4}", value) is None:
        return False
    first = int(re.sub(r"[:\-.]", "", value)[:2], 16)
    return bool(first & 0x02) and not first & 0x01  # locally administered, unicast


def email_ok(value: str) -> bool:
    m = re.fullmatch(r"[a-z0-9._]+@([a-z0-9.\-]+)", value)
    if m is None:
        return False
    domain = m[1]
    return domain.endswith(".test") or any(
        domain == d or domain.endswith("." + d) for d in ("example.com", "example.org", "example.net")
    )


def card_ok(value: str) -> bool:
    digits = re.sub(r"[ \-]", "", value)
    return digits.isdigit() and 13 <= len(digits) <= 19 and luhn.is_valid(digits)


def coordinates_ok(value: str) -> bool:
    parts = [float(p) for p in re.split(r"\s*,\s*", value.strip())]
    lats = (1.24 <= parts[0] <= 1.46) or (31.10 <= parts[0] <= 31.50)
    lngs = [(103.62 <= p <= 104.00) or (120.40 <= p <= 120.95) for p in parts]
    if len(parts) == 2:
        return lats and lngs[1]
    return len(parts) == 1 and (lats or lngs[0])


def dob_ok(value: str) -> bool:
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%d %B %Y", "%Y%m%d", "%Y年%m月%d日"):
        try:
            born = datetime.strptime(value, form).date()
        except ValueError:
            continue
        return date(1900, 1, 1) <= born <= date(2010, 12, 31)
    return False


def biometric_ok(value: str) -> bool:
    raw = base64.b64decode(value.split(",", 1)[1] if value.startswith("data:image/") else value, validate=True)
    return raw.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"FMR\x00")) or len(raw) % 4 == 0


def credential_ok(value: str) -> bool:
    if value.startswith("-----BEGIN"):
        return value.endswith("-----") and "PRIVATE KEY" in value
    return len(value) >= 8 and not any(c.isspace() for c in value)


SANITY: dict[str, Callable[[str], bool]] = {
    "cn_resident_id": resident_id_ok,
    "cn_uscc": uscc.is_valid,
    "cn_mobile": lambda v: cn_mobile_ok(re.sub(r"^(?:\+?86)[ \-]?", "", v)),
    "cn_landline": lambda v: (
        re.fullmatch(r"(?:\+86[ \-])?\(?0?[1-9][0-9]{1,2}\)?[ \-]?[2-8][0-9]{3}[ \-]?[0-9]{4}", v) is not None
    ),
    "cn_passport": lambda v: re.fullmatch(r"E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8}", v) is not None,
    "cn_mainland_travel_permit": lambda v: re.fullmatch(r"[HM][0-9]{8}", v) is not None,
    "sg_nric_fin": nric_ok,
    "sg_uen": uen.is_valid,
    "sg_mobile": lambda v: re.fullmatch(r"[89][0-9]{7}", re.sub(r"^(?:\+?65)[ \-]?|[ \-]", "", v)) is not None,
    "sg_passport": lambda v: re.fullmatch(r"[KE][0-9]{7}[A-Z]", v) is not None,
    "bank_card": card_ok,
    "iban": iban.is_valid,
    "email": email_ok,
    "ip_address": ip_ok,
    "mac_address": mac_ok,
    "geo_coordinates": coordinates_ok,
    "date_of_birth": dob_ok,
    "person_name": lambda v: 2 <= len(v) <= 40 and not any(c.isdigit() for c in v),
    "postal_address": lambda v: "号" in v or re.search(r" Singapore [0-9]{6}$", v) is not None,
    "health": lambda v: re.fullmatch(r"[A-Z][0-9]{2}(?:\.[0-9]{1,2})?", v) is not None or 2 <= len(v) <= 40,
    "biometric": biometric_ok,
    "religion": lambda v: 2 <= len(v) <= 12 and v not in ("N/A", "none", "无"),
    "credential": credential_ok,
    "cn_plate": lambda v: re.fullmatch(r"[\u4e00-\u9fff][A-Z][· ]?[A-Z0-9]{5,6}", v) is not None,
}


# --- the checkers themselves ----------------------------------------------------------------------------------------


def test_nric_checker_agrees_with_published_vectors() -> None:
    """The test's NRIC/FIN checker gives the published verdict (entries whose failure is not only their shape)."""
    entries = [e for e in _vectors()["entries"] if e["type"] == "sg_nric_fin"]
    assert entries
    assert [(e["value"], e["valid"]) for e in entries if nric_ok(e["value"]) != e["valid"]] == []


def test_mobile_checker_agrees_with_published_vectors() -> None:
    entries = [e for e in _vectors()["entries"] if e["type"] == "cn_mobile"]
    assert entries
    assert [e["value"] for e in entries if cn_mobile_ok(re.sub(r"^\+?86", "", e["value"])) != e["valid"]] == []


# --- generation -------------------------------------------------------------------------------------------------------


def test_generation_is_deterministic_and_prefix_stable(records: tuple[corpus.Record, ...]) -> None:
    first = corpus.generate(250, seed=7)
    assert first == corpus.generate(250, seed=7)
    assert corpus.generate(250) == list(records[:250])


def test_seeds_give_different_corpora() -> None:
    a, b = corpus.generate(100, seed=1), corpus.generate(100, seed=2)
    assert sum(x.doc != y.doc for x, y in zip(a, b, strict=True)) > 90


def test_size_kinds_and_json(records: tuple[corpus.Record, ...]) -> None:
    assert len(records) >= 5000
    kinds = Counter(r.kind for r in records)
    for kind in ("hr_en", "hr_zh", "hr_pinyin", "crm_sg", "ticket_text", "negatives", "opaque_keys", "int_ids"):
        assert kinds[kind] >= 100, kind
    for r in records[:500]:
        assert json.loads(json.dumps(r.doc, ensure_ascii=False)) == r.doc


def test_every_detector_is_covered(records: tuple[corpus.Record, ...]) -> None:
    counts = Counter(x.detector for r in records for x in r.labels)
    assert set(counts) == set(corpus.DETECTORS)
    assert {d: n for d, n in counts.items() if n < 150} == {}
    assert {d: counts[d] for d in CHECKSUM_DETECTORS if counts[d] < 300} == {}


def test_keys_come_in_english_chinese_and_pinyin(records: tuple[corpus.Record, ...]) -> None:
    keys = Counter(x.pointer.rsplit("/", 1)[-1] for r in records for x in r.labels)
    for key in (
        "姓名",
        "手机号",
        "身份证号",
        "出生日期",
        "家庭住址",
        "宗教信仰",
        "车牌号",
        "xingming",
        "sfzh",
        "chepai",
    ):
        assert keys[key] > 0, key
    for key in ("fullName", "full_name", "dateOfBirth", "date_of_birth"):
        assert keys[key] > 0, key


def _spans(record: corpus.Record) -> list[tuple[str, int, int]]:
    """(pointer, start, end) of every label and hard negative."""
    return [(x.pointer, x.start, x.end) for x in record.labels] + [
        (n.pointer, n.start, n.end) for n in record.negatives
    ]


def test_labels_resolve_and_lie_inside_their_value(records: tuple[corpus.Record, ...]) -> None:
    bad = []
    for r in records:
        for pointer, start, end in _spans(r):
            text = corpus.value_text(r.doc, pointer)
            piece = text[start:end]
            if not (0 <= start < end <= len(text)) or piece != piece.strip():
                bad.append((r.kind, pointer, start, end))
    assert bad == []


def test_spans_in_one_value_do_not_overlap(records: tuple[corpus.Record, ...]) -> None:
    for r in records:
        spans: dict[str, list[tuple[int, int]]] = {}
        for pointer, start, end in _spans(r):
            spans.setdefault(pointer, []).append((start, end))
        for pointer, found in spans.items():
            assert all(a[1] <= b[0] for a, b in pairwise(sorted(found))), (r.kind, pointer)


@pytest.mark.parametrize("detector", corpus.DETECTORS)
def test_labelled_text_passes_an_independent_check(records: tuple[corpus.Record, ...], detector: str) -> None:
    texts = _texts(records, detector)
    assert texts
    assert [t for t in texts if not SANITY[detector](t)][:5] == []


def test_resident_ids_cover_x_and_first_generation(records: tuple[corpus.Record, ...]) -> None:
    texts = _texts(records, "cn_resident_id")
    assert sum(t.endswith("X") for t in texts) >= 50
    assert sum(len(t) == 15 for t in texts) >= 30


def test_identifier_formats_vary(records: tuple[corpus.Record, ...]) -> None:
    mobiles, cards, macs = _texts(records, "cn_mobile"), _texts(records, "bank_card"), _texts(records, "mac_address")
    assert any(m.startswith("+86 ") for m in mobiles)
    assert any("-" in m for m in mobiles)
    assert any(re.fullmatch(r"[0-9]{4} [0-9]{6} [0-9]{5}", c) for c in cards)
    assert any(re.fullmatch(r"62[0-9]{17}", re.sub(r"[ \-]", "", c)) for c in cards)
    assert any(re.fullmatch(r"2[2-7][0-9]{14}", re.sub(r"[ \-]", "", c)) for c in cards)
    assert {sep for m in macs for sep in ":-." if sep in m} == {":", "-", "."}
    assert any(":" in ip for ip in _texts(records, "ip_address"))
    assert any("年" in d for d in _texts(records, "date_of_birth"))
    assert any(" s/o " in n for n in _texts(records, "person_name"))


def test_identifiers_travel_as_integers(records: tuple[corpus.Record, ...]) -> None:
    kinds = Counter(
        x.detector
        for r in records
        for x in r.labels
        if isinstance(_resolve(r.doc, x.pointer), int) and not isinstance(_resolve(r.doc, x.pointer), bool)
    )
    assert kinds["cn_mobile"] >= 100
    assert kinds["bank_card"] >= 100


def _resolve(doc: Any, pointer: str) -> Any:
    node = doc
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def test_weak_data_in_free_text_follows_a_cue(records: tuple[corpus.Record, ...]) -> None:
    """Names, addresses and birth dates inside longer text come after an explicit cue."""
    cues = ("姓名：", "联系人", "联系人：", "DOB: ", "born on ", "地址：", "住址：", "Name: ", "Contact person: ",
            "ship to ", "Address: ", "Deliver to ", "出生日期：", "Customer name: ")  # fmt: skip
    uncued = []
    planted = 0
    for r in records:
        for x in r.labels:
            text = corpus.value_text(r.doc, x.pointer)
            if x.detector not in WEAK_WITHOUT_CUE or text.strip() == text[x.start : x.end]:
                continue
            planted += 1
            if not text[: x.start].endswith(cues):
                uncued.append(text[max(0, x.start - 12) : x.end])
    assert planted >= 300
    assert uncued == []


def test_opaque_keys_hold_only_checksum_identifiers(records: tuple[corpus.Record, ...]) -> None:
    opaque = [r for r in records if r.kind == "opaque_keys"]
    assert opaque
    assert {x.detector for r in opaque for x in r.labels} <= set(CHECKSUM_DETECTORS)


# Shapes a naive scanner would report; every hit must overlap a label or a hard negative (no unmarked data).
_NAIVE_SHAPES = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # email
    re.compile(r"(?<![0-9.])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9.])"),  # IPv4
    re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])"),  # mainland mobile
    re.compile(r"(?<![0-9A-Z])[STFGM][0-9]{7}[A-Z](?![0-9A-Z])"),  # NRIC/FIN
    re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])"),  # resident id
    re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])"),  # card number
    re.compile(r"(?<![0-9.])[89][0-9]{7}(?![0-9.])"),  # Singapore mobile
    re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}"),  # ISO date
)


def _text_values(node: Any, pointer: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [
            pair
            for k, v in node.items()
            for pair in _text_values(v, f"{pointer}/{k.replace('~', '~0').replace('/', '~1')}")
        ]
    if isinstance(node, list):
        return [pair for i, v in enumerate(node) for pair in _text_values(v, f"{pointer}/{i}")]
    if isinstance(node, str) or (isinstance(node, int) and not isinstance(node, bool)):
        return [(pointer, str(node))]
    return []


def test_nothing_identifier_shaped_is_left_unmarked(records: tuple[corpus.Record, ...]) -> None:
    unmarked = []
    for r in records[:1500]:
        spans: dict[str, list[tuple[int, int]]] = {}
        for pointer, start, end in _spans(r):
            spans.setdefault(pointer, []).append((start, end))
        for pointer, text in _text_values(r.doc):
            for shape in _NAIVE_SHAPES:
                for m in shape.finditer(text):
                    if not any(a < m.end() and m.start() < b for a, b in spans.get(pointer, [])):
                        unmarked.append((r.kind, pointer, m[0]))
    assert unmarked == []


# --- hard negatives -------------------------------------------------------------------------------------------------


def test_hard_negatives_are_common(records: tuple[corpus.Record, ...]) -> None:
    assert sum(bool(r.negatives) for r in records) >= 0.2 * len(records)
    reasons = Counter(n.reason for r in records for n in r.negatives)
    assert set(reasons) == set(corpus.NEGATIVE_REASONS)


def _compact(text: str) -> str:
    return re.sub(r"[ \-]", "", text)


def test_negatives_fail_their_check(records: tuple[corpus.Record, ...]) -> None:
    for _, t in _negative_texts(records, "ric_bad_check"):
        assert len(t) == 18, t
        assert ric.calc_check_digit(t) != t[17], t
    for _, t in _negative_texts(records, "ric_bad_date"):
        assert ric.calc_check_digit(t) == t[17], t
        assert not _valid_date(int(t[6:10]), int(t[10:12]), int(t[12:14])), t
    for _, t in _negative_texts(records, "card_bad_luhn"):
        assert not luhn.is_valid(_compact(t)), t
    for _, t in _negative_texts(records, "nric_bad_check"):
        assert re.fullmatch(r"[STFGM][0-9]{7}[A-Z]", t), t
        assert not nric_ok(t), t
    for _, t in _negative_texts(records, "uen_bad_check"):
        assert not uen.is_valid(t), t
    for _, t in _negative_texts(records, "uscc_bad_check"):
        assert len(t) == 18, t
        assert not uscc.is_valid(t), t
    for _, t in _negative_texts(records, "iban_bad_check"):
        assert not iban.is_valid(t), t


def test_numeric_negatives_are_no_identifier(records: tuple[corpus.Record, ...]) -> None:
    """Digit strings among the negatives pass neither Luhn (at card length) nor the mobile table."""
    for r in records:
        for n in r.negatives:
            digits = _compact(corpus.value_text(r.doc, n.pointer)[n.start : n.end])
            if not digits.isdigit():
                continue
            assert not (13 <= len(digits) <= 19 and luhn.is_valid(digits)), (n.reason, digits)
            assert not cn_mobile_ok(digits), (n.reason, digits)


def test_shaped_negatives_have_the_shape_they_imitate(records: tuple[corpus.Record, ...]) -> None:
    for _, t in _negative_texts(records, "serial_unallocated_mobile"):
        assert re.fullmatch(r"1[0-9]{10}", t), t
    for context, t in _negative_texts(records, "sku_8digit"):
        assert re.fullmatch(r"[89][0-9]{7}", t), t
        assert not re.search(r"phone|mobile|tel|手机|电话", context, re.IGNORECASE), context
    for context, t in _negative_texts(records, "version_string"):
        assert ipaddress.ip_address(t).version == 4, t  # IP-shaped on purpose
        assert re.search(r"(?:version|build)[=\s]*$", context, re.IGNORECASE), context
    for _, t in _negative_texts(records, "timestamp_ms"):
        assert re.fullmatch(r"1[0-9]{12}", t), t
    for context, t in _negative_texts(records, "religion_none"):
        assert re.search(r"religi|宗教|zongjiao|zjxy", context), context
        assert t in ("N/A", "无", "none", "不适用", "-", "无宗教信仰"), t


# --- value_text -------------------------------------------------------------------------------------------------------


def test_value_text_follows_rfc_6901() -> None:
    doc = {"a/b": {"m~n": ["x", 123, True, 1.5, None]}, "": "empty key", "s": " pad "}
    assert corpus.value_text(doc, "/a~1b/m~0n/0") == "x"
    assert corpus.value_text(doc, "/a~1b/m~0n/1") == "123"
    assert corpus.value_text(doc, "/") == "empty key"
    assert corpus.value_text(doc, "/s") == " pad "
    assert corpus.value_text("root", "") == "root"
    for pointer in (
        "/a~1b/m~0n/2",
        "/a~1b/m~0n/3",
        "/a~1b/m~0n/4",
        "/a~1b/m~0n/01",
        "/a~1b/m~0n/5",
        "/a~1b",
        "a",
        "/zz",
    ):
        with pytest.raises(KeyError):
            corpus.value_text(doc, pointer)


# --- scorer -----------------------------------------------------------------------------------------------------------


def _one(doc: Any, *labels: tuple[str, str, int, int]) -> list[corpus.Record]:
    return [corpus.Record(doc, tuple(corpus.Label(*x) for x in labels), "hand")]


def test_overlap_matches_and_adjacency_does_not() -> None:
    records = _one({"t": "x" * 20}, ("/t", "email", 5, 10))
    assert corpus.score(records, [[("/t", "email", 8, 12)]])["email"] == corpus.Counts(1, 0, 0)
    assert corpus.score(records, [[("/t", "email", 10, 12)]])["email"] == corpus.Counts(0, 1, 1)
    assert corpus.score(records, [[("/t", "cn_mobile", 5, 10)]])["email"] == corpus.Counts(0, 0, 1)
    assert corpus.score(records, [[("/t", "cn_mobile", 5, 10)]])["cn_mobile"] == corpus.Counts(0, 1, 0)
    assert corpus.score(records, [[("/u", "email", 5, 10)]])["email"] == corpus.Counts(0, 1, 1)


def test_matching_is_one_to_one_and_maximal() -> None:
    one_label = _one({"t": "x" * 20}, ("/t", "email", 5, 10))
    assert corpus.score(one_label, [[("/t", "email", 5, 10), ("/t", "email", 6, 9)]])["email"] == corpus.Counts(1, 1, 0)
    two_labels = _one({"t": "x" * 20}, ("/t", "health", 0, 5), ("/t", "health", 6, 10))
    assert corpus.score(two_labels, [[("/t", "health", 0, 10)]])["health"] == corpus.Counts(1, 0, 1)
    # A greedy matcher would pair the wide prediction with the first label and leave the narrow one unmatched.
    wide_first = [("/t", "health", 0, 10), ("/t", "health", 0, 3)]
    assert corpus.score(two_labels, [wide_first])["health"] == corpus.Counts(2, 0, 0)


def test_whole_value_predictions() -> None:
    records = _one({"m": "  13912345678 ", "n": 13912345678, "blank": "   "}, ("/m", "cn_mobile", 2, 13))
    records[0] = corpus.Record(records[0].doc, (*records[0].labels, corpus.Label("/n", "cn_mobile", 0, 11)), "hand")
    found = [("/m", "cn_mobile", 0, None), ("/n", "cn_mobile", 0, None), ("/blank", "cn_mobile", 0, None)]
    assert corpus.score(records, [found])["cn_mobile"] == corpus.Counts(2, 1, 0)
    # Only the padding: a whole-value prediction compares the stripped text, so it misses a label on the spaces.
    padded = _one({"m": "ab  "}, ("/m", "email", 2, 4))
    assert corpus.score(padded, [[("/m", "email", 0, None)]])["email"] == corpus.Counts(0, 1, 1)


def test_unresolvable_predictions_and_unknown_detectors_are_false_positives() -> None:
    records = _one({"a": [1, 2]}, ("/a/0", "cn_mobile", 0, 1))
    counts = corpus.score(records, [[("/a/9", "cn_mobile", 0, None), ("/a/1", "made_up", 0, 1)]])
    assert counts["cn_mobile"] == corpus.Counts(0, 1, 1)
    assert counts["made_up"] == corpus.Counts(0, 1, 0)
    assert corpus.overall(counts) == corpus.Counts(0, 2, 1)


def test_precision_and_recall_edges() -> None:
    assert corpus.Counts(0, 0, 5).precision == 1.0
    assert corpus.Counts(0, 0, 5).recall == 0.0
    assert corpus.Counts(0, 3, 0).recall == 1.0
    assert corpus.Counts(3, 1, 2).precision == 0.75
    assert corpus.Counts(3, 1, 2).recall == 0.6
    counts = corpus.score(_one({"t": "x"}, ("/t", "iban", 0, 1)), [[]])
    assert counts["iban"].precision == 1.0
    assert counts["iban"].recall == 0.0
    assert set(counts) == set(corpus.DETECTORS)
    with pytest.raises(ValueError, match="zip"):
        corpus.score(_one({"t": "x"}), [[], []])


def test_labels_as_predictions_score_perfectly(records: tuple[corpus.Record, ...]) -> None:
    sample = records[:600]
    exact = [[(x.pointer, x.detector, x.start, x.end) for x in r.labels] for r in sample]
    counts = corpus.score(sample, exact)
    assert all(c.fp == 0 and c.fn == 0 for c in counts.values())
    whole = [
        [
            (
                x.pointer,
                x.detector,
                0,
                None if corpus.value_text(r.doc, x.pointer).strip() == _label_text(r, x) else x.end,
            )
            for x in r.labels
        ]
        for r in sample
    ]
    counts = corpus.score(sample, whole)
    assert all(c.fp == 0 and c.fn == 0 for c in counts.values())


def _label_text(record: corpus.Record, label: corpus.Label) -> str:
    return corpus.value_text(record.doc, label.pointer)[label.start : label.end]


def test_main_writes_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "corpus.jsonl"
    monkeypatch.setattr(sys, "argv", ["corpus.py", "--count", "40", "--seed", "3", "--out", str(out)])
    corpus.main()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 40
    first = json.loads(lines[0])
    expected = corpus.generate(1, seed=3)[0]
    assert first["kind"] == expected.kind
    assert first["doc"] == expected.doc
    assert [tuple(x) for x in first["labels"]] == [(x.pointer, x.detector, x.start, x.end) for x in expected.labels]
    printed = capsys.readouterr().out
    assert "40 records" in printed
    assert "cn_resident_id" in printed
