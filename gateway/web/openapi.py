"""The OpenAPI 3.1 description served at ``/openapi.json``: the interface enterprises' applications rely on."""

from __future__ import annotations

from typing import Any

from gateway import __version__
from gateway.errors import PROBLEMS
from gateway.web.openapi_audit import AUDIT_PATHS, AUDIT_SCHEMAS
from gateway.web.openapi_consent import CONSENT_PATHS, CONSENT_SCHEMAS
from gateway.web.openapi_stats import STATS_PATHS, STATS_SCHEMAS

__all__ = ["OPENAPI"]

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_DECISION_HEADERS = {
    "Gateway-Decision": {"description": "`allow` or `deny`.", "schema": {"type": "string", "enum": ["allow", "deny"]}},
    "Gateway-Decision-Id": {"description": "The decision id, also in the audit record.", "schema": {"type": "string"}},
    "Gateway-Rule": {"description": "The policy rule that decided.", "schema": {"type": "string"}},
    "Gateway-Mechanism": {
        "description": "On an allowed transfer, the mechanism relied on and its reference number.",
        "schema": {"type": "string"},
    },
    "Gateway-Audit-Index": {
        "description": "Index of the decision's audit record, once it is durable.",
        "schema": {"type": "integer"},
    },
    "Gateway-Policy-Revision": {
        "description": "The revision (digest of the canonical policy) that decided, also in the audit record.",
        "schema": {"type": "string"},
    },
}


_ADMIN_PROBLEM = {"$ref": "#/components/schemas/AdminProblem"}
_LOADED = {
    "policy": {"type": "string"},
    "revision": {"type": "string", "description": "sha256: digest of the policy's meaning."},
    "loaded_at": {"type": "string", "format": "date-time"},
    "source": {"type": "string", "description": "The policy directory."},
    "signed_by": {"type": ["string", "null"], "description": "Key id (RFC 7638) of the bundle's signer."},
}


def _admin_problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": _ADMIN_PROBLEM}}}


