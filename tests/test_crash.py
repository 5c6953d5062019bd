"""A gateway killed with SIGKILL under load: after a restart the log verifies and holds every answered transfer."""

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

from tests.conftest import EMAIL, MOBILE, Recipient
from tests.processes import cli, free_port, wait_ready, write_config

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

CLIENTS = 32
ANSWERS_BEFORE_KILL = 300


async def _sender(
    client: aiohttp.ClientSession, url: str, token: str, n: int, answered: dict[str, int], enough: asyncio.Event
) -> None:
    """Send transfers until the gateway goes away; note each decision id whose answer arrived in full."""
    bodies = [
        ({"employee_no": f"E-{n}", "mobile": MOBILE, "email": EMAIL}, "payroll"),  # allowed, masked
        ({"employee_no": f"E-{n}", "email": EMAIL}, "marketing"),  # refused for its purpose
    ]
    i = 0
    while True:
        body, purpose = bodies[i % 2]
        i += 1
        headers = {"Authorization": f"Bearer {token}", "Gateway-Purpose": purpose, "Gateway-Scenario": "hr"}
        try:
            async with client.post(url + "/transfer/sg-hr/employees", json=body, headers=headers) as r:
                await r.read()
                answered[r.headers["Gateway-Decision-Id"]] = r.status
                if len(answered) >= ANSWERS_BEFORE_KILL:
                    enough.set()
        except (TimeoutError, aiohttp.ClientError):
            return


async def test_sigkill_under_load_loses_no_answered_transfer(aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    upstream = await aiohttp_server(Recipient().app())
    port = free_port()
    config = write_config(tmp_path, port, str(upstream.make_url("")).rstrip("/"))
    await cli("keys", "init", "--config", str(config))
    token = (await cli("token", "--config", str(config), "--org", "sip-precision-manufacturing")).strip()
    url = f"http://127.0.0.1:{port}"
    answered: dict[str, int] = {}
    log = (tmp_path / "gateway.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "serve", "--config", str(config), stdout=log, stderr=log
    )
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client:
        await wait_ready(client, url, proc)
        enough = asyncio.Event()
        senders = [asyncio.ensure_future(_sender(client, url, token, n, answered, enough)) for n in range(CLIENTS)]
        await asyncio.wait_for(enough.wait(), timeout=60)
        proc.send_signal(signal.SIGKILL)  # mid-load: requests in flight, commits in progress
        await proc.wait()
        await asyncio.gather(*senders)
    log.close()
    assert proc.returncode == -signal.SIGKILL
    assert {200, 403} <= set(answered.values())

    # Restart: the log opens (its tail continues the chain), serves, and verifies from its records up.
    log = (tmp_path / "gateway-restart.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "serve", "--config", str(config), stdout=log, stderr=log
    )
    try:
        async with aiohttp.ClientSession() as client:
            await wait_ready(client, url, proc)
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), timeout=10)
        log.close()
    verified = await cli("audit", "verify", "--config", str(config))
    assert verified.startswith("audit trail verified: ")

    with sqlite3.connect(tmp_path / "data" / "audit.sqlite3") as db:
        records = [json.loads(leaf) for (leaf,) in db.execute("SELECT leaf FROM records")]
    decided = {r["decision_id"]: r["effect"] for r in records if r["kind"] == "decision"}
    missing = set(answered) - set(decided)
    assert not missing, f"{len(missing)} answered transfers have no decision record"
    for decision_id, status in answered.items():
        assert decided[decision_id] == ("allow" if status == 200 else "deny")
