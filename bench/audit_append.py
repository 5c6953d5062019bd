"""Audit log benchmark: durable appends per second with group commit, beside bare SQLite, and proofs at 1M records.

    .venv/bin/python bench/audit_append.py [--duration 3] [--records 1000000] [--workdir DIR] [--quick]

Appends: 1, 16 and 64 writers (asyncio tasks on one event loop) each await ``SqliteAuditLog.append`` in a loop, on a
fresh file; an append returns when its commit is durable (WAL, ``synchronous=FULL``). The leaves are audit records
in canonical JSON, a decision and an outcome per transfer as the gateway writes them, each transfer with its own
decision id. In the same run, on the same disk and with the same pragmas, bare ``sqlite3`` from one thread: one
INSERT per transaction, and INSERTs in transactions of the group sizes the log reached (the ceiling for that size).
Before each line the run waits (``--settle``) for other processes to quieten, and each line shows what CPU they used
while it was measured, so that a line disturbed by another job on the machine is marked as such.

Proofs: a log of ``--records`` records, built once through the store's own write path (``enqueue`` a chunk, then one
awaited ``append``: one commit per chunk) and kept in ``--workdir`` so that reruns skip the build; then
``TreeReader`` roots, inclusion proofs and consistency proofs at random points, each verified with
``gateway.audit.merkle`` against the root the reader gives.

The exit status is 1 when a full run misses the issue's target of 10,000 durable appends a second at 64 writers.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from machine import CLOCK_TICKS, system_busy, table  # bench/machine.py, beside this script

from gateway.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from gateway.audit.record import encode, timestamp
from gateway.model import Json
from gateway.stores import sqlite_audit
from gateway.stores.sqlite_audit import SqliteAuditLog, TreeReader

WRITERS = (1, 16, 64)
TARGET_RATE = 10_000  # durable appends a second at 64 writers (the target)
POOL = 4096  # distinct leaves the append cells cycle through
BUILD_CHUNK = 10_000  # records per commit when the proof log is built
SEED = 20261128
NOISY = 0.25  # other processes used more than this share of a core during a line: say it was disturbed
_PLACEHOLDER = "00000000-0000-4000-8000-000000000000"
_EXPORTER = "exporter-placeholder"
_TIME = "2026-11-28T00:00:00.000Z"
_EXPORTERS = ("sip-precision-manufacturing", "suzhou-bio-labs", "harmony-logistics-sip", "jinji-lake-fintech")
_START = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)
_REVISION = "sha256:f0bfc1b4822868ab6fe82a17a903afda6c62d51c99d71bfb9a71e379eef764b6"
_RECIPIENT = {"recipient": "sg-hr", "recipient_name": "Merlion People Services Pte. Ltd.", "route": "sg-hr"}


# --- leaves ------------------------------------------------------------------------------------------------------


def _decision(effect: str, rules: list[Json], extra: dict[str, Json]) -> dict[str, Json]:
    """A decision record shaped as ``gateway.audit.record.decision_record`` makes them (the last rule decides)."""
    record: dict[str, Json] = {
        "v": 1,
        "kind": "decision",
        "decision_id": _PLACEHOLDER,
        "time": _TIME,
        "exporter": _EXPORTER,
        "caller": "payroll-sync",
        **_RECIPIENT,
        "jurisdiction": "SG",
        "purpose": "payroll",
        "scenario": "hr",
        "method": "POST",
        "path": "/employees/batch",
        "content_type": "application/json",
        "request": {"digest": "sha256:" + "5e" * 32, "bytes": 1011},
        "categories": {},
        "detectors": {},
        "individuals": 0,
        "subject_keys": [],
        "obligations": {},
        "policy_revision": _REVISION,
        "rules": rules,
        "deciding_rule": rules[-1]["id"] if isinstance(rules[-1], dict) else None,
        "mechanism": None,
        "effect": effect,
        "problem": None if effect == "allow" else "policy-denied",
        "dropped": [],
        "consents": [],
        "explanation": None,
    }
    record.update(extra)
    return record


def _rule(rule_id: str, effect: str, legal: str, reason: str) -> Json:
    return {"id": rule_id, "effect": effect, "legal": legal, "reason": reason}


def leaf_templates() -> list[bytes]:
    """Canonical JSON of the records transfers leave, with placeholders for the decision id, time and exporter: a
    payroll batch allowed with contacts masked, a report without personal data, a transfer denied for want of consent,
    and an outcome."""
    keys: list[Json] = [f"{n:064x}" for n in (0x00B7F48E, 0x3A91C2D4, 0x7E0D55AB)]
    masked = _decision(
        "allow",
        [
            _rule("CN-VOL-SMALL-01", "allow", "2024 Provisions Art 5(4)", "Fewer than 100,000 individuals this year."),
            _rule("CN-MIN-01", "oblige", "PIPL Art 6; PIPL Art 5", "Contacts are masked to their last 4 characters."),
        ],
        {
            "categories": {"PI.CONTACT": 6},
            "detectors": {"cn_mobile": 3, "email": 3},
            "individuals": 3,
            "subject_keys": keys,
            "obligations": {"mask": [f"/employees/{i}/{f}" for i in range(3) for f in ("mobile", "email")]},
            "mechanism": {"id": "CN_SCC", "reference": "SIP-SCC-2026-0042"},
            "consents": ["consent-2026-000123", "consent-2026-000124", "consent-2026-000125"],
        },
    )
    plain = _decision(
        "allow",
        [_rule("CN-NONPI-01", "allow", "PIPL Art 38", "No personal information and no important data.")],
        {"path": "/reports/headcount", "purpose": "hr_administration"},
    )
    denied = _decision(
        "deny",
        [_rule("CN-PIPL39-01", "oblige", "PIPL Art 39", "A consent record is missing for at least one individual.")],
        {"categories": {"PI.CONTACT": 1}, "detectors": {"cn_mobile": 1}, "individuals": 1, "subject_keys": keys[:1]},
    )
    outcome: dict[str, Json] = {
        "v": 1,
        "kind": "outcome",
        "decision_id": _PLACEHOLDER,
        "time": _TIME,
        "forwarded": {"digest": "sha256:" + "a7" * 32, "bytes": 1011},
        "status": 200,
        "response_bytes": 163,
        "latency_us": 3446,
        "fault": None,
    }
    return [encode(r) for r in (masked, plain, denied, outcome)]


def leaves(count: int, seed: int) -> Iterator[bytes]:
    """``count`` leaves: per transfer a decision (of the three kinds in turn) and its outcome, with a random decision
    id, one of a few exporters, and times 5 ms apart.

    The placeholders are replaced in the canonical bytes: the values are plain ASCII strings, which need no escaping
    and leave the order of the keys alone, so the result is the canonical form of the record with those values.
    """
    *decisions, outcome = leaf_templates()
    placeholders = (_PLACEHOLDER.encode(), _TIME.encode(), _EXPORTER.encode())
    rng = random.Random(seed)
    made = 0
    while made < count:
        decision_id = str(uuid.UUID(int=rng.getrandbits(128), version=4)).encode()
        at = _START + timedelta(milliseconds=5 * made)
        exporter = rng.choice(_EXPORTERS).encode()
        values = (decision_id, timestamp(at).encode(), exporter)
        yield _fill(decisions[(made // 2) % len(decisions)], placeholders, values)
        made += 1
        if made < count:
            yield _fill(outcome, placeholders, (decision_id, timestamp(at + timedelta(milliseconds=3)).encode(), b""))
            made += 1


def _fill(template: bytes, placeholders: tuple[bytes, ...], values: tuple[bytes, ...]) -> bytes:
    for placeholder, value in zip(placeholders, values, strict=True):
        template = template.replace(placeholder, value)
    return template


# --- measurement -------------------------------------------------------------------------------------------------


def thread_cpu(native_id: int | None) -> float | None:
    """CPU seconds one thread of this process has used, from /proc; None without /proc or without the thread."""
    if native_id is None:
        return None
    try:
        text = Path(f"/proc/self/task/{native_id}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(slots=True)
class Cell:
    """One measured window: rows made durable, commits, latencies of what started in it, CPU used in it."""

    what: str
    writers: int
    duration: float
    rows: int = 0
    commits: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, per append (per commit for bare sqlite)
    main_cpu: float | None = None
    writer_cpu: float | None = None
    process_cpu: float = 0.0
    others_cpu: float | None = None  # what other processes on the machine used in the window

    @property
    def rate(self) -> float:
        return self.rows / self.duration

    @property
    def disturbed(self) -> bool:
        return self.others_cpu is not None and self.others_cpu > NOISY * self.duration

    @property
    def group(self) -> float:
        return self.rows / self.commits if self.commits else math.nan


class _Snapshot:
    """Counters and CPU clocks at a window's start, to subtract at its end."""

    def __init__(self, rows: int, commits: int, main_tid: int, writer_tid: int | None) -> None:
        self.rows, self.commits = rows, commits
        self.main = thread_cpu(main_tid)
        self.writer = thread_cpu(writer_tid)
        self.process = time.process_time()
        self.busy = system_busy()

    def close(self, cell: Cell, rows: int, commits: int, main_tid: int, writer_tid: int | None) -> None:
        cell.rows, cell.commits = rows - self.rows, commits - self.commits
        cell.process_cpu = time.process_time() - self.process
        busy = system_busy()
        cell.others_cpu = None if busy is None or self.busy is None else max(0.0, busy - self.busy - cell.process_cpu)
        main, writer = thread_cpu(main_tid), thread_cpu(writer_tid)
        cell.main_cpu = None if main is None or self.main is None else main - self.main
        cell.writer_cpu = None if writer is None or self.writer is None else writer - self.writer


