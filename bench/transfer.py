"""Transfer throughput and latency: straight to the recipient, through a bare proxy, and through the gateway.

``make bench`` runs this file. The same load goes three ways, on loopback only:

1. ``direct``: straight to a minimal recipient (aiohttp, answers 200 ``{"ok":true}``);
2. ``proxy``: through a bare aiohttp pass-through (reads the body, forwards it with one shared ClientSession and
   returns the recipient's status and body; nothing else);
3. ``gateway``: through the real application (``build_app``) with the ``policies/sip-sg`` policy, JWT
   authentication, classification, masking and the durable SQLite audit log in a fresh temporary folder.

Every server runs in its own process (this file with ``--role``), the load generator in the main process, so the
client never shares a CPU-bound event loop with the server it measures. A server process stops by itself when its
standard input closes (the parent exits or dies), on SIGTERM or on SIGINT; its standard input also takes the
commands ``profile-start`` and ``profile-stop <file>`` (cProfile of its event-loop thread).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import json
import math
import os
import platform
import pstats
import random
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar, cast

import aiohttp
from aiohttp import web
from machine import CLOCK_TICKS, system_busy, table  # bench/machine.py, beside this script

from gateway.config import Config, Limits
from gateway.demo import POLICY_DIR, loopback_config, new_loopback_identity
from gateway.stores.sqlite_audit import verify_file
from gateway.telemetry import configure_logging
from gateway.web.app import build_app
from gateway.web.state import AUDIT

HOST = "127.0.0.1"
ROUTE = "sg-hr"
TRANSFER_PATH = f"/transfer/{ROUTE}/employees/batch"
REPO = Path(__file__).resolve().parents[1]
PURPOSE = "payroll"
SIZES = (1024, 32 * 1024)
CONCURRENCIES = (16, 64)
PROFILE_BELOW = 0.40  # profile the gateway when its 1 KB throughput is below this share of the bare proxy's
NOISY = 0.25  # a cell during which other jobs used more than this share of a core is measured again
TARGET_P50_MS = 1.0  # the gateway's added latency over the bare proxy, unloaded
TARGET_P99_MS = 2.0
UPSTREAM_ANSWER = b'{"ok":true}'
START_TIMEOUT = 30.0

T = TypeVar("T")


# --- event loop --------------------------------------------------------------------------------------------------


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is already installed (it is not a dependency), else asyncio's default."""
    try:
        module = importlib.import_module("uvloop")
    except ImportError:
        return None
    return cast(Callable[[], asyncio.AbstractEventLoop], module.new_event_loop)


