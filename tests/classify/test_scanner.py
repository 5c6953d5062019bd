"""The scanner: JSON pointers, spans, key context, individuals, and robustness on arbitrary JSON.

All identifiers are made up (check characters computed) or published test values (S1234567D from
hanchiang/NRIC-checker, 4111 1111 1111 1111 from card networks' test numbers, the GB 11643-1999 example
11010519491231002X; see tests/vectors/SOURCES.md).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric

from gateway.classify import DETECTOR_CATEGORIES, Classifier, CustomDetector, scan, scan_text
from gateway.classify.age import flag_minors
from gateway.classify.catalogue import ORGANISATION_DETECTORS
from gateway.classify.validators import VALIDATORS, WEAK_VALIDATORS
from gateway.model import Finding, Json

# Found in free text by their cue ("诊断：", "密码 ", "姓名：", "DOB:", "Singapore 123456"), not by their shape.
FREE_TEXT_ONLY = frozenset({"health", "credential", "person_name", "date_of_birth", "postal_address", "religion"})
CN_ID = "11010519491231002X"
CN_MOBILE = "13800138000"
CN_MOBILE_2 = "13900139000"
NRIC = "S1234567D"
CARD = "4111 1111 1111 1111"
EMAIL = "zhang.san@example.com"


def _resolve(doc: Json, pointer: str) -> Json:
    """Follow an RFC 6901 pointer."""
    node = doc
    if pointer == "":
        return node
    assert pointer.startswith("/")
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            assert token.isdigit()
            node = node[int(token)]
        else:
            assert isinstance(node, dict)
            node = node[token]
    return node


def _spans(findings: tuple[Finding, ...]) -> list[tuple[str, str, int, int | None]]:
    return [(f.pointer, f.detector, f.start, f.end) for f in findings]


# --- pointers --------------------------------------------------------------------------------------------------


def test_pointers_for_nested_objects_and_arrays() -> None:
    """Findings in nested objects and arrays carry the RFC 6901 pointer of their value."""
    doc: Json = {"a": {"b": [{"c": CN_MOBILE}, "x", [NRIC]]}, "d": [[EMAIL]]}
    result = scan(doc)
    assert _spans(result.findings) == [
        ("/a/b/0/c", "cn_mobile", 0, None),
        ("/a/b/2/0", "sg_nric_fin", 0, None),
        ("/d/0/0", "email", 0, None),
    ]


def test_pointers_escape_slash_and_tilde() -> None:
    """'~' becomes '~0' and '/' becomes '~1' in pointer tokens, and the pointers resolve."""
    doc: Json = {"a/b": {"m~n": CN_MOBILE}, "~1": [EMAIL], "": NRIC}
    result = scan(doc)
    assert [f.pointer for f in result.findings] == ["/", "/a~1b/m~0n", "/~01/0"]
    for finding in result.findings:
        assert isinstance(_resolve(doc, finding.pointer), str)


def test_root_string_and_root_array() -> None:
    """A bare top-level string has pointer "" and so has its subject; array elements at the root too."""
    assert _spans(scan(CN_MOBILE).findings) == [("", "cn_mobile", 0, None)]
    assert [s.pointer for s in scan(CN_MOBILE).subjects] == [""]
    result = scan([CN_MOBILE, {"email": EMAIL}])
    assert _spans(result.findings) == [("/0", "cn_mobile", 0, None), ("/1/email", "email", 0, None)]
    assert [s.pointer for s in result.subjects] == ["", "/1"]


# --- embedded identifiers --------------------------------------------------------------------------------------


def test_embedded_identifiers_get_their_spans() -> None:
    """Identifiers inside free text are reported with the offsets of the match in that string."""
    text = f"客户手机{CN_MOBILE}\uff0c身份证 {CN_ID}; card {CARD}, mail {EMAIL} NRIC {NRIC}."
    findings = scan({"remark": text}).findings
    got = [(f.detector, text[f.start : f.end or 0], f.confidence) for f in findings]
    assert got == [
        ("cn_mobile", CN_MOBILE, 0.6),
        ("cn_resident_id", CN_ID, 0.6),
        ("bank_card", CARD, 0.6),
        ("email", EMAIL, 0.6),
        ("sg_nric_fin", NRIC, 0.6),
    ]


def test_embedded_phone_with_country_code_and_separators() -> None:
    """A +86 prefix and 3-4-4 grouping are part of the match."""
    text = "call +86 138-0013-8000 after 6pm"
    (finding,) = scan_text(text)
    assert text[finding.start : finding.end] == "+86 138-0013-8000"


def test_numbers_inside_longer_runs_are_not_identifiers() -> None:
    """Digits touching more digits, letters or a decimal point are not taken out of their run."""
    for text in [
        f"order 99{CN_MOBILE}12",
        f"ref A{CN_MOBILE}",
        f"{CN_MOBILE}B",
        f"amount 0.{CN_MOBILE}",
        f"id{NRIC}",
    ]:
        assert scan_text(text) == (), text


def test_separated_numbers_are_found_one_by_one() -> None:
    """Identifiers written next to each other with single spaces are each found."""
    text = f"{CN_MOBILE} {CN_MOBILE_2}"
    assert [(f.start, f.end) for f in scan_text(text)] == [(0, 11), (12, 23)]


def test_number_in_an_address_belongs_to_the_address() -> None:
    """A mobile number used as the local part of an email address is one email finding."""
    assert _spans(scan_text(f"mail {CN_MOBILE}@example.com")) == [("", "email", 5, 28)]
    assert _spans(scan({"email": f"{CN_MOBILE}@example.com"}).findings) == [("/email", "email", 0, None)]


def test_scan_text_on_url_path_and_query() -> None:
    """Bare strings such as URL paths report spans with pointer ""."""
    text = f"/v1/customers/{CN_MOBILE}/orders?id={CN_ID}&page=2"
    findings = scan_text(text)
    assert [(f.pointer, text[f.start : f.end or 0]) for f in findings] == [("", CN_MOBILE), ("", CN_ID)]
    assert scan_text("/v1/orders?page=2&since=2024-05-01") == ()


# --- context and numbers ---------------------------------------------------------------------------------------


def test_key_context_raises_confidence() -> None:
    """A key naming the identifier gives 0.95; a whole value without it 0.8."""
    result = scan({"手机号": CN_MOBILE, "value": CN_MOBILE_2, "idCardNo": CN_ID, "contactEmail": EMAIL})
    assert {f.pointer: f.confidence for f in result.findings} == {
        "/手机号": 0.95,
        "/value": 0.8,
        "/idCardNo": 0.95,
        "/contactEmail": 0.95,
    }


def test_eight_digit_numbers_need_phone_context_or_plus65() -> None:
    """An 8-digit number is a Singapore mobile under a phone key, with +65, or in text right after a phone word."""
    doc: Json = {
        "phone": "91234567",
        "code": "91234567",
        "contact": "+65 9123 4567",
        "note": "call 9123 4567",
        "memo": "room 9123 4567",
        "tel": 81234567,
        "count": 81234567,
        "phones": ["8123 4567"],
    }
    assert _spans(scan(doc).findings) == [
        ("/contact", "sg_mobile", 0, None),
        ("/note", "sg_mobile", 5, 14),
        ("/phone", "sg_mobile", 0, None),
        ("/phones/0", "sg_mobile", 0, None),
        ("/tel", "sg_mobile", 0, None),
    ]


def test_numbers_as_values() -> None:
    """Integer values are checked as their decimal text; floats and booleans are not."""
    doc: Json = {"mobile": 13800138000, "n": 4111111111111111, "x": 13800138000.0, "t": True, "neg": -13800138000}
    result = scan(doc)
    assert _spans(result.findings) == [("/mobile", "cn_mobile", 0, None), ("/n", "bank_card", 0, None)]


def test_bare_eleven_digits_must_be_allocated() -> None:
    """An 11-digit number is a mobile only in an allocated range."""
    assert scan({"v": "15412345678"}).findings == ()
    assert scan({"v": 17450000000}).findings == ()


def test_ambiguous_value_follows_the_key() -> None:
    """A value valid for two detectors takes the one its key names, else the stronger."""
    value = _resident_id_that_is_also_a_card()
    assert [f.detector for f in scan({"card_no": value}).findings] == ["bank_card"]
    assert [f.detector for f in scan({"value": value}).findings] == ["cn_resident_id"]


def _resident_id_that_is_also_a_card() -> str:
    """A made-up id (address 620102, born 1990-01-01) whose check digit is also its Luhn digit: UnionPay-shaped."""
    for serial in range(1000):
        base = f"62010219900101{serial:03d}"
        check = ric.calc_check_digit(base + "0")
        if check == luhn.calc_check_digit(base):
            return base + check
    raise AssertionError("no such number")


def test_categories_override() -> None:
    """The categories argument overrides the category of the detectors it names."""
    result = scan({"email": EMAIL, "mobile": CN_MOBILE}, {"email": "PI.EMAIL"})
    assert {f.detector: f.category for f in result.findings} == {
        "email": "PI.EMAIL",
        "cn_mobile": DETECTOR_CATEGORIES["cn_mobile"],
    }


# --- subjects --------------------------------------------------------------------------------------------------


def test_subjects_grouped_per_object_with_the_strongest_key() -> None:
    """One subject per object with personal data, keyed by its strongest identifier, arrays count for it."""
    doc: Json = {
        "batch": "2024-05",
        "customers": [
            {"name": "Zhang San", "email": EMAIL, "mobile": CN_MOBILE, "idcard": CN_ID.lower()},
            {"email": "li.si@example.com", "phones": [CN_MOBILE_2, "+65 9123 4567"]},
            {"name": "no personal data"},
        ],
    }
    subjects = scan(doc).subjects
    assert [(s.pointer, s.key_detector, s.key_value, s.finding_count) for s in subjects] == [
        ("/customers/0", "cn_resident_id", f"cn_resident_id:{CN_ID}", 4),  # the name counts too
        ("/customers/1", "cn_mobile", f"cn_mobile:{CN_MOBILE_2}", 3),
    ]


def test_subject_key_is_normalised() -> None:
    """The subject key is the normalised value: country prefix and separators removed."""
    (subject,) = scan({"tel": "+86 138 0013 8000", "note": "x"}).subjects
    assert subject.key_value == f"cn_mobile:{CN_MOBILE}"
    assert "138" not in repr(subject)


def test_output_is_sorted() -> None:
    """Findings are sorted by (pointer, start) and subjects by pointer, whatever the key order."""
    doc: Json = {"z": {"m": CN_MOBILE}, "a": {"t": f"{EMAIL} {CN_MOBILE}"}, "m": [{"e": EMAIL}]}
    result = scan(doc)
    assert [(f.pointer, f.start) for f in result.findings] == sorted((f.pointer, f.start) for f in result.findings)
    assert [s.pointer for s in result.subjects] == ["/a", "/m/0", "/z"]


# --- non-personal and odd input ----------------------------------------------------------------------------------


def test_non_personal_document_has_no_findings() -> None:
    """Dates, amounts, order numbers, UUIDs, versions and timestamps are not identifiers."""
    doc: Json = {
        "order_no": "SO20240501000001",
        "created": "2024-05-01T10:00:00+08:00",
        "amount": "1234.56",
        "total": 98765432.1,
        "uuid": "550e8400-e29b-41d4-a716-446655440000",
        "version": "1.2.3",
        "ts": 1714557600000,
        "sku": ["SKU-2024-0001", "GTIN 04006381333931"],
        "text": "Shipment 3 of 5 leaves Suzhou Industrial Park on 2024-05-02 at 10:30.",
        "flags": [True, False, None],
        "empty": {},
    }
    result = scan(doc)
    assert result.findings == ()
    assert result.subjects == ()


def test_deep_nesting_does_not_recurse() -> None:
    """A document nested far deeper than the recursion limit is scanned."""
    doc: Json = {"mobile": CN_MOBILE}
    for _ in range(5000):
        doc = {"x": [doc]}
    (finding,) = scan(doc).findings
    assert finding.pointer == "/x/0" * 5000 + "/mobile"


# --- properties --------------------------------------------------------------------------------------------------

_IDENTIFIERS = [
    *(CN_ID, CN_ID.lower(), CN_MOBILE, "+86 139 0013 9000", NRIC, CARD, EMAIL, "91234567", "+65 8123 4567"),
    *("91320594MA1MB3X806", "201912345K", "GB82 WEST 1234 5698 7654 32", "192.0.2.1", "2001:db8::1"),
    *("02:00:5e:10:00:01", "31.2989, 120.5853", "苏E12345", "0512-6288 1234", "E12345678", "H12345678"),
    *("张伟", "Tan Wei Ming", "1990-05-17", "诊断：2型糖尿病（E11.9）", "密码：Abc12345!", "Religion: Buddhism"),
]
_KEYS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["mobile", "phone", "a/b", "~0", "~", "/", "手机号", "email", "name", "dob", "lat", "address"]),
    st.sampled_from(["diagnosis", "password", "religion", "face_image", "xingming", "车牌号", "version"]),
)
_STRINGS = st.one_of(
    st.text(),
    st.sampled_from(_IDENTIFIERS),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=6), st.sampled_from(_IDENTIFIERS), st.text(max_size=6)),
    st.text(alphabet="0123456789 -+@.XSTFGMstfgm", max_size=40),
)
_SCALARS: st.SearchStrategy[Json] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([13800138000, 91234567, 4111111111111111, 10**30, 31.2989, 19900517]),
    st.floats(),
    _STRINGS,
)
_JSON: st.SearchStrategy[Json] = st.recursive(
    _SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(_KEYS, children, max_size=5)),
    max_leaves=30,
)


def _check(doc: Any) -> None:
    result = scan(doc)
    for finding in result.findings:
        value = _resolve(doc, finding.pointer)
        assert isinstance(value, str | int | float)
        assert not isinstance(value, bool)
        text = repr(value) if isinstance(value, float) else str(value)
        if finding.end is None:
            assert finding.start == 0
            candidate = text.strip()
            # A whole value is what its detector accepts, on its own or (weak detectors) under the key above it.
            accepts = (
                VALIDATORS[finding.detector],
                WEAK_VALIDATORS.get(finding.detector, VALIDATORS[finding.detector]),
            )
            assert any(check(candidate) for check in accepts), (finding, candidate)
        else:
            assert isinstance(value, str)
            assert 0 <= finding.start < finding.end <= len(text)
            candidate = text[finding.start : finding.end]
            if finding.detector not in FREE_TEXT_ONLY:  # a cued phrase is judged by its cue, not on its own
                assert VALIDATORS[finding.detector](candidate), (finding, candidate)
    assert [(f.pointer, f.start) for f in result.findings] == sorted((f.pointer, f.start) for f in result.findings)
    personal = [f for f in result.findings if f.detector not in ORGANISATION_DETECTORS]
    assert sum(s.finding_count for s in result.subjects) == len(personal)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON)
def test_scan_never_raises_and_pointers_resolve(doc: Json) -> None:
    """On arbitrary JSON, scan returns findings whose pointers resolve to a value that holds what was found."""
    _check(doc)


@settings(max_examples=300, deadline=None)
@given(_STRINGS)
def test_scan_text_never_raises_and_spans_validate(text: str) -> None:
    """On arbitrary text, every finding's span is an identifier its detector accepts."""
    for finding in scan_text(text):
        assert finding.pointer == ""
        candidate = text.strip() if finding.end is None else text[finding.start : finding.end]
        assert finding.detector in FREE_TEXT_ONLY or VALIDATORS[finding.detector](candidate), (finding, candidate)