def _writer_thread_id() -> int | None:
    """The native id of the log's writer thread (its executor names it), for its CPU time."""
    found = [t.native_id for t in threading.enumerate() if t.name.startswith("audit-writer")]
    return found[0] if len(found) == 1 else None


async def measure_log(path: Path, writers: int, pool: Sequence[bytes], warmup: float, duration: float) -> Cell:
    """``writers`` tasks append in a loop for ``warmup + duration`` seconds; the last ``duration`` is measured."""
    log = SqliteAuditLog(path)
    await log.open()
    loop = asyncio.get_running_loop()
    cell = Cell("SqliteAuditLog.append", writers, duration)
    main_tid, writer_tid = threading.get_native_id(), _writer_thread_id()
    start = loop.time() + warmup
    stop = start + duration
    samples: list[tuple[float, float]] = []
    snapshot: list[_Snapshot] = []

    def at_start() -> None:
        snapshot.append(_Snapshot(log.size, log.batches, main_tid, writer_tid))

    def at_stop() -> None:
        snapshot[0].close(cell, log.size, log.batches, main_tid, writer_tid)

    async def writer(offset: int) -> None:
        i = offset
        while (began := loop.time()) < stop:
            await log.append(pool[i % len(pool)])
            samples.append((began, loop.time()))
            i += writers

    loop.call_at(start, at_start)
    loop.call_at(stop, at_stop)
    try:
        await asyncio.gather(*(writer(w) for w in range(writers)))
    finally:
        await log.close()
    cell.latencies = [end - began for began, end in samples if start <= began < stop]
    return cell


