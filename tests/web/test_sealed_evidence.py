"""Sealed evidence through the real gateway: the original body, sealed to a regulator's key beside the record,
committed to by the record's digest, fetched over HTTP by the regulator and opened offline with `gateway audit unseal`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.cli import main
from gateway.evidence import evidence_key_file
from gateway.keys import SigningKey
from gateway.web.app import build_app
from tests.conftest import EMAIL, IDENTIFIERS, MOBILE, REPO, Recipient, audit_bytes, make_config

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
Mint = Callable[..., str]

SEAL_RULE = """
  - id: SIP-EVIDENCE-01
    description: The original of every transfer of contact data is sealed for the park's administration.
    legal: "MOFCOM notice on SIP (2024-11), sandbox supervision"
    when: {categories_any: [PI.CONTACT]}
    effect: oblige
    obligations:
      - seal_evidence: {for: sip-admin}
"""


def _policy_with_seal(folder: Path) -> Path:
    """The shipped policy with one more rule: contact data is sealed for the regulator key ``sip-admin``."""
    shutil.copytree(REPO / "policies", folder / "policies")
    policy = folder / "policies" / "sip-sg" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8") + SEAL_RULE, encoding="utf-8")
    return policy.parent


async def test_the_regulator_opens_the_original_and_nobody_else_reads_it(
    aiohttp_server: ServerFactory, tmp_path: Path, signing_key: SigningKey, token_for: Mint
) -> None:
    recipient = Recipient()
    upstream = await aiohttp_server(recipient.app())
    config = make_config(tmp_path, signing_key, str(upstream.make_url("")).rstrip("/"))
    config = replace(config, policy_dir=_policy_with_seal(tmp_path))
    regulator_key = tmp_path / "regulator" / "sip-admin.pem"
    public = evidence_key_file(config.keys_dir, "sip-admin")
    public.parent.mkdir(parents=True)
    assert main(["audit", "keygen", "--private", str(regulator_key), "--public", str(public)]) == 0
    server = await aiohttp_server(build_app(config, reload_on_sighup=False))
    url = str(server.make_url("")).rstrip("/")
    body = json.dumps({"employee_no": "E-1", "mobile": MOBILE, "email": EMAIL}).encode()
    sender = {"Authorization": f"Bearer {token_for()}", "Gateway-Purpose": "payroll", "Gateway-Scenario": "hr"}
    regulator = {"Authorization": f"Bearer {token_for('sip-administration', roles=('regulator',))}"}
    async with aiohttp.ClientSession() as client:
        async with client.post(
            url + "/transfer/sg-hr/employees", data=body, headers=sender | {"Content-Type": "application/json"}
        ) as r:
            assert r.status == 200
            index, decision_id = r.headers["Gateway-Audit-Index"], r.headers["Gateway-Decision-Id"]
        async with client.get(f"{url}/v1/audit/records/{index}", headers=regulator) as r:
            record = (await r.json())["record"]
        async with client.get(f"{url}/v1/audit/records/{index}/evidence", headers=regulator) as r:
            assert r.status == 200
            blob = await r.read()
        async with client.get(
            f"{url}/v1/audit/records/{index}/evidence", headers={"Authorization": sender["Authorization"]}
        ) as r:
            assert r.status == 403  # an enterprise does not read sealed evidence, not even its own
        async with client.get(
            f"{url}/v1/audit/records/{index}/evidence", params={"for": "pdpc"}, headers=regulator
        ) as r:
            assert r.status == 404

    assert "mask" in record["obligations"]  # the recipient got a masked body ...
    assert json.loads(recipient.received[0]["body"])["mobile"] != MOBILE
    [evidence] = record["evidence"]  # ... and the record commits to the sealed original
    assert evidence["for"] == "sip-admin"
    assert evidence["digest"] == "sha256:" + hashlib.sha256(blob).hexdigest()
    for identifier in IDENTIFIERS:
        assert identifier.encode() not in blob  # sealed, not stored in the clear
        assert identifier.encode() not in audit_bytes(config.data_dir)

    sealed = tmp_path / "evidence.bin"
    sealed.write_bytes(blob)
    opened = tmp_path / "opened.json"
    args = [
        "audit",
        "unseal",
        str(sealed),
        "--key",
        str(regulator_key),
        "--decision-id",
        decision_id,
        "-o",
        str(opened),
    ]
    assert main(args) == 0
    assert opened.read_bytes() == body
    other = tmp_path / "other.json"
    args = [
        "audit",
        "unseal",
        str(sealed),
        "--key",
        str(regulator_key),
        "--decision-id",
        "another-record",
        "-o",
        str(other),
    ]
    assert main(args) == 1  # bound to its record: it does not open as another's
    assert not other.exists()
