"""Planning and applying obligations on JSON bodies: redact, mask, pseudonymise and generalise dates, chosen by
categories, detectors and paths, with their precedence; and removing the records of dropped individuals."""

from __future__ import annotations

import copy
import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.classify import scan
from gateway.classify.age import AGE_DETECTOR
from gateway.classify.declared import DECLARED_DETECTOR
from gateway.model import Classification, Finding, Json, Obligation
from gateway.policy.obligations import (
    PSEUDONYM_PREFIX,
    REDACTED,
    Edit,
    apply_edits,
    drop_subjects,
    plan_edits,
)

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


# --- choosing values: categories, detectors, paths ------------------------------------------------------------


def test_plan_by_detector_takes_only_that_detectors_findings() -> None:
    """An obligation naming a detector edits its findings and not others of the same category."""
    c = Classification(
        (
            Finding("/mobile", "cn_mobile", "PI.CONTACT", 0.9),
            Finding("/email", "email", "PI.CONTACT", 0.9),
        ),
        (),
    )
    edits = plan_edits(c, (Obligation("redact", (), "R", detectors=("cn_mobile",)),))
    assert edits == (Edit("/mobile", 0, None, "redact", "R"),)


def test_plan_by_path_with_wildcards() -> None:
    """``*`` stands for any one key or index; only scalar values are edited; missing members are skipped."""
    doc: Json = {
        "employees": [
            {"salary": 1000, "name": "A"},
            {"name": "B"},
            {"salary": {"base": 1, "bonus": 2}, "name": "C"},
            {"salary": "2000"},
        ],
        "salary": 5,
    }
    edits = plan_edits(Classification((), ()), (Obligation("redact", (), "R", paths=("/employees/*/salary",)),), doc)
    assert [e.pointer for e in edits] == ["/employees/0/salary", "/employees/3/salary"]
    deeper = plan_edits(Classification((), ()), (Obligation("mask", (), "R", paths=("/employees/*/*",)),), doc)
    assert [e.pointer for e in deeper] == [
        "/employees/0/name",
        "/employees/0/salary",
        "/employees/1/name",
        "/employees/2/name",
        "/employees/3/salary",
    ]
    assert apply_edits(doc, edits) == {
        "employees": [
            {"salary": REDACTED, "name": "A"},
            {"name": "B"},
            {"salary": {"base": 1, "bonus": 2}, "name": "C"},
            {"salary": REDACTED},
        ],
        "salary": 5,
    }


def test_plan_by_path_escapes_keys() -> None:
    """A key holding '/' or '~' is matched by ``*`` and by its escaped name, and its edit lands on it."""
    doc: Json = {"a/b": {"c~d": MOBILE}, "a": {"b": MOBILE}}
    star = plan_edits(Classification((), ()), (Obligation("redact", (), "R", paths=("/*/c~0d",)),), doc)
    assert [e.pointer for e in star] == ["/a~1b/c~0d"]
    named = plan_edits(Classification((), ()), (Obligation("redact", (), "R", paths=("/a~1b/*",)),), doc)
    assert [e.pointer for e in named] == ["/a~1b/c~0d"]
    assert apply_edits(doc, named) == {"a/b": {"c~d": REDACTED}, "a": {"b": MOBILE}}


def test_plan_by_path_into_a_list_by_index() -> None:
    """A numeric token names a list index; one past the end names nothing."""
    doc: Json = {"rows": [MOBILE, EMAIL]}
    obligations = (Obligation("redact", (), "R", paths=("/rows/1", "/rows/2")),)
    assert [e.pointer for e in plan_edits(Classification((), ()), obligations, doc)] == ["/rows/1"]


