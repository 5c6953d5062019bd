"""Gateway configuration: one YAML file, validated once at start-up. Paths are relative to the file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from gateway.policy.source import Reader, child, load_yaml

__all__ = [
    "DSN_ENVIRONMENT_VARIABLE",
    "TRACE_EXPORTERS",
    "AuditConfig",
    "AuthConfig",
    "Config",
    "Limits",
    "PolicySignature",
    "Route",
    "load_config",
]

DSN_ENVIRONMENT_VARIABLE = "GATEWAY_DATABASE_DSN"
TRACE_EXPORTERS = frozenset({"none", "console", "otlp"})  # otlp: OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT


@dataclass(frozen=True, slots=True)
class Route:
    """A route name maps to the recipient's base URL and its identity in the policy."""

    name: str
    upstream: str
    recipient: str
    default_purpose: str
    default_scenario: str = "general"


@dataclass(frozen=True, slots=True)
class AuthConfig:
    jwks_file: Path
    issuer: str
    audience: str
    roles_claim: str = "roles"
    organisation_claim: str = "org"
    leeway_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int = 1 << 20
    max_depth: int = 32
    max_in_flight: int = 256
    connect_timeout: float = 2.0
    total_timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class PolicySignature:
    """Whether a policy must carry a valid ``policy.jws``, and the Ed25519 public keys (PEM files) trusted for it."""

    required: bool = False
    public_keys: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class AuditConfig:
    """The audit log's name in its checkpoints, and how often a checkpoint is signed while records arrive."""

    origin: str = "sip-sg-gateway.example/audit"
    checkpoint_interval_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class Config:
    host: str
    port: int
    data_dir: Path
    policy_dir: Path
    audit_hmac_key_file: Path
    token_signing_file: Path | None
    auth: AuthConfig
    routes: dict[str, Route]
    limits: Limits = field(default_factory=Limits)
    traces: str = "none"
    source: str = ""
    shadow_policy_dir: Path | None = None  # a policy that decides beside the live one and is never enforced
    policy_signature: PolicySignature = field(default_factory=PolicySignature)
    audit: AuditConfig = field(default_factory=AuditConfig)
    checkpoint_key_file: Path | None = None  # default: checkpoint.key beside the audit HMAC key
    database_dsn: str | None = None  # PostgreSQL, shared by several nodes; None: SQLite files in data_dir

    @property
    def audit_db(self) -> Path:
        return self.data_dir / "audit.sqlite3"

    @property
    def consent_db(self) -> Path:
        return self.data_dir / "consents.sqlite3"

    @property
    def counters_db(self) -> Path:
        return self.data_dir / "counters.sqlite3"

    @property
    def consent_receipt_key(self) -> Path:
        """The Ed25519 key that signs consent receipts (PEM); its public half is served as a JWKS."""
        return self.keys_dir / "consent-receipt.pem"

    @property
    def keys_dir(self) -> Path:
        """Where the gateway's own keys live: the audit HMAC key's directory."""
        return self.audit_hmac_key_file.parent

    @property
    def checkpoint_key(self) -> Path:
        """The Ed25519 key that signs the log's checkpoints (Go's signed-note text form)."""
        return self.checkpoint_key_file or self.keys_dir / "checkpoint.key"


def _path(r: Reader, pointer: str, base: Path) -> Path:
    return (base / r.string(pointer)).resolve()


def _directory(r: Reader, pointer: str, base: Path) -> Path:
    """An absolute path that keeps symbolic links, so a reload follows a link the operator has switched."""
    return Path(os.path.normpath(base / r.string(pointer)))


def _signature(r: Reader, base: Path) -> PolicySignature:
    r.mapping("/policy_signature", allowed={"required", "public_keys"}, required=False)
    required = r.boolean("/policy_signature/required", default=False)
    if r.at("/policy_signature/public_keys") is None:
        if required:
            raise r.doc.error("/policy_signature", "required: true needs public_keys, the PEM files of trusted keys")
        return PolicySignature(required=required)
    keys = r.strings("/policy_signature/public_keys")
    return PolicySignature(required, tuple((base / key).resolve() for key in keys))


def _audit(r: Reader) -> AuditConfig:
    r.mapping("/audit", allowed={"origin", "checkpoint_interval_seconds"}, required=False)
    d = AuditConfig()
    origin = r.string("/audit/origin", default=d.origin)
    if not origin or any(c.isspace() or c == "+" for c in origin) or not origin.isprintable():
        raise r.doc.error("/audit/origin", "a log origin is printable, without spaces or '+' (e.g. host/path)")
    interval = r.number("/audit/checkpoint_interval_seconds", default=d.checkpoint_interval_seconds)
    if not 0.1 <= interval <= 86400:
        raise r.doc.error("/audit/checkpoint_interval_seconds", "must be between 0.1 and 86400 seconds")
    return AuditConfig(origin, interval)


