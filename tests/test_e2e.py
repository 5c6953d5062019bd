"""End to end: the `gateway` command as a real process, a real recipient and a real HTTP client on loopback."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import EMAIL, IDENTIFIERS, MOBILE, REPO, RESIDENT_ID, Recipient, audit_bytes

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _cli(*args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, f"gateway {' '.join(args)} failed: {err.decode()}"
    return out.decode()


def _write_config(folder: Path, port: int, upstream: str) -> Path:
    config = folder / "gateway.yaml"
    config.write_text(
        f"""
listen: {{host: 127.0.0.1, port: {port}}}
data_dir: data
policy: {REPO / "policies" / "sip-sg"}
auth:
  jwks_file: keys/jwks.json
  issuer: https://idp.e2e.sip.example
  audience: sip-sg-gateway
keys:
  audit_hmac_file: keys/audit-hmac.key
  token_signing_file: keys/issuer.pem
routes:
  sg-hr: {{upstream: "{upstream}", recipient: sg-hr, default_purpose: payroll}}
""",
        encoding="utf-8",
    )
    return config


async def _wait_ready(client: aiohttp.ClientSession, url: str, proc: asyncio.subprocess.Process) -> None:
    for _ in range(200):
        if proc.returncode is not None:
            raise AssertionError("the gateway exited during start-up")
        try:
            async with client.get(url + "/readyz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the gateway did not become ready within 10 s")


async def test_gateway_process_end_to_end(aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    """Masked fields arrive masked, refused data never arrives, and the trail holds one verified record per transfer."""
    recipient = Recipient()
    upstream = await aiohttp_server(recipient.app())
    port = _free_port()
    config = _write_config(tmp_path, port, str(upstream.make_url("")).rstrip("/"))
    await _cli("keys", "init", "--config", str(config))
    token = (await _cli("token", "--config", str(config), "--org", "sip-precision-manufacturing")).strip()
    log_file = tmp_path / "gateway.log"
    with log_file.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway", "serve", "--config", str(config), stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        # Cross-border HR management (2024 Provisions Art 5(2)) or no declared scenario, which asks for a mechanism.
        transfers = [
            ({"employee_no": "E-1", "mobile": MOBILE, "email": EMAIL}, "payroll", "hr", 200),
            ({"employee_no": "E-2", "id_card": RESIDENT_ID}, "payroll", "general", 403),
            ({"employee_no": "E-3", "email": EMAIL}, "marketing", "hr", 403),
            ({"period": "2026-10", "headcount": 7}, "hr_administration", "general", 200),
        ]
        try:
            async with aiohttp.ClientSession() as client:
                await _wait_ready(client, url, proc)
                statuses, ids = [], []
                for body, purpose, scenario, _ in transfers:
                    headers = {"Authorization": f"Bearer {token}", "Gateway-Purpose": purpose}
                    headers["Gateway-Scenario"] = scenario
                    async with client.post(url + "/transfer/sg-hr/employees", json=body, headers=headers) as r:
                        statuses.append(r.status)
                        ids.append(r.headers["Gateway-Decision-Id"])
                malformed = headers | {"Content-Type": "application/json"}
                async with client.post(url + "/transfer/sg-hr/x", data=b"{", headers=malformed) as r:
                    statuses.append(r.status)
                    ids.append(r.headers["Gateway-Decision-Id"])
        finally:
            proc.send_signal(signal.SIGINT)
            await asyncio.wait_for(proc.wait(), timeout=10)

    assert statuses == [*(want for *_, want in transfers), 400]
    forwarded = [json.loads(r["body"]) for r in recipient.received]
    assert forwarded == [
        {"employee_no": "E-1", "mobile": "*******8000", "email": "****.****@*******.com"},
        {"period": "2026-10", "headcount": 7},
    ]

    with sqlite3.connect(tmp_path / "data" / "audit.sqlite3") as db:
        records = [json.loads(row[0]) for row in db.execute("SELECT leaf FROM records ORDER BY idx")]
    decisions = [r for r in records if r["kind"] in {"decision", "rejection"}]
    assert [r["decision_id"] for r in decisions] == ids
    assert [r["effect"] for r in decisions] == ["allow", "deny", "deny", "allow", "deny"]
    assert [r["deciding_rule"] for r in decisions[:4]] == [
        "CN-EX-HR-01",
        "CN-SPI-01",
        "RCPT-PURPOSE-01",
        "CN-NONPI-01",
    ]
    assert decisions[0]["obligations"] == {"mask": ["/email", "/mobile"]}
    outcomes = [r for r in records if r["kind"] == "outcome"]
    assert [o["decision_id"] for o in outcomes] == [ids[0], ids[3]]
    assert all(o["status"] == 200 for o in outcomes)

    assert (
        await _cli("audit", "verify", "--config", str(config))
    ).strip() == f"audit trail verified: {len(records)} records"

    logged = log_file.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    assert [line["decision_id"] for line in lines if line["event"] == "transfer"] == ids
    stored = audit_bytes(tmp_path / "data")
    for identifier in IDENTIFIERS:
        assert identifier not in logged
        assert identifier.encode() not in stored
