"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) for audit records. Pure.

The ``rfc8785`` package is the reference implementation used here; it is written in Python and costs several
times a ``json.dumps`` per record, on the path of every transfer. Audit records keep to a profile of JSON on which
RFC 8785's output is exactly ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``:

- no floating-point numbers (RFC 8785 s.3.2.2.3 formats them as ECMAScript does, which Python's ``repr`` does not),
- integers within the IEEE 754 exact range, +-(2**53 - 1),
- object keys in ASCII, so that sorting by UTF-16 code units (s.3.2.3) and by code points agree,
- strings without lone surrogates (which RFC 8785 forbids).

Within the profile both escape the same characters the same way (s.3.2.2.2: the two-character escapes for
\\b \\t \\n \\f \\r, lowercase ``\\u00hh`` for other controls, nothing else). Values outside it go to ``rfc8785``.
``tests/audit/test_canonical.py`` checks that the two agree on generated values of the profile.
"""

from __future__ import annotations

import json
import re

import rfc8785

from gateway.model import Json

__all__ = ["canonical_json", "in_fast_profile"]

_MAX_EXACT = 2**53 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def in_fast_profile(value: Json) -> bool:
    """Whether ``value`` is within the profile on which ``json.dumps`` gives the RFC 8785 form."""
    stack: list[Json] = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)  # exact types: a subclass (of int, say) could encode differently
        if kind is str:
            if not item.isascii() and _SURROGATE.search(item):  # type: ignore[union-attr,arg-type]
                return False
        elif kind is dict:
            for key, child in item.items():  # type: ignore[union-attr]
                if not key.isascii():
                    return False
                push(child)
        elif kind is list:
            extend(item)  # type: ignore[arg-type]
        elif kind is int:
            if not -_MAX_EXACT <= item <= _MAX_EXACT:  # type: ignore[operator]
                return False
        elif item is not None and kind is not bool:  # floats, and anything that is not JSON
            return False
    return True


def canonical_json(value: Json) -> bytes:
    """The RFC 8785 canonical form of ``value`` as UTF-8 bytes."""
    if in_fast_profile(value):
        return _ENCODER.encode(value).encode()
    return bytes(rfc8785.dumps(value))