def _bare_connection(path: Path) -> sqlite3.Connection:
    """A connection with the log's pragmas (WAL, synchronous=FULL), on a one-table schema."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE records (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL) STRICT")
    return db


def measure_bare(path: Path, batch: int, pool: Sequence[bytes], warmup: float, duration: float) -> Cell:
    """Bare sqlite3 from this thread: ``batch`` INSERTs per transaction (1: autocommit), as fast as it goes."""
    cell = Cell(f"bare sqlite3, {batch} row{'s' if batch > 1 else ''}/commit", 1, duration)
    tid = threading.get_native_id()
    with closing(_bare_connection(path)) as db:
        index = 0
        start = time.perf_counter() + warmup
        stop = start + duration
        snapshot: _Snapshot | None = None
        rows = commits = 0
        while (began := time.perf_counter()) < stop:
            if snapshot is None and began >= start:
                snapshot = _Snapshot(rows, commits, tid, None)
            if batch == 1:
                db.execute("INSERT INTO records (idx, leaf) VALUES (?, ?)", (index, pool[index % len(pool)]))
            else:
                chunk = [(index + j, pool[(index + j) % len(pool)]) for j in range(batch)]
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT INTO records (idx, leaf) VALUES (?, ?)", chunk)
                db.execute("COMMIT")
            index += batch
            rows, commits = rows + batch, commits + 1
            if snapshot is not None:
                cell.latencies.append(time.perf_counter() - began)
        if snapshot is not None:
            snapshot.close(cell, rows, commits, tid, None)
    return cell


def _pct(seconds: float | None, duration: float) -> str:
    return "-" if seconds is None else f"{100 * seconds / duration:.0f}"


def append_table(cells: Sequence[Cell]) -> str:
    header = [
        "what",
        "writers",
        "rows/s",
        "commits/s",
        "rows/commit",
        "p50 ms",
        "p99 ms",
        "main %",
        "writer %",
        "CPU us/row",
        "others %",
    ]
    rows = [
        [
            c.what,
            str(c.writers),
            f"{c.rate:,.0f}",
            f"{c.commits / c.duration:,.0f}",
            f"{c.group:.1f}",
            f"{1000 * percentile(c.latencies, 0.50):.2f}",
            f"{1000 * percentile(c.latencies, 0.99):.2f}",
            _pct(c.main_cpu, c.duration),
            _pct(c.writer_cpu, c.duration),
            f"{1e6 * c.process_cpu / c.rows:.0f}" if c.rows else "-",
            _pct(c.others_cpu, c.duration) + ("!" if c.disturbed else ""),
        ]
        for c in cells
    ]
    return table(header, rows)


# --- the proof log -----------------------------------------------------------------------------------------------


async def build_log(path: Path, count: int, seed: int) -> dict[str, float | int | str]:
    """Write ``count`` records through the store's write path: per chunk, ``enqueue`` all but the last and await
    ``append`` of the last, so each chunk is one durable commit; returns how it went."""
    log = SqliteAuditLog(path)
    await log.open()
    started = time.perf_counter()
    made = 0
    try:
        source = leaves(count, seed)
        while made < count:
            chunk = [next(source) for _ in range(min(BUILD_CHUNK, count - made))]
            for leaf in chunk[:-1]:
                log.enqueue(leaf)
            await log.append(chunk[-1])
            made += len(chunk)
    finally:
        await log.close()
    return {
        "records": made,
        "commits": log.batches,
        "seconds": round(time.perf_counter() - started, 1),
        "how": f"SqliteAuditLog: enqueue {BUILD_CHUNK - 1:,} + append 1 per commit",
    }


def _build_digest() -> str:
    """A short digest of the store module's source and of the first leaves: a cached proof log is rebuilt when
    either changes."""
    digest = hashlib.sha256(Path(sqlite_audit.__file__).read_bytes())
    for leaf in leaves(16, SEED):
        digest.update(leaf)
    return digest.hexdigest()[:12]


def proof_log(workdir: Path, count: int) -> tuple[Path, dict[str, float | int | str], bool]:
    """The cached proof log of ``count`` records in ``workdir``, built first if missing (removing logs that an
    earlier version of the store built); whether it was cached."""
    path = workdir / f"proof-log-{count}-{_build_digest()}.sqlite3"
    info_file = path.with_name(path.name + ".json")
    if path.exists() and info_file.exists():
        return path, json.loads(info_file.read_text(encoding="utf-8")), True
    for stale in workdir.glob(f"proof-log-{count}-*"):
        stale.unlink()
    partial = path.with_name(path.name + ".partial")
    _note(f"building the proof log of {count:,} records in {path} (kept for reruns)...")
    info = asyncio.run(build_log(partial, count, SEED))
    partial.with_name(partial.name + ".lock").unlink(missing_ok=True)
    partial.replace(path)
    info_file.write_text(json.dumps(info), encoding="utf-8")
    return path, info, False


PROOF_ROWS = (
    ("root", "root(size), random size"),
    ("inclusion", "inclusion proof"),
    ("verify_inclusion", "  verify_inclusion"),
    ("inclusion_total", "  proof + verify"),
    ("consistency", "consistency proof to size"),
    ("verify_consistency", "  verify_consistency"),
    ("consistency_total", "  proof + verify"),
)


def proof_times(path: Path, size: int, samples: int, seed: int) -> dict[str, list[float]]:
    """Seconds per root, inclusion proof and consistency proof at random points of the tree of ``size`` records,
    each proof verified against the reader's roots (:class:`ProofInvalid` if one does not verify)."""
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {key: [] for key, _ in PROOF_ROWS}
    reader = TreeReader(path)
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            stored = db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
            if stored != size:
                raise RuntimeError(f"{path} holds {stored} records, not {size}: delete it to rebuild")
            size_root = reader.root(size)
            for _ in range(samples):
                index, first = rng.randrange(size), rng.randrange(1, size)
                leaf = db.execute("SELECT leaf FROM records WHERE idx = ?", (index,)).fetchone()[0]
                _sample(reader, timings, (index, leaf_hash(bytes(leaf))), first, (size, size_root))
    finally:
        reader.close()
    return timings