def test_plan_ignores_marker_findings() -> None:
    """The age mark and declared categories mark a record or the body, not a value: they are never edited."""
    c = Classification(
        (
            Finding("", DECLARED_DETECTOR, "IMP.DATA", 1.0),
            Finding("/child", AGE_DETECTOR, "SPI.MINOR_U14", 1.0),
            Finding("/child/id", "cn_resident_id", "SPI.GOV_ID", 0.9),
        ),
        (),
    )
    edits = plan_edits(
        c,
        (Obligation("redact", ("IMP.DATA", "SPI.MINOR_U14", "SPI.GOV_ID"), "R", detectors=(AGE_DETECTOR,)),),
    )
    assert [e.pointer for e in edits] == ["/child/id"]


def test_plan_leaves_out_values_inside_dropped_records() -> None:
    """Nothing inside a dropped record is edited; a record whose pointer merely starts alike is still edited."""
    c = Classification(
        tuple(Finding(f"/people/{i}/mobile", "cn_mobile", "PI.CONTACT", 0.9) for i in (1, 10, 2)),
        (),
    )
    edits = plan_edits(c, (Obligation("mask", ("PI.CONTACT",), "M"),), None, ("/people/1",))
    assert [e.pointer for e in edits] == ["/people/10/mobile", "/people/2/mobile"]


# --- precedence -------------------------------------------------------------------------------------------------

ACTIONS = {
    "redact": Obligation("redact", ("PI.BASIC",), "R-redact"),
    "pseudonymise": Obligation("pseudonymise", ("PI.BASIC",), "R-pseudonymise", key="k1"),
    "generalise": Obligation("generalise", ("PI.BASIC",), "R-generalise", to="year"),
    "mask": Obligation("mask", ("PI.BASIC",), "R-mask", keep_last=2),
}
STRENGTH = ["redact", "pseudonymise", "generalise", "mask"]


@pytest.mark.parametrize("size", [2, 3, 4])
def test_strongest_obligation_wins_whatever_the_order(size: int) -> None:
    """redact > pseudonymise > generalise > mask, for every subset and order of obligations on one value."""
    c = Classification((Finding("/born", "test", "PI.BASIC", 0.9),), ())
    for chosen in itertools.permutations(ACTIONS, size):
        (edit,) = plan_edits(c, tuple(ACTIONS[a] for a in chosen))
        strongest = min(chosen, key=STRENGTH.index)
        assert (edit.action, edit.rule_id) == (strongest, f"R-{strongest}"), chosen


def test_path_and_category_obligations_on_one_whole_value_keep_the_strongest() -> None:
    """A path redaction and a category mask of the same whole value plan one edit: the redaction."""
    c = Classification((Finding("/mobile", "cn_mobile", "PI.CONTACT", 0.9),), ())
    doc: Json = {"mobile": MOBILE}
    obligations = (Obligation("mask", ("PI.CONTACT",), "M"), Obligation("redact", (), "R", paths=("/mobile",)))
    assert plan_edits(c, obligations, doc) == (Edit("/mobile", 0, None, "redact", "R"),)


def test_path_redaction_of_free_text_wins_over_a_mask_inside_it() -> None:
    """Redacting a note by path redacts all of it, even where a mask reaches a phone number inside the note.

    plan_edits keeps both edits (keyed by span), and _edit_text applies the span first and then skips the whole-value
    redaction as overlapping: the rest of the note leaves in clear, against "redaction wins".
    """
    doc: Json = {"note": f"call {MOBILE} about the secret plan"}
    obligations = (
        Obligation("mask", ("PI.CONTACT",), "M", keep_last=4),
        Obligation("redact", (), "R", paths=("/note",)),
    )
    edits = plan_edits(scan(doc), obligations, doc)
    assert apply_edits(doc, edits) == {"note": REDACTED}


# --- pseudonymise and generalise --------------------------------------------------------------------------------

KEYS = {"k1": b"\x01" * 32, "k2": b"\x02" * 32}


def _pseudonymised(value: Json, key: str) -> Json:
    out = apply_edits({"v": value}, (Edit("/v", 0, None, "pseudonymise", "P", param=key),), KEYS)
    assert isinstance(out, dict)
    return out["v"]


