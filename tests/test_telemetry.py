"""Scrubbing personal data from log events before they are written."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.classify import scrub_text
from gateway.telemetry import scrub_personal_data

RESIDENT_ID = "11010519491231002X"  # GB 11643-1999 worked example
MOBILE = "13800138000"  # the customary placeholder number
EMAIL = "wang.fang@example.com"  # RFC 2606 domain
IDENTIFIERS = (RESIDENT_ID, MOBILE, EMAIL)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"resident id {RESIDENT_ID} rejected", "resident id {SPI.GOV_ID} rejected"),
        (f"call {MOBILE} before noon", "call {PI.CONTACT} before noon"),
        (f"mail {EMAIL}, then wait", "mail {PI.CONTACT}, then wait"),
        (
            f"id={RESIDENT_ID}; tel={MOBILE}; mail={EMAIL}",
            "id={SPI.GOV_ID}; tel={PI.CONTACT}; mail={PI.CONTACT}",
        ),
        (f"身份证号{RESIDENT_ID}\uff0c手机号{MOBILE}", "身份证号{SPI.GOV_ID}\uff0c手机号{PI.CONTACT}"),
        (RESIDENT_ID, "{SPI.GOV_ID}"),
        ("transfer dec-0001 allowed by CN-PI-SCC-01 in 12 ms", "transfer dec-0001 allowed by CN-PI-SCC-01 in 12 ms"),
        ("", ""),
    ],
    ids=["resident-id", "mobile", "email", "all-three", "chinese-context", "whole-value", "no-personal-data", "empty"],
)
def test_scrub_text(text: str, expected: str) -> None:
    """Identifiers in free text are replaced by {CATEGORY}; the rest of the text is kept as it was."""
    assert scrub_text(text) == expected


def test_processor_scrubs_nested_values() -> None:
    """The structlog processor scrubs strings inside nested dicts, lists and tuples, and keeps other values."""
    event: dict[str, Any] = {
        "event": "transfer_refused",
        "detail": f"body quoted {MOBILE}",
        "context": {"rows": [{"note": f"id {RESIDENT_ID}"}, [f"to {EMAIL}"]], "count": 3, "ok": False},
        "pair": ("plain", EMAIL),
        "latency_ms": 12.5,
        "missing": None,
    }
    out = scrub_personal_data(None, "info", event)
    assert dict(out) == {
        "event": "transfer_refused",
        "detail": "body quoted {PI.CONTACT}",
        "context": {"rows": [{"note": "id {SPI.GOV_ID}"}, ["to {PI.CONTACT}"]], "count": 3, "ok": False},
        "pair": ["plain", "{PI.CONTACT}"],
        "latency_ms": 12.5,
        "missing": None,
    }
    assert not any(i in repr(out) for i in IDENTIFIERS)


def test_processor_scrubs_identifier_given_as_integer() -> None:
    """A mobile number logged as an integer is scrubbed too (the classifier reads integers as their digits)."""
    out = scrub_personal_data(None, "info", {"event": "lookup", "phone": int(MOBILE), "rows": [int(MOBILE)]})
    assert MOBILE not in repr(dict(out))


def test_processor_scrubs_identifier_used_as_dict_key() -> None:
    """An identifier that appears as a key of a nested dict does not survive into the log line."""
    out = scrub_personal_data(None, "info", {"event": "per_subject", "results": {MOBILE: "sent", EMAIL: "failed"}})
    assert not any(i in repr(dict(out)) for i in IDENTIFIERS)
