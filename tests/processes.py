"""Running the `gateway` command as a real process in tests: ports, configuration files, readiness."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp

from tests.conftest import REPO

__all__ = ["cli", "free_port", "wait_ready", "write_config"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def cli(*args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, f"gateway {' '.join(args)} failed: {err.decode()}"
    return out.decode()


def write_config(folder: Path, port: int, upstream: str) -> Path:
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


async def wait_ready(client: aiohttp.ClientSession, url: str, proc: asyncio.subprocess.Process) -> None:
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
