"""Shared fixtures: keys, tokens, a recording recipient, and a gateway configuration in a temporary folder."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import settings

from gateway.cli import mint_token
from gateway.config import Config, Limits
from gateway.demo import AUDIENCE, ISSUER, loopback_config, write_loopback_keys
from gateway.keys import SigningKey, generate_signing_key

# Property tests check laws, not speed: no per-example deadline, which would flake on a shared CI machine.
settings.register_profile("gateway", deadline=None)
settings.load_profile("gateway")

REPO = Path(__file__).resolve().parents[1]

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
    """A gateway on loopback in front of ``upstream``, trusting ``signing_key``, with its data under ``tmp_path``."""
    data_dir = tmp_path / "data"
    write_loopback_keys(data_dir, signing_key)
    return loopback_config(data_dir, upstream, default_purpose="payroll", limits=limits)


@pytest.fixture
def token_for(signing_key: SigningKey) -> Callable[..., str]:
    def mint(
        organisation: str = "sip-precision-manufacturing",
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
