"""`gateway demo`, the README's first command, as a real process: the scripted run, and `--serve` with what it prints
(the address, the verifier key and a token per role) working against the running gateway."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import aiohttp

from gateway.audit.checkpoint import open_checkpoint
from gateway.audit.note import NoteVerifier
from tests.conftest import MOBILE
from tests.processes import free_port


async def test_the_scripted_demo_ends_with_the_regulator_verifying_the_export() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "demo", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    text = out.decode()
    assert proc.returncode == 0, err.decode()
    assert re.search(r"^export verified: records 0\.\.(\d+) against checkpoint of size \d+", text, re.M)
    assert re.search(r"^audit trail verified: \d+ records$", text, re.M)
    scene = text.split("The consent scene")[1].split("The regulator's view")[0]
    steps = re.findall(r"^\s+\d\. [^\n]*?(allow|deny) (\d{3})  rule (\S+)$", scene, re.M)
    assert steps == [
        ("deny", "403", "CN-PIPL39-01"),
        ("allow", "200", "CN-VOL-SCC-01"),
        ("deny", "403", "CN-PIPL39-01"),
    ]
    assert "consent withdrawn: withdrawn" in scene
    assert "13800138000" not in scene  # the receipt names the individual by keyed hash


async def test_demo_serve_prints_a_key_and_tokens_that_work() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "demo",
        "--serve",
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        printed = ""
        while "Press Ctrl-C" not in printed:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
            assert line, "the demo exited before printing its instructions"
            printed += line.decode()
        url = f"http://127.0.0.1:{port}"
        assert f"listening on {url}" in printed
        tokens = dict(re.findall(r"^\s+(ENTERPRISE|REGULATOR|OPERATOR)=(\S+)$", printed, re.M))
        assert set(tokens) == {"ENTERPRISE", "REGULATOR", "OPERATOR"}
        [vkey] = re.findall(r"^\s+(\S+\+[0-9a-f]{8}\+\S+)$", printed, re.M)
        verifier = NoteVerifier.parse(vkey)

        async with aiohttp.ClientSession() as client:
            body = {"employee_no": "E-1", "mobile": MOBILE}
            headers = {"Authorization": f"Bearer {tokens['ENTERPRISE']}", "Gateway-Purpose": "payroll"}
            async with client.post(f"{url}/transfer/sg-hr/employees", json=body, headers=headers) as r:
                assert r.status == 200
            regulator = {"Authorization": f"Bearer {tokens['REGULATOR']}"}
            async with client.post(f"{url}/v1/audit/checkpoint", headers=regulator) as r:
                checkpoint = open_checkpoint(await r.text(), [verifier], verifier.name)
            assert checkpoint.size >= 1
            async with client.get(f"{url}/v1/audit/records", headers=regulator) as r:
                assert r.status == 200
                assert len((await r.json())["records"]) == checkpoint.size
            operator = {"Authorization": f"Bearer {tokens['OPERATOR']}"}
            async with client.get(f"{url}/v1/admin/policy", headers=operator) as r:
                assert (r.status, (await r.json())["policy"]) == (200, "sip-sg")
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), timeout=10)
