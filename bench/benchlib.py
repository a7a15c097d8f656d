"""What the benchmarks share: a markdown table, and how busy the machine was."""

from __future__ import annotations

import os


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