# --- edge cases found in review ------------------------------------------------------------------------------------


def test_values_the_walk_dismisses_are_those_that_hold_nothing() -> None:
    """The walk's shortcut for plain values keeps what a full look finds: an NRIC with a lower-case check letter,
    a short IPv6 address, a +65 number led by a control character."""
    found = scan({"a": "S1234567d", "b": "fe80::1", "c": "\x1c+6591234567", "d": "SHP-2026-888598"}).findings
    assert [(f.pointer, f.detector) for f in found] == [
        ("/a", "sg_nric_fin"),
        ("/b", "ip_address"),
        ("/c", "sg_mobile"),
    ]


def test_operators_detectors_see_numbers_and_keep_to_their_keys() -> None:
    """An operator's detector reads a JSON number as its decimal text; one with context words and in_text searches
    only the text under keys holding those words."""
    classifier = Classifier(
        custom=[
            CustomDetector("staff", "PI.EMPLOYEE", re.compile("[0-9]{6}"), context=("staff",)),
            CustomDetector("sip", "PI.EMPLOYEE", re.compile("SIP[0-9]{7}"), context=("staff",), in_text=True),
        ]
    )
    found = classifier.scan(
        {
            "staff_no": 123456,
            "note": "ref SIP1234567 here",
            "staff_note": "ref SIP1234567 here",
            "staff_id": "SIP1234567",
        }
    ).findings
    assert _spans(found) == [
        ("/staff_id", "sip", 0, None),
        ("/staff_no", "staff", 0, None),
        ("/staff_note", "sip", 4, 14),
    ]


def test_declared_paths_follow_rfc_6901_array_indexes() -> None:
    """An index is ASCII digits without a leading zero: "01" and "²" name no element (and do not raise)."""
    classifier = Classifier(paths={"/a/²": "PI.BASIC", "/a/01": "PI.BASIC", "/a/1": "PI.EMPLOYEE"})
    assert [(f.pointer, f.category) for f in classifier.scan({"a": [0, 1]}).findings] == [("/a/1", "PI.EMPLOYEE")]


def test_a_fifteen_digit_resident_id_keys_its_holder_by_the_eighteen_digit_form() -> None:
    """Both forms of one number key one individual, and the birth year is read as 19YY (no false minor)."""
    old, new = "110105201205100", "11010519201205100" + ric.calc_check_digit("11010519201205100" + "0")
    (a,) = scan({"sfzh": old}).subjects
    (b,) = scan({"sfzh": new}).subjects
    assert a.key_value == b.key_value == f"cn_resident_id:{new}"
    assert flag_minors(scan({"sfzh": old}), date(2025, 1, 1)).subjects[0].categories == {"SPI.GOV_ID"}