def _sample(
    reader: TreeReader,
    timings: dict[str, list[float]],
    leaf: tuple[int, bytes],
    first: int,
    tree: tuple[int, bytes],
) -> None:
    """One of each timing: the root at ``first``, the inclusion of ``leaf`` (index, leaf hash) in ``tree`` (size,
    root), and the consistency of ``first`` with ``tree``."""
    (index, hashed), (size, size_root) = leaf, tree
    began = time.perf_counter()
    first_root = reader.root(first)
    timings["root"].append(time.perf_counter() - began)

    began = time.perf_counter()
    path = reader.inclusion_proof(index, size)
    made = time.perf_counter()
    verify_inclusion(index, size, hashed, path, size_root)
    checked = time.perf_counter()
    timings["inclusion"].append(made - began)
    timings["verify_inclusion"].append(checked - made)
    timings["inclusion_total"].append(checked - began)

    began = time.perf_counter()
    proof = reader.consistency_proof(first, size)
    made = time.perf_counter()
    verify_consistency(first, size, first_root, size_root, proof)
    checked = time.perf_counter()
    timings["consistency"].append(made - began)
    timings["verify_consistency"].append(checked - made)
    timings["consistency_total"].append(checked - began)


def proof_table(timings: dict[str, list[float]]) -> str:
    rows = [
        [
            label,
            str(len(timings[key])),
            f"{1e6 * statistics.median(timings[key]):.0f}",
            f"{1e6 * percentile(timings[key], 0.99):.0f}",
        ]
        for key, label in PROOF_ROWS
    ]
    return table(["operation", "n", "median us", "p99 us"], rows)


