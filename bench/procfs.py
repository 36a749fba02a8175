"""What the kernel says a process uses: resident memory and CPU time, read from /proc.

Reading another process's counters from outside costs it nothing and does not depend on how
busy the other core is: CPU time is what the process itself burned, however long it waited.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path
from typing import Final

TICKS: Final = os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """VmRSS: resident memory of the whole process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_split(pid: int) -> tuple[float, float]:
    """(utime, stime) of every thread of the process, in seconds (clock-tick resolution)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name in parentheses may hold spaces; the fields after it are fixed.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS


def cpu_seconds(pid: int) -> float:
    """utime + stime: all the CPU the process used, in user space and in the kernel for it."""
    return sum(cpu_split(pid))


def open_files(pid: int) -> int:
    """How many descriptors the process holds: a check that the sockets are really open."""
    return sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())


def nofile_limit(pid: int) -> int:
    """The soft open-file limit the process runs with, as the kernel holds it."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft = line.split()[3]
            return -1 if soft == "unlimited" else int(soft)
    raise RuntimeError(f"no open-file limit for process {pid}")


def cores() -> int:
    """Cores this process may run on (what the server and the generator share)."""
    return len(os.sched_getaffinity(0))


def machine_busy() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine since boot, from /proc/stat.

    Busy minus what the server and the generator used is what other programs took during a
    window: on a shared machine, the evidence that a figure was or was not disturbed.
    """
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq) / TICKS, steal / TICKS


def own_cpu() -> float:
    """CPU seconds of the bench and of every child it has waited for (servers, workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total
