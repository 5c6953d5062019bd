"""The audit endpoints' part of the OpenAPI description: what regulators' scripts and witnesses are written against."""

from __future__ import annotations

from typing import Any

__all__ = ["AUDIT_PATHS", "AUDIT_SCHEMAS"]

_B64_HASH = {"type": "string", "contentEncoding": "base64", "description": "A SHA-256 hash in standard base64."}
_PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/AdminProblem"}}}


def _refusal(description: str) -> dict[str, Any]:
    return {"description": description, "content": _PROBLEM_CONTENT}


_AUTH_REFUSALS = {
    "401": _refusal("Token missing, invalid or expired."),
    "403": _refusal("The token lacks a role this endpoint serves."),
}
_BAD_QUERY = {"400": _refusal("A query parameter is missing or invalid (named in the detail).")}


def _query(name: str, description: str, schema: dict[str, Any] | None = None, *, required: bool = False) -> Any:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


_SIZE = {"type": "integer", "minimum": 0}
_INDEX_PATH = {"name": "index", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}

AUDIT_SCHEMAS: dict[str, Any] = {
    "AuditRecordItem": {
        "type": "object",
        "required": ["index", "leaf", "record"],
        "properties": {
            "index": {"type": "integer", "description": "The record's position in the log (its Merkle leaf index)."},
            "leaf": {
                "type": "string",
                "description": "The record's canonical JSON (RFC 8785), exactly the bytes that were hashed.",
            },
            "record": {"type": "object", "description": "The same record, parsed (docs/audit-record.md)."},
        },
    },
    "AuditRecordPage": {
        "type": "object",
        "required": ["size", "records", "next"],
        "properties": {
            "size": {"type": "integer", "description": "Records committed when the page was read."},
            "records": {"type": "array", "items": {"$ref": "#/components/schemas/AuditRecordItem"}},
            "next": {"type": ["string", "null"], "description": "The next page's path and query, if there may be one."},
        },
    },
    "InclusionProof": {
        "type": "object",
        "required": ["index", "size", "leaf_hash", "proof"],
        "properties": {
            "index": {"type": "integer"},
            "size": {"type": "integer"},
            "leaf_hash": _B64_HASH,
            "proof": {"type": "array", "items": _B64_HASH, "description": "RFC 9162 s.2.1.3 audit path."},
        },
    },
    "ConsistencyProof": {
        "type": "object",
        "required": ["first", "second", "proof"],
        "properties": {
            "first": {"type": "integer"},
            "second": {"type": "integer"},
            "proof": {"type": "array", "items": _B64_HASH, "description": "RFC 9162 s.2.1.4 consistency proof."},
        },
    },
}

_CHECKPOINT_TEXT = {
    "description": "A C2SP tlog-checkpoint (origin, size, base64 root) signed as a C2SP signed note with Ed25519.",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}

