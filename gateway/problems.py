"""RFC 9457 problem documents. Pure.

``type`` is a relative URI, ``/problems/<kind>``, which the gateway itself serves with the kind's title and advice,
so a caller can dereference it against the gateway's own address.
"""

from __future__ import annotations

import json

from gateway.errors import PROBLEMS
from gateway.model import Json

__all__ = ["MEDIA_TYPE", "problem_document", "problem_type"]

MEDIA_TYPE = "application/problem+json"


def problem_type(kind: str) -> str:
    return f"/problems/{kind}"


def problem_document(kind: str, detail: str, **extensions: Json) -> bytes:
    """The JSON bytes of a problem document of ``kind``; ``extensions`` add members (decision id, rule, ...)."""
    known = PROBLEMS[kind]
    doc: dict[str, Json] = {
        "type": problem_type(kind),
        "title": known.title,
        "status": known.status,
        "detail": detail,
        "advice": known.advice,
    }
    doc.update({k: v for k, v in extensions.items() if v is not None})
    return json.dumps(doc, ensure_ascii=False).encode()