def test_pseudonym_is_deterministic_per_key_and_differs_across_keys_and_values() -> None:
    """The same value under the same key gives the same pseudonym; another key or value gives another."""
    first = _pseudonymised(MOBILE, "k1")
    assert isinstance(first, str)
    assert re.fullmatch(re.escape(PSEUDONYM_PREFIX) + r"[a-z2-7]{24}", first)
    assert _pseudonymised(MOBILE, "k1") == first
    assert _pseudonymised(MOBILE, "k2") != first
    assert _pseudonymised("13800138001", "k1") != first
    assert MOBILE not in first
    assert _pseudonymised(13800138000, "k1") == first  # a number is pseudonymised as its decimal text


def test_pseudonymise_a_span_inside_text() -> None:
    """Inside free text only the identifier is replaced."""
    text = f"call {MOBILE} now"
    start = text.index(MOBILE)
    out = apply_edits({"v": text}, (Edit("/v", start, start + len(MOBILE), "pseudonymise", "P", param="k1"),), KEYS)
    assert out == {"v": f"call {_pseudonymised(MOBILE, 'k1')} now"}


@pytest.mark.parametrize(
    ("value", "to", "expected"),
    [
        ("1990-05-04", "year", "1990"),
        ("1990-05-04", "month", "1990-05"),
        ("1990-05", "year", "1990"),
        ("1990-05-04T10:00:00+08:00", "month", "1990-05"),
        (" 1990-05-04 ", "year", "1990"),
        ("next Tuesday", "year", REDACTED),
        ("04/05/1990", "month", REDACTED),
        (19900504, "year", REDACTED),
        ("", "year", REDACTED),
    ],
)
def test_generalise_dates(value: Json, to: str, expected: str) -> None:
    """A date becomes its year or month; anything that is not such a date is redacted."""
    out = apply_edits({"v": value}, (Edit("/v", 0, None, "generalise", "G", param=to),))
    assert out == {"v": expected}


def test_obligation_parameters_reach_the_edit() -> None:
    """A pseudonymise's key name and a generalise's precision are carried in ``param``."""
    c = Classification((Finding("/a", "t", "PI.BASIC", 0.9), Finding("/b", "t", "PI.EMPLOYEE", 0.9)), ())
    edits = plan_edits(
        c,
        (
            Obligation("pseudonymise", ("PI.BASIC",), "P", key="k2"),
            Obligation("generalise", ("PI.EMPLOYEE",), "G", to="month"),
        ),
    )
    assert [(e.pointer, e.action, e.param) for e in edits] == [
        ("/a", "pseudonymise", "k2"),
        ("/b", "generalise", "month"),
    ]


# --- dropping individuals ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "pointers", "expected"),
    [
        ({"people": ["a", "b", "c", "d"]}, ("/people/0", "/people/2"), {"people": ["b", "d"]}),
        ({"people": ["a", "b", "c", "d"]}, ("/people/2", "/people/0"), {"people": ["b", "d"]}),
        ({"people": ["a", "b", "c"]}, ("/people/0", "/people/1", "/people/2"), {"people": []}),
        ({"a": {"x": 1}, "b": {"y": 2}}, ("/b",), {"a": {"x": 1}}),
        (
            {"groups": [{"m": ["a", "b", "c"]}, {"m": ["d", "e"]}]},
            ("/groups/0/m/1", "/groups/1/m/0", "/groups/0/m/2"),
            {"groups": [{"m": ["a"]}, {"m": ["e"]}]},
        ),
        ({"rows": [{"p": ["a", "b"]}, "x"]}, ("/rows/0/p/0", "/rows/0"), {"rows": ["x"]}),
        ([{"a": 1}, {"b": 2}, {"c": 3}], ("/1",), [{"a": 1}, {"c": 3}]),
        ({"k/1": 1, "k~2": 2, "k": 3}, ("/k~11", "/k~02"), {"k": 3}),
        ({"p": ["a"]}, ("/p/5", "/q", "/p/0/x", ""), {"p": ["a"]}),
    ],
    ids=[
        "list-items",
        "list-items-any-order",
        "whole-list",
        "member",
        "nested-lists",
        "record-and-inside-it",
        "top-level-list",
        "escaped-keys",
        "absent-and-root-ignored",
    ],
)
def test_drop_subjects(doc: Json, pointers: tuple[str, ...], expected: Json) -> None:
    """Records are removed by pointer without shifting the other indices; the input stays unchanged."""
    before = copy.deepcopy(doc)
    assert drop_subjects(doc, pointers) == expected
    assert doc == before


