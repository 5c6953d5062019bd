"""Planning and applying mask and redact obligations on JSON bodies."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.model import Classification, Finding, Json, Obligation
from gateway.policy.obligations import REDACTED, Edit, apply_edits, plan_edits

MOBILE = "13800138000"
EMAIL = "wang.fang@example.com"
RESIDENT_ID = "11010519491231002X"


def _finding(pointer: str, category: str, start: int = 0, end: int | None = None) -> Finding:
    return Finding(pointer, "test", category, 0.9, start, end)


def _classification(*findings: Finding) -> Classification:
    return Classification(findings, ())


def test_plan_picks_only_findings_of_the_obligation_categories() -> None:
    """Only findings whose category the obligation names become edits, sorted by pointer and start."""
    c = _classification(
        _finding("/phone", "PI.CONTACT"),
        _finding("/id", "SPI.GOV_ID"),
        _finding("/note", "PI.CONTACT", 20, 31),
        _finding("/note", "PI.CONTACT", 2, 13),
        _finding("/name", "PI.BASIC"),
    )
    edits = plan_edits(c, (Obligation("mask", ("PI.CONTACT",), "R1", keep_last=4),))
    assert edits == (
        Edit("/note", 2, 13, "mask", "R1", 0, 4),
        Edit("/note", 20, 31, "mask", "R1", 0, 4),
        Edit("/phone", 0, None, "mask", "R1", 0, 4),
    )


def test_plan_without_obligations_or_matches_is_empty() -> None:
    """No obligation, or an obligation on categories that were not found, plans no edit."""
    c = _classification(_finding("/id", "SPI.GOV_ID"))
    assert plan_edits(c, ()) == ()
    assert plan_edits(c, (Obligation("redact", ("PI.CONTACT",), "R1"),)) == ()


@pytest.mark.parametrize("redact_first", [True, False], ids=["redact-then-mask", "mask-then-redact"])
def test_redact_wins_over_mask_on_the_same_finding(redact_first: bool) -> None:
    """Where a mask and a redaction cover the same finding, whatever their order, one redact edit is planned."""
    c = _classification(_finding("/phone", "PI.CONTACT"), _finding("/name", "PI.BASIC"))
    mask = Obligation("mask", ("PI.CONTACT", "PI.BASIC"), "MASK", keep_last=4)
    redact = Obligation("redact", ("PI.CONTACT",), "REDACT")
    obligations = (redact, mask) if redact_first else (mask, redact)
    assert plan_edits(c, obligations) == (
        Edit("/name", 0, None, "mask", "MASK", 0, 4),
        Edit("/phone", 0, None, "redact", "REDACT", 0, 0),
    )


def _whole(pointer: str, action: str = "mask", keep_first: int = 0, keep_last: int = 4) -> Edit:
    return Edit(pointer, 0, None, action, "R", keep_first, keep_last)


def _span(pointer: str, text: str, part: str, action: str = "mask", keep_last: int = 4) -> Edit:
    start = text.index(part)
    return Edit(pointer, start, start + len(part), action, "R", 0, keep_last)


NOTE = f"call {MOBILE} or mail {EMAIL} today"

# (id, document, edits, expected document)
APPLY: list[tuple[str, Json, tuple[Edit, ...], Json]] = [
    ("mask-keep-last", {"phone": MOBILE}, (_whole("/phone"),), {"phone": "*******8000"}),
    ("mask-keep-first-and-last", {"phone": MOBILE}, (_whole("/phone", keep_first=3),), {"phone": "138****8000"}),
    ("mask-keeps-separators", {"email": EMAIL}, (_whole("/email"),), {"email": "****.****@*******.com"}),
    ("mask-all-when-keep-covers-value", {"pin": "1234"}, (_whole("/pin"),), {"pin": "****"}),
    ("mask-cjk", {"name": "王芳芳"}, (_whole("/name", keep_last=0),), {"name": "***"}),
    ("redact-whole", {"id": RESIDENT_ID}, (_whole("/id", "redact"),), {"id": REDACTED}),
    (
        "mask-span-in-free-text",
        {"note": f"call {MOBILE} today"},
        (_span("/note", f"call {MOBILE} today", MOBILE),),
        {"note": "call *******8000 today"},
    ),
    (
        "several-spans-in-one-string",
        {"note": NOTE},
        (_span("/note", NOTE, MOBILE), _span("/note", NOTE, EMAIL, "redact")),
        {"note": f"call *******8000 or mail {REDACTED} today"},
    ),
    (
        "several-spans-given-in-any-order",
        {"note": NOTE},
        (_span("/note", NOTE, EMAIL, "redact"), _span("/note", NOTE, MOBILE)),
        {"note": f"call *******8000 or mail {REDACTED} today"},
    ),
    (
        "escaped-pointer",
        {"a/b": {"c~d": MOBILE, "c": MOBILE}, "a": MOBILE},
        (_whole("/a~1b/c~0d"),),
        {"a/b": {"c~d": "*******8000", "c": MOBILE}, "a": MOBILE},
    ),
    (
        "tilde-zero-one-is-tilde-one-not-slash",
        {"~1": MOBILE, "/": MOBILE},
        (_whole("/~01", "redact"),),
        {"~1": REDACTED, "/": MOBILE},
    ),
    (
        "array-index",
        {"rows": [{"m": MOBILE}, {"m": MOBILE}, {"m": MOBILE}]},
        (_whole("/rows/1/m"),),
        {"rows": [{"m": MOBILE}, {"m": "*******8000"}, {"m": MOBILE}]},
    ),
    ("top-level-array", [MOBILE, EMAIL], (_whole("/1", "redact"),), [MOBILE, REDACTED]),
    ("number-masked", {"phone": 13800138000}, (_whole("/phone"),), {"phone": "*******8000"}),
    ("number-redacted", {"phone": 13800138000}, (_whole("/phone", "redact"),), {"phone": REDACTED}),
    ("whole-document-string", MOBILE, (_whole(""),), "*******8000"),
    ("missing-pointer-ignored", {"phone": MOBILE}, (_whole("/fax"), _whole("/phone/0")), {"phone": MOBILE}),
    ("index-out-of-range-ignored", [MOBILE], (_whole("/3"),), [MOBILE]),
    ("no-edits", {"phone": MOBILE}, (), {"phone": MOBILE}),
]


@pytest.mark.parametrize(("doc", "edits", "expected"), [c[1:] for c in APPLY], ids=[c[0] for c in APPLY])
def test_apply_edits(doc: Json, edits: tuple[Edit, ...], expected: Json) -> None:
    """Masks and redactions change exactly the planned values and spans, and leave the input document unchanged."""
    before = copy.deepcopy(doc)
    assert apply_edits(doc, edits) == expected
    assert doc == before


def test_apply_does_not_mutate_nested_containers() -> None:
    """Applying edits deep in a document leaves every container of the original untouched."""
    doc: Json = {"employees": [{"contact": {"phone": MOBILE, "email": EMAIL}}], "meta": {"count": 1}}
    before = copy.deepcopy(doc)
    out = apply_edits(doc, (_whole("/employees/0/contact/phone"), _whole("/employees/0/contact/email", "redact")))
    assert doc == before
    assert out == {
        "employees": [{"contact": {"phone": "*******8000", "email": REDACTED}}],
        "meta": {"count": 1},
    }


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=6), st.data())
def test_whole_value_redaction_is_idempotent(doc: dict[str, str], data: st.DataObject) -> None:
    """Redacting whole string values twice gives the same document as redacting once."""
    chosen = data.draw(st.lists(st.sampled_from(sorted(doc)), unique=True) if doc else st.just([]))
    edits = tuple(_whole("/" + k.replace("~", "~0").replace("/", "~1"), "redact") for k in chosen)
    once = apply_edits(dict(doc), edits)
    assert apply_edits(once, edits) == once
    assert isinstance(once, dict)
    for key in chosen:
        assert once[key] == REDACTED


@given(
    st.text(max_size=60),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(0, 5), st.integers(0, 5)), max_size=4),
)
def test_span_masking_is_idempotent(text: str, spans: list[tuple[int, int, int, int]]) -> None:
    """Masking spans of a string twice gives the same string as masking once, and keeps its length."""
    edits = tuple(
        Edit("/v", min(a, b, len(text)), min(max(a, b), len(text)), "mask", "R", first, last)
        for a, b, first, last in spans
    )
    once = apply_edits({"v": text}, edits)
    assert apply_edits(once, edits) == once
    assert isinstance(once, dict)
    masked = once["v"]
    assert isinstance(masked, str)
    assert len(masked) == len(text)
