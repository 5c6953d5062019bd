"""The gateway's exceptions.

A denial by policy is not an exception: it is a :class:`gateway.model.Decision`. Exceptions are for input the
gateway cannot take and for faults. Each carries a problem kind (see :data:`PROBLEMS`), which the web edge turns
into an RFC 9457 problem document, and a human explanation that never quotes personal data::

    GatewayError                 kind, status, detail
    +-- ConfigError              a configuration or policy file is invalid (file, line, column)
    +-- RequestRejected          the caller's request cannot be taken (4xx): token, route, body
    +-- Overloaded               too many transfers in flight (503, Retry-After)
    +-- AuditUnavailable         the audit log cannot take a record; nothing is forwarded (503)
    +-- CountersUnavailable      the year's counts cannot be saved; nothing is forwarded (503)
    +-- ConsentsUnavailable      the consent registry cannot be read; nothing is decided (503)
    +-- UpstreamFailed           the recipient refused, reset or timed out (502 / 504)
    +-- AuditCorrupt             a stored audit trail does not verify (index, expected and calculated hashes)

Foreign exceptions are translated where they enter (``raise ... from e``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PROBLEMS",
    "AuditCorrupt",
    "AuditUnavailable",
    "ConfigError",
    "ConsentsUnavailable",
    "CountersUnavailable",
    "GatewayError",
    "Overloaded",
    "ProblemKind",
    "RequestRejected",
    "UpstreamFailed",
]


@dataclass(frozen=True, slots=True)
class ProblemKind:
    """One kind of problem: its HTTP status, a short title and what the caller can do about it."""

    status: int
    title: str
    advice: str


PROBLEMS: dict[str, ProblemKind] = {
    "policy-denied": ProblemKind(
        403,
        "Transfer refused by policy",
        "Read the rule and reason; change the data, the purpose or the recipient's legal mechanism, then send again.",
    ),
    "token-missing": ProblemKind(401, "Bearer token required", "Send 'Authorization: Bearer <JWT>'."),
    "token-invalid": ProblemKind(
        401,
        "Bearer token rejected",
        "Obtain a token signed by a trusted issuer for this gateway's audience, with an asymmetric algorithm.",
    ),
    "token-expired": ProblemKind(401, "Bearer token expired or not yet valid", "Obtain a fresh token."),
    "role-missing": ProblemKind(403, "Role not allowed", "This endpoint needs another role in the token."),
    "url-personal-data": ProblemKind(
        400,
        "Personal data in the URL",
        "Send identifiers in the body, where policy applies to them; URLs end up in access logs on every hop.",
    ),
    "route-unknown": ProblemKind(404, "Unknown route", "Use a route configured on this gateway."),
    "category-unknown": ProblemKind(
        400,
        "Unknown data category declared",
        "Gateway-Categories lists category ids of the policy vocabulary (GET /openapi.json names the header), "
        "separated by commas, for example IMP.DATA.",
    ),
    "body-malformed": ProblemKind(400, "Body is not valid JSON", "Send a well-formed JSON document."),
    "body-encoding": ProblemKind(400, "Body is not valid UTF-8", "Encode the body as UTF-8 (RFC 8259 s.8.1)."),
    "body-too-deep": ProblemKind(400, "JSON nested too deeply", "Flatten the document below the nesting limit."),
    "body-too-large": ProblemKind(413, "Body too large", "Split the transfer below the size limit."),
    "media-type-unsupported": ProblemKind(
        415, "Media type not accepted by policy", "Send a content type the policy accepts (usually application/json)."
    ),
    "overloaded": ProblemKind(503, "Gateway at capacity", "Retry after the number of seconds in Retry-After."),
    "audit-unavailable": ProblemKind(503, "Audit log unavailable", "Nothing was forwarded; retry later."),
    "consents-unavailable": ProblemKind(
        503,
        "Consent registry unavailable",
        "Nothing was decided or forwarded: consents could not be read; retry later.",
    ),
    "counters-unavailable": ProblemKind(
        503, "Volume counters unavailable", "Nothing was forwarded: the individuals could not be counted; retry later."
    ),
    "upstream-unavailable": ProblemKind(
        502, "Recipient unavailable", "The recipient refused or reset the connection; the transfer may be retried."
    ),
    "upstream-timeout": ProblemKind(
        504, "Recipient timed out", "The recipient did not answer in time; it may or may not have received the data."
    ),
    "query-invalid": ProblemKind(
        400, "Query parameter invalid", "Correct the parameter named in the detail; GET /openapi.json describes each."
    ),
    "record-not-found": ProblemKind(
        404,
        "No such audit record",
        "The index is beyond the log, or the record belongs to another exporter (an enterprise sees its own only).",
    ),
    "consent-invalid": ProblemKind(
        422,
        "Consent record refused",
        "Fix each field listed in 'errors' (index in the batch, JSON pointer, message); nothing was recorded.",
    ),
    "consent-not-found": ProblemKind(
        404, "No such consent record", "Check the id; an enterprise sees the consents it recorded itself only."
    ),
    "exporter-unknown": ProblemKind(
        403,
        "Organisation is not an exporter of the policy",
        "Only enterprises the policy lists under 'exporters' record consents; ask the operators to admit yours.",
    ),
    "policy-invalid": ProblemKind(
        422,
        "Policy candidate refused",
        "Fix each problem listed in 'errors' (file and line) and reload again; the running policy is unchanged.",
    ),
}


class GatewayError(Exception):
    """Base of the gateway's exceptions; ``kind`` names an entry of :data:`PROBLEMS`."""

    kind = "internal"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConfigError(GatewayError):
    """A configuration or policy file is invalid; shown as ``file:line:column: message``, as much as is known.

    ``line`` and ``column`` are 1-based; a column without a line is not shown.
    """

    kind = "config-invalid"

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        place = [] if line is None else [str(line)] if column is None else [str(line), str(column)]
        where = ":".join([file, *place] if file else place)
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column


class _ProblemError(GatewayError):
    """An error whose kind is chosen by the raiser from :data:`PROBLEMS`."""

    def __init__(self, kind: str, detail: str) -> None:
        if kind not in PROBLEMS:
            raise ValueError(f"unknown problem kind {kind!r}")
        super().__init__(detail)
        self.kind = kind

    @property
    def status(self) -> int:
        return PROBLEMS[self.kind].status


class RequestRejected(_ProblemError):
    """The caller's request cannot be taken: bad token, unknown route, bad body."""


class Overloaded(_ProblemError):
    """More transfers are in flight than the configured cap."""

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__("overloaded", detail)
        self.retry_after = retry_after


class CountersUnavailable(_ProblemError):
    """The year's counts of individuals could not be saved, so nothing may be forwarded."""

    def __init__(self, detail: str) -> None:
        super().__init__("counters-unavailable", detail)


class ConsentsUnavailable(_ProblemError):
    """The consent registry could not be read, so the transfer cannot be decided."""

    def __init__(self, detail: str) -> None:
        super().__init__("consents-unavailable", detail)


class AuditUnavailable(_ProblemError):
    """The audit log could not make a record durable, so nothing may be forwarded."""

    def __init__(self, detail: str) -> None:
        super().__init__("audit-unavailable", detail)


class UpstreamFailed(_ProblemError):
    """The recipient refused, reset or did not answer in time."""


class AuditCorrupt(GatewayError):
    """A stored audit trail does not verify: a record was changed, removed or reordered."""

    kind = "audit-corrupt"

    def __init__(self, detail: str, *, index: int | None = None, want: str = "", got: str = "") -> None:
        super().__init__(detail)
        self.index = index
        self.want = want
        self.got = got
