"""Two gateway processes on one PostgreSQL, the one sequencing the log killed with SIGKILL mid-load while the other
keeps serving: afterwards one log verifies, every answered transfer is in it, and each individual is counted once."""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psycopg
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.stores.audit_store import RecordFilter
from gateway.stores.pg_audit import PgAuditLog
from tests.conftest import Recipient
from tests.processes import cli, free_port, wait_ready, write_config

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

EXPORTER = "sip-precision-manufacturing"
CLIENTS_PER_NODE = 6
PEOPLE_PER_TRANSFER = 3
POOL = 300  # individuals the transfers draw from, so that both nodes keep meeting the same people
ANSWERS_BEFORE_KILL = 120
ANSWERS_AFTER_KILL = 120


def _mobile(n: int) -> str:
    return f"139{n:08d}"  # synthetic numbers of the 139 block, one per individual of the pool


@dataclass
class Sent:
    """What the test sent and what came back, per node."""

    answered: dict[str, tuple[int, str]] = field(default_factory=dict)  # decision id -> (status, node)
    unanswered: int = 0  # transfers sent to the killed node whose answer never came


async def _sender(
    client: aiohttp.ClientSession, node: str, url: str, token: str, seed: int, sent: Sent, stop: asyncio.Event
) -> None:
    """Send transfers of three people drawn from the pool until told to stop or the node goes away."""
    draw = random.Random(seed)  # noqa: S311 - which test people a transfer names, not a secret
    headers = {"Authorization": f"Bearer {token}", "Gateway-Purpose": "payroll", "Gateway-Scenario": "hr"}
    while not stop.is_set():
        people = draw.sample(range(POOL), PEOPLE_PER_TRANSFER)
        body = {"employees": [{"employee_no": f"E-{n}", "mobile": _mobile(n)} for n in people]}
        try:
            async with client.post(url + "/transfer/sg-hr/employees", json=body, headers=headers) as r:
                await r.read()
                sent.answered[r.headers["Gateway-Decision-Id"]] = (r.status, node)
        except (TimeoutError, aiohttp.ClientError):
            sent.unanswered += 1
            return


def _node_config(folder: Path, keys: Path | None, port: int, upstream: str, dsn: str) -> Path:
    """A node's configuration, on the shared database; every node shares the first node's keys."""
    folder.mkdir()
    config = write_config(folder, port, upstream)
    with config.open("a", encoding="utf-8") as f:
        f.write(f"database: {{dsn: {json.dumps(dsn)}}}\n")
    if keys is not None:
        shutil.copytree(keys, folder / "keys")
    return config


def _sequencer(dsn: str) -> str:
    """The application name of the session holding an advisory lock (the audit log's sequencer)."""
    with psycopg.connect(dsn) as conn:
        # a 64-bit advisory key shows as classid (high half) and objid (low half), objsubid 1
        # the key as gateway.stores.postgres.schema_lock_key("gateway.audit.sequencer") makes it
        rows = conn.execute(
            "SELECT DISTINCT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) AND "
            "((l.classid::bigint << 32) | l.objid::bigint) = "
            "hashtextextended('gateway.audit.sequencer:' || current_schema(), 0)"
        ).fetchall()
    assert len(rows) == 1, rows
    return str(rows[0][0])


async def _until(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what}")


async def test_killing_the_sequencing_node_loses_nothing_and_counts_each_person_once(
    aiohttp_server: ServerFactory, tmp_path: Path, pg_dsn: str
) -> None:
    upstream = str((await aiohttp_server(Recipient().app())).make_url("")).rstrip("/")
    ports = {"node-a": free_port(), "node-b": free_port()}
    configs: dict[str, Path] = {}
    for name, port in ports.items():
        keys = None if not configs else configs["node-a"].parent / "keys"
        configs[name] = _node_config(tmp_path / name, keys, port, upstream, f"{pg_dsn}&application_name={name}")
        if keys is None:
            await cli("keys", "init", "--config", str(configs[name]))
    token = (await cli("token", "--config", str(configs["node-a"]), "--org", EXPORTER)).strip()

    procs: dict[str, asyncio.subprocess.Process] = {}
    for name, config in configs.items():
        with (tmp_path / f"{name}.log").open("wb") as log:  # the child keeps its own descriptor
            procs[name] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gateway", "serve", "--config", str(config), stdout=log, stderr=log
            )
    sent, stop = Sent(), asyncio.Event()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as client:
            for name, proc in procs.items():
                await wait_ready(client, f"http://127.0.0.1:{ports[name]}", proc)
            senders = [
                asyncio.ensure_future(_sender(client, name, f"http://127.0.0.1:{ports[name]}", token, seed, sent, stop))
                for seed, name in enumerate([*ports] * CLIENTS_PER_NODE)
            ]
            await _until(lambda: len(sent.answered) >= ANSWERS_BEFORE_KILL, "both nodes answered")
            doomed = _sequencer(pg_dsn)
            survivor = next(name for name in procs if name != doomed)
            procs[doomed].send_signal(signal.SIGKILL)  # mid-load: appends in flight, a batch perhaps half sequenced
            await procs[doomed].wait()
            after = sum(1 for _, node in sent.answered.values() if node == survivor)
            await _until(
                lambda: sum(1 for _, node in sent.answered.values() if node == survivor) >= after + ANSWERS_AFTER_KILL,
                "the survivor took over sequencing and kept answering",
            )
            assert _sequencer(pg_dsn) == survivor
            stop.set()
            await asyncio.gather(*senders)
    finally:
        for proc in procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)
                await asyncio.wait_for(proc.wait(), timeout=20)
    assert procs[doomed].returncode == -signal.SIGKILL
    assert {node for _, node in sent.answered.values()} == set(procs)

    # One log, which verifies from its records up, the checkpoints both nodes signed included.
    verified = await cli("audit", "verify", "--dsn", pg_dsn)
    assert verified.startswith("audit trail verified: "), verified

    reader = await asyncio.to_thread(PgAuditLog(pg_dsn, node="reader").reader)
    try:
        decisions = await asyncio.to_thread(
            reader.records, RecordFilter(kind="decision"), after=-1, limit=10**6, below=10**9
        )
    finally:
        reader.close()
    records = [json.loads(leaf) for _, leaf in decisions]
    by_id = {r["decision_id"]: r for r in records}
    missing = set(sent.answered) - set(by_id)
    assert not missing, f"{len(missing)} answered transfers have no decision record"
    for decision_id, (status, _) in sent.answered.items():
        assert by_id[decision_id]["effect"] == ("allow" if status == 200 else "deny")
    assert any(status == 200 for status, _ in sent.answered.values())

    # Each individual counted once, whichever node sent them and however often: the counters hold exactly the
    # people of the allowed decisions in the log, and no more than those of the transfers cut off by the kill.
    in_log = {h for r in records if r["effect"] == "allow" for h in r["subject_keys"] if h not in r["dropped"]}
    with psycopg.connect(pg_dsn) as conn:
        counted = {
            bytes(s).hex() for (s,) in conn.execute("SELECT subject FROM individuals WHERE exporter = %s", (EXPORTER,))
        }
        totals = conn.execute("SELECT personal FROM year_totals WHERE exporter = %s", (EXPORTER,)).fetchall()
    assert in_log <= counted
    assert len(counted - in_log) <= sent.unanswered * PEOPLE_PER_TRANSFER
    assert [t for (t,) in totals] == [len(counted)]
    assert len(counted) <= POOL
