"""Gateway configuration files: a deploy-style file loads, paths resolve against it, errors name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import Limits, Route, load_config
from gateway.errors import ConfigError
from tests.textedit import edit_once, line_of

DEPLOY = """\
# Gateway of the SIP - Singapore corridor, as deployed.
listen:
  host: 10.8.0.5
  port: 8443
data_dir: ../var/gateway
policy: policies/sip-sg
auth:
  jwks_file: keys/jwks.json
  issuer: https://idp.sip-precision.example
  audience: sip-sg-gateway
  leeway_seconds: 10
keys:
  audit_hmac_file: keys/audit-hmac.key
  token_signing_file: keys/token-signing.pem
limits:
  max_body_bytes: 65536
  max_depth: 16
  max_in_flight: 64
  connect_timeout: 1.5
  total_timeout: 5
telemetry:
  traces: console
audit:
  origin: gateway.sip-precision.example/audit
  checkpoint_interval_seconds: 30
routes:
  sg-hr:
    upstream: https://api.merlion-people.example/v1/
    recipient: sg-hr
    default_purpose: payroll
    default_scenario: hr
  sg-logistics:
    upstream: http://127.0.0.1:9000
    recipient: sg-logistics
    default_purpose: logistics
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "etc" / "gateway.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_deploy_config_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full configuration loads; relative paths resolve against the file's folder, not the working directory."""
    path = _write(tmp_path, DEPLOY)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(path)
    etc = (tmp_path / "etc").resolve()
    assert (config.host, config.port) == ("10.8.0.5", 8443)
    assert config.data_dir == (tmp_path / "var" / "gateway").resolve()
    assert config.audit_db == config.data_dir / "audit.sqlite3"
    assert config.policy_dir == etc / "policies" / "sip-sg"
    assert config.audit_hmac_key_file == etc / "keys" / "audit-hmac.key"
    assert config.token_signing_file == etc / "keys" / "token-signing.pem"
    assert config.auth.jwks_file == etc / "keys" / "jwks.json"
    assert (config.auth.issuer, config.auth.audience) == ("https://idp.sip-precision.example", "sip-sg-gateway")
    assert (config.auth.roles_claim, config.auth.organisation_claim) == ("roles", "org")
    assert config.auth.leeway_seconds == 10.0
    assert config.limits == Limits(65536, 16, 64, 1.5, 5.0)
    assert config.traces == "console"
    assert config.routes == {
        "sg-hr": Route("sg-hr", "https://api.merlion-people.example/v1", "sg-hr", "payroll", "hr"),
        "sg-logistics": Route("sg-logistics", "http://127.0.0.1:9000", "sg-logistics", "logistics", "general"),
    }
    assert config.source == str(path)


def test_minimal_config_takes_defaults(tmp_path: Path) -> None:
    """Without limits, telemetry or a token signing key, the defaults apply."""
    text = DEPLOY.split("limits:", maxsplit=1)[0].replace("  token_signing_file: keys/token-signing.pem\n", "")
    text += "routes:\n  sg-hr: {upstream: 'https://hr.example', recipient: sg-hr, default_purpose: payroll}\n"
    config = load_config(_write(tmp_path, text))
    assert config.limits == Limits()
    assert config.traces == "none"
    assert config.token_signing_file is None
    assert config.auth.leeway_seconds == 10.0


