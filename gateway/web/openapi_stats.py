"""The statistics endpoint's part of the OpenAPI description: what regulators' dashboards are written against."""

from __future__ import annotations

from typing import Any

__all__ = ["STATS_PATHS", "STATS_SCHEMAS"]

_PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/AdminProblem"}}}
_COUNT = {"type": "integer", "minimum": 0}
_TALLY_REF = {"$ref": "#/components/schemas/TransferTally"}
_BY = {"type": "object", "additionalProperties": _TALLY_REF}

STATS_SCHEMAS: dict[str, Any] = {
    "TransferTally": {
        "type": "object",
        "required": ["allowed", "refused"],
        "properties": {"allowed": _COUNT, "refused": _COUNT},
    },
    "ThresholdDistance": {
        "type": "object",
        "required": ["metric", "threshold", "current", "remaining", "crossed", "parameters", "rules"],
        "properties": {
            "metric": {"type": "string", "enum": ["ytd_personal", "ytd_sensitive"]},
            "threshold": {"type": "integer", "description": "Individuals a year at which the named rules change."},
            "current": _COUNT,
            "remaining": {"type": "integer", "description": "threshold - current; 0 or less once crossed."},
            "crossed": {"type": "boolean"},
            "parameters": {"type": "array", "items": {"type": "string"}, "description": "Policy parameters."},
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "legal", "bound"],
                    "properties": {
                        "id": {"type": "string"},
                        "legal": {"type": "string", "description": "The rule's legal reference."},
                        "bound": {
                            "type": "string",
                            "enum": ["at_least", "below"],
                            "description": "at_least: the rule applies from the threshold; below: under it.",
                        },
                    },
                },
            },
        },
    },
    "MechanismExpiry": {
        "type": "object",
        "required": ["recipient", "mechanism", "reference", "valid_until", "working_days_left", "expired"],
        "properties": {
            "recipient": {"type": "string"},
            "mechanism": {"type": "string"},
            "reference": {"type": "string", "description": "Filing, certificate or approval number."},
            "valid_until": {"type": "string", "format": "date"},
            "working_days_left": {
                "type": "integer",
                "description": "PRC working days after today it is still valid; negative: working days since it ended.",
            },
            "expired": {"type": "boolean"},
            "calendar_complete": {
                "type": "boolean",
                "description": "False when a year without a State Council holiday notice was counted Monday-Friday.",
            },
        },
    },
    "ExporterStats": {
        "type": "object",
        "required": ["exporter", "individuals", "transfers", "by_recipient", "by_category", "by_mechanism"],
        "properties": {
            "exporter": {"type": "string"},
            "name": {"type": ["string", "null"]},
            "jurisdiction": {"type": ["string", "null"]},
            "individuals": {
                "type": "object",
                "description": "Distinct individuals since 1 January (China Standard Time), each person once.",
                "properties": {"personal": _COUNT, "sensitive": _COUNT},
            },
            "transfers": _TALLY_REF,
            "by_recipient": _BY,
            "by_category": {**_BY, "description": "Transfers holding each category (a transfer under each)."},
            "by_mechanism": {**_BY, "description": "By the mechanism relied on; 'none' when there was none."},
            "thresholds": {
                "type": ["array", "null"],
                "items": {"$ref": "#/components/schemas/ThresholdDistance"},
                "description": "null when the policy's thresholds could not be read for the running revision.",
            },
            "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/MechanismExpiry"}},
        },
    },
    "Stats": {
        "type": "object",
        "required": ["year", "as_of", "policy", "exporters", "warnings"],
        "properties": {
            "year": {"type": "integer"},
            "as_of": {"type": "string", "format": "date-time"},
            "policy": {"type": "object", "properties": {"name": {"type": "string"}, "revision": {"type": "string"}}},
            "thresholds_available": {"type": "boolean"},
            "exporters": {"type": "array", "items": {"$ref": "#/components/schemas/ExporterStats"}},
            "warnings": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/MechanismExpiry"},
                "description": "Mechanisms expiring within 60 PRC working days, or expired, of the recipients "
                "concerned (every recipient, for a regulator asking about every exporter).",
            },
        },
    },
}

STATS_PATHS: dict[str, Any] = {
    "/v1/stats": {
        "get": {
            "summary": "Volumes by exporter, recipient, category and mechanism, against the thresholds.",
            "description": "Regulators see every exporter; an enterprise sees its own (the token's organisation).",
            "security": [{"bearer": []}],
            "parameters": [
                {
                    "name": "year",
                    "in": "query",
                    "required": False,
                    "description": "Calendar year in China Standard Time; the current one if left out.",
                    "schema": {"type": "integer", "minimum": 2000, "maximum": 9999},
                },
                {
                    "name": "exporter",
                    "in": "query",
                    "required": False,
                    "description": "One exporter (regulators); an enterprise may name only itself.",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": {
                    "description": "Statistics per exporter.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stats"}}},
                },
                "400": {"description": "year is not a four-digit year.", "content": _PROBLEM_CONTENT},
                "401": {"description": "Token missing, invalid or expired.", "content": _PROBLEM_CONTENT},
                "403": {
                    "description": "The token lacks the role, or an enterprise asked about another exporter.",
                    "content": _PROBLEM_CONTENT,
                },
            },
        }
    }
}
