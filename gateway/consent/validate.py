"""Consent requests, checked against the policy, and the records they become. Pure: the key and the time are passed in.

A consent request is one JSON object::

    {
      "subject": {"type": "cn_resident_id", "value": "11010519491231002X"},
      "recipients": ["sg-hr"],                    # recipient ids of the policy
      "purposes": ["payroll"],                    # each declared by at least one of those recipients
      "categories": ["PI.CONTACT", "SPI.*"],      # vocabulary ids; PREFIX.* stands for the whole family
      "separate": true,                           # separate consent (PIPL Art 39 单独同意)
      "given_by": "individual",                   # or "guardian" (a parent or guardian, for a child under 14)
      "notice": {"recipient_name": "...", ...},   # the text shown before consent, by notice field
      "given_at": "2026-03-01T09:00:00+08:00",    # RFC 3339 with a zone, not in the future
      "expires_at": null,                         # RFC 3339 after given_at, or null: until withdrawn
      "language": "zh",                           # optional: the notice's language (default by jurisdiction)
      "collection_method": "web form"             # optional: how consent was collected (Kantara collectionMethod)
    }

``subject.type`` is a detector id that keys an individual (:data:`SUBJECT_TYPES`); the value must pass that
detector's validator and is kept only as its keyed hash, as the classifier names the same person. Notice fields
required depend on the exporter's jurisdiction (:data:`REQUIRED_NOTICE`): the six PIPL Art 39 items for an exporter
in China, the PDPR reg 10(3) transfer summary for one in Singapore. The notice texts are stored with identifiers
scrubbed out.

Every bad field is reported (:class:`ConsentInvalid`), each by its JSON pointer in the request. No message quotes
the identifier, and anything else echoed back is scrubbed of identifiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.audit.record import subject_hash, timestamp
from gateway.classify import scrub_text
from gateway.classify.catalogue import DETECTOR_PRIORITY
from gateway.classify.validators import VALIDATORS, normalise
from gateway.model import Consent, Json
from gateway.policy.compiled import CompiledPolicy, Exporter, expand_category

__all__ = [
    "FUTURE_SKEW",
    "GIVEN_BY",
    "NOTICE_FIELDS",
    "REQUIRED_NOTICE",
    "SUBJECT_TYPES",
    "ConsentDraft",
    "ConsentInvalid",
    "ConsentRecord",
    "FieldError",
    "parse_consent",
    "parse_subject",
    "status",
]

PIPL_ART39 = ("recipient_name", "recipient_contact", "purpose", "method", "categories", "rights_procedure")
NOTICE_FIELDS = frozenset({*PIPL_ART39, "sg_transfer_summary"})
REQUIRED_NOTICE: dict[str, frozenset[str]] = {
    "CN": frozenset(PIPL_ART39),  # PIPL Art 39: name, contact, purpose, method, categories, how to exercise rights
    "SG": frozenset({"sg_transfer_summary"}),  # PDPR reg 10(3): the written summary of the recipient's protection
}
"""Notice fields a consent must have been given with, by the exporter's jurisdiction (others: none)."""
_ATTRIBUTES = frozenset(
    # Detectors that describe a person rather than single one out: a consent keyed by them would name no one.
    {"biometric", "person_name", "date_of_birth", "postal_address", "geo_coordinates", "health", "religion"}
    | {"credential"}
)
SUBJECT_TYPES = frozenset(d for d in DETECTOR_PRIORITY if d in VALIDATORS and d not in _ATTRIBUTES)
"""Identifier types a consent may name an individual by: the classifier's keying detectors that are identifiers."""
GIVEN_BY = frozenset({"individual", "guardian"})
DEFAULT_LANGUAGE = {"CN": "zh", "SG": "en"}
FUTURE_SKEW = timedelta(minutes=5)
"""How far ``given_at`` may lie ahead of the gateway's clock (clock skew between the enterprise and the gateway)."""
_FIELDS = frozenset(
    {"subject", "recipients", "purposes", "categories", "separate", "given_by", "notice", "given_at", "expires_at"}
    | {"language", "collection_method"}
)
_MAX_TEXT = 4000
_MAX_SHORT = 200
_MAX_ITEMS = 200


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad field: its JSON pointer in the request and what is wrong, in words that quote no identifier."""

    field: str
    message: str

    def json(self) -> dict[str, Json]:
        return {"field": self.field, "message": self.message}


class ConsentInvalid(ValueError):
    """A consent request with bad fields; ``errors`` names each one."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} bad field(s): " + "; ".join(f"{e.field or '/'}: {e.message}" for e in errors))
        self.errors = tuple(errors)


