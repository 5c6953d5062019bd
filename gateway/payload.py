"""Parse a request body within limits (step 2). Pure.

JSON must be UTF-8 (RFC 8259 s.8.1), well formed, and nested no deeper than the limit. The depth is checked on
the raw text before parsing, so a hostile document cannot exhaust the parser's recursion.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from itertools import accumulate

from gateway.errors import RequestRejected
from gateway.model import Json

__all__ = ["json_depth", "parse_json", "parse_media_type"]

_SURROGATE = re.compile("[\ud800-\udfff]")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # as signed bytes: +1, +1, -1, -1


def parse_media_type(content_type: str) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return content_type.split(";", 1)[0].strip().lower()


def json_depth(raw: bytes) -> int:
    """The nesting depth of JSON text, counting brackets outside strings.

    Done in C: strings are cut out with one regular expression, everything but brackets is deleted, brackets
    become +1 and -1, and the deepest running sum is the depth. Bytes suffice: UTF-8 continuation bytes never
    equal a quote, a backslash or a bracket.
    """
    structure = _STRING.sub(b"", raw).translate(_STEP, _NOT_BRACKET)
    return max(accumulate(array("b", structure)), default=0)


def _reject_constant(name: str) -> Json:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _has_lone_surrogate(doc: Json) -> bool:
    """Whether a string (or key) holds half of a UTF-16 surrogate pair, which no UTF-8 encoder can write."""
    stack = [doc]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return True
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
    return False


def parse_json(raw: bytes, max_depth: int) -> Json:
    """Parse ``raw`` as a JSON document, or raise :class:`RequestRejected` saying what is wrong (never quoting it)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RequestRejected("body-encoding", f"the body is not valid UTF-8 (byte offset {e.start})") from e
    if text.startswith("\ufeff"):
        text = text[1:]
    if json_depth(raw) > max_depth:
        raise RequestRejected("body-too-deep", f"the JSON document is nested deeper than {max_depth} levels")
    try:
        value: Json = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except (ValueError, RecursionError) as e:
        where = f" at line {e.lineno}, column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        raise RequestRejected("body-malformed", f"the body is not well-formed JSON{where}") from e
    if ("\\u" in text) and _has_lone_surrogate(value):  # only escapes can produce a lone surrogate
        raise RequestRejected("body-malformed", "the body holds a \\u escape of a lone UTF-16 surrogate")
    return value
