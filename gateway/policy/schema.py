"""The JSON Schemas of policy files, generated from the vocabulary, and their problems in an operator's words.

``policies/policy.schema.json`` lets an editor check a policy as it is typed; its category, mechanism, purpose,
jurisdiction and scenario names are the vocabulary's, so it is generated (:func:`write_schemas`) and a test keeps
the shipped files up to date. :func:`schema_problems` validates a parsed file against a schema and reports every
problem with the line and column of the offending value, in words rather than in the validator's.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from gateway.classify.catalogue import DETECTOR_CATEGORIES
from gateway.errors import ConfigError
from gateway.model import Json, Level
from gateway.policy.classification import CHECKSUMS
from gateway.policy.source import Located, child, load_yaml

__all__ = [
    "POLICY_SCHEMA",
    "TESTS_SCHEMA",
    "VOCABULARY_SCHEMA",
    "build_policy_schema",
    "build_policy_tests_schema",
    "build_vocabulary_schema",
    "generated_schemas",
    "schema_problems",
    "schema_text",
    "write_schemas",
]

Schema = dict[str, Any]

POLICY_SCHEMA = "policy.schema.json"
VOCABULARY_SCHEMA = "vocabulary.schema.json"
TESTS_SCHEMA = "policy-tests.schema.json"
_DRAFT = "https://json-schema.org/draft/2020-12/schema"

PARAMETER = r"^\$[a-z][a-z0-9_]*$"
_NAME = r"^[a-z][a-z0-9_]*$"
_KEY = r"^[a-z0-9][a-z0-9_-]*$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?)?$"
)
_POINTER = r"^(/.*)?$"
_MEDIA_TYPE = r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$"
_CATEGORY_NAME = r"^[A-Z][A-Z0-9_]*\.[A-Z0-9_]+$"
_MECHANISM_NAME = r"^[A-Z][A-Z0-9_]*$"
_JURISDICTION_NAME = r"^[A-Z]{2}$"

# What a value that does not match each pattern should look like; the value itself is never shown (it may be a key).
_PATTERN_WORDS = {
    PARAMETER: "a parameter reference is '$' and a lower_case name declared under 'parameters', e.g. $limit",
    _NAME: "must be lower-case letters, digits and '_', starting with a letter",
    _KEY: "a key name is lower-case letters, digits, '-' and '_'; never the key itself",
    _DATE: "must be a date written YYYY-MM-DD",
    _TIME: "must be a time written like 2026-06-01T09:00:00+08:00",
    _POINTER: "a path is a JSON pointer: empty or starting with '/'",
    _MEDIA_TYPE: "a media type is written type/subtype, e.g. application/json",
    _CATEGORY_NAME: "a category name is FAMILY.NAME in capitals, e.g. PI.CONTACT",
    _MECHANISM_NAME: "a mechanism name is capitals, digits and '_', e.g. CN_SCC",
    _JURISDICTION_NAME: "a jurisdiction is a two-letter code in capitals, e.g. SG",
}
NOTICE_FIELDS = ("recipient_name", "recipient_contact", "purpose", "method", "categories", "rights_procedure")
_VOCABULARY_TITLES = {"category", "mechanism", "held mechanism", "purpose", "jurisdiction", "scenario"}
_SHOWN = 64  # characters of a value a message may quote


# --- building blocks -------------------------------------------------------------------------------------------


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _described(schema: Schema, description: str) -> Schema:
    return {"description": description, **schema}


def _text(description: str) -> Schema:
    return {"description": description, "type": "string", "minLength": 1}


def _list(items: Schema, description: str) -> Schema:
    return {"description": description, "type": "array", "items": items, "minItems": 1}


def _object(
    title: str, description: str, properties: dict[str, Schema], required: Sequence[str] = (), **extra: Any
) -> Schema:
    out: Schema = {"title": title, "description": description, "type": "object", "properties": properties}
    if required:
        out["required"] = list(required)
    return {**out, "additionalProperties": False, **extra}


def _map(description: str, values: Schema, names: Schema | None = None) -> Schema:
    out: Schema = {"description": description, "type": "object"}
    if names is not None:
        out["propertyNames"] = names
    return {**out, "additionalProperties": values}


def _enum(title: str, names: Sequence[str], description: str) -> Schema:
    return {"title": title, "description": description, "type": "string", "enum": list(names)}


def _forbidden(reason: str) -> Schema:
    return {"description": reason, "not": {}}


def _section(vocabulary: Json, name: str) -> dict[str, Json]:
    section = vocabulary.get(name) if isinstance(vocabulary, dict) else None
    return section if isinstance(section, dict) else {}


def _vocabulary_defs(vocabulary: Json) -> dict[str, Schema]:
    """The names a policy may use, as enums: the vocabulary part shared by the policy and test-case schemas."""
    categories = list(_section(vocabulary, "categories"))
    families = list(dict.fromkeys(f"{c.split('.', 1)[0]}.*" for c in categories if "." in c))
    mechanisms = _section(vocabulary, "mechanisms")
    held = [m for m, spec in mechanisms.items() if not isinstance(spec, dict) or spec.get("kind", "held") == "held"]
    return {
        "category": _enum(
            "category",
            categories + families,
            "A data category of the vocabulary; FAMILY.* stands for every category of that family.",
        ),
        "category_id": _enum("category", categories, "A data category of the vocabulary (no FAMILY.* pattern)."),
        "mechanism": _enum(
            "mechanism", list(mechanisms), "A transfer mechanism or ground (出境路径) of the vocabulary, of any kind."
        ),
        "held_mechanism": _enum(
            "held mechanism",
            held,
            "A mechanism of kind 'held' in the vocabulary: one a recipient holds (contract, certification, "
            "assessment); exemptions and consent grounds are relied on by rules, never held.",
        ),
        "purpose": _enum("purpose", list(_section(vocabulary, "purposes")), "A purpose of the vocabulary."),
        "jurisdiction": _enum(
            "jurisdiction", list(_section(vocabulary, "jurisdictions")), "A country or territory of the vocabulary."
        ),
        "scenario": _enum(
            "scenario",
            list(_section(vocabulary, "scenarios")),
            "A scenario of the vocabulary a transfer may declare ('general' by default).",
        ),
        "categories": _list(_ref("category"), "Data categories; FAMILY.* (e.g. PI.*) takes a whole family."),
        "notice": _list(
            _enum(
                "notice field",
                [*NOTICE_FIELDS, "sg_transfer_summary"],
                "What the individual was told: the PIPL Art 39 items, or sg_transfer_summary (the written summary "
                "PDPR reg 10(3) requires).",
            ),
            "The notice fields shown to the individual before consent (告知事项).",
        ),
    }


# --- the policy ------------------------------------------------------------------------------------------------


def _scalar_defs() -> dict[str, Schema]:
    return {
        "parameter": {
            "title": "parameter reference",
            "description": "$name: the value of the parameter 'name' declared under 'parameters'.",
            "type": "string",
            "pattern": PARAMETER,
        },
        "count": {
            "description": "A whole number >= 0, or a $parameter.",
            "anyOf": [{"type": "integer", "minimum": 0}, _ref("parameter")],
        },
        "flag": {"description": "true or false, or a $parameter.", "anyOf": [{"type": "boolean"}, _ref("parameter")]},
        "date": {
            "description": "A day written YYYY-MM-DD (UTC+8, the time of both China and Singapore).",
            "type": "string",
            "pattern": _DATE,
            "format": "date",
        },
        "detector": {
            "title": "detector",
            "description": "A detector id of the classifier, e.g. cn_resident_id, sg_nric_fin.",
            "type": "string",
            "pattern": _NAME,
        },
        "names": _list(_text("An id."), "Ids, any one of which matches."),
    }


def _when_def() -> Schema:
    def names(ref: str, holds: str) -> Schema:
        return _list(_ref(ref), f"Holds when {holds} is one of these.")

    flag = {"exporter_listed": "the exporter is (not) in 'exporters'"}
    flag |= {
        "exporter_ciio": "the exporter is (not) a critical information infrastructure operator (关键信息基础设施运营者)"
    }
    flag |= {"recipient_related": "the recipient is (not) a related entity"}
    flag |= {"purpose_permitted": "the purpose is (not) among the recipient's purposes"}
    counts = {
        "individuals": "the individuals (数据主体) in this transfer",
        "sensitive_individuals": "the individuals in this transfer with sensitive personal information",
        "ytd_personal": "the exporter's individuals sent abroad since 1 January, this transfer included",
        "ytd_sensitive": "the exporter's individuals with sensitive personal information since 1 January, "
        "this transfer included",
    }
    properties: dict[str, Schema] = {
        "exporters": _described(_ref("names"), "Holds when the exporter (by organisation id) is one of these."),
        "exporter_listed": _described(_ref("flag"), f"Holds when {flag['exporter_listed']}."),
        "origin": names("jurisdiction", "the exporter's jurisdiction (the direction of the corridor)"),
        "exporter_ciio": _described(_ref("flag"), f"Holds when {flag['exporter_ciio']}."),
        "recipients": _described(_ref("names"), "Holds when the recipient (by id) is one of these."),
        "jurisdictions": names("jurisdiction", "the recipient's jurisdiction"),
        "recipient_related": _described(_ref("flag"), f"Holds when {flag['recipient_related']}."),
        "routes": _described(_ref("names"), "Holds when the transfer's route is one of these."),
        "purposes": names("purpose", "the transfer's purpose"),
        "scenarios": names("scenario", "the transfer's scenario"),
        "purpose_permitted": _described(_ref("flag"), f"Holds when {flag['purpose_permitted']}."),
        "categories_any": _described(_ref("categories"), "Holds when some category found is one of these."),
        "categories_none": _described(_ref("categories"), "Holds when no category found is one of these."),
        "detectors_any": _list(_ref("detector"), "Holds when some finding comes from one of these detectors."),
        "level_at_least": _described(_ref("level"), "Holds when the highest level found is at least this."),
        "level_at_most": _described(_ref("level"), "Holds when the highest level found is at most this."),
        **{k: _described(_ref("range"), f"A range of {words}.") for k, words in counts.items()},
        "has_mechanism": _list(_ref("held_mechanism"), "Holds when one of these held mechanisms is available."),
        "lacks_mechanism": _list(_ref("held_mechanism"), "Holds when none of these held mechanisms is available."),
        "all": _list(_ref("when"), "Holds when every one of these conditions holds."),
        "any": _list(_ref("when"), "Holds when at least one of these conditions holds."),
        "not": _described(_ref("when"), "Holds when this condition does not hold."),
    }
    return _object(
        "condition",
        "Conditions, every one of which must hold. Never empty: a rule that matches everything is written out.",
        properties,
        minProperties=1,
    )


def _obligation_defs() -> dict[str, Schema]:
    def selection(action: str, description: str, extra: dict[str, Schema], required: Sequence[str] = ()) -> Schema:
        selectors: dict[str, Schema] = {
            "categories": _described(_ref("categories"), "The data of these categories."),
            "detectors": _list(_ref("detector"), "The data these detectors found."),
            "paths": _list(
                {
                    "description": "A JSON pointer; '*' stands for any one key or index.",
                    "type": "string",
                    "pattern": _POINTER,
                },
                "The values at these JSON pointers.",
            ),
        }
        return _object(
            f"{action} obligation",
            f"{description} Applies to the data chosen by categories, detectors or paths (at least one).",
            selectors | extra,
            required,
            anyOf=[{"required": [name]} for name in selectors],
        )

    keep = "Letters and digits kept unmasked"
    consent = _object(
        "require_consent obligation",
        "Individuals with data of these categories need a consent record (同意) that covers this transfer.",
        {
            "categories": _described(_ref("categories"), "The categories whose individuals need consent."),
            "separate": _described(
                _ref("flag"), "Whether the consent must be separate (单独同意), given for this transfer alone."
            ),
            "given_by": _enum(
                "consenting party",
                ["individual", "guardian"],
                "Who must have given it: the guardian for children under 14 (PIPL Art 31); anyone by default.",
            ),
            "notice": _described(_ref("notice"), "What the individual must have been told (PIPL Art 39)."),
            "on_missing": _enum(
                "consequence",
                ["refuse", "drop"],
                "Without consent: refuse the transfer (default), or drop that individual's record.",
            ),
        },
        ["categories"],
    )
    return {
        "obligation": _object(
            "obligation",
            "What happens to an allowed transfer before it leaves: exactly one of these keys.",
            {
                "redact": _ref("redact"),
                "mask": _ref("mask"),
                "pseudonymise": _ref("pseudonymise"),
                "generalise_dates": _ref("generalise_dates"),
                "require_consent": _ref("require_consent"),
                "seal_evidence": _ref("seal_evidence"),
            },
            minProperties=1,
            maxProperties=1,
        ),
        "redact": selection("redact", "The value (or the identifier inside a text) becomes [REDACTED].", {}),
        "mask": selection(
            "mask",
            "Letters and digits become '*', except the first and last ones kept.",
            {
                "keep_first": _described(_ref("count"), f"{keep} at the start."),
                "keep_last": _described(_ref("count"), f"{keep} at the end."),
            },
        ),
        "pseudonymise": selection(
            "pseudonymise",
            "The value becomes 'pn:' and a keyed HMAC-SHA-256 of it.",
            {
                "key": {
                    "description": "The name of a key the gateway holds (keys/pseudonym/<name>.key), never the key.",
                    "type": "string",
                    "pattern": _KEY,
                }
            },
            ["key"],
        ),
        "generalise_dates": selection(
            "generalise_dates",
            "A date YYYY-MM-DD... becomes YYYY or YYYY-MM; a value that is not such a date is redacted.",
            {"to": _enum("precision", ["year", "month"], "What is kept of a date: its year or its month.")},
            ["to"],
        ),
        "require_consent": consent,
        "seal_evidence": _object(
            "seal_evidence obligation",
            "The body as received is encrypted to a regulator's public key (HPKE, RFC 9180) and kept beside the "
            "audit record, which commits to its digest; only that regulator can open it (gateway audit unseal).",
            {
                "for": {
                    "description": "The name of a regulator's public key the gateway holds "
                    "(keys/evidence/<name>.pub), never the key.",
                    "type": "string",
                    "pattern": _KEY,
                }
            },
            ["for"],
        ),
    }


def _rule_def() -> Schema:
    not_allow = "only an allow rule relies on a mechanism"
    properties: dict[str, Schema] = {
        "id": _text("Its unique id, cited in answers, audit records and test cases."),
        "description": _text("What it does, in words an enterprise engineer understands; shown in explanations."),
        "legal": _text("The legal reference it applies, e.g. 'PIPL Arts 28, 38; 2024 Provisions Arts 7-8' (法律依据)."),
        "when": _described(_ref("when"), "The conditions under which it applies; every one must hold."),
        "effect": {
            "description": "allow, deny (拒绝) or oblige (only adds obligations); a matching deny wins.",
            "type": "string",
            "enum": ["allow", "deny", "oblige"],
        },
        "mechanism": _list(
            _ref("mechanism"),
            "The mechanisms (出境路径) an allow rule relies on, tried in order; it matches only if one is available.",
        ),
        "obligations": _list(_ref("obligation"), "What it adds to an allowed transfer, in order."),
        "enabled": _described(_ref("flag"), "Whether it applies; false keeps the rule but never matches it."),
    }
    return _object(
        "rule",
        "A rule: when its conditions hold it matches, with its effect.",
        properties,
        ["id", "description", "legal", "when", "effect"],
        allOf=[
            {
                "if": {"properties": {"effect": {"const": "deny"}}, "required": ["effect"]},
                "then": {
                    "properties": {
                        "mechanism": _forbidden(not_allow),
                        "obligations": _forbidden("a deny rule has no obligations"),
                    }
                },
            },
            {
                "if": {"properties": {"effect": {"const": "oblige"}}, "required": ["effect"]},
                "then": {
                    "title": "oblige rule",
                    "required": ["obligations"],
                    "properties": {
                        "mechanism": _forbidden(not_allow),
                        "obligations": {"description": "What it adds to an allowed transfer."},
                    },
                },
            },
        ],
    )


def _classification_def() -> Schema:
    pointer = {"description": "A JSON pointer; '*' stands for any one member or element.", "pattern": "^/"}
    detector = _object(
        "operator's detector",
        "A detector of the operator's: a whole value matching the pattern (and its checksum), or one of the words.",
        {
            "category": _described(_ref("category"), "The category of what it finds."),
            "description": {"description": "What it finds, for reviewers.", "type": "string"},
            "pattern": _text("A regular expression (Python syntax) the whole value must match."),
            "checksum": _enum("checksum", sorted(CHECKSUMS), "A check-character algorithm the match must pass."),
            "context": _list(_text("A word."), "Only values whose key holds one of these words (any case)."),
            "words": _list(_text("A word."), "Whole values that are one of these words (any case)."),
            "in_text": {"description": "Also search free text for the pattern.", "type": "boolean"},
        },
        ["category"],
        anyOf=[{"required": ["pattern"]}, {"required": ["words"]}],
    )
    return _object(
        "classification",
        "How bodies are classified beyond the built-in detectors (docs/policy-language.md, Classification).",
        {
            "categories": _map(
                "Built-in detector id -> the category its findings get instead of the default.",
                _ref("category"),
                {"enum": sorted(DETECTOR_CATEGORIES)},
            ),
            "paths": _map("JSON pointer pattern -> the category of whatever is there.", _ref("category"), pointer),
            "subjects": _list(
                {**pointer, "type": "string"}, "The objects that are individuals (default: the nearest object)."
            ),
            "detectors": _map("The operator's own detectors, by id.", detector, {"pattern": _NAME}),
        },
    )


def _party_defs() -> dict[str, Schema]:
    held = _object(
        "mechanism held by a recipient",
        "A mechanism the recipient holds: a contract, certification or assessment with its reference and term.",
        {
            "id": _described(_ref("held_mechanism"), "The mechanism, of kind 'held' in the vocabulary."),
            "reference": _text("Its reference, e.g. the filing number of the standard contract."),
            "valid_from": _described(_ref("date"), "The first day it is in force."),
            "valid_until": _described(_ref("date"), "The last day it is in force."),
            "categories": _described(_ref("categories"), "The categories it covers."),
            "max_individuals": _described(_ref("count"), "The year-to-date individuals it may carry, if limited."),
            "countries": _list(
                _ref("jurisdiction"), "The countries it names (required by some, e.g. SG_LEO_CONTRACT: PDPR reg 11(2))."
            ),
        },
        ["id", "reference", "valid_from", "valid_until", "categories"],
    )
    recipient = _object(
        "recipient",
        "A recipient abroad (境外接收方).",
        {
            "name": _text("Its legal name, which PIPL Art 39 requires telling the individual."),
            "jurisdiction": _described(_ref("jurisdiction"), "Where it is."),
            "contact": _text("Its contact, which PIPL Art 39 requires telling the individual."),
            "related": {
                "description": "Whether it is a related corporation of the exporter (PDPR reg 11(3)).",
                "type": "boolean",
            },
            "routes": _list(_text("A route name."), "The gateway routes that lead to it."),
            "purposes": _list(_ref("purpose"), "The purposes for which it may receive data."),
            "mechanisms": {
                "description": "The mechanisms it holds (出境路径).",
                "type": "array",
                "items": _ref("held"),
            },
        },
        ["name", "jurisdiction", "contact", "purposes"],
    )
    exporter = _object(
        "exporter",
        "An enterprise admitted to the sandbox (数据处理者 / 数据出境方).",
        {
            "name": _text("Its legal name."),
            "jurisdiction": _described(_ref("jurisdiction"), "Where the data is exported from."),
            "ciio": {
                "description": "Whether it is a critical information infrastructure operator (关键信息基础设施运营者).",
                "type": "boolean",
            },
        },
        ["name", "jurisdiction"],
    )
    return {"held": held, "recipient": recipient, "exporter": exporter}


def build_policy_schema(vocabulary: Json) -> Schema:
    """The JSON Schema of ``policy.yaml`` for the parsed vocabulary ``vocabulary``."""
    defs: dict[str, Schema] = {
        **_scalar_defs(),
        **_vocabulary_defs(vocabulary),
        "level": _enum(
            "level", [level.name.lower() for level in Level], "A data level, lowest first: public (L0) to core (L5)."
        ),
        "range": _object(
            "range",
            "A range of counts: at_least (>=), below (<) or both.",
            {
                "at_least": _described(_ref("count"), "Holds from this count on."),
                "below": _described(_ref("count"), "Holds below this count."),
            },
            minProperties=1,
        ),
        "when": _when_def(),
        **_obligation_defs(),
        "rule": _rule_def(),
        "classification": _classification_def(),
        **_party_defs(),
    }
    properties: dict[str, Schema] = {
        "policy": _text("The policy's name."),
        "description": {"description": "Free text about the policy.", "type": "string"},
        "vocabulary": _text("The path of the vocabulary file, relative to this file."),
        "accept_content_types": _list(
            {"description": "A media type.", "type": "string", "pattern": _MEDIA_TYPE},
            "The media types of bodies that may be sent (others are refused with 415).",
        ),
        "parameters": _map(
            "Named values; a rule writes $name where a number or true/false is expected. Cite the source of each.",
            {"description": "A number, true/false or text.", "type": ["number", "boolean", "string"]},
            {"pattern": _NAME},
        ),
        "classification": _ref("classification"),
        "exporters": _map("The enterprises admitted to the sandbox, by organisation id.", _ref("exporter")),
        "recipients": _map("The recipients abroad (境外接收方), by id.", _ref("recipient")),
        "rules": _list(_ref("rule"), "The rules, in order; at least one."),
    }
    return {
        "$schema": _DRAFT,
        **_object(
            "policy",
            "A policy of the cross-border data gateway (策略语言): see docs/policy-language.md.",
            properties,
            ["policy", "vocabulary", "accept_content_types", "recipients", "rules"],
        ),
        "$defs": defs,
    }


# --- the vocabulary and the test cases -------------------------------------------------------------------------


def build_vocabulary_schema() -> Schema:
    """The JSON Schema of ``vocabulary.yaml``."""
    words = {
        "en": _text("The name in English."),
        "zh": _text("The name in Chinese."),
        "note": _text("A note: what to check, or why it is not relied on."),
    }

    def names(title: str, description: str, pattern: str, extra: dict[str, Schema] | None = None) -> Schema:
        entry = _object(title, description, {**(extra or {}), **words}, ["level"] if "level" in (extra or {}) else ())
        return _map(description, entry, {"pattern": pattern})

    mechanism = _object(
        "mechanism",
        "A transfer mechanism or ground (出境路径).",
        {
            "kind": _enum(
                "kind",
                ["held", "exemption", "consent"],
                "held: the recipient must hold it (default); exemption or consent: the rule itself relies on it.",
            ),
            "basis": _text("The legal basis, shown in explanations."),
            **words,
            "requires_countries": {
                "description": "A held mechanism whose record must name the recipient's country (PDPR reg 11(2)).",
                "type": "boolean",
            },
            "related_only": {
                "description": "A held mechanism only a related recipient can rely on (PDPR reg 11(3)).",
                "type": "boolean",
            },
        },
    )
    properties = {
        "categories": names(
            "category",
            "Data categories: FAMILY.NAME, each with its level.",
            _CATEGORY_NAME,
            {"level": _enum("level", [lv.name.lower() for lv in Level], "Its level, lowest first: public to core.")},
        ),
        "mechanisms": _map("Transfer mechanisms and grounds, by id.", mechanism, {"pattern": _MECHANISM_NAME}),
        "purposes": names("purpose", "Purposes a transfer may declare.", _NAME),
        "jurisdictions": names("jurisdiction", "Countries and territories.", _JURISDICTION_NAME),
        "scenarios": names("scenario", "Scenarios a transfer may declare ('general' is the default).", _NAME),
    }
    return {
        "$schema": _DRAFT,
        **_object(
            "vocabulary",
            "The names a policy may use: categories with levels, mechanisms, purposes, jurisdictions, scenarios.",
            properties,
            list(properties),
        ),
    }


def build_policy_tests_schema(vocabulary: Json) -> Schema:
    """The JSON Schema of a test-case file (``tests/*.yaml`` beside a policy) for the parsed ``vocabulary``."""
    time = {"description": "A time like 2026-06-01T09:00:00+08:00; without an offset, UTC+8.", "type": "string"}
    time["pattern"] = _TIME
    count = {"description": "A whole number >= 0.", "type": "integer", "minimum": 0}
    ids = _list(_text("An id."), "Ids.")
    consent = _object(
        "consent record",
        "A consent (同意) recorded for the individual.",
        {
            "id": _text("The consent record's id."),
            "recipients": _described(ids, "The recipients it names."),
            "purposes": _list(_ref("purpose"), "The purposes it names."),
            "categories": _described(_ref("categories"), "The categories it covers."),
            "separate": {"description": "Whether it is a separate consent (单独同意).", "type": "boolean"},
            "given_by": _enum("consenting party", ["individual", "guardian"], "Who gave it."),
            "notice": _described(_ref("notice"), "What the individual was told."),
            "given_at": _described(time, "When it was given."),
            "expires_at": _described(time, "When it expires."),
            "status": _enum("consent status", ["given", "withdrawn"], "given (default) or withdrawn."),
        },
        ["id", "given_at"],
    )
    request = _object(
        "request",
        "The transfer, as the caller sends it.",
        {
            "exporter": _text("The caller's organisation (the token's org claim)."),
            "route": _text("The gateway route."),
            "purpose": _described(_ref("purpose"), "The declared purpose (Gateway-Purpose)."),
            "scenario": _described(_ref("scenario"), "The declared scenario (Gateway-Scenario); general by default."),
            "at": _described(time, "When the transfer is made."),
            "body": {"description": "The body: a YAML value, or a JSON document as text."},
            "content_type": _text("Its media type; application/json by default."),
            "method": _text("The HTTP method; POST by default."),
            "path": {"description": "The path after the route name; / by default.", "type": "string"},
            "categories": _list(_ref("category_id"), "The categories the enterprise declares (Gateway-Categories)."),
        },
        ["route", "at"],
    )
    facts = _object(
        "facts",
        "The facts gathered; by default only this transfer's individuals, and no consent.",
        {
            "ytd_personal": _described(count, "The exporter's individuals since 1 January, this transfer included."),
            "ytd_sensitive": _described(count, "The same, counting only those with sensitive personal information."),
            "consents": _map(
                "Consent records by JSON pointer of the individual ('' for the whole body).",
                {"type": "array", "items": _ref("consent")},
                {"pattern": _POINTER},
            ),
        },
    )
    expect = _object(
        "expectation",
        "What the decision must be; fields left out are not checked, except effect and rule.",
        {
            "effect": {"description": "allow or deny.", "type": "string", "enum": ["allow", "deny"]},
            "rule": {"description": "The deciding rule's id; null when no rule matched.", "type": ["string", "null"]},
            "mechanism": {
                "description": "The mechanism relied on; null for none.",
                "anyOf": [_ref("mechanism"), {"type": "null"}],
            },
            "edits": _map(
                "Every value edited, by JSON pointer, and how.",
                {"type": "string", "enum": ["redact", "mask", "pseudonymise", "generalise"]},
                {"pattern": _POINTER},
            ),
            "dropped": {
                "description": "The individuals removed, by JSON pointer.",
                "type": "array",
                "items": {"type": "string", "pattern": _POINTER},
            },
            "reason_contains": _text("Text that must occur in the reason."),
        },
        ["effect", "rule"],
    )
    case = _object(
        "test case",
        "One test case: a request, its facts and the decision expected.",
        {
            "name": _text("What the case shows."),
            "request": _ref("request"),
            "facts": _ref("facts"),
            "expect": _ref("expect"),
        },
        ["name", "request", "expect"],
    )
    defs = {
        **_vocabulary_defs(vocabulary),
        "consent": consent,
        "request": request,
        "facts": facts,
        "expect": expect,
        "case": case,
    }
    return {
        "$schema": _DRAFT,
        "title": "policy test cases",
        "description": "Test cases run by 'gateway policy test': a list of cases.",
        "type": "array",
        "items": _ref("case"),
        "$defs": defs,
    }


def generated_schemas(vocabulary: Json) -> dict[str, Schema]:
    """Every schema shipped in ``policies/``, by file name, for the parsed ``vocabulary``."""
    return {
        POLICY_SCHEMA: build_policy_schema(vocabulary),
        VOCABULARY_SCHEMA: build_vocabulary_schema(),
        TESTS_SCHEMA: build_policy_tests_schema(vocabulary),
    }


def schema_text(schema: Schema) -> str:
    """A schema as it is written to its file."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(policies_dir: Path) -> list[Path]:
    """(Re)write the schemas in ``policies_dir`` from its ``vocabulary.yaml``; the paths written."""
    vocabulary = load_yaml(policies_dir / "vocabulary.yaml").data
    written = []
    for name, schema in generated_schemas(vocabulary).items():
        path = policies_dir / name
        path.write_text(schema_text(schema), encoding="utf-8")
        written.append(path)
    return written


# --- problems in words -----------------------------------------------------------------------------------------

_validators: dict[int, tuple[Mapping[str, Any], Draft202012Validator]] = {}


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """The validator of ``schema``, made once (a schema is not changed once in use)."""
    cached = _validators.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    Draft202012Validator.check_schema(schema)
    if len(_validators) >= 16:
        _validators.clear()
    made = Draft202012Validator(schema)
    _validators[id(schema)] = (schema, made)
    return made


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…")
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _a(title: str) -> str:
    return f"{'an' if title[:1] in set('aeiou') else 'a'} {title}"


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty"


_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def _either(words: Sequence[str]) -> str:
    if len(words) == 1:
        return words[0]
    words = [w.replace(" or ", "/") for w in words]  # "true/false or a $parameter"
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _quoted(names: Sequence[str]) -> str:
    return _either([repr(n) for n in names])


def _summary(description: object) -> str:
    """The first clause of a description, to say in a message what a field is for."""
    text = re.split(r"[.;:(]| e\.g\.|, e\.g", str(description or ""), maxsplit=1)[0].strip(" ,")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _suggest(value: object, known: Sequence[str]) -> str:
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, list(dict.fromkeys(known)), n=1, cutoff=0.7)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_matches(schema: Mapping[str, Any], value: object) -> bool:
    types = schema.get("type")
    if types is None:
        return True
    checker = Draft202012Validator.TYPE_CHECKER
    return any(checker.is_type(value, t) for t in ([types] if isinstance(types, str) else types))


class _Words:
    """Turns validation errors into (pointer, message, rank) in an operator's words; rank 0 (type) outranks."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def resolve(self, schema: Any) -> Mapping[str, Any]:
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            schema = self.root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
        return schema if isinstance(schema, Mapping) else {}

    def of(self, e: ValidationError) -> Iterator[tuple[str, str, int]]:
        pointer = ""
        for key in e.absolute_path:
            pointer = child(pointer, key)
        schema = e.schema if isinstance(e.schema, Mapping) else {}
        title = str(schema.get("title", "entry"))
        value = e.instance
        if e.validator == "additionalProperties" and isinstance(value, dict):
            known = sorted(schema.get("properties", {}))
            for key in value:
                if key not in known:
                    what = (
                        f"unknown {title} {key!r}"
                        if title in {"condition", "obligation"}
                        else (f"unknown field {key!r} " + ("at the top level" if not pointer else f"in {_a(title)}"))
                    )
                    yield child(pointer, key), f"{what}{_suggest(key, known)}; expected one of {', '.join(known)}", 1
        elif e.validator == "required" and isinstance(value, dict):
            missing = [k for k in schema.get("required", ()) if k not in value]
            fields = schema.get("properties", {})
            needs = []
            for k in missing:
                field = fields.get(k) or {}
                about = _summary(field.get("description") or self.resolve(field).get("description"))
                needs.append(f"{k!r} ({about})" if about else repr(k))
            yield pointer, f"{_a(title)} needs {' and '.join(needs)}", 1
        elif e.validator == "pattern" and "propertyNames" in e.schema_path:
            rule = _PATTERN_WORDS.get(str(schema.get("pattern")), "is not written as expected")
            yield child(pointer, str(value)), f"the name {_show(value)}: {rule}", 1
        elif e.validator in {"anyOf", "oneOf"}:
            yield from self.alternatives(e, pointer, schema, title)
        else:
            yield pointer, self.simple(e, schema, title), 0 if e.validator == "type" else 1

    def simple(self, e: ValidationError, schema: Mapping[str, Any], title: str) -> str:  # noqa: PLR0911
        value: Any = e.instance
        rule: Any = schema.get(str(e.validator))
        if e.validator == "type":
            return (
                f"must be {_either([_TYPE_WORDS[t] for t in ([rule] if isinstance(rule, str) else rule)])}, "
                f"not {_kind(value)}"
            )
        if e.validator == "enum":
            names = [str(n) for n in rule]
            if "title" not in schema:
                return f"must be {_either(names)}, not {_show(value)}{_suggest(value, names)}"
            if title == "held mechanism" and value in self.resolve({"$ref": "#/$defs/mechanism"}).get("enum", ()):
                return f"{value} is relied on by a rule (an exemption or consent ground), never held by a recipient"
            more = "" if title in _VOCABULARY_TITLES and len(names) > 12 else f"; expected one of {', '.join(names)}"
            return f"unknown {title} {_show(value)}{_suggest(value, names)}{more}"
        if e.validator == "pattern":
            return _PATTERN_WORDS.get(str(rule), "is not written as expected")
        if e.validator == "minLength":
            return "must not be empty"
        if e.validator == "minItems":
            item = self.resolve(schema.get("items")).get("title", "entry")
            return f"must list at least one {item}"
        if e.validator == "minProperties":
            empty = {
                "condition": "an empty condition would match every transfer; state the conditions",
                "range": "give at_least, below or both",
            }
            return empty.get(title, "must not be empty")
        if e.validator == "maxProperties":
            return f"{_a(title)} is exactly one of {', '.join(schema.get('properties', {}))}"
        if e.validator == "minimum":
            return f"must be {rule} or more"
        if e.validator == "not":
            return str(schema.get("description") or "is not allowed here")
        return "is not allowed here"

    def alternatives(
        self, e: ValidationError, pointer: str, schema: Mapping[str, Any], title: str
    ) -> Iterator[tuple[str, str, int]]:
        """One sub-error of an anyOf/oneOf: the branch the value was meant for, else what it may be."""
        branches = [self.resolve(b) for b in schema[str(e.validator)]]
        if all(set(b) == {"required"} for b in branches):
            names = [n for b in branches for n in b["required"]]
            yield pointer, f"{_a(title)} needs at least one of {_quoted(names)}", 1
            return
        value = e.instance
        for i, branch in enumerate(branches):
            is_parameter = branch.get("pattern") == PARAMETER
            if _type_matches(branch, value) and (not is_parameter or str(value).startswith("$")):
                meant = [sub for sub in e.context or () if list(sub.relative_schema_path)[:1] == [i]]
                if meant:
                    for sub in meant:
                        yield from self.of(sub)
                    return
        words = [
            "a $parameter" if b.get("pattern") == PARAMETER else _TYPE_WORDS.get(str(b.get("type")), "something else")
            for b in branches
        ]
        yield pointer, f"must be {_either(words)}, not {_kind(value)}", 0


def schema_problems(doc: Located, schema: Mapping[str, Any]) -> list[ConfigError]:
    """Every way ``doc`` departs from ``schema``, each at the line and column of its value, in file order."""
    words = _Words(schema)
    found: dict[str, list[tuple[int, str]]] = {}
    for error in _validator(schema).iter_errors(doc.data):
        for pointer, message, rank in words.of(error):
            found.setdefault(pointer, []).append((rank, message))
    problems = []
    for pointer, messages in found.items():
        best = min(rank for rank, _ in messages)
        kept = list(dict.fromkeys(message for rank, message in messages if rank == best))
        problems.append(doc.error(pointer, "; ".join(kept)))
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0, p.message))
