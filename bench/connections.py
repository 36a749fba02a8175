"""Memory per idle joined connection at 1,000 and 10,000, and the relay round trip at 1,000.

Each run gets a fresh server: Python rarely gives freed memory back to the system, so a
second run on the same server would reuse the first one's and look cheaper than it is.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench.errors import BenchError
from bench.plan import Plan, shares
from bench.pool import Pool
from bench.probing import round_trips, summary
from bench.report import Figure, Section, percentile
from bench.server import Launch, Server

WARMUP: Final = 1.0


def open_idle(pool: Pool, connections: int, plan: Plan) -> float:
    """Open `connections` more joined idle connections (in pairs); returns seconds taken."""
    started = time.monotonic()
    rate = plan.open_rate / len(pool)
    each = [
        {"pairs": n, "rate": rate, "concurrency": plan.open_concurrency}
        for n in shares(connections // 2, len(pool))
    ]
    pool.ask("open", each, timeout=60 + connections / plan.open_rate * 4)
    return time.monotonic() - started


@dataclass(frozen=True, slots=True)
class Run:
    base_mib: float
    small_kib: float  # per connection, at plan.small
    large_kib: float  # per connection, at plan.large
    p50_ms: float
    p99_ms: float
    opened_per_second: float
    descriptors: int
    allowed: int
    stray: int
    small_probe: str
    large_probe: str


def one(launch: Launch, plan: Plan, seed: int) -> Run:
    with tempfile.TemporaryDirectory(prefix="parlour-bench-") as folder:
        server = Server(Path(folder), launch, open_rooms=True)
        try:
            with Pool(1, server, seed) as probe, Pool(plan.idle_workers, server, seed + 1) as idle:
                probe.ask("open", [{"pairs": plan.probe_pairs, "rate": 500.0, "concurrency": 4}])
                # First use of the relay path allocates once (lazy imports, caches): that is
                # not a per-connection cost, so it happens before the baseline.
                round_trips(probe, WARMUP)
                base = server.settled_rss_kib()
                small_took = open_idle(idle, plan.small, plan)
                small = server.settled_rss_kib()
                samples, lost = round_trips(probe, plan.probe_seconds)
                large_took = open_idle(idle, plan.large - plan.small, plan)
                large = server.settled_rss_kib()
                descriptors = server.open_files()
                allowed = server.open_files_allowed()
                large_samples, large_lost = round_trips(probe, plan.probe_seconds / 2)
                stray = sum(r["stray"] + r["errors"] for r in idle.ask("snapshot"))
        finally:
            server.stop()
    if descriptors < plan.large:
        raise BenchError(f"the server holds {descriptors} descriptors for {plan.large} connections")
    return Run(
        base_mib=base / 1024,
        small_kib=(small - base) / plan.small,
        large_kib=(large - base) / plan.large,
        p50_ms=percentile(samples, 0.50),
        p99_ms=percentile(samples, 0.99),
        opened_per_second=plan.large / (small_took + large_took),
        descriptors=descriptors,
        allowed=allowed,
        stray=stray,
        small_probe=summary(samples, lost),
        large_probe=summary(large_samples, large_lost),
    )


def measure(launch: Launch, plan: Plan, seed: int) -> Section:
    runs = [one(launch, plan, seed + 10 * n) for n in range(plan.memory_runs)]

    def values(key: str) -> tuple[float, ...]:
        return tuple(float(getattr(r, key)) for r in runs)

    small, large = f"{plan.small:,}", f"{plan.large:,}"
    last = runs[-1]
    return Section(
        "connections",
        [
            Figure(
                f"memory per idle joined connection, at {small}", "KiB", values("small_kib"), 30.0
            ),
            Figure(
                f"memory per idle joined connection, at {large}", "KiB", values("large_kib"), 30.0
            ),
            Figure(
                f"relay round trip at {small} connections, p50",
                "ms",
                values("p50_ms"),
                1.0,
                digits=3,
            ),
            Figure(
                f"relay round trip at {small} connections, p99",
                "ms",
                values("p99_ms"),
                5.0,
                digits=3,
            ),
        ],
        [
            f"connections in pairs, each pair in its own room; VmRSS baseline "
            f"{last.base_mib:.1f} MiB with the {plan.probe_pairs} probe pairs joined; opened at "
            f"{last.opened_per_second:,.0f} connections/s by {plan.idle_workers} processes",
            f"server descriptors at {large}: {last.descriptors:,} (it may open "
            f"{last.allowed:,}); unexpected frames on idle connections: {last.stray}",
            f"round trip = A -> server -> B -> server -> A, {plan.probe_pairs} probe pairs in "
            f"their own process, one envelope in flight each; at {small}: {last.small_probe}",
            f"at {large} (reported only): {last.large_probe}",
        ],
    )
