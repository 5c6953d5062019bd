"""Audit records: canonical encoding, and no raw identifiers (only keyed hashes of subjects)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.audit.record import decision_record, encode, subject_keys, timestamp
from gateway.model import (
    Classification,
    Decision,
    Effect,
    Finding,
    Json,
    MechanismRef,
    Principal,
    RuleHit,
    Subject,
    Transfer,
)
from gateway.policy.obligations import Edit

RESIDENT_ID = "11010519491231002X"  # the GB 11643-1999 worked example, not a real person's number
MOBILE = "13800138000"
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
RECEIVED = datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"b": 1, "a": 2}, b'{"a":2,"b":1}'),
        ({"z": {"y": [1, 2.0, "x"], "x": None}, "a": True}, b'{"a":true,"z":{"x":null,"y":[1,2,"x"]}}'),
        ({"n": 1e21, "m": 0.1, "k": -0.0}, b'{"k":0,"m":0.1,"n":1e+21}'),
        ({"\u00e9": "\u738b", "e": "\n"}, '{"e":"\\n","\u00e9":"\u738b"}'.encode()),
        ({"\U0001f600": 1, "\ufb01": 2}, '{"\U0001f600":1,"\ufb01":2}'.encode()),  # sorted by UTF-16 code units
    ],
    ids=["sorted-keys", "nested", "numbers", "non-ascii-unescaped", "utf16-order"],
)
def test_encode_is_rfc8785_canonical(record: dict[str, Json], expected: bytes) -> None:
    """encode() gives RFC 8785 JSON: keys sorted by UTF-16 code units, no whitespace, ES6 number forms, UTF-8."""
    assert encode(record) == expected


def test_encode_is_independent_of_insertion_order() -> None:
    """Two records with the same members in another order encode to the same bytes."""
    a: dict[str, Json] = {"v": 1, "kind": "decision", "rules": [{"id": "R", "effect": "allow"}]}
    b: dict[str, Json] = {"rules": [{"effect": "allow", "id": "R"}], "kind": "decision", "v": 1}
    assert encode(a) == encode(b)
    assert json.loads(encode(a)) == a


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (RECEIVED, "2026-11-27T10:00:00.123Z"),
        (datetime(2026, 11, 27, 18, 0, tzinfo=timezone(timedelta(hours=8))), "2026-11-27T10:00:00.000Z"),
    ],
    ids=["utc", "china-standard-time"],
)
def test_timestamp_is_utc_with_milliseconds(t: datetime, expected: str) -> None:
    """Record times are RFC 3339 in UTC with milliseconds and a Z."""
    assert timestamp(t) == expected


def _transfer() -> Transfer:
    return Transfer(
        decision_id="dec-0001",
        received_at=RECEIVED,
        principal=Principal("sip-precision", "hr-sync", frozenset({"enterprise"})),
        route="sg-hr",
        recipient="sg-hr",
        jurisdiction="SG",
        purpose="payroll",
        scenario="hr",
        method="POST",
        path="/employees",
        content_type="application/json",
    )


def _classification() -> Classification:
    return Classification(
        findings=(
            Finding("/employees/0/id", "cn_resident_id", "SPI.GOV_ID", 0.95),
            Finding("/employees/0/phone", "cn_mobile", "PI.CONTACT", 0.95),
            Finding("/employees/0/note", "cn_mobile", "PI.CONTACT", 0.6, 5, 16),
        ),
        subjects=(
            Subject("/employees/0", "cn_resident_id", RESIDENT_ID, 3),
            Subject("/employees/1", "cn_resident_id", RESIDENT_ID, 1),  # the same person twice
        ),
    )


def _decision() -> Decision:
    hit = RuleHit("CN-PI-SCC-01", Effect.ALLOW, "Under the standard contract.", "PIPL Art 38(3)")
    return Decision(Effect.ALLOW, hit, (hit,), "sha256:" + "ab" * 32, MechanismRef("CN_SCC", "SIP-SCC-2026-0042"), ())


EDITS = (
    Edit("/employees/0/note", 5, 16, "mask", "CN-PI-SCC-01", 0, 4),
    Edit("/employees/0/phone", 0, None, "mask", "CN-PI-SCC-01", 0, 4),
)


def _record() -> dict[str, Json]:
    return dict(
        decision_record(
            _transfer(),
            classification=_classification(),
            decision=_decision(),
            edits=EDITS,
            subject_key=KEY,
            request_digest="sha256:" + "cd" * 32,
            request_bytes=321,
            recipient_name="Merlion People Services Pte. Ltd.",
        )
    )


def test_decision_record_holds_keyed_hash_not_identifier() -> None:
    """The encoded decision record holds the HMAC of the subject's identifier and never the identifier itself."""
    encoded = encode(_record())
    expected_hmac = hmac.new(KEY, RESIDENT_ID.encode(), hashlib.sha256).hexdigest()
    assert expected_hmac.encode() in encoded
    assert RESIDENT_ID.encode() not in encoded
    assert RESIDENT_ID.lower().encode() not in encoded
    assert hashlib.sha256(RESIDENT_ID.encode()).hexdigest().encode() not in encoded  # not an unkeyed hash either
    assert RESIDENT_ID not in repr(_classification())  # key_value is left out of repr as well