AUDIT_PATHS: dict[str, Any] = {
    "/v1/audit/checkpoint": {
        "get": {
            "summary": "The latest signed checkpoint of the audit log (public: it reveals only a size and a root).",
            "description": "Published on an interval while records arrive, and on demand (POST). Verify it with the "
            "gateway's verifier key (`gateway keys show`).",
            "responses": {"200": _CHECKPOINT_TEXT},
        },
        "post": {
            "summary": "Regulators and operators: sign a checkpoint of the log as it is now.",
            "security": [{"bearer": []}],
            "responses": {"200": _CHECKPOINT_TEXT, **_AUTH_REFUSALS},
        },
    },
    "/v1/audit/records": {
        "get": {
            "summary": "Audit records in index order, filtered and paged (regulators: all; enterprises: their own).",
            "security": [{"bearer": []}],
            "parameters": [
                _query("since", "Records at or after this RFC 3339 time.", {"type": "string", "format": "date-time"}),
                _query("until", "Records before this RFC 3339 time.", {"type": "string", "format": "date-time"}),
                _query("exporter", "The exporting organisation (an enterprise may only name itself)."),
                _query("recipient", "The recipient's id in the policy."),
                _query("category", "Records whose body held data of this category (e.g. SPI.GOV_ID)."),
                _query("effect", "allow or deny.", {"type": "string", "enum": ["allow", "deny"]}),
                _query(
                    "kind",
                    "The kind of record.",
                    {"type": "string", "enum": ["decision", "outcome", "rejection", "policy"]},
                ),
                _query("after", "Only records after this index (paging: the last index of the previous page).", _SIZE),
                _query("limit", "At most this many records (default 100, at most 1000).", {"type": "integer"}),
            ],
            "responses": {
                "200": _json("#/components/schemas/AuditRecordPage", "A page of records."),
                **_BAD_QUERY,
                **_AUTH_REFUSALS,
            },
        }
    },
    "/v1/audit/records/{index}": {
        "get": {
            "summary": "One audit record (regulators: any; enterprises: their own).",
            "security": [{"bearer": []}],
            "parameters": [_INDEX_PATH],
            "responses": {
                "200": _json("#/components/schemas/AuditRecordItem", "The record."),
                **_AUTH_REFUSALS,
                "404": _refusal("No such record, or not the caller's."),
            },
        }
    },
    "/v1/audit/records/{index}/evidence": {
        "get": {
            "summary": "Regulators: the sealed original body of a record, where the policy asked for it.",
            "description": "HPKE (RFC 9180) to the regulator's X25519 key; its digest is in the record's evidence. "
            "Open it offline with `gateway audit unseal`.",
            "security": [{"bearer": []}],
            "parameters": [
                _INDEX_PATH,
                _query("for", "The regulator key's name (from the record's evidence); needed if several."),
            ],
            "responses": {
                "200": {"description": "The sealed blob.", "content": {"application/octet-stream": {}}},
                **_AUTH_REFUSALS,
                "404": _refusal("No such record, or no evidence sealed for it."),
            },
        }
    },
    "/v1/audit/proof/inclusion": {
        "get": {
            "summary": "That record I is in the tree of size N (regulators; enterprises for their own records).",
            "security": [{"bearer": []}],
            "parameters": [
                _query("index", "The record's index.", _SIZE, required=True),
                _query("size", "The tree size (default: the latest checkpoint's).", _SIZE),
            ],
            "responses": {
                "200": _json("#/components/schemas/InclusionProof", "The audit path, hashes in base64."),
                **_BAD_QUERY,
                **_AUTH_REFUSALS,
                "404": _refusal("No such record, or not the caller's."),
            },
        }
    },
    "/v1/audit/proof/consistency": {
        "get": {
            "summary": "That the tree of size N extends the tree of size M (public, for witnesses).",
            "parameters": [
                _query("first", "The older size M.", _SIZE, required=True),
                _query("second", "The newer size N (default: the latest checkpoint's).", _SIZE),
            ],
            "responses": {
                "200": _json("#/components/schemas/ConsistencyProof", "The proof, hashes in base64."),
                **_BAD_QUERY,
            },
        }
    },
    "/v1/audit/export": {
        "get": {
            "summary": "Regulators: records I..J-1 as JSON lines, ending with the checkpoint of size J.",
            "description": "A header line, one line per record (index, leaf: the canonical JSON string exactly as "
            "hashed, nodes: the subtree hashes it completes), and a trailer holding the signed checkpoint. "
            "`gateway audit verify EXPORT --key KEY` checks it offline (docs/audit-record.md).",
            "security": [{"bearer": []}],
            "parameters": [
                _query("from", "The first record (default 0).", _SIZE),
                _query("to", "The tree size to cut at (default: the latest checkpoint's).", _SIZE),
            ],
            "responses": {
                "200": {"description": "The export.", "content": {"application/x-ndjson": {}}},
                **_BAD_QUERY,
                **_AUTH_REFUSALS,
            },
        }
    },
}
