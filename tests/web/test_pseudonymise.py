"""Pseudonymisation through the real gateway: the policy names a key, the gateway holds it, the recipient gets
a stable pseudonym instead of the identifier, and a policy naming a key the gateway lacks is refused at start."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.errors import ConfigError
from gateway.keys import SigningKey, create_pseudonym_keys
from gateway.policy.obligations import PSEUDONYM_PREFIX
from gateway.web.app import build_app, prepare
from tests.conftest import MOBILE, make_config

REPO = Path(__file__).resolve().parents[2]
PSEUDONYMISE = """
  - id: TEST-PSEUDONYM-01
    description: Employee e-mail addresses reach the HR provider as pseudonyms it can match, not read.
    legal: PIPL Art 6 (minimum necessary); PIPL Art 73(3) (de-identification)
    when: {origin: [CN], categories_any: [PI.CONTACT]}
    effect: oblige
    obligations:
      - pseudonymise: {detectors: [email], key: hr-2026}
"""


def _policy_with_pseudonyms(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    policy = tmp_path / "policies" / "sip-sg" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8") + PSEUDONYMISE, encoding="utf-8")
    return policy.parent


def test_a_policy_naming_a_missing_key_is_refused_at_start(tmp_path: Path, signing_key: SigningKey) -> None:
    config = replace(
        make_config(tmp_path, signing_key, "http://127.0.0.1:9"), policy_dir=_policy_with_pseudonyms(tmp_path)
    )
    with pytest.raises(ConfigError) as caught:
        prepare(config)
    assert "'hr-2026'" in str(caught.value)
    assert "pseudonym/hr-2026.key" in str(caught.value)


async def test_the_recipient_gets_a_stable_pseudonym(tmp_path: Path, signing_key: SigningKey, token_for: Any) -> None:
    received: list[Any] = []

    async def recipient(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"ok": True})

    upstream_app = web.Application()
    upstream_app.router.add_post("/{tail:.*}", recipient)
    async with TestServer(upstream_app) as upstream:
        base = str(upstream.make_url("")).rstrip("/")
        config = replace(make_config(tmp_path, signing_key, base), policy_dir=_policy_with_pseudonyms(tmp_path))
        created = create_pseudonym_keys(config.audit_hmac_key_file.parent, frozenset({"hr-2026"}))
        assert [p.name for p in created] == ["hr-2026.key"]
        async with TestClient(TestServer(build_app(config, reload_on_sighup=False))) as client:
            headers = {"Authorization": f"Bearer {token_for()}", "Gateway-Purpose": "payroll"}
            body = {"employee_no": "E-1", "mobile": MOBILE, "email": "wang.fang@example.com"}
            for _ in range(2):
                async with client.post("/transfer/sg-hr/employees", json=body, headers=headers) as r:
                    assert r.status == 200, await r.text()
    first, second = received
    assert first["email"].startswith(PSEUDONYM_PREFIX)
    assert "wang.fang" not in json.dumps(first)
    assert first["email"] == second["email"]  # the same person, the same pseudonym: records stay matchable
    assert first["mobile"] == "*******8000"  # the corridor's own masking still applies beside it
