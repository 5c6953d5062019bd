"""Parsing request bodies within limits: encoding, well-formedness, nesting depth, and media types."""

from __future__ import annotations

import json

import pytest

from gateway.errors import RequestRejected
from gateway.model import Json
from gateway.payload import json_depth, parse_json, parse_media_type

LIMIT = 32
MARKER = "MARKER-7f3a-13800138000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"name": "\xe7\x8e\x8b\xe8\x8a\xb3", "n": 1}', {"name": "王芳", "n": 1}),
        (b"[]", []),
        (b"  null ", None),
        (b'"just a string"', "just a string"),
        (b"\xef\xbb\xbf" + b'{"bom": true}', {"bom": True}),
        (b'{"a": [1, 2.5, -3e2, true, false, null]}', {"a": [1, 2.5, -300.0, True, False, None]}),
        (b'{"escaped": "\\u738b\\n"}', {"escaped": "王\n"}),
    ],
    ids=["object", "empty-array", "null", "string", "utf8-bom", "scalars", "escapes"],
)
def test_parse_json_accepts_valid_documents(raw: bytes, expected: Json) -> None:
    """Well-formed UTF-8 JSON (with or without a byte order mark) parses to the same value as json.loads."""
    assert parse_json(raw, LIMIT) == expected


def _rejected(raw: bytes, limit: int = LIMIT) -> RequestRejected:
    with pytest.raises(RequestRejected) as caught:
        parse_json(raw, limit)
    return caught.value


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": "\xff"}',
        b'{"a": "\xc0\xaf"}',  # overlong encoding of '/'
        b'{"a": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8
        b'{"a": "\xe7\x8e"}',  # truncated sequence
        b"\xff\xfe{\x00}\x00",  # UTF-16 with its byte order mark
    ],
    ids=["invalid-byte", "overlong", "encoded-surrogate", "truncated", "utf-16"],
)
def test_invalid_utf8_is_body_encoding(raw: bytes) -> None:
    """Bytes that are not UTF-8 are refused as body-encoding (400)."""
    err = _rejected(raw)
    assert err.kind == "body-encoding"
    assert err.status == 400


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"{'a': 1}", b"[1,]", b'{"a": 1} trailing', b'{"a" 1}', b"01", b'{"a": undefined}'],
    ids=[
        "empty",
        "unclosed",
        "single-quotes",
        "trailing-comma",
        "trailing-text",
        "missing-colon",
        "octal",
        "undefined",
    ],
)
def test_malformed_json_is_body_malformed(raw: bytes) -> None:
    """Text that is not JSON is refused as body-malformed."""
    assert _rejected(raw).kind == "body-malformed"


@pytest.mark.parametrize(
    "raw",
    [b"NaN", b"[Infinity]", b'{"a": -Infinity}', b'{"a": [1, NaN]}'],
    ids=["nan", "infinity", "minus-infinity", "nested-nan"],
)
def test_non_finite_constants_are_body_malformed(raw: bytes) -> None:
    """NaN and Infinity, which Python's json accepts but JSON does not (RFC 8259 s.6), are refused."""
    assert _rejected(raw).kind == "body-malformed"


@pytest.mark.parametrize("raw", [b"1e400", b'{"a": -1e999}'], ids=["overflow", "negative-overflow"])
def test_number_overflowing_to_infinity_is_refused(raw: bytes) -> None:
    """A number too large for a double would become Infinity, which cannot be forwarded as JSON; it is refused."""
    assert _rejected(raw).kind == "body-malformed"


@pytest.mark.parametrize(
    "raw", [b'{"a": "\\ud800"}', b'["\\udc00 x"]'], ids=["lone-high-surrogate", "lone-low-surrogate"]
)
def test_lone_surrogate_escape_is_refused(raw: bytes) -> None:
    """A \\u escape of a lone surrogate yields a string that cannot be encoded as UTF-8 again; it is refused."""
    assert _rejected(raw).kind in {"body-malformed", "body-encoding"}


def test_depth_at_the_limit_is_accepted_and_one_more_is_refused() -> None:
    """A document nested exactly to the limit parses; one level deeper is body-too-deep."""
    assert parse_json(b"[" * 5 + b"]" * 5, 5) == [[[[[]]]]]
    assert parse_json(b'{"a": {"b": [1]}}', 3) == {"a": {"b": [1]}}
    assert _rejected(b"[" * 6 + b"]" * 6, 5).kind == "body-too-deep"
    assert _rejected(b'{"a": {"b": [1]}}', 2).kind == "body-too-deep"


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000, b"\xef\xbb\xbf" + b"[" * 100_000],
    ids=["unclosed", "closed", "objects", "with-bom"],
)
def test_hostile_nesting_is_body_too_deep_without_crashing(raw: bytes) -> None:
    """100000 nested brackets are refused as body-too-deep, without exhausting the parser's recursion."""
    assert _rejected(raw).kind == "body-too-deep"


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b'["[[[[[[[[[[[[["]', 1),
        (b'{"{{{{": "}}}}[[[["}', 1),
        (b'["\\"[[[[[[", "]]"]', 1),
        (b'["\\\\", [[]]]', 3),
        (b"[[], [[]]]", 3),
    ],
    ids=["brackets-in-string", "braces-in-key-and-value", "escaped-quote", "escaped-backslash", "siblings"],
)
def test_brackets_inside_strings_do_not_count_toward_depth(raw: bytes, depth: int) -> None:
    """Only real nesting counts toward depth, not brackets inside strings; such documents parse at that limit."""
    assert json_depth(json.loads(raw)) == depth
    parse_json(raw, depth)


@pytest.mark.parametrize(
    ("raw", "limit", "kind"),
    [
        (f'{{"x": "{MARKER}" ,,}}'.encode(), LIMIT, "body-malformed"),
        (f'{{"{MARKER}": NaN}}'.encode(), LIMIT, "body-malformed"),
        (f'{{"x": "{MARKER}'.encode() + b'\xff"}', LIMIT, "body-encoding"),
        (f'[[[["{MARKER}"]]]]'.encode(), 2, "body-too-deep"),
        (f"{MARKER}".encode(), LIMIT, "body-malformed"),
    ],
    ids=["malformed", "nan", "encoding", "too-deep", "bare-word"],
)
def test_error_detail_never_quotes_the_body(raw: bytes, limit: int, kind: str) -> None:
    """The detail of a rejected body says what is wrong and where, but never repeats the body's content."""
    err = _rejected(raw, limit)
    assert err.kind == kind
    assert MARKER not in str(err)
    assert MARKER not in err.detail
    assert "13800138000" not in str(err)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", "application/json"),
        ("application/json; charset=utf-8", "application/json"),
        ("Application/JSON;charset=UTF-8", "application/json"),
        ("  application/json  ", "application/json"),
        ("application/problem+json; a=b; c=d", "application/problem+json"),
        ("text/plain", "text/plain"),
        ("", ""),
        (";charset=utf-8", ""),
    ],
)
def test_parse_media_type(content_type: str, expected: str) -> None:
    """The media type is the part before any parameters, trimmed and lowercased."""
    assert parse_media_type(content_type) == expected
