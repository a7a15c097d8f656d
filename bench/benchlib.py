"""What the benchmarks share: a markdown table, how busy the machine was, the waveform's zoom."""

from __future__ import annotations

import os
from pathlib import Path


def print_table(header: list[str], rows: list[tuple]) -> None:
    """A markdown table, columns padded to their widest cell."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(x).ljust(w) for x, w in zip(row, widths)) + " |")


def machine_cpu_seconds() -> float:
    """CPU seconds the whole machine (all cores) has been busy since boot."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]] + [0] * 8
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process and the children it has waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def other_programs_cores(busy_start: float, own_start: float, wall: float) -> float:
    """Cores used on average by programs other than this benchmark since the start."""
    others = (machine_cpu_seconds() - busy_start) - (own_cpu_seconds() - own_start)
    return max(0.0, others / wall)


def status_kb(key: str, pid: int | str = "self") -> int:
    """A kB figure of a process (this one by default) from /proc/PID/status (VmRSS, VmHWM...)."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


#: Other programs' CPU use (cores) above which the figures are called unreliable.
BUSY_CORES = 0.25


def print_average_load(script: str, wall: float, others: float, detail: str = "") -> None:
    """The closing line of a benchmark: how long it ran and how busy the rest of the machine was."""
    print(f"\n{Path(script).name} ran in {wall:.0f} s on {os.cpu_count()} CPUs; other programs "
          f"used {others:.2f} cores on average meanwhile{detail}"
          + (" (a busy machine: the times above are pessimistic)" if others > BUSY_CORES else ""))


def print_peak_load(script: str, wall: float, others_seen: list[float], busy_warning: str) -> None:
    """The closing lines of a benchmark that sampled other programs' CPU use
    during each timed run: the largest, with `busy_warning` when too busy."""
    others = max(others_seen, default=0.0)
    print(f"\nOther programs used up to {others:.2f} of {os.cpu_count()} cores during a timed run.")
    if others > BUSY_CORES:
        print(f"WARNING: the machine was busy during the timed runs; {busy_warning}")
    print(f"\n{Path(script).name} ran in {wall:.0f} s")


def zoom_waveform(wf, pps: float) -> None:
    """Zoom the waveform component (a tests/browser `WF`) to `pps` pixels per second, as its slider does."""
    wf.frame_eval(
        """(_b, pps) => { const i = document.querySelector('.wf-zoom input');
            const fit = Number(document.body.dataset.pxPerSec);
            const v = Math.log(pps / fit) / Math.log(5000 / fit) * 1000;
            i.value = String(v); i.dispatchEvent(new Event('input')); }""",
        pps,
    )
