"""End to end: the `gateway` command as a real process, a real recipient and a real HTTP client on loopback."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import EMAIL, IDENTIFIERS, MOBILE, RESIDENT_ID, Recipient, audit_bytes
from tests.processes import cli, free_port, wait_ready, write_config

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


async def test_gateway_process_end_to_end(aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    """Masked fields arrive masked, refused data never arrives, and the trail holds one verified record per transfer."""
    recipient = Recipient()
    upstream = await aiohttp_server(recipient.app())
    port = free_port()
    config = write_config(tmp_path, port, str(upstream.make_url("")).rstrip("/"))
    await cli("keys", "init", "--config", str(config))
    token = (await cli("token", "--config", str(config), "--org", "sip-precision-manufacturing")).strip()
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
                await wait_ready(client, url, proc)
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

    verified = await cli("audit", "verify", "--config", str(config))
    assert verified.startswith(f"audit trail verified: {len(records)} records, root ")
    assert "signatures checked" in verified

    logged = log_file.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    assert [line["decision_id"] for line in lines if line["event"] == "transfer"] == ids
    stored = audit_bytes(tmp_path / "data")
    for identifier in IDENTIFIERS:
        assert identifier not in logged
        assert identifier.encode() not in stored
