"""``gateway demo``: a Singapore HR system stand-in, the gateway, and scripted transfers, all on loopback.

Everything runs in one process: the demo recipient echoes what it received, the gateway runs the example policy
in ``policies/sip-sg`` with fresh keys, and a client sends a scripted set of transfers. The identifiers used are
published examples (GB 11643-1999's worked resident-ID example, the customary 13800138000 placeholder number,
RFC 2606 example domains), never real people's data.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from gateway.audit.export import render_report, verify_export
from gateway.audit.note import NoteVerifier
from gateway.cli import mint_token
from gateway.config import AuditConfig, AuthConfig, Config, Limits, Route
from gateway.consent.receipt import create_receipt_key
from gateway.keys import (
    SigningKey,
    create_checkpoint_key,
    generate_signing_key,
    load_checkpoint_signer,
    new_secret,
    write_private,
)
from gateway.pipeline import SENDER_ROLE
from gateway.stores.sqlite_audit import verify_file
from gateway.telemetry import configure_logging
from gateway.web.app import build_app

__all__ = [
    "SCENES",
    "Scene",
    "loopback_config",
    "new_loopback_identity",
    "run_demo",
    "run_recipient",
    "write_loopback_keys",
]

POLICY_DIR = Path(__file__).resolve().parents[1] / "policies" / "sip-sg"
ISSUER = "https://idp.demo.sip.example"
AUDIENCE = "sip-sg-gateway"
EXPORTER = "sip-precision-manufacturing"


@dataclass(frozen=True, slots=True)
class Scene:
    """One scripted transfer."""

    title: str
    path: str
    purpose: str
    body: bytes
    content_type: str = "application/json"
    scenario: str = "hr"  # cross-border HR management unless the scene says otherwise


def _json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


SCENES = (
    Scene(
        "Headcount report, no personal data",
        "/reports/headcount",
        "hr_administration",
        _json({"period": "2026-10", "site": "SIP", "headcount": {"engineering": 412, "operations": 208}}),
    ),
    Scene(
        "Employee contact card",
        "/employees",
        "payroll",
        _json(
            {
                "employee_no": "E-10293",
                "department": "operations",
                "mobile": "13800138000",
                "email": "wang.fang@example.com",
            }
        ),
    ),
    Scene(
        "Payroll record with resident ID, no exemption",
        "/employees",
        "payroll",
        _json({"employee_no": "E-10294", "id_card": "11010519491231002X", "grade": "P5"}),
        scenario="general",
    ),
    Scene(
        "Contact card under the contract",
        "/employees",
        "payroll",
        _json({"employee_no": "E-10296", "mobile": "13800138000"}),
        scenario="general",
    ),
    Scene(
        "Customer list for marketing",
        "/campaigns",
        "marketing",
        _json({"campaign": "autumn", "contacts": [{"email": "li.na@example.com"}]}),
    ),
    Scene("Malformed JSON", "/employees", "payroll", b'{"employee_no": "E-10295", "mobile": '),
)


def _recipient_app(received: list[Any] | None) -> web.Application:
    """The demo recipient: answers with what it received, and keeps it in ``received`` if one is given."""

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        doc = json.loads(body) if body else None
        if received is not None:
            received.append(doc)
        return web.json_response({"received": doc, "path": request.path, "recipient": "sg-hr (demo)"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


async def _start(app: web.Application, port: int, host: str = "127.0.0.1") -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, int(runner.addresses[0][1])


def write_loopback_keys(data_dir: Path, key: SigningKey) -> None:
    """The JWKS holding ``key`` and, if missing, an audit HMAC key and a checkpoint key, under ``data_dir/keys``."""
    keys = data_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    (keys / "jwks.json").write_text(json.dumps(key.jwks()), encoding="utf-8")
    if not (keys / "audit-hmac.key").exists():
        write_private(keys / "audit-hmac.key", new_secret().hex().encode())
    create_checkpoint_key(keys / "checkpoint.key", AuditConfig().origin)
    create_receipt_key(keys / "consent-receipt.pem")


def loopback_token(key: SigningKey, *, roles: Sequence[str], subject: str, ttl: int, org: str = EXPORTER) -> str:
    """A token from the loopback issuer (``key``) for ``org`` with ``roles``."""
    return mint_token(
        key.private_pem,
        key.kid,
        issuer=ISSUER,
        audience=AUDIENCE,
        organisation=org,
        subject=subject,
        roles=roles,
        ttl=ttl,
    )


def new_loopback_identity(data_dir: Path, *, subject: str, ttl: int) -> str:
    """Fresh keys under ``data_dir`` (as :func:`write_loopback_keys`) and a token for the demo exporter."""
    key = generate_signing_key()
    write_loopback_keys(data_dir, key)
    return loopback_token(key, roles=[SENDER_ROLE], subject=subject, ttl=ttl)


def loopback_config(
    data_dir: Path,
    upstream: str,
    *,
    port: int = 0,
    default_purpose: str = "hr_administration",
    default_scenario: str = "hr",
    limits: Limits | None = None,
) -> Config:
    """One gateway on loopback in front of ``upstream`` as route ``sg-hr``, with the example policy and the keys
    of :func:`write_loopback_keys`: the set-up of the demo, the tests and the benchmark."""
    keys = data_dir / "keys"
    return Config(
        host="127.0.0.1",
        port=port,
        data_dir=data_dir,
        policy_dir=POLICY_DIR,
        audit_hmac_key_file=keys / "audit-hmac.key",
        token_signing_file=None,
        auth=AuthConfig(jwks_file=keys / "jwks.json", issuer=ISSUER, audience=AUDIENCE),
        # The route leads to an HR provider: its transfers are cross-border HR management (2024 Provisions Art 5(2)).
        routes={"sg-hr": Route("sg-hr", upstream, "sg-hr", default_purpose, default_scenario)},
        limits=limits or Limits(),
        source="<loopback>",
    )


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(rows: list[list[str]]) -> str:
    header = ["#", "transfer", "decision", "status", "rule", "reason", "audit"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines)


def _why(number: int, answer: dict[str, Any]) -> list[str]:
    """The explanation a refusal carries: each mechanism the policy tried and why it could not be relied on."""
    explanation = answer.get("explanation") or {}
    tried = [
        f"   {m['mechanism']} {m.get('reference') or ''}".rstrip() + f": {m['why']}"
        for m in explanation.get("mechanisms", [])
    ]
    return [
        f"#{number} {answer.get('rule')}: {answer.get('detail')}",
        *tried,
        *(f"   {c}" for c in explanation.get("consent", [])),
    ]


async def _play(gateway_url: str, token: str) -> tuple[list[list[str]], list[str]]:
    rows = []
    why: list[str] = []
    async with aiohttp.ClientSession() as client:
        for number, scene in enumerate(SCENES, 1):
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": scene.content_type,
                "Gateway-Purpose": scene.purpose,
                "Gateway-Scenario": scene.scenario,
            }
            async with client.post(
                f"{gateway_url}/transfer/sg-hr{scene.path}", data=scene.body, headers=headers
            ) as response:
                answer = await response.json(content_type=None)
                decision = response.headers.get("Gateway-Decision", "?")
                index = response.headers.get("Gateway-Audit-Index", "-")
                if response.status < 400:
                    rule = response.headers.get("Gateway-Rule", "-")
                    mechanism = response.headers.get("Gateway-Mechanism")
                    reason = f"forwarded under {mechanism}" if mechanism else "forwarded; no mechanism needed"
                else:
                    rule = answer.get("rule") or str(answer.get("type", "-")).rsplit("/", 1)[-1]
                    reason = answer.get("detail", "")
                    if answer.get("explanation"):
                        why.extend(_why(number, answer))
                rows.append([str(number), scene.title, decision, str(response.status), rule, _cut(reason, 72), index])
    return rows, why


async def run_demo(*, serve: bool = False, port: int = 8080, data_dir: str | None = None) -> int:
    """Run the scripted demo (or, with ``serve``, keep the gateway up); 0 when the audit trail verifies."""
    configure_logging(level=logging.INFO if serve else logging.WARNING)  # the table says it all in scripted mode
    with tempfile.TemporaryDirectory(prefix="gateway-demo-") as tmp:
        folder = Path(data_dir) if data_dir else Path(tmp)
        received: list[Any] = []
        recipient, recipient_port = await _start(_recipient_app(received), 0)
        issuer = generate_signing_key()
        write_loopback_keys(folder, issuer)
        tokens = {
            role: loopback_token(issuer, roles=[role], subject=f"demo-{role}", ttl=8 * 3600, org=org)
            for role, org in _DEMO_ROLES.items()
        }
        config = loopback_config(folder, f"http://127.0.0.1:{recipient_port}", port=port if serve else 0)
        gateway, gateway_port = await _start(build_app(config), config.port)
        url = f"http://127.0.0.1:{gateway_port}"
        vkey = load_checkpoint_signer(config.checkpoint_key, config.audit.origin).verifier.vkey
        try:
            if serve:
                return await _serve_forever(url, tokens, vkey)
            rows, why = await _play(url, tokens[SENDER_ROLE])
            consent = await _consent_scene(url, tokens[SENDER_ROLE])
            regulator = await _regulator_view(url, tokens["regulator"], vkey)
        finally:
            await gateway.cleanup()
            await recipient.cleanup()
        print(f"Transfers from {EXPORTER} (Suzhou Industrial Park) to sg-hr (Singapore), policy sip-sg:\n")
        print(_table(rows))
        print("\nWhy the policy refused (each refusal's problem document carries this):")
        print("\n".join(why))
        masked = next((doc for doc in received if isinstance(doc, dict) and "mobile" in doc), None)
        if masked is not None:
            print(f"\nThe recipient received the contact card as: {json.dumps(masked, ensure_ascii=False)}")
        print("\nThe consent scene (PIPL Art 39): transfer 4 again, around the individual's separate consent")
        print("\n".join(consent))
        print("\nThe regulator's view: a fresh signed checkpoint, and the export checked offline with the key")
        print(f"{vkey}\n")
        print("\n".join(regulator))
        count = verify_file(config.audit_db).records
        print(f"\naudit trail verified: {count} records")
        return 0


CONSENT_SCENE = SCENES[3]  # the contact card under the contract, refused for want of consent
CONSENT = {
    "subject": {"type": "cn_mobile", "value": "13800138000"},
    "recipients": ["sg-hr"],
    "purposes": ["payroll"],
    "categories": ["PI.*"],
    "separate": True,
    "given_by": "individual",
    "notice": {
        "recipient_name": "Merlion People Services Pte. Ltd.",
        "recipient_contact": "privacy@merlion-people.example",
        "purpose": "Payroll for employees seconded to Singapore",
        "method": "Transfer over the SIP data gateway; processed in Singapore",
        "categories": "Name, employee number, mobile number",
        "rights_procedure": "Write to privacy@merlion-people.example to access, correct or delete your data",
    },
    "given_at": "2026-01-05T09:00:00+08:00",
}


async def _consent_scene(url: str, token: str) -> list[str]:
    """Refused without consent; the consent recorded (its signed receipt shown); allowed; withdrawn; refused."""
    auth = {"Authorization": f"Bearer {token}"}
    lines: list[str] = []

    async def send(client: aiohttp.ClientSession, step: str) -> None:
        headers = auth | {
            "Content-Type": "application/json",
            "Gateway-Purpose": CONSENT_SCENE.purpose,
            "Gateway-Scenario": CONSENT_SCENE.scenario,
        }
        async with client.post(
            f"{url}/transfer/sg-hr{CONSENT_SCENE.path}", data=CONSENT_SCENE.body, headers=headers
        ) as response:
            await response.read()
            rule = response.headers.get("Gateway-Rule", "-")
            lines.append(f"  {step:<34} {response.headers.get('Gateway-Decision')} {response.status}  rule {rule}")

    async with aiohttp.ClientSession() as client:
        await send(client, "1. the transfer, no consent:")
        async with client.post(f"{url}/v1/consents", json=CONSENT, headers=auth) as response:
            [recorded] = (await response.json())["consents"]
        lines.append(f"  2. consent recorded: {recorded['id']} ({recorded['status']}); its receipt, a JWS signed by")
        lines.append(f"     the gateway (GET /v1/consents/jwks.json verifies it): {_cut(recorded['receipt'], 72)}")
        claims = json.loads(base64.urlsafe_b64decode(recorded["receipt"].split(".")[1] + "=="))
        lines.append(f"     for individual {claims['piiPrincipalId'][:16]}... (a keyed hash, never the number itself)")
        await send(client, "3. the same transfer:")
        async with client.post(f"{url}/v1/consents/{recorded['id']}/withdraw", headers=auth) as response:
            [withdrawn] = (await response.json())["consents"]
        lines.append(f"  4. consent withdrawn: {withdrawn['status']}")
        await send(client, "5. the same transfer again:")
    return lines


async def _regulator_view(url: str, token: str, vkey: str) -> list[str]:
    """What a regulator does with the trail: ask for a checkpoint, export everything, verify it offline."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as client:
        async with client.post(f"{url}/v1/audit/checkpoint", headers=headers) as response:
            note = await response.text()
        async with client.get(f"{url}/v1/audit/export", headers=headers) as response:
            lines = (await response.text()).splitlines(keepends=True)
    report = verify_export(lines, [NoteVerifier.parse(vkey)])
    return [*(f"  {line}" for line in note.splitlines()), "", render_report(report)]