def _run(main: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(main)


# --- payloads ----------------------------------------------------------------------------------------------------

_DEPARTMENTS = ("engineering", "operations", "quality", "finance", "logistics", "procurement", "facilities")
_MOBILE_PREFIXES = ("138", "139", "137", "150", "186", "188")
_NAMES = ("wang.fang", "li.na", "zhang.wei", "liu.yang", "chen.jing", "yang.min", "zhao.lei", "huang.xin")


def employee_records(target: int, seed: int = 2026) -> tuple[bytes, int]:
    """A payroll batch of realistic employee records, as large as fits in ``target`` bytes; and its record count.

    Each record has an employee number, a department, a mainland mobile (the first one is the customary
    13800138000) and an email at example.com, so the sip-sg policy allows it for payroll with contacts masked.
    """
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    body = b""
    while True:
        n = len(records)
        mobile = "13800138000" if n == 0 else rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        records.append(
            {
                "employee_no": f"E-{10293 + n}",
                "department": rng.choice(_DEPARTMENTS),
                "grade": f"P{rng.randint(3, 8)}",
                "mobile": mobile,
                "email": f"{rng.choice(_NAMES)}.{10293 + n}@example.com",
                "base_salary_cny": rng.randrange(8000, 60000, 100),
            }
        )
        doc = {"period": "2026-10", "site": "SIP", "employees": records}
        candidate = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        if len(candidate) > target and body:
            return body, n
        body = candidate


# --- server processes (the --role side) ------------------------------------------------------------------------


def _reply(line: str) -> None:
    """One line to the parent on standard output (the only thing a server process writes there)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def upstream_app() -> web.Application:
    """The recipient stand-in: reads the body and answers 200 with a small JSON body."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=UPSTREAM_ANSWER, content_type="application/json")

    app = web.Application(client_max_size=4 << 20)
    app.router.add_route("*", "/{tail:.*}", accept)
    return app


_SESSION = web.AppKey("session", aiohttp.ClientSession)


def proxy_app(upstream: str) -> web.Application:
    """A bare pass-through on the gateway's URL layout: read, forward with one shared session, return."""

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        url = f"{upstream}/{request.match_info['tail']}"
        headers = {"Content-Type": request.headers.get("Content-Type", "application/octet-stream")}
        async with request.app[_SESSION].request(request.method, url, data=body, headers=headers) as answer:
            payload = await answer.read()
            return web.Response(status=answer.status, body=payload, content_type=answer.content_type)

    async def session(app: web.Application) -> AsyncIterator[None]:
        app[_SESSION] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        yield
        await app[_SESSION].close()

    app = web.Application(client_max_size=4 << 20)
    app.cleanup_ctx.append(session)
    app.router.add_route("*", f"/transfer/{ROUTE}/{{tail:.*}}", forward)
    return app


def gateway_config(data_dir: Path, upstream: str, max_in_flight: int, port: int = 0) -> Config:
    """The gateway's configuration: the sip-sg policy, keys and audit log under ``data_dir``."""
    return loopback_config(data_dir, upstream, port=port, limits=Limits(max_in_flight=max_in_flight))


def prepare_gateway(data_dir: Path) -> str:
    """Fresh keys for the gateway under ``data_dir``; returns a bearer token for the exporter."""
    return new_loopback_identity(data_dir, subject="payroll-sync", ttl=24 * 3600)


class _Control:
    """Commands from the parent, run on the event loop's thread (cProfile profiles the thread that enables it)."""

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop
        self.profiler: cProfile.Profile | None = None

    def command(self, line: str) -> None:
        verb, _, argument = line.strip().partition(" ")
        if verb == "profile-start":
            self.profiler = cProfile.Profile()
            self.profiler.enable()
            _reply("ok")
        elif verb == "profile-stop" and self.profiler is not None and argument:
            self.profiler.disable()
            self.profiler.dump_stats(argument)
            self.profiler = None
            _reply("ok")
        else:
            _reply(f"error: cannot {line.strip()!r}")


def _read_commands(loop: asyncio.AbstractEventLoop, control: _Control) -> None:
    """Thread: hand each line of standard input to the loop; at its end (the parent is gone) stop the server."""
    try:
        for line in sys.stdin:
            loop.call_soon_threadsafe(control.command, line)
        loop.call_soon_threadsafe(control.stop.set)
    except RuntimeError:  # the loop has closed already
        return


async def serve(app: web.Application, port: int, summary: Callable[[], str] | None = None) -> None:
    """Serve ``app`` on loopback until told to stop; report the port, and at the end ``summary()``."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port, backlog=4096).start()
    loop = asyncio.get_running_loop()
    control = _Control(asyncio.Event())
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, control.stop.set)
    threading.Thread(target=_read_commands, args=(loop, control), name="bench-control", daemon=True).start()
    _reply(f"READY {runner.addresses[0][1]}")
    try:
        await control.stop.wait()
    finally:
        await runner.cleanup()
    _reply(summary() if summary else "STOPPED")


def run_role(args: argparse.Namespace) -> int:
    if args.role == "upstream":
        _run(serve(upstream_app(), args.port))
    elif args.role == "proxy":
        _run(serve(proxy_app(args.upstream), args.port))
    else:
        config = gateway_config(Path(args.data_dir), args.upstream, args.max_in_flight, args.port)
        if args.dsn:
            config = replace(config, database_dsn=args.dsn)
        app = build_app(config)

        def audit_summary() -> str:
            log = app[AUDIT]
            return f"STATS audit_records={log.size} commits={getattr(log, 'batches', 0)}"

        # One JSON log line per transfer, as `gateway serve` writes, into /dev/null instead of a terminal.
        with open(os.devnull, "w", encoding="utf-8") as sink:
            configure_logging(stream=sink)
            _run(serve(app, args.port, audit_summary))
    return 0


# --- the parent's handle on a server process ---------------------------------------------------------------------


def process_cpu(pid: int, *, main_thread: bool = False) -> float | None:
    """CPU seconds (user + system) a process has used, all threads or only its main thread (there: the event
    loop's), from /proc; None where there is no /proc."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/stat" if main_thread else f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass(slots=True)
class Server:
    role: str
    process: subprocess.Popen[str]
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def read_line(self, timeout: float) -> str:
        out = self.process.stdout
        if out is None:
            raise RuntimeError(f"{self.role}: no pipe")
        ready, _, _ = select.select([out], [], [], timeout)
        if not ready:
            raise RuntimeError(f"{self.role} server did not answer within {timeout:.0f} s")
        return out.readline().strip()

    def command(self, line: str) -> str:
        if self.process.stdin is None:
            raise RuntimeError(f"{self.role}: no pipe")
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.read_line(START_TIMEOUT)

    def cpu(self) -> float | None:
        return process_cpu(self.process.pid)

    def loop_cpu(self) -> float | None:
        return process_cpu(self.process.pid, main_thread=True)

    def stop(self) -> str:
        """Close its standard input, so it stops by itself; terminate, then kill, if it does not."""
        try:
            out, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                out, _ = self.process.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                out, _ = self.process.communicate()
        return out.strip()


def spawn(role: str, *extra: str) -> Server:
    argv = [sys.executable, str(Path(__file__).resolve()), "--role", role, "--port", "0", *extra]
    # The arguments are this file and values this file made; nothing comes from outside.
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # noqa: S603
    server = Server(role, process)
    try:
        line = server.read_line(START_TIMEOUT)
        if not line.startswith("READY "):
            raise RuntimeError(f"{role} server did not start (exit status {process.poll()}): {line!r}")
        server.port = int(line.split()[1])
    except BaseException:
        server.process.kill()
        server.process.wait()
        raise
    return server


# --- load generation (the main process) --------------------------------------------------------------------------


@dataclass(slots=True)
class Cell:
    """One measured load: requests started in the measurement window, and what the processes used meanwhile."""

    path: str
    size: int
    concurrency: int
    ok: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float | None] = field(default_factory=dict)  # role -> CPU seconds in the window
    window: float = 0.0
    loop_cpu: float | None = None  # the server's event-loop thread, in the window

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies, in ms."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


@dataclass(frozen=True, slots=True)
class Target:
    """Where a path's requests go, and what counts as a good answer."""

    path: str
    url: str
    headers: dict[str, str]
    gateway: bool = False

    def problem(self, status: int, headers: Mapping[str, str], body: bytes) -> str | None:
        if status != 200:
            return _describe(status, body)
        if self.gateway and headers.get("Gateway-Decision") != "allow":
            return f"200 without Gateway-Decision: allow ({headers.get('Gateway-Decision')!r})"
        return None


def _describe(status: int, body: bytes) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return f"HTTP {status}: {body[:60]!r}"
    if isinstance(doc, dict):
        return f"HTTP {status}: {doc.get('type') or doc.get('title')} {str(doc.get('detail', ''))[:80]}".rstrip()
    return f"HTTP {status}"


@dataclass(slots=True)
class Plan:
    warmup: float
    duration: float
    max_requests: int
    watch: dict[str, Server]  # role -> process whose CPU is measured
    settle: float = 0.0  # wait at most this long for the rest of the machine to quieten before a cell


async def settle(limit: float, threshold: float = 0.15) -> None:
    """Wait (at most ``limit`` seconds) until the machine, idle on our side, uses less than ``threshold`` of a core.

    On a shared machine another job's CPU use skews a cell; this lowers the odds, the "other" column shows the rest.
    """
    deadline = time.perf_counter() + limit
    while True:
        before, started = system_busy(), time.perf_counter()
        await asyncio.sleep(0.5)
        after = system_busy()
        if before is None or after is None:
            return
        use = (after - before) / (time.perf_counter() - started)
        if use < threshold:
            return
        if time.perf_counter() >= deadline:
            _note(f"  the machine is busy elsewhere ({use:.0%} of a core); measuring anyway")
            return


async def _window(
    plan: Plan, cell: Cell, started: float, on_start: Callable[[], Awaitable[None]] | None
) -> Callable[[], None]:
    """At the end of warm-up: CPU snapshot (and ``on_start``); returns what closes the window."""
    await asyncio.sleep(max(0.0, started + plan.warmup - time.perf_counter()))
    if on_start is not None:
        await on_start()
    before = {role: server.cpu() for role, server in plan.watch.items()}
    before["machine"] = system_busy()
    server = plan.watch.get("server")
    loop_before = server.loop_cpu() if server else None
    client_before, opened = time.process_time(), time.perf_counter()

    def close() -> None:
        cell.window = time.perf_counter() - opened
        machine_now, machine_before = system_busy(), before.pop("machine")
        for role, watched in plan.watch.items():
            now, then = watched.cpu(), before[role]
            cell.cpu[role] = None if now is None or then is None else now - then
        cell.cpu["client"] = time.process_time() - client_before
        loop_now = server.loop_cpu() if server else None
        cell.loop_cpu = None if loop_now is None or loop_before is None else loop_now - loop_before
        if machine_now is not None and machine_before is not None and None not in cell.cpu.values():
            # Everything else on the machine meanwhile: other work skews the numbers when it is high.
            ours = sum(v for v in cell.cpu.values() if v is not None)
            cell.cpu["other"] = machine_now - machine_before - ours

    return close


async def load(
    plan: Plan,
    target: Target,
    body: bytes,
    concurrency: int,
    on_start: Callable[[], Awaitable[None]] | None = None,
    on_end: Callable[[], Awaitable[None]] | None = None,
) -> Cell:
    """``concurrency`` clients sending ``body`` back to back: warm-up, then a window bounded in time and count."""
    cell = Cell(target.path, len(body), concurrency)
    if plan.settle > 0:
        await settle(plan.settle)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        measure_from = started + plan.warmup
        stop_at = measure_from + plan.duration
        issued = 0

        async def client() -> None:
            nonlocal issued
            while (sent := time.perf_counter()) < stop_at and issued < plan.max_requests:
                issued += 1
                problem: str | None
                try:
                    async with session.post(target.url, data=body, headers=target.headers) as response:
                        answer = await response.read()
                        problem = target.problem(response.status, response.headers, answer)
                except (aiohttp.ClientError, TimeoutError) as e:
                    problem = f"{e.__class__.__name__}: {str(e)[:80]}"
                done = time.perf_counter()
                if sent >= measure_from:
                    cell.latencies.append(done - sent)
                    if problem is None:
                        cell.ok += 1
                    else:
                        cell.errors[problem] += 1

        window = asyncio.ensure_future(_window(plan, cell, started, on_start))
        await asyncio.gather(*(client() for _ in range(concurrency)))
        cell.elapsed = time.perf_counter() - measure_from
        close = await window
        close()
        if on_end is not None:
            await on_end()
    return cell


# --- report ------------------------------------------------------------------------------------------------------


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def _cpu_share(cell: Cell, role: str) -> str:
    used = cell.cpu.get(role)
    return "-" if used is None or cell.window <= 0 else f"{max(0.0, 100 * used / cell.window):.0f}"


def _server_cpu_per_transfer(cell: Cell) -> str:
    used = cell.cpu.get("upstream" if cell.path == "direct" else "server")
    return "-" if used is None or not cell.latencies else f"{1e6 * used / len(cell.latencies):.0f}"


def load_table(cells: Sequence[Cell]) -> str:
    proxies = {(c.size, c.concurrency): c for c in cells if c.path == "proxy"}
    rows = []
    for c in cells:
        proxy = proxies.get((c.size, c.concurrency))
        share = f"{c.rate / proxy.rate:.0%}" if c.path == "gateway" and proxy and proxy.rate > 0 else ""
        rows.append(
            [
                c.path,
                _kb(c.size),
                str(c.concurrency),
                f"{c.rate:,.0f}",
                f"{c.percentile(0.50):.2f}",
                f"{c.percentile(0.99):.2f}",
                str(sum(c.errors.values())),
                share,
                _server_cpu_per_transfer(c),
                "-" if c.loop_cpu is None or c.window <= 0 else f"{100 * c.loop_cpu / c.window:.0f}",
                "/".join(_cpu_share(c, r) for r in ("client", "server", "upstream", "other"))
                + (" !" if noise(c) > NOISY else ""),
            ]
        )
    header = ["path", "body", "clients", "transfers/s", "p50 ms", "p99 ms", "errors", "vs proxy"]
    return table([*header, "srv CPU us/tx", "srv loop %", "CPU% cli/srv/up/other"], rows)


def unloaded_report(cells: Sequence[Cell]) -> str:
    rows = [[c.path, str(len(c.latencies)), f"{c.percentile(0.5):.3f}", f"{c.percentile(0.99):.3f}"] for c in cells]
    text = table(["path", "requests", "p50 ms", "p99 ms"], rows)
    by_path = {c.path: c for c in cells}
    proxy, gw = by_path.get("proxy"), by_path.get("gateway")
    if proxy and gw:
        d50 = gw.percentile(0.5) - proxy.percentile(0.5)
        d99 = gw.percentile(0.99) - proxy.percentile(0.99)
        verdict = "met" if d50 <= TARGET_P50_MS and d99 <= TARGET_P99_MS else "NOT met"
        text += (
            f"\ngateway added latency over the bare proxy: p50 {d50:+.3f} ms (target <= {TARGET_P50_MS:g}), "
            f"p99 {d99:+.3f} ms (target <= {TARGET_P99_MS:g}): {verdict}"
        )
    return text


def error_summary(cells: Sequence[Cell]) -> str:
    lines = []
    for c in cells:
        for problem, count in c.errors.most_common(5):
            lines.append(f"  {c.path} {_kb(c.size)} x{c.concurrency}: {count} x {problem}")
    return "\n".join(lines)


def _where(file_name: str, line: int, name: str) -> str:
    if file_name == "~":
        return name
    path = Path(file_name)
    if path.is_relative_to(REPO):
        return f"{path.relative_to(REPO)}:{line} {name}"
    if "site-packages" in path.parts:
        return f"{'/'.join(path.parts[path.parts.index('site-packages') + 1 :])}:{line} {name}"
    return f"{path.name}:{line} {name}"


# pstats' table: (file, line, function) -> (primitive calls, calls, own time, cumulative time, callers)
_Table = dict[tuple[str, int, str], tuple[int, int, float, float, object]]
_Entry = tuple[tuple[str, int, str], tuple[int, int, float, float, object]]


def _idle(where: tuple[str, int, str]) -> bool:
    """The event loop waiting for I/O (epoll, kqueue, select), which is not work."""
    return where[0] == "~" and any(word in where[2] for word in ("poll", "select", "control"))


def profile_report(stats_file: Path, transfers: int, top: int = 20) -> str:
    """Top costs in gateway/ code by cumulative time, and the top functions overall by own time.

    Shares are of the loop thread's busy time: the profile's total minus the time spent waiting in the poller.
    """
    # Stats.stats is not in typeshed; get_stats_profile() would merge functions of the same name.
    stats = pstats.Stats(str(stats_file))
    raw = cast(_Table, stats.stats)  # type: ignore[attr-defined]
    idle = sum(v[2] for k, v in raw.items() if _idle(k))
    busy = max(sum(v[2] for v in raw.values()) - idle, 1e-9)
    per = max(transfers, 1)
    gateway_dir = REPO / "gateway"

    def rows(picked: list[_Entry]) -> list[list[str]]:
        return [
            [
                _where(*where),
                str(calls) if calls == primitive else f"{calls}/{primitive}",
                f"{cum:.3f}",
                f"{100 * cum / busy:.1f}",
                f"{1e6 * cum / per:.0f}",
                f"{own:.3f}",
                f"{100 * own / busy:.1f}",
            ]
            for where, (primitive, calls, own, cum, _) in picked
        ]

    entries = [(k, v) for k, v in raw.items() if not _idle(k)]
    ours = sorted((e for e in entries if Path(e[0][0]).is_relative_to(gateway_dir)), key=lambda e: -e[1][3])
    heaviest = sorted(entries, key=lambda e: -e[1][2])
    header = ["function", "calls", "cum s", "cum %", "cum us/tx", "own s", "own %"]
    return (
        f"event-loop thread busy {busy:.2f} s (plus {idle:.2f} s waiting for I/O) for {transfers} transfers: "
        f"{1e6 * busy / per:.0f} us/transfer under cProfile, which inflates call-heavy Python code; read the shares.\n"
        "(% = share of the busy time; a coroutine's calls count its resumptions; the audit writer thread is not "
        "profiled; wall-clock timer, so a call that waits for the GIL shows the wait as its own time.)\n\n"
        f"gateway/ code by cumulative time:\n{table(header, rows(ours[:top]))}\n\n"
        f"all functions by own time:\n{table(header, rows(heaviest[:top]))}"
    )


# --- the run -----------------------------------------------------------------------------------------------------


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def sanity(targets: Sequence[Target], body: bytes) -> None:
    """One request each way before measuring; a path that does not answer 200 stops the run."""
    async with aiohttp.ClientSession() as session:
        for t in targets:
            async with session.post(t.url, data=body, headers=t.headers) as response:
                problem = t.problem(response.status, response.headers, await response.read())
            if problem is not None:
                raise RuntimeError(f"{t.path}: {problem}")


async def measure(
    args: argparse.Namespace, servers: dict[str, Server], targets: list[Target], bodies: dict[int, bytes]
) -> tuple[list[Cell], list[Cell], tuple[Path, int] | None]:
    plan = Plan(args.warmup, args.duration, args.max_requests, {}, args.settle)
    await sanity(targets, bodies[SIZES[0]])
    loaded: list[Cell] = []
    for size in SIZES[:1] if args.quick else SIZES:
        for concurrency in CONCURRENCIES[:1] if args.quick else CONCURRENCIES:
            for t in targets:
                plan.watch = _watch(servers, t)
                _note(f"measuring {t.path:8} {_kb(len(bodies[size])):>8} x{concurrency:<3}")
                loaded.append(await measure_cell(plan, t, bodies[size], concurrency, args.retries))
    unloaded = []
    for t in targets:
        _note(f"measuring {t.path:8} unloaded")
        plan.watch = _watch(servers, t)
        unloaded.append(await measure_cell(plan, t, bodies[SIZES[0]], 1, args.retries))
    profiled = None
    if args.profile == "on" or (args.profile == "auto" and not args.quick and _share_of_proxy(loaded) < PROFILE_BELOW):
        profiled = await profile_gateway(plan, servers["gateway"], targets[-1], bodies[SIZES[0]], CONCURRENCIES[0])
    return loaded, unloaded, profiled


def _watch(servers: dict[str, Server], target: Target) -> dict[str, Server]:
    """The processes a path's load runs through, by role in the table: the upstream, and the server under test."""
    watch = {"upstream": servers["upstream"]}
    if target.path != "direct":
        watch["server"] = servers[target.path]
    return watch


def noise(cell: Cell) -> float:
    """How much of a core the rest of the machine used during the cell (0 when unknown)."""
    other = cell.cpu.get("other")
    return 0.0 if other is None or cell.window <= 0 else max(0.0, other / cell.window)


async def measure_cell(plan: Plan, target: Target, body: bytes, concurrency: int, retries: int) -> Cell:
    """One cell; measured again (up to ``retries`` times) when other jobs took much CPU meanwhile; the quietest."""
    cells = [await load(plan, target, body, concurrency)]
    while noise(cells[-1]) > NOISY and len(cells) <= retries:
        _note(f"  other jobs used {noise(cells[-1]):.0%} of a core meanwhile; measuring again")
        cells.append(await load(plan, target, body, concurrency))
    return min(cells, key=noise)


def _share_of_proxy(cells: Sequence[Cell]) -> float:
    """The gateway's lowest throughput share of the proxy's at the smallest body size."""
    by = {(c.path, c.size, c.concurrency): c for c in cells}
    shares = [
        c.rate / proxy.rate
        for c in cells
        if c.path == "gateway" and c.size == min(x.size for x in cells)
        if (proxy := by.get(("proxy", c.size, c.concurrency))) and proxy.rate > 0
    ]
    return min(shares, default=1.0)


async def profile_gateway(
    plan: Plan, gateway: Server, target: Target, body: bytes, concurrency: int
) -> tuple[Path, int]:
    _note(f"profiling gateway {_kb(len(body))} x{concurrency}")
    stats_file = Path(tempfile.mkdtemp(prefix="gateway-bench-profile-")) / "gateway.pstats"

    async def start() -> None:
        await asyncio.to_thread(gateway.command, "profile-start")

    async def stop() -> None:
        await asyncio.to_thread(gateway.command, f"profile-stop {stats_file}")

    plan.watch = {}
    cell = await load(plan, target, body, concurrency, on_start=start, on_end=stop)
    return stats_file, cell.ok + sum(cell.errors.values())


def describe_machine(loop_name: str) -> str:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    parser = "C" if aiohttp.http_parser.HttpRequestParser.__module__.endswith("_http_parser") else "pure Python"
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}) "
        f"on {platform.system()} {platform.release()} {platform.machine()}\n"
        f"CPUs: {os.cpu_count()} (usable by this process: {affinity})\n"
        f"aiohttp {aiohttp.__version__} ({parser} HTTP parser), event loop: {loop_name}; "
        f"load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def main_run(args: argparse.Namespace) -> int:
    if args.quick:
        args.duration = 1.0
        args.settle = min(args.settle, 2.0)
        args.retries = min(args.retries, 1)
    loop_name = "uvloop" if _loop_factory() else "asyncio (uvloop is not installed)"
    print(describe_machine(loop_name))
    bodies, counts = {}, {}
    for size in SIZES:
        bodies[size], counts[size] = employee_records(size)
    max_clients = max(CONCURRENCIES)
    in_flight = max(Limits().max_in_flight, 4 * max_clients)
    print(
        "bodies: "
        + ", ".join(f"{len(bodies[s])} bytes ({counts[s]} employee records)" for s in SIZES)
        + f"; per cell: up to {args.settle:g} s waiting for a quiet machine, {args.warmup:g} s warm-up, "
        f"{args.duration:g} s measured; one process per server, the client in this one"
    )
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as tmp:
        data_dir = Path(tmp)
        token = prepare_gateway(data_dir)
        print(
            f"gateway: policy {POLICY_DIR.relative_to(REPO)}, audit log {data_dir / 'audit.sqlite3'} "
            f"(WAL, synchronous=FULL, group commit), max_in_flight {in_flight} (> {max_clients} clients), "
            "JSON logs at INFO to /dev/null\n",
            flush=True,
        )
        servers: dict[str, Server] = {}
        summary = ""
        try:
            servers["upstream"] = spawn("upstream")
            up = servers["upstream"].url
            servers["proxy"] = spawn("proxy", "--upstream", up)
            gateway_args = ["--upstream", up, "--data-dir", str(data_dir), "--max-in-flight", str(in_flight)]
            servers["gateway"] = spawn("gateway", *gateway_args)
            json_headers = {"Content-Type": "application/json"}
            gw_headers = {**json_headers, "Authorization": f"Bearer {token}", "Gateway-Purpose": PURPOSE}
            targets = [
                Target("direct", f"{up}/employees/batch", json_headers),
                Target("proxy", servers["proxy"].url + TRANSFER_PATH, json_headers),
                Target("gateway", servers["gateway"].url + TRANSFER_PATH, gw_headers, gateway=True),
            ]
            loaded, unloaded, profiled = _run(measure(args, servers, targets, bodies))
        finally:
            for role in ("gateway", "proxy", "upstream"):
                if role in servers:
                    out = servers[role].stop()
                    if role == "gateway":
                        summary = out
        print(load_table(loaded))
        print(
            "\n(srv CPU us/tx: CPU of the process under test per request, all its threads. srv loop %: its event-loop "
            "thread's share of one core; near 100 it is the bottleneck. CPU%: share of one core in the window, for the "
            "client, the server under test, the upstream and everything else on the machine; ! marks a cell other "
            "jobs disturbed even after the retries.)"
        )
        print(f"\nunloaded: one client, sequential requests, {_kb(len(bodies[SIZES[0]]))}\n{unloaded_report(unloaded)}")
        errors = error_summary([*loaded, *unloaded])
        print(f"\nerrors:\n{errors}" if errors else "\nerrors: none (every gateway answer was 200 with allow)")
        verified = verify_file(data_dir / "audit.sqlite3").records
        print(f"\naudit: {_audit_line(summary)}; chain and tree verified: {verified} records")
    if profiled is not None:
        stats_file, transfers = profiled
        print(f"\ngateway profile (1 KB, {CONCURRENCIES[0]} clients, {args.duration:g} s):")
        print(profile_report(stats_file, transfers))
        if args.profile_out:
            stats_file.replace(args.profile_out)
            print(f"\n(cProfile stats kept in {args.profile_out}: python -m pstats {args.profile_out})")
        stats_file.unlink(missing_ok=True)
        stats_file.parent.rmdir()
    return 0


