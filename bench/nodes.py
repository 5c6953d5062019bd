"""Throughput of one gateway node on SQLite against two nodes sharing PostgreSQL, beside a bare proxy.

The same load (1 KB payroll batches, allowed with contacts masked) goes three ways, on loopback, each server in its
own process (bench/transfer.py's roles) and the load generator in this one:

1. ``proxy``: the bare aiohttp pass-through, the ceiling for any Python gateway on this machine;
2. ``1 node, SQLite``: the embedded default, audit log, consents and counters in SQLite files;
3. ``2 nodes, PostgreSQL``: two gateway processes on one PostgreSQL schema, half the clients on each: one shared
   audit log sequenced by one of them, exact shared counts of individuals.

Everything runs on the same machine (its cores are shared by the load generator, the servers, PostgreSQL and the
recipient), so the table compares configurations, not capacity. Afterwards both logs are verified from their
records up. PostgreSQL is taken from ``GATEWAY_BENCH_DSN`` (default: the local one, database ``test``); the bench
works in a schema of its own and drops it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import psycopg
from machine import table  # bench/machine.py, beside this script
from transfer import (  # bench/transfer.py: the server roles, the load generator and its cells
    PURPOSE,
    TRANSFER_PATH,
    Cell,
    Plan,
    Server,
    Target,
    employee_records,
    load,
    prepare_gateway,
    spawn,
)

from gateway.stores.pg_audit import verify_database
from gateway.stores.sqlite_audit import verify_file

DSN = os.environ.get("GATEWAY_BENCH_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def _in_schema(schema: str) -> str:
    separator = "&" if "?" in DSN else "?"
    return f"{DSN}{separator}options={quote(f'-c search_path={schema}')}"


async def _spread(plan: Plan, targets: Sequence[Target], body: bytes, concurrency: int) -> Cell:
    """``concurrency`` clients split evenly over ``targets``, measured together as one cell."""
    share = concurrency // len(targets)
    cells = await asyncio.gather(*(load(plan, t, body, share) for t in targets))
    merged = Cell(cells[0].path, len(body), concurrency)
    for cell in cells:
        merged.ok += cell.ok
        merged.latencies.extend(cell.latencies)
        merged.errors.update(cell.errors)
    merged.elapsed = max(cell.elapsed for cell in cells)
    return merged


async def _measure(args: argparse.Namespace, paths: dict[str, list[Target]], body: bytes) -> dict[str, Cell]:
    plan = Plan(args.warmup, args.duration, 1_000_000, {})
    cells = {}
    for name, targets in paths.items():
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        cells[name] = await _spread(plan, targets, body, args.clients)
    return cells


def _report(cells: dict[str, Cell]) -> str:
    proxy = cells["proxy"].rate
    rows = [
        [
            name,
            f"{cell.rate:,.0f}",
            f"{cell.rate / proxy:.2f}" if proxy else "-",
            f"{cell.percentile(0.5):.1f}",
            f"{cell.percentile(0.99):.1f}",
            str(sum(cell.errors.values())),
        ]
        for name, cell in cells.items()
    ]
    return table(["path", "transfers/s", "x proxy", "p50 ms", "p99 ms", "errors"], rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per path (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each (default 1)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients per path (default 32)")
    args = parser.parse_args(argv)
    body, records = employee_records(1024)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')  # a name made here, of hex digits only
    dsn = _in_schema(schema)
    servers: dict[str, Server] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="gateway-bench-nodes-") as tmp:
            data = Path(tmp)
            token = prepare_gateway(data)  # both deployments use these keys
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "Gateway-Purpose": PURPOSE,
            }
            servers["upstream"] = spawn("upstream")
            up = servers["upstream"].url
            servers["proxy"] = spawn("proxy", "--upstream", up)
            servers["sqlite"] = spawn("gateway", "--upstream", up, "--data-dir", str(data))
            for node in ("pg-a", "pg-b"):
                servers[node] = spawn("gateway", "--upstream", up, "--data-dir", str(data), "--dsn", dsn)
            paths = {
                "proxy": [Target("proxy", servers["proxy"].url + TRANSFER_PATH, {"Content-Type": "application/json"})],
                "1 node, SQLite": [Target("gateway", servers["sqlite"].url + TRANSFER_PATH, headers, gateway=True)],
                "2 nodes, PostgreSQL": [
                    Target("gateway", servers[n].url + TRANSFER_PATH, headers, gateway=True) for n in ("pg-a", "pg-b")
                ],
            }
            print(
                f"{len(body)}-byte bodies ({records} employee records), {args.clients} clients, {os.cpu_count()} CPUs"
            )
            cells = asyncio.run(_measure(args, paths, body))
            for server in servers.values():
                server.stop()
            print(_report(cells))
            sqlite = verify_file(data / "audit.sqlite3").records
            shared = verify_database(dsn, None).records
            print(f"\naudit logs verified from their records up: SQLite {sqlite} records, PostgreSQL {shared} records")
    finally:
        for server in servers.values():
            if server.process.poll() is None:
                server.stop()
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return 0


if __name__ == "__main__":
    sys.exit(main())