_ADMIN_REFUSALS = {
    "401": _admin_problem("Token missing, invalid or expired."),
    "403": _admin_problem("The token lacks the operator role."),
}


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _DECISION_HEADERS,
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "SIP - Singapore cross-border data gateway",
        "version": __version__,
        "description": "Enterprises send outbound transfers through this gateway, which applies the operators' "
        "policies (classification, transfer mechanisms, masking) and keeps an audit trail for regulators.",
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA, ES256, RS256)"}
        },
        "schemas": {
            "Problem": {
                "type": "object",
                "description": "RFC 9457 problem document.",
                "required": ["type", "title", "status", "detail", "decision_id"],
                "properties": {
                    "type": {"type": "string", "enum": [f"/problems/{kind}" for kind in PROBLEMS]},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string", "description": "Why, without quoting any personal data."},
                    "advice": {"type": "string"},
                    "decision_id": {"type": "string"},
                    "audit_index": {"type": "integer"},
                    "rule": {"type": "string", "description": "The policy rule that decided."},
                    "legal": {"type": "string", "description": "The rule's legal reference."},
                    "policy_revision": {"type": "string"},
                    "categories": {"type": "array", "items": {"type": "string"}},
                },
            },
            "AdminProblem": {
                "type": "object",
                "description": "RFC 9457 problem document of the admin API.",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "advice": {"type": "string"},
                    "revision": {"type": "string", "description": "The revision still in force."},
                    "errors": {
                        "type": "array",
                        "description": "Each problem of a refused policy candidate.",
                        "items": {
                            "type": "object",
                            "required": ["message"],
                            "properties": {
                                "file": {"type": ["string", "null"]},
                                "line": {"type": ["integer", "null"]},
                                "column": {"type": "integer"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
            },
            "PolicyStatus": {
                "type": "object",
                "required": ["policy", "revision", "loaded_at", "source", "shadow"],
                "properties": {
                    **_LOADED,
                    "shadow": {
                        "description": "The shadow policy (decides beside the live one, never enforced), if any.",
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["policy", "revision", "loaded_at", "evaluated", "differing"],
                                "properties": {
                                    **_LOADED,
                                    "evaluated": {"type": "integer", "description": "Transfers decided by both."},
                                    "differing": {
                                        "type": "integer",
                                        "description": "Of those, decided with another effect, rule or mechanism.",
                                    },
                                    "pairs": {
                                        "type": "array",
                                        "description": "Transfers per (live rule, shadow rule).",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "live_rule": {"type": "string"},
                                                "shadow_rule": {"type": "string"},
                                                "count": {"type": "integer"},
                                            },
                                        },
                                    },
                                },
                            },
                        ],
                    },
                },
            },
            "PolicyReloaded": {
                "type": "object",
                "required": ["changed", "previous_revision", "revision", "loaded_at"],
                "properties": {
                    "changed": {"type": "boolean", "description": "false: the files give the revision in force."},
                    "previous_revision": {"type": "string"},
                    "revision": {"type": "string"},
                    "loaded_at": {"type": "string", "format": "date-time"},
                    "shadow_revision": {"type": ["string", "null"]},
                    "shadow_changed": {"type": "boolean"},
                },
            },
            **AUDIT_SCHEMAS,
            **CONSENT_SCHEMAS,
            **STATS_SCHEMAS,
        },
    },
    "paths": {
        "/transfer/{route}/{path}": {
            "parameters": [
                {"name": "route", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "Gateway-Purpose",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "Purpose of the transfer (vocabulary id); the route's default when absent.",
                },
                {
                    "name": "Gateway-Scenario",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "Scenario of the transfer (vocabulary id); the route's default when absent.",
                },
                {
                    "name": "Gateway-Categories",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "Categories the body holds that no detector can see, comma-separated vocabulary "
                    "ids (e.g. IMP.DATA for important data); they add to what the classifier finds.",
                },
            ],
            "post": {
                "summary": "Send a transfer to the route's recipient (any method is accepted).",
                "security": [{"bearer": []}],
                "requestBody": {"content": {"application/json": {"schema": {}}}},
                "responses": {
                    "default": {"description": "The recipient's own answer.", "headers": _DECISION_HEADERS},
                    **{
                        str(status): _problem_response(description)
                        for status, description in [
                            (400, "Malformed body, bad encoding, too deep, or personal data in the URL."),
                            (401, "Token missing, invalid or expired."),
                            (
                                403,
                                "Refused by policy (rule and reason in the problem document), or no enterprise role.",
                            ),
                            (404, "Unknown route."),
                            (413, "Body over the size limit."),
                            (415, "Media type not accepted by the policy."),
                            (502, "The recipient refused or reset the connection."),
                            (503, "At capacity (see Retry-After) or the audit log is unavailable."),
                            (504, "The recipient did not answer in time."),
                        ]
                    },
                },
            },
        },
        "/v1/preflight/{route}/{path}": {
            "parameters": [
                {"name": "route", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "post": {
                "summary": "The decision a transfer with this route, path, headers and body would get.",
                "description": "Nothing is forwarded, recorded or counted in the year-to-date individuals. The same "
                "headers as a transfer (Gateway-Purpose, Gateway-Scenario, Gateway-Categories) apply.",
                "security": [{"bearer": []}],
                "requestBody": {"content": {"application/json": {"schema": {}}}},
                "responses": {
                    "200": {
                        "description": "It would be allowed: the rule, the mechanism, the year-to-date counts with "
                        "this transfer's individuals, and the explanation.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "403": _problem_response("It would be refused: the rule and reason."),
                },
            },
        },
        "/healthz": {"get": {"summary": "The process is up.", "responses": {"200": {"description": "Up."}}}},
        "/readyz": {
            "get": {
                "summary": "Policy loaded, every store answers, and some node sequences the audit log.",
                "responses": {
                    "200": {"description": "Ready: each check passed (`checks`)."},
                    "503": {
                        "description": "Not ready: a problem document naming each failed check.",
                        "content": {"application/problem+json": {"schema": {"type": "object"}}},
                    },
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics (no personal data in any label; restrict access at the network).",
                "responses": {"200": {"description": "The text exposition format.", "content": {"text/plain": {}}}},
            }
        },
        "/v1/admin/policy": {
            "get": {
                "summary": "Operators: the running policy, since when, from where, and the shadow policy's counts.",
                "security": [{"bearer": []}],
                "responses": {
                    "200": {
                        "description": "The policy in force.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PolicyStatus"}}},
                    },
                    **_ADMIN_REFUSALS,
                },
            }
        },
        "/v1/admin/policy/reload": {
            "post": {
                "summary": "Operators: load the policy from its directory, check it, and swap it in if it passes.",
                "description": "Also done on SIGHUP. A change of revision is recorded in the audit trail first.",
                "security": [{"bearer": []}],
                "responses": {
                    "200": {
                        "description": "Reloaded (or unchanged).",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PolicyReloaded"}}},
                    },
                    **_ADMIN_REFUSALS,
                    "422": _admin_problem("The candidate has problems (in 'errors'); the running policy stays."),
                    "503": _admin_problem("The change could not be recorded in the audit trail, so it was not made."),
                },
            }
        },
        **AUDIT_PATHS,
        **CONSENT_PATHS,
        **STATS_PATHS,
        "/problems/{kind}": {
            "get": {
                "summary": "What a problem type means.",
                "parameters": [{"name": "kind", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Title, status and advice."}},
            }
        },
    },
}
