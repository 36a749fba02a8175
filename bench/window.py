"""A measurement window: what the server and the generator did between two marks.

CPU time comes from /proc for both sides, the same way, so "server CPU per envelope" does not
depend on how much the generator delayed the server on a shared two-core machine: a process
that waits for a core burns no CPU time while it waits.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bench import procfs
from bench.pool import Pool
from bench.server import Server

COUNTED = ("received", "sent", "errors", "stray", "joins", "refused", "failures")


@dataclass(frozen=True, slots=True)
class Mark:
    at: float
    server_user: float
    server_system: float
    generator: float
    busy: float
    stolen: float
    counts: Counter[str]


@dataclass(frozen=True, slots=True)
class Span:
    seconds: float
    server_user: float
    server_system: float
    generator: float
    busy: float
    stolen: float
    counts: Counter[str]

    @property
    def server(self) -> float:
        return self.server_user + self.server_system

    def per(self, what: str) -> tuple[float, float, float]:
        """Server CPU per counted event, in µs: (total, user, system)."""
        count = max(1, self.counts[what])
        scale = 1e6 / count
        return self.server * scale, self.server_user * scale, self.server_system * scale

    def rate(self, what: str) -> float:
        return self.counts[what] / self.seconds

    def load(self, processes: int) -> str:
        """Where the CPU went, as evidence of which side was the limit."""
        others = max(0.0, self.busy - self.server - self.generator)

        def share(seconds: float) -> str:
            return f"{100 * seconds / self.seconds:.0f}%"

        return (
            f"CPU: server {share(self.server)} of one core, generator {share(self.generator)} "
            f"({processes} processes), other programs {share(others)}, stolen by the host "
            f"{share(self.stolen)}; {100 * procfs.cores()}% in all"
        )


def mark(server: Server, pools: Sequence[Pool]) -> Mark:
    counts: Counter[str] = Counter()
    for pool in pools:
        for reply in pool.ask("snapshot"):
            counts.update({key: reply[key] for key in COUNTED})
    user, system = procfs.cpu_split(server.pid)
    generator = sum(pool.cpu_seconds() for pool in pools)
    busy, stolen = procfs.machine_busy()
    return Mark(time.monotonic(), user, system, generator, busy, stolen, counts)


def between(first: Mark, second: Mark) -> Span:
    counts = Counter(second.counts)
    counts.subtract(first.counts)
    return Span(
        second.at - first.at,
        second.server_user - first.server_user,
        second.server_system - first.server_system,
        second.generator - first.generator,
        second.busy - first.busy,
        second.stolen - first.stolen,
        counts,
    )