@dataclass(frozen=True, slots=True)
class ConsentDraft:
    """A valid consent request, the identifier replaced by its keyed hash; not yet stored."""

    exporter: str
    subject_type: str
    subject_hash: str
    recipients: tuple[str, ...]
    purposes: tuple[str, ...]
    categories: tuple[str, ...]  # expanded vocabulary ids, sorted
    separate: bool
    given_by: str
    notice: Mapping[str, str]  # notice field -> the text shown (identifiers scrubbed)
    given_at: datetime
    expires_at: datetime | None
    language: str
    collection_method: str


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """A stored consent: the draft, its id, when it was recorded and withdrawn, and its signed receipt."""

    id: str
    draft: ConsentDraft
    recorded_at: datetime
    withdrawn_at: datetime | None = None
    receipt: str = ""

    def consent(self) -> Consent:
        """The record as a fact of the decision."""
        d = self.draft
        return Consent(
            id=self.id,
            recipients=frozenset(d.recipients),
            purposes=frozenset(d.purposes),
            categories=frozenset(d.categories),
            separate=d.separate,
            given_by=d.given_by,
            notice=frozenset(d.notice),
            given_at=d.given_at,
            expires_at=d.expires_at,
            withdrawn=self.withdrawn_at is not None,
        )

    def json(self, now: datetime) -> dict[str, Json]:
        """The record as the API answers it: the subject by type and keyed hash only, the status at ``now``."""
        d = self.draft
        return {
            "id": self.id,
            "status": status(self, now),
            "exporter": d.exporter,
            "subject": {"type": d.subject_type, "hash": d.subject_hash},
            "recipients": list(d.recipients),
            "purposes": list(d.purposes),
            "categories": list(d.categories),
            "separate": d.separate,
            "given_by": d.given_by,
            "notice": dict(d.notice),
            "given_at": timestamp(d.given_at),
            "expires_at": None if d.expires_at is None else timestamp(d.expires_at),
            "language": d.language,
            "collection_method": d.collection_method,
            "recorded_at": timestamp(self.recorded_at),
            "withdrawn_at": None if self.withdrawn_at is None else timestamp(self.withdrawn_at),
            "receipt": self.receipt,
        }


def status(record: ConsentRecord, now: datetime) -> str:
    """``withdrawn``, ``expired`` or ``active`` at ``now``."""
    if record.withdrawn_at is not None:  # as decide() reads it: withdrawn is withdrawn, whatever the clock says
        return "withdrawn"
    expires = record.draft.expires_at
    if expires is not None and now >= expires:
        return "expired"
    return "active"


def _pointer(*parts: str | int) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _quote(value: object) -> str:
    """A caller's value as a message may echo it: short, and with any identifier replaced by its category."""
    text = value if isinstance(value, str) else type(value).__name__
    text = scrub_text(text[:_MAX_SHORT])
    return repr(text if len(text) <= 60 else text[:57] + "...")


