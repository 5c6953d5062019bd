"""Shared fixtures: keys, tokens, a recording recipient, and a gateway configuration in a temporary folder."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
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
from tests.postgres import fresh_schema

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


# A small vocabulary for policies written inline by the tests, so that they do not depend on the shipped
# policies/vocabulary.yaml (which grows with the shipped policy). Each entry is one the policy tests name.
POLICY_VOCABULARY = """\
categories:
  NP.PUBLIC:       {level: public}
  NP.BUSINESS:     {level: general}
  PI.BASIC:        {level: personal}
  PI.CONTACT:      {level: personal}
  PI.EMPLOYEE:     {level: personal}
  PI.TRANSACTION:  {level: personal}
  SPI.GOV_ID:      {level: sensitive}
  SPI.FIN_ACCOUNT: {level: sensitive}
  SPI.HEALTH:      {level: sensitive}
  SPI.MINOR_U14:   {level: sensitive}
  IMP.DATA:        {level: important}
  CORE.DATA:       {level: core}
mechanisms:
  CN_SCC:          {kind: held, basis: "PIPL Art 38(3)"}
  CN_CERT:         {kind: held, basis: "PIPL Art 38(2)"}
  SG_LEO_CONTRACT: {kind: held, basis: "PDPR reg 11(2)", requires_countries: true}
  SG_LEO_BCR:      {kind: held, basis: "PDPR reg 11(3)", related_only: true}
  CN_EX_TRADE:     {kind: exemption, basis: "2024 Provisions Art 3"}
  CN_EX_HR:        {kind: exemption, basis: "2024 Provisions Art 5(2)"}
  CN_CONSENT:      {kind: consent, basis: "PIPL Art 13(1)"}
purposes:
  payroll:           {en: Payroll}
  hr_administration: {en: HR administration}
  marketing:         {en: Marketing}
jurisdictions:
  CN: {en: China}
  SG: {en: Singapore}
  MY: {en: Malaysia}
scenarios:
  general: {en: General}
  hr:      {en: Cross-border HR management}
"""


@pytest.fixture(scope="session")
def write_policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """A writer of policy directories: ``write(policy_yaml, vocabulary=..., cases={file: yaml}) -> directory``.

    Each call makes a new directory holding ``vocabulary.yaml`` (the inline vocabulary unless given), ``policy.yaml``
    (which should say ``vocabulary: vocabulary.yaml``) and, for ``cases``, ``tests/<file>``. Session-scoped, so that
    module-scoped fixtures and property tests can use it too.
    """

    def write(policy: str, *, vocabulary: str = POLICY_VOCABULARY, cases: dict[str, str] | None = None) -> Path:
        directory = tmp_path_factory.mktemp("policy")
        (directory / "vocabulary.yaml").write_text(vocabulary, encoding="utf-8")
        (directory / "policy.yaml").write_text(policy, encoding="utf-8")
        if cases:
            (directory / "tests").mkdir()
            for name, text in cases.items():
                (directory / "tests" / name).write_text(text, encoding="utf-8")
        return directory

    return write


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    """A PostgreSQL DSN on a fresh schema of its own (skipped, with the reason, where there is no server)."""
    with fresh_schema() as dsn:
        yield dsn