# --- the run -------------------------------------------------------------------------------------------------------


def _note(text: str) -> None:
    """Progress, on standard error (after what standard output holds so far)."""
    sys.stdout.flush()
    print(text, file=sys.stderr, flush=True)


def file_system(path: Path) -> str:
    """The type and device of the file system ``path`` is on, from /proc/mounts ("unknown" without it)."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="ascii").splitlines()
    except OSError:
        return "unknown"
    resolved, best = str(path.resolve()), ("", "unknown", "")
    for line in mounts:
        device, point, kind = line.split()[:3]
        if (resolved == point or resolved.startswith(point.rstrip("/") + "/")) and len(point) >= len(best[0]):
            best = (point, kind, device)
    return f"{best[1]} on {best[2]}"


def describe(workdir: Path, pool: Sequence[bytes]) -> str:
    sizes = [len(leaf) for leaf in pool]
    return (
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.release()} {platform.machine()}, CPUs: {os.cpu_count()}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
        f"work dir: {workdir} ({file_system(workdir)})\n"
        f"leaves: {len(pool):,} audit records (a decision and an outcome per transfer, canonical JSON), "
        f"{min(sizes)}-{max(sizes)} bytes, mean {statistics.fmean(sizes):.0f}"
    )


def settle(limit: float, step: float = 0.5) -> None:
    """Wait up to ``limit`` seconds for other processes to use less than ``NOISY`` of a core (over ``step``)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy, own = system_busy(), time.process_time()
        time.sleep(step)
        after = system_busy()
        if busy is None or after is None or after - busy - (time.process_time() - own) < NOISY * step:
            return
    _note(f"other processes stayed busy for {limit:g} s: measuring anyway")