# (id, old text, new text, marker on the line the error must name, fragment of the message)
INVALID: list[tuple[str, str, str, str, str]] = [
    ("unknown-top-level", "data_dir:", "colour: blue\ndata_dir:", "colour: blue", "unknown field 'colour'"),
    ("unknown-in-listen", "  port: 8443\n", "  port: 8443\n  backlog: 10\n", "backlog", "unknown field 'backlog'"),
    ("unknown-in-limits", "  max_depth: 16\n", "  max_depth: 16\n  max_rps: 5\n", "max_rps", "unknown field 'max_rps'"),
    (
        "unknown-in-route",
        "    default_scenario: hr\n",
        "    default_scenario: hr\n    retries: 3\n",
        "retries",
        "unknown field 'retries'",
    ),
    ("upstream-ftp", "http://127.0.0.1:9000", "ftp://127.0.0.1:9000", "ftp://", "http:// or https:// URL"),
    ("upstream-no-scheme", "http://127.0.0.1:9000", "127.0.0.1:9000/api", "127.0.0.1:9000/api", "http:// or https://"),
    ("upstream-no-host", "http://127.0.0.1:9000", "http://", "upstream: http://", "http:// or https:// URL"),
    ("port-too-large", "port: 8443", "port: 70000", "70000", "between 0 and 65535"),
    ("port-negative", "port: 8443", "port: -1", "port: -1", "whole number"),
    ("port-not-a-number", "port: 8443", "port: https", "port: https", "whole number"),
    ("port-boolean", "port: 8443", "port: true", "port: true", "whole number"),
    ("routes-empty", DEPLOY[DEPLOY.index("routes:") :], "routes: {}\n", "routes: {}", "at least one route"),
    ("limit-negative", "max_in_flight: 64", "max_in_flight: -5", "-5", "whole number"),
    ("timeout-text", "total_timeout: 5", "total_timeout: soon", "soon", "number >= 0"),
    ("traces-unknown", "traces: console", "traces: jaeger", "jaeger", "must be one of console, none, otlp"),
    ("auth-issuer-empty", "issuer: https://idp.sip-precision.example", "issuer: ''", "issuer: ''", "non-empty"),
    ("origin-with-space", "origin: gateway.sip-precision.example/audit", "origin: my log", "my log", "without spaces"),
    ("origin-with-plus", "origin: gateway.sip-precision.example/audit", "origin: a+b", "a+b", "without spaces or '+'"),
    ("interval-zero", "checkpoint_interval_seconds: 30", "checkpoint_interval_seconds: 0", "seconds: 0", "between 0.1"),
    ("yaml-duplicate-key", "  port: 8443\n", "  port: 8443\n  port: 8444\n", "8444", "duplicate key 'port'"),
]


@pytest.mark.parametrize(("old", "new", "marker", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_config_names_file_and_line(tmp_path: Path, old: str, new: str, marker: str, message: str) -> None:
    """Each invalid setting raises ConfigError naming the file and the line of the setting."""
    text = edit_once(DEPLOY, old, new)
    path = _write(tmp_path, text)
    line = line_of(text, marker)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}:"), str(caught.value)
    assert (caught.value.file, caught.value.line) == (str(path), line)


@pytest.mark.parametrize(
    "upstream",
    ["https://api.merlion-people.example:notaport/v1", "https://api.merlion-people.example:99999"],
    ids=["port-not-numeric", "port-out-of-range"],
)
def test_upstream_with_invalid_port_is_refused(tmp_path: Path, upstream: str) -> None:
    """An upstream URL whose port is not a valid port number is refused at start-up, naming its line."""
    text = edit_once(DEPLOY, "https://api.merlion-people.example/v1/", upstream)
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match="upstream") as caught:
        load_config(path)
    assert caught.value.line == line_of(text, upstream)


def _without(text: str, section: str) -> str:
    """``text`` without the top-level ``section`` and the indented lines under it."""
    kept, owner = [], ""
    for line in text.splitlines(keepends=True):
        if line[:1].isalpha():
            owner = line.split(":", 1)[0]
        if owner != section:
            kept.append(line)
    return "".join(kept)


def test_missing_routes_is_an_error(tmp_path: Path) -> None:
    """A configuration without a routes section is refused, naming the file and '/routes'."""
    path = _write(tmp_path, _without(DEPLOY, "routes"))
    with pytest.raises(ConfigError, match="/routes: must be a mapping") as caught:
        load_config(path)
    assert caught.value.file == str(path)
    assert caught.value.line is not None


@pytest.mark.parametrize("section", ["listen", "auth", "keys"])
def test_missing_required_section_is_an_error(tmp_path: Path, section: str) -> None:
    """Leaving out listen, auth or keys is a ConfigError naming the section."""
    with pytest.raises(ConfigError, match=f"/{section}: must be a mapping"):
        load_config(_write(tmp_path, _without(DEPLOY, section)))