def _audit_line(summary: str) -> str:
    values = dict(part.split("=", 1) for part in summary.split()[1:] if "=" in part)
    try:
        records, commits = int(values["audit_records"]), int(values["commits"])
    except (KeyError, ValueError):
        return f"no summary from the gateway ({summary!r})"
    return f"{records} records in {commits} commits (mean group {records / max(commits, 1):.1f})"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=4.0, help="measured seconds per cell (default 4)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each cell (default 1)")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="request cap per cell")
    parser.add_argument(
        "--retries", type=int, default=2, help="measure a cell again up to this many times when other jobs disturb it"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=20.0,
        help="before each cell, wait up to this many seconds for other jobs on the machine to quieten (0: do not)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s, 1 KB at 16 clients, and unloaded")
    parser.add_argument(
        "--profile",
        choices=("auto", "on", "off"),
        default="auto",
        help=f"cProfile the gateway under load (auto: in full runs, when it makes under {PROFILE_BELOW * 100:.0f}%% "
        "of the proxy's throughput at 1 KB)",
    )
    parser.add_argument("--profile-out", help="keep the gateway's cProfile stats in this file (for pstats)")
    parser.add_argument("--role", choices=("upstream", "proxy", "gateway"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--upstream", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--max-in-flight", type=int, default=Limits().max_in_flight, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)  # a gateway node on PostgreSQL instead of SQLite files
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.role in {"proxy", "gateway"} and not args.upstream:
        parser.error(f"--role {args.role} needs --upstream")
    if args.role == "gateway" and not args.data_dir:
        parser.error("--role gateway needs --data-dir")
    if args.role:
        return run_role(args)
    return main_run(args)


if __name__ == "__main__":
    sys.exit(main())
