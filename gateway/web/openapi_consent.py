"""The consent registry's part of the OpenAPI description: what enterprises' consent tooling is written against."""

from __future__ import annotations

from typing import Any

from gateway.consent.validate import GIVEN_BY, NOTICE_FIELDS, SUBJECT_TYPES

__all__ = ["CONSENT_PATHS", "CONSENT_SCHEMAS"]

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ConsentProblem"}}}


def _refusal(description: str) -> dict[str, Any]:
    return {"description": description, "content": _PROBLEM}


def _records(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": _REF + "ConsentList"}}}}


def _body(ref: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": _REF + ref}}}}


_REF = "#/components/schemas/"
_AUTH = {
    "401": _refusal("Token missing, invalid or expired."),
    "403": _refusal("The token lacks the role, or its organisation is not an exporter of the policy."),
}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
_TIME = {"type": "string", "format": "date-time"}
_IDS = {"type": "array", "items": {"type": "string"}, "minItems": 1}

CONSENT_SCHEMAS: dict[str, Any] = {
    "ConsentSubject": {
        "type": "object",
        "description": "The individual, by an identifier the classifier keys individuals by. Hashed on arrival "
        "(HMAC with the gateway's key); never stored, logged or echoed.",
        "required": ["type", "value"],
        "additionalProperties": False,
        "properties": {
            "type": {"type": "string", "enum": sorted(SUBJECT_TYPES)},
            "value": {"type": "string", "maxLength": 200},
        },
    },
    "ConsentRequest": {
        "type": "object",
        "required": ["subject", "recipients", "purposes", "categories", "separate", "given_by", "notice", "given_at"],
        "additionalProperties": False,
        "properties": {
            "subject": {"$ref": _REF + "ConsentSubject"},
            "recipients": {**_IDS, "description": "Recipient ids of the policy."},
            "purposes": {**_IDS, "description": "Each declared by at least one of the recipients."},
            "categories": {**_IDS, "description": "Vocabulary category ids; PREFIX.* stands for a family."},
            "separate": {"type": "boolean", "description": "Separate consent (PIPL Art 39, 单独同意)."},
            "given_by": {"type": "string", "enum": sorted(GIVEN_BY), "description": "guardian: for a child."},
            "notice": {
                "type": "object",
                "description": "The text shown before consent, by notice field. Required: the six PIPL Art 39 "
                "fields for an exporter in China; sg_transfer_summary (PDPR reg 10(3)) for one in Singapore.",
                "propertyNames": {"enum": sorted(NOTICE_FIELDS)},
                "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 4000},
            },
            "given_at": {**_TIME, "description": "RFC 3339 with a zone; not in the future."},
            "expires_at": {"type": ["string", "null"], "format": "date-time", "description": "After given_at."},
            "language": {"type": "string", "description": "The notice's language (default zh in CN, en in SG)."},
            "collection_method": {"type": "string", "description": "How consent was collected (Kantara)."},
        },
    },
    "ConsentBatch": {
        "type": "object",
        "required": ["consents"],
        "additionalProperties": False,
        "properties": {
            "consents": {"type": "array", "items": {"$ref": _REF + "ConsentRequest"}, "minItems": 1, "maxItems": 1000}
        },
    },
    "ConsentRecord": {
        "type": "object",
        "required": ["id", "status", "exporter", "subject", "recipients", "purposes", "categories", "receipt"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "status": {"type": "string", "enum": ["active", "expired", "withdrawn"]},
            "exporter": {"type": "string"},
            "subject": {
                "type": "object",
                "required": ["type", "hash"],
                "properties": {
                    "type": {"type": "string"},
                    "hash": {"type": "string", "description": "The keyed hash audit records name the individual by."},
                },
            },
            "recipients": {"type": "array", "items": {"type": "string"}},
            "purposes": {"type": "array", "items": {"type": "string"}},
            "categories": {"type": "array", "items": {"type": "string"}, "description": "Expanded category ids."},
            "separate": {"type": "boolean"},
            "given_by": {"type": "string", "enum": sorted(GIVEN_BY)},
            "notice": {"type": "object", "additionalProperties": {"type": "string"}},
            "given_at": _TIME,
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "language": {"type": "string"},
            "collection_method": {"type": "string"},
            "recorded_at": _TIME,
            "withdrawn_at": {"type": ["string", "null"], "format": "date-time"},
            "receipt": {
                "type": "string",
                "description": "Consent receipt: a compact JWS (EdDSA) with the Kantara Consent Receipt v1.1 fields; "
                "verify it with the key from /v1/consents/jwks.json.",
            },
        },
    },
    "ConsentList": {
        "type": "object",
        "required": ["consents"],
        "properties": {"consents": {"type": "array", "items": {"$ref": _REF + "ConsentRecord"}}},
    },
    "ConsentLookup": {
        "type": "object",
        "required": ["subject"],
        "additionalProperties": False,
        "properties": {"subject": {"$ref": _REF + "ConsentSubject"}},
    },
    "ConsentProblem": {
        "type": "object",
        "description": "RFC 9457 problem document of the consent API.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "advice": {"type": "string"},
            "errors": {
                "type": "array",
                "description": "Each bad field of a refused request; nothing was recorded.",
                "items": {
                    "type": "object",
                    "required": ["index", "field", "message"],
                    "properties": {
                        "index": {"type": ["integer", "null"], "description": "The consent's place in the batch."},
                        "field": {"type": "string", "description": "JSON pointer within that consent."},
                        "message": {"type": "string", "description": "What is wrong; never quotes the identifier."},
                    },
                },
            },
        },
    },
    "JsonWebKeySet": {
        "type": "object",
        "required": ["keys"],
        "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
    },
}

CONSENT_PATHS: dict[str, Any] = {
    "/v1/consents": {
        "post": {
            "summary": "Enterprises: record one consent, or a batch of up to 1000 (all or nothing).",
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"oneOf": [{"$ref": _REF + "ConsentRequest"}, {"$ref": _REF + "ConsentBatch"}]}
                    }
                },
            },
            "responses": {
                "201": _records("The records, each with its signed receipt."),
                "400": _refusal("The body is not JSON."),
                **_AUTH,
                "422": _refusal("Bad fields, each named in 'errors' by index and JSON pointer; nothing recorded."),
            },
        }
    },
    "/v1/consents/lookup": {
        "post": {
            "summary": "Enterprises: their consents for one individual (the identifier in the body, never a URL).",
            "security": [{"bearer": []}],
            "requestBody": _body("ConsentLookup"),
            "responses": {
                "200": _records("The caller's consents for the individual, oldest first (maybe none)."),
                **_AUTH,
                "422": _refusal("The subject is not a valid identifier."),
            },
        }
    },
    "/v1/consents/jwks.json": {
        "get": {
            "summary": "The public key that signs consent receipts (public).",
            "responses": {
                "200": {
                    "description": "A JWKS; each key's kid is its RFC 7638 thumbprint.",
                    "content": {"application/jwk-set+json": {"schema": {"$ref": _REF + "JsonWebKeySet"}}},
                }
            },
        }
    },
    "/v1/consents/{id}": {
        "get": {
            "summary": "One consent (the exporter's enterprise token, or a regulator).",
            "security": [{"bearer": []}],
            "parameters": [_ID],
            "responses": {
                "200": _records("The record, its status at the time of asking."),
                **_AUTH,
                "404": _refusal("No such consent, or another exporter's."),
            },
        }
    },
    "/v1/consents/{id}/withdraw": {
        "post": {
            "summary": "The exporter: withdraw a consent; the next decision no longer relies on it. Idempotent.",
            "security": [{"bearer": []}],
            "parameters": [_ID],
            "responses": {
                "200": _records("The withdrawn record; a second withdrawal keeps the first time."),
                **_AUTH,
                "404": _refusal("No such consent, or another exporter's."),
            },
        }
    },
}
