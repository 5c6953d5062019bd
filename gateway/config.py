"""Gateway configuration: one YAML file, validated once at start-up. Paths are relative to the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from gateway.policy.source import Reader, child, load_yaml

__all__ = ["AuthConfig", "Config", "Limits", "Route", "load_config"]


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

    @property
    def audit_db(self) -> Path:
        return self.data_dir / "audit.sqlite3"


def _path(r: Reader, pointer: str, base: Path) -> Path:
    return (base / r.string(pointer)).resolve()


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


def load_config(path: Path) -> Config:
    """Read and validate a configuration file; errors name the file and line."""
    r = Reader(load_yaml(path))
    base = path.resolve().parent
    r.mapping("", allowed={"listen", "data_dir", "policy", "auth", "keys", "routes", "limits", "telemetry"})
    r.mapping("/listen", allowed={"host", "port"})
    r.mapping(
        "/auth", allowed={"jwks_file", "issuer", "audience", "roles_claim", "organisation_claim", "leeway_seconds"}
    )
    r.mapping("/keys", allowed={"audit_hmac_file", "token_signing_file"})
    r.mapping("/limits", allowed=set(Limits.__dataclass_fields__), required=False)
    r.mapping("/telemetry", allowed={"traces"}, required=False)
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
    if traces not in {"none", "console"}:
        raise r.doc.error("/telemetry/traces", "must be 'none' or 'console'")
    if not routes:
        raise r.doc.error("/routes", "configure at least one route")
    port = r.integer("/listen/port", default=-1)
    if not 0 <= port <= 65535:
        raise r.doc.error("/listen/port", "must be a port number between 0 and 65535")
    return Config(
        host=r.string("/listen/host"),
        port=port,
        data_dir=_path(r, "/data_dir", base),
        policy_dir=_path(r, "/policy", base),
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
    )
