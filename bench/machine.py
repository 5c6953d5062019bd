"""What the benchmarks share: CPU accounting from /proc, and the plain-text tables they print."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["CLOCK_TICKS", "system_busy", "table"]

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def system_busy() -> float | None:
    """CPU seconds all processes on the machine have used (all CPUs, steal included), from /proc/stat; None without
    /proc."""
    try:
        first = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in first[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: int = 1) -> str:
    """Columns padded to their widest cell, a rule under the header; columns from ``right`` on are right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [c.rjust(w) if i >= right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return "  ".join(cells).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])