_DEMO_ROLES = {SENDER_ROLE: EXPORTER, "regulator": "sip-administration", "operator": "sip-gateway-operations"}


async def _serve_forever(url: str, tokens: dict[str, str], vkey: str) -> int:
    body = json.dumps({"employee_no": "E-10293", "mobile": "13800138000", "email": "wang.fang@example.com"})
    print(
        textwrap.dedent(f"""\
        The demo gateway is listening on {url} (a demo recipient behind it).

        Verifier key of its audit checkpoints (gateway audit verify --key ...):
          {vkey}

        Tokens (8 hours):
          ENTERPRISE={tokens[SENDER_ROLE]}
          REGULATOR={tokens["regulator"]}
          OPERATOR={tokens["operator"]}

        Send a transfer as the enterprise:
          curl -si {url}/transfer/sg-hr/employees \\
            -H "Authorization: Bearer $ENTERPRISE" \\
            -H 'Content-Type: application/json' -H 'Gateway-Purpose: payroll' \\
            -d '{body}'

        Read the trail as the regulator:
          curl -s {url}/v1/audit/checkpoint
          curl -s -H "Authorization: Bearer $REGULATOR" '{url}/v1/audit/records?limit=5'
          curl -s -H "Authorization: Bearer $REGULATOR" {url}/v1/audit/export > export.jsonl
          gateway audit verify export.jsonl --key '{vkey}'

        See the running policy as the operator:
          curl -s -H "Authorization: Bearer $OPERATOR" {url}/v1/admin/policy

        Press Ctrl-C to stop."""),
        flush=True,
    )
    await asyncio.Event().wait()  # until Ctrl-C cancels it
    return 0


async def run_recipient(port: int, host: str = "127.0.0.1") -> int:
    """Run only the demo recipient (echoes what it receives), on loopback for ``deploy/local.yaml``'s route or on
    ``host`` (``0.0.0.0`` in a container, for the other containers)."""
    runner, bound = await _start(_recipient_app(None), port, host)
    print(f"demo recipient listening on http://{host}:{bound}; Ctrl-C to stop", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return 0