def _route(r: Reader, name: str) -> Route:
    p = child("/routes", name)
    r.mapping(p, allowed={"upstream", "recipient", "default_purpose", "default_scenario"})
    upstream = r.string(child(p, "upstream")).rstrip("/")
    parts = urlsplit(upstream)
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError as e:
        raise r.doc.error(child(p, "upstream"), f"has an invalid port: {e}") from e
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise r.doc.error(child(p, "upstream"), "must be an http:// or https:// URL")
    if parts.query or parts.fragment:
        raise r.doc.error(child(p, "upstream"), "must have no query or fragment: the transfer's own path follows it")
    return Route(
        name,
        upstream,
        r.string(child(p, "recipient")),
        r.string(child(p, "default_purpose")),
        r.string(child(p, "default_scenario"), default="general"),
    )


def _dsn(r: Reader) -> str | None:
    """The PostgreSQL DSN: ``GATEWAY_DATABASE_DSN`` if set (a secret need not sit in the file), else
    ``database.dsn``; ``None`` keeps the SQLite files."""
    from_env = os.environ.get(DSN_ENVIRONMENT_VARIABLE)
    if from_env:
        dsn = from_env
    elif r.at("/database/dsn") is not None:
        dsn = r.string("/database/dsn")
    else:
        return None
    if urlsplit(dsn).scheme not in {"postgresql", "postgres"}:
        where = DSN_ENVIRONMENT_VARIABLE if from_env else "database.dsn"
        # the DSN is never echoed: it may hold a password
        raise r.doc.error("/database/dsn", f"{where} must be a postgresql:// URL")
    return dsn


def load_config(path: Path) -> Config:
    """Read and validate a configuration file; errors name the file and line."""
    r = Reader(load_yaml(path))
    base = path.resolve().parent
    r.mapping(
        "",
        allowed={
            "listen",
            "data_dir",
            "policy",
            "shadow_policy",
            "policy_signature",
            "auth",
            "keys",
            "routes",
            "limits",
            "telemetry",
            "audit",
            "database",
        },
    )
    r.mapping("/listen", allowed={"host", "port"})
    r.mapping(
        "/auth", allowed={"jwks_file", "issuer", "audience", "roles_claim", "organisation_claim", "leeway_seconds"}
    )
    r.mapping("/keys", allowed={"audit_hmac_file", "token_signing_file", "checkpoint_signing_file"})
    r.mapping("/limits", allowed=set(Limits.__dataclass_fields__), required=False)
    r.mapping("/telemetry", allowed={"traces"}, required=False)
    r.mapping("/database", allowed={"dsn"}, required=False)
    d = Limits()
    limits = Limits(
        max_body_bytes=r.integer("/limits/max_body_bytes", default=d.max_body_bytes),
        max_depth=r.integer("/limits/max_depth", default=d.max_depth),
        max_in_flight=r.integer("/limits/max_in_flight", default=d.max_in_flight),
        connect_timeout=r.number("/limits/connect_timeout", default=d.connect_timeout),
        total_timeout=r.number("/limits/total_timeout", default=d.total_timeout),
    )
    routes = {name: _route(r, name) for name in r.mapping("/routes")}
    traces = r.string("/telemetry/traces", default="none")
    if traces not in TRACE_EXPORTERS:
        raise r.doc.error("/telemetry/traces", "must be one of " + ", ".join(sorted(TRACE_EXPORTERS)))
    if not routes:
        raise r.doc.error("/routes", "configure at least one route")
    port = r.integer("/listen/port", default=-1)
    if not 0 <= port <= 65535:
        raise r.doc.error("/listen/port", "must be a port number between 0 and 65535")
    return Config(
        host=r.string("/listen/host"),
        port=port,
        data_dir=_path(r, "/data_dir", base),
        policy_dir=_directory(r, "/policy", base),
        audit_hmac_key_file=_path(r, "/keys/audit_hmac_file", base),
        token_signing_file=_path(r, "/keys/token_signing_file", base) if r.at("/keys/token_signing_file") else None,
        auth=AuthConfig(
            jwks_file=_path(r, "/auth/jwks_file", base),
            issuer=r.string("/auth/issuer"),
            audience=r.string("/auth/audience"),
            roles_claim=r.string("/auth/roles_claim", default="roles"),
            organisation_claim=r.string("/auth/organisation_claim", default="org"),
            leeway_seconds=r.number("/auth/leeway_seconds", default=30.0),
        ),
        routes=routes,
        limits=limits,
        traces=traces,
        source=str(path),
        shadow_policy_dir=_directory(r, "/shadow_policy", base) if r.at("/shadow_policy") is not None else None,
        policy_signature=_signature(r, base),
        audit=_audit(r),
        checkpoint_key_file=(
            _path(r, "/keys/checkpoint_signing_file", base) if r.at("/keys/checkpoint_signing_file") else None
        ),
        database_dsn=_dsn(r),
    )
