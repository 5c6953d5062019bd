"""Parse a request body within limits (step 2). Pure.

JSON must be UTF-8 (RFC 8259 s.8.1), well formed, and nested no deeper than the limit. The standard library's C
parser guards its own recursion (a hostile document raises RecursionError, not a crash); the limit is then checked
on the parsed document, which costs a walk over its containers only.
"""

from __future__ import annotations

import json
import math
import re

from gateway.errors import RequestRejected
from gateway.model import Json

__all__ = ["json_depth", "parse_json", "parse_media_type"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_media_type(content_type: str) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return content_type.split(";", 1)[0].strip().lower()


def json_depth(doc: Json) -> int:
    """The nesting depth of a parsed document (a scalar is 0), walking containers only, with an explicit stack."""
    deepest = 0
    stack = [(doc, 1)] if type(doc) is dict or type(doc) is list else []
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in value.values() if type(value) is dict else value:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return deepest


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
    too_deep = RequestRejected("body-too-deep", f"the JSON document is nested deeper than {max_depth} levels")
    try:
        # The C parser is recursive but guarded: past the interpreter's recursion limit it raises RecursionError.
        value: Json = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except RecursionError as e:
        raise too_deep from e
    except ValueError as e:
        where = f" at line {e.lineno}, column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        raise RequestRejected("body-malformed", f"the body is not well-formed JSON{where}") from e
    if json_depth(value) > max_depth:
        raise too_deep
    if ("\\u" in text) and _has_lone_surrogate(value):  # only escapes can produce a lone surrogate
        raise RequestRejected("body-malformed", "the body holds a \\u escape of a lone UTF-16 surrogate")
    return value