class _Checker:
    """Collects the bad fields of one request."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def bad(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def strings(self, data: Mapping[str, Any], name: str) -> list[tuple[int, str]]:
        """A required non-empty list of strings, without duplicates (as index, value)."""
        value = data.get(name)
        if not isinstance(value, list) or not value:
            self.bad(_pointer(name), "must be a non-empty list of strings")
            return []
        if len(value) > _MAX_ITEMS:
            self.bad(_pointer(name), f"at most {_MAX_ITEMS} entries")
            return []
        out: list[tuple[int, str]] = []
        seen: set[str] = set()
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                self.bad(_pointer(name, i), "must be a non-empty string")
            elif item not in seen:
                seen.add(item)
                out.append((i, item))
        return out

    def time(self, data: Mapping[str, Any], name: str, *, required: bool) -> datetime | None:
        value = data.get(name)
        if value is None and not required:
            return None
        moment = None
        if isinstance(value, str) and len(value) <= 64:
            try:
                moment = datetime.fromisoformat(value)
                moment = moment.astimezone(UTC) if moment.tzinfo is not None else None
            except (ValueError, OverflowError):
                moment = None
        if moment is None:
            self.bad(_pointer(name), "must be an RFC 3339 time with a zone, e.g. 2026-03-01T09:00:00+08:00")
            return None
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # stored to the millisecond

    def text(self, data: Mapping[str, Any], name: str, default: str, limit: int = _MAX_SHORT) -> str:
        value = data.get(name, default)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            self.bad(_pointer(name), f"must be a non-empty string of at most {limit} characters")
            return default
        return value.strip()


def parse_subject(data: object, key: bytes) -> str:
    """The keyed hash of ``{"type": identifier type, "value": identifier}``; :class:`ConsentInvalid` if it is bad."""
    c = _Checker()
    hashed = _subject(c, data, key)
    if hashed is None:
        raise ConsentInvalid(c.errors)
    return hashed


def _subject(c: _Checker, data: object, key: bytes, at: str = "/subject") -> str | None:
    if not isinstance(data, dict):
        c.bad(at, "must be an object with 'type' and 'value'")
        return None
    kind, value = data.get("type"), data.get("value")
    for extra in sorted(set(data) - {"type", "value"}):
        c.bad(at + _pointer(scrub_text(extra)), "unknown field")
    if not isinstance(kind, str) or kind not in SUBJECT_TYPES:
        c.bad(at + "/type", f"must be one of the identifier types: {', '.join(sorted(SUBJECT_TYPES))}")
        return None
    if not isinstance(value, str) or len(value) > _MAX_SHORT or not VALIDATORS[kind](value.strip()):
        c.bad(at + "/value", f"is not a valid {kind} (the value is not repeated here)")
        return None
    return subject_hash(key, kind, normalise(kind, value.strip()))


def _categories(c: _Checker, data: Mapping[str, Any], policy: CompiledPolicy) -> tuple[str, ...]:
    found: set[str] = set()
    for i, pattern in c.strings(data, "categories"):
        matched = expand_category(pattern, policy.levels)
        if not matched:
            c.bad(_pointer("categories", i), f"unknown category {_quote(pattern)}; use vocabulary ids or PREFIX.*")
        found |= matched
    return tuple(sorted(found))


def _recipients_and_purposes(
    c: _Checker, data: Mapping[str, Any], policy: CompiledPolicy
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    recipients = []
    for i, rid in c.strings(data, "recipients"):
        if rid in policy.recipients:
            recipients.append(rid)
        else:
            c.bad(_pointer("recipients", i), f"unknown recipient {_quote(rid)}: not declared by the policy")
    declared = {p for rid in recipients for p in policy.recipients[rid].purposes}
    known = {p for r in policy.recipients.values() for p in r.purposes}
    purposes = []
    for i, purpose in c.strings(data, "purposes"):
        if purpose not in known:
            c.bad(_pointer("purposes", i), f"unknown purpose {_quote(purpose)}")
        elif recipients and purpose not in declared:
            c.bad(_pointer("purposes", i), f"purpose {purpose!r} is not declared for {', '.join(sorted(recipients))}")
        else:
            purposes.append(purpose)
    return tuple(sorted(recipients)), tuple(sorted(purposes))


def _notice(c: _Checker, data: Mapping[str, Any], exporter: Exporter) -> dict[str, str]:
    value = data.get("notice")
    if not isinstance(value, dict):
        c.bad("/notice", "must be an object of notice field -> text shown to the individual")
        return {}
    shown: dict[str, str] = {}
    for name, text in value.items():
        if name not in NOTICE_FIELDS:
            c.bad(
                _pointer("notice", scrub_text(name)), f"unknown notice field; one of {', '.join(sorted(NOTICE_FIELDS))}"
            )
        elif not isinstance(text, str) or not text.strip() or len(text) > _MAX_TEXT:
            c.bad(_pointer("notice", name), f"must be the text shown, a non-empty string of at most {_MAX_TEXT}")
        else:
            shown[name] = scrub_text(text.strip())
    for name in sorted(REQUIRED_NOTICE.get(exporter.jurisdiction, frozenset()) - set(value)):
        law = "PIPL Art 39" if exporter.jurisdiction == "CN" else "PDPR reg 10(3)"
        c.bad(_pointer("notice", name), f"missing: an exporter in {exporter.jurisdiction} must show it ({law})")
    return dict(sorted(shown.items()))


def parse_consent(data: object, policy: CompiledPolicy, exporter: Exporter, key: bytes, now: datetime) -> ConsentDraft:
    """``data`` as a :class:`ConsentDraft` of ``exporter``; :class:`ConsentInvalid` naming every bad field."""
    c = _Checker()
    if not isinstance(data, dict):
        raise ConsentInvalid([FieldError("", "a consent is a JSON object")])
    for extra in sorted(set(data) - _FIELDS):
        c.bad(_pointer(scrub_text(extra)), "unknown field")
    hashed = _subject(c, data.get("subject"), key)
    recipients, purposes = _recipients_and_purposes(c, data, policy)
    categories = _categories(c, data, policy)
    separate = data.get("separate")
    if not isinstance(separate, bool):
        c.bad("/separate", "must be true or false")
    given_by = data.get("given_by")
    if not isinstance(given_by, str) or given_by not in GIVEN_BY:
        c.bad("/given_by", "must be individual or guardian")
    notice = _notice(c, data, exporter)
    given_at = c.time(data, "given_at", required=True)
    expires_at = c.time(data, "expires_at", required=False)
    if given_at is not None and given_at > now + FUTURE_SKEW:
        c.bad("/given_at", "is in the future: record a consent once it has been given")
    if given_at is not None and expires_at is not None and expires_at <= given_at:
        c.bad("/expires_at", "must be after given_at")
    language = c.text(data, "language", DEFAULT_LANGUAGE.get(exporter.jurisdiction, "en"), limit=35)
    method = c.text(data, "collection_method", "recorded by the exporter through the gateway's consent API")
    if (
        c.errors
        or hashed is None
        or given_at is None
        or not isinstance(separate, bool)
        or not isinstance(given_by, str)
    ):
        raise ConsentInvalid(c.errors)
    return ConsentDraft(
        exporter=exporter.id,
        subject_type=str(data["subject"]["type"]),
        subject_hash=hashed,
        recipients=recipients,
        purposes=purposes,
        categories=categories,
        separate=separate,
        given_by=str(given_by),
        notice=notice,
        given_at=given_at,
        expires_at=expires_at,
        language=scrub_text(language),
        collection_method=scrub_text(method),
    )