def appends(workdir: Path, pool: Sequence[bytes], args: argparse.Namespace) -> list[Cell]:
    """The append cells: bare single-row commits, the log at each writer count, bare commits of its group sizes."""
    cells: list[Cell] = []
    warmup, duration = args.warmup, args.duration
    with tempfile.TemporaryDirectory(prefix="appends-", dir=workdir) as tmp:
        folder = Path(tmp)
        settle(args.settle)
        cells.append(measure_bare(folder / "bare-1.sqlite3", 1, pool, warmup, duration))
        for writers in WRITERS:
            _note(f"SqliteAuditLog, {writers} writer(s)...")
            settle(args.settle)
            cells.append(asyncio.run(measure_log(folder / f"log-{writers}.sqlite3", writers, pool, warmup, duration)))
        groups = sorted({round(c.group) for c in cells[1:] if c.group >= 1.5})
        for group in groups:
            settle(args.settle)
            cells.append(measure_bare(folder / f"bare-{group}.sqlite3", group, pool, warmup, duration))
    return cells


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=3.0, help="measured seconds per append cell (default 3)")
    parser.add_argument("--warmup", type=float, default=0.5, help="unmeasured seconds before each (default 0.5)")
    parser.add_argument(
        "--settle",
        type=float,
        default=20.0,
        help="before each line, wait up to this many seconds for other processes to quieten (default 20; 0: do not)",
    )
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the proof log (default 1,000,000)")
    parser.add_argument("--proofs", type=int, default=300, help="random points timed in the proof log (default 300)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "gateway-bench-audit",
        help="where the files go, and the proof log is kept for reruns; use a disk, not tmpfs (default: %(default)s)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s cells, a proof log of 20,000 records")
    return parser


def report_appends(cells: Sequence[Cell], warmup: float, duration: float) -> bool:
    """Print the append table and the verdict on the target; whether it was met."""
    print(f"\nappends: WAL, synchronous=FULL, rows durable when counted; {warmup:g} s warm-up, {duration:g} s measured")
    print(append_table(cells))
    print(
        "(p50/p99: latency of one append, or of one commit for bare sqlite3. main %, writer %: share of one core\n"
        "used by the event-loop (or bare) thread and by the log's writer thread. CPU us/row: this whole process.\n"
        "others %: CPU used meanwhile by other processes and, as steal, by other VMs (share of one core);\n"
        f"! above {NOISY:.0%}: a disturbed line.)"
    )
    cell = next(c for c in cells if c.what.startswith("SqliteAuditLog") and c.writers == max(WRITERS))
    met = cell.rate >= TARGET_RATE
    verdict = "met" if met else "MISSED" + (" (disturbed by other processes: run again)" if cell.disturbed else "")
    print(f"target: >= {TARGET_RATE:,} durable appends/s at {cell.writers} writers: {cell.rate:,.0f}/s, {verdict}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.settle = 1.0, 0.2, min(args.settle, 2.0)
        args.records, args.proofs = min(args.records, 20_000), min(args.proofs, 100)
    args.workdir.mkdir(parents=True, exist_ok=True)
    pool = list(leaves(POOL, SEED))
    print(describe(args.workdir, pool))
    if file_system(args.workdir).startswith("tmpfs"):
        print("warning: the work dir is on tmpfs, where fsync costs nothing: pass --workdir on a disk")
    met = report_appends(appends(args.workdir, pool, args), args.warmup, args.duration)

    path, info, cached = proof_log(args.workdir, args.records)
    megabytes = path.stat().st_size / 1e6
    print(
        f"\nproof log: {info['records']:,} records, {megabytes:,.0f} MB ({1e6 * megabytes / args.records:,.0f} bytes a "
        f"record with its subtrees), built with {info['how']} ({info['commits']:,} commits) in {info['seconds']} s"
        f"{'; cached from an earlier run' if cached else ''}"
    )
    print(proof_table(proof_times(path, args.records, args.proofs, SEED)))
    return 0 if met or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
