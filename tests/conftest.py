"""Shared fixtures: keys, tokens, a recording recipient, and a gateway configuration in a temporary folder."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gateway.cli import mint_token
from gateway.config import AuthConfig, Config, Limits, Route
from gateway.keys import SigningKey, generate_signing_key, new_secret, write_private

REPO = Path(__file__).resolve().parents[1]
POLICY_DIR = REPO / "policies" / "sip-sg"
ISSUER = "https://idp.test.sip.example"
AUDIENCE = "sip-sg-gateway"

# Published or reserved example identifiers, never real people's: the GB 11643-1999 worked example, the customary
# 13800138000 placeholder, an RFC 2606 domain, and an NRIC with a valid check letter built from the published
# algorithm.
RESIDENT_ID = "11010519491231002X"
MOBILE = "13800138000"
EMAIL = "wang.fang@example.com"
NRIC = "S1234567D"
IDENTIFIERS = (RESIDENT_ID, MOBILE, EMAIL, NRIC)


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return generate_signing_key()


@dataclass
class Recipient:
    """A stand-in recipient that records every request it receives."""

    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> web.Application:
        async def record(request: web.Request) -> web.Response:
            body = await request.read()
            self.received.append({"path": request.path, "body": body, "headers": dict(request.headers)})
            return web.json_response({"ok": True})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", record)
        return app


def make_config(tmp_path: Path, signing_key: SigningKey, upstream: str, limits: Limits | None = None) -> Config:
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    jwks = keys / "jwks.json"
    jwks.write_text(json.dumps(signing_key.jwks()), encoding="utf-8")
    hmac_file = keys / "audit-hmac.key"
    if not hmac_file.exists():
        write_private(hmac_file, new_secret().hex().encode())
    return Config(
        host="127.0.0.1",
        port=0,
        data_dir=tmp_path / "data",
        policy_dir=POLICY_DIR,
        audit_hmac_key_file=hmac_file,
        token_signing_file=None,
        auth=AuthConfig(jwks_file=jwks, issuer=ISSUER, audience=AUDIENCE),
        routes={"sg-hr": Route("sg-hr", upstream, "sg-hr", "payroll")},
        limits=limits or Limits(),
        source="<test>",
    )


@pytest.fixture
def token_for(signing_key: SigningKey) -> Callable[..., str]:
    def mint(
        organisation: str = "sip-precision",
        *,
        ttl: int = 600,
        now: float | None = None,
        subject: str = "hr-sync",
        roles: tuple[str, ...] = ("enterprise",),
    ) -> str:
        return mint_token(
            signing_key.private_pem,
            signing_key.kid,
            issuer=ISSUER,
            audience=AUDIENCE,
            organisation=organisation,
            subject=subject,
            roles=roles,
            ttl=ttl,
            now=time.time() if now is None else now,
        )

    return mint


def audit_bytes(data_dir: Path) -> bytes:
    """Every byte the audit store wrote: the database and its WAL."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("audit.sqlite3*")))