def test_drop_nothing_returns_the_document() -> None:
    doc: Json = {"a": 1}
    assert drop_subjects(doc, ()) is doc
    assert drop_subjects("text", ("/0",)) == "text"


def test_apply_edits_leaves_the_input_unchanged_with_every_action() -> None:
    """All four actions on a nested document: the output is edited, the input is not."""
    doc: Json = {"p": [{"n": "王芳", "b": "1990-05-04", "m": MOBILE, "e": EMAIL}], "meta": {"v": 1}}
    before = copy.deepcopy(doc)
    edits = (
        Edit("/p/0/b", 0, None, "generalise", "G", param="year"),
        Edit("/p/0/e", 0, None, "redact", "R"),
        Edit("/p/0/m", 0, None, "mask", "M", 0, 4),
        Edit("/p/0/n", 0, None, "pseudonymise", "P", param="k1"),
    )
    out = apply_edits(doc, edits, KEYS)
    assert doc == before
    assert isinstance(out, dict)
    assert isinstance(doc, dict)
    assert out["meta"] is doc["meta"]  # untouched parts are shared, not copied
    assert out["p"] == [{"n": _pseudonymised("王芳", "k1"), "b": "1990", "m": "*******8000", "e": REDACTED}]


# --- never raise ------------------------------------------------------------------------------------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from([MOBILE, EMAIL, RESIDENT_ID, f"call {MOBILE}", "1990-05-04"])
)
_KEYS = st.text(max_size=4) | st.sampled_from(["mobile", "email", "a/b", "~", "0", "1", ""])
JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)
_TOKENS = st.sampled_from(["*", "0", "1", "mobile", "email", "a~1b", "~0", "", "x"])
PATHS = st.lists(_TOKENS, max_size=4).map(lambda tokens: "".join("/" + t for t in tokens))
OBLIGATIONS = st.lists(
    st.builds(
        Obligation,
        action=st.sampled_from(["redact", "mask", "pseudonymise", "generalise"]),
        categories=st.sampled_from([(), ("PI.CONTACT",), ("SPI.GOV_ID", "PI.CONTACT")]),
        rule_id=st.just("R"),
        keep_first=st.integers(0, 5),
        keep_last=st.integers(0, 5),
        detectors=st.sampled_from([(), ("email",), ("cn_resident_id",)]),
        paths=st.lists(PATHS, max_size=3).map(tuple),
        key=st.sampled_from(["k1", "k2"]),
        to=st.sampled_from(["year", "month"]),
    ),
    max_size=4,
).map(tuple)


@given(JSON, OBLIGATIONS, st.data())
def test_plan_apply_and_drop_never_raise(doc: Json, obligations: tuple[Obligation, ...], data: st.DataObject) -> None:
    """On any JSON, with any obligations and any dropped pointers (individuals' or not), nothing raises and the
    input stays unchanged; no edit is planned inside a dropped record."""
    before = copy.deepcopy(doc)
    c = scan(doc)
    subjects = st.sampled_from([s.pointer for s in c.subjects]) if c.subjects else st.nothing()
    dropped = tuple(data.draw(st.lists(subjects | PATHS, max_size=3), label="dropped"))
    edits = plan_edits(c, obligations, doc, dropped)
    for e in edits:
        assert not any(e.pointer == d or e.pointer.startswith(d + "/") for d in dropped)
    out = drop_subjects(apply_edits(doc, edits, KEYS), dropped)
    assert doc == before
    if not edits and not dropped:
        assert out == doc