def test_decision_record_content() -> None:
    """The decision record lists categories, individuals, obligations by pointer and span, rules and mechanism."""
    record = _record()
    assert record["kind"] == "decision"
    assert record["time"] == "2026-11-27T10:00:00.123Z"
    assert record["categories"] == {"PI.CONTACT": 2, "SPI.GOV_ID": 1}
    assert record["detectors"] == {"cn_mobile": 2, "cn_resident_id": 1}
    assert record["individuals"] == 2
    assert record["obligations"] == {"mask": ["/employees/0/note#5-16", "/employees/0/phone"]}
    assert record["deciding_rule"] == "CN-PI-SCC-01"
    assert record["mechanism"] == {"id": "CN_SCC", "reference": "SIP-SCC-2026-0042"}
    assert record["effect"] == "allow"
    assert record["problem"] is None
    assert json.loads(encode(record)) == record


def test_subject_keys_are_deduplicated_and_sorted() -> None:
    """Two subjects with the same identifier give one keyed hash; the list is sorted."""
    subjects = (
        Subject("/a", "cn_mobile", MOBILE, 1),
        Subject("/b", "cn_resident_id", RESIDENT_ID, 2),
        Subject("/c", "cn_mobile", MOBILE, 1),
    )
    keys = subject_keys(KEY, subjects)
    assert len(keys) == 2
    assert keys == sorted(keys)
    assert set(keys) == {hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest() for v in (MOBILE, RESIDENT_ID)}
    assert subject_keys(KEY, ()) == []


def test_subject_keys_differ_with_another_key() -> None:
    """The same identifier hashed under another gateway key gives an unrelated value."""
    subjects = (Subject("/a", "cn_resident_id", RESIDENT_ID, 1),)
    (mine,) = subject_keys(KEY, subjects)
    (theirs,) = subject_keys(OTHER_KEY, subjects)
    assert mine != theirs
    assert len(mine) == len(theirs) == 64


def test_decision_record_does_not_copy_identifier_from_a_pointer() -> None:
    """An identifier used as an object key (so inside a finding's pointer) does not reach the record verbatim."""
    classification = Classification(
        findings=(Finding(f"/by_phone/{MOBILE}", "cn_mobile", "PI.CONTACT", 0.6, 5, 16),),
        subjects=(Subject(f"/by_phone/{MOBILE}", "cn_mobile", MOBILE, 1),),
    )
    record = decision_record(
        _transfer(),
        classification=classification,
        decision=_decision(),
        edits=(Edit(f"/by_phone/{MOBILE}", 5, 16, "mask", "CN-PI-SCC-01", 0, 4),),
        subject_key=KEY,
        request_digest="sha256:" + "cd" * 32,
        request_bytes=64,
        recipient_name=None,
    )
    assert MOBILE.encode() not in encode(record)
