"""Server CPU per relayed envelope at fixed rates and at saturation, and the relay round trip at
1,000 idle connections, for three builds in one run: this checkout, commit 2456811 (issue 13's
baseline) and the floor relay (bench/floor.py).

Rates run one after another, and within a rate the three builds in turn, each on a fresh server,
so that a machine that drifts (a neighbour starting a test suite) drifts for all three alike.
The CPU is the server process's utime + stime from /proc, which does not grow while the process
waits for a core, so it is the figure a busy shared machine disturbs least.
"""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import builds
from bench.builds import Build
from bench.connections import open_idle
from bench.errors import BenchError
from bench.plan import Plan
from bench.pool import Pool
from bench.probing import round_trips
from bench.relay import steady_windows
from bench.report import Figure, Section, percentile
from bench.server import Launch, Server

SATURATION = 0.0  # stands for "as fast as the generator offers" in the list of rates


@dataclass(frozen=True, slots=True)
class Steady:
    per_message: float  # µs, median over windows
    user: float
    kernel: float
    relayed: float  # envelopes a second
    server_share: float  # of one core
    others_share: float


def _relay(launch: Launch, plan: Plan, rate: float, seed: int) -> Steady:
    saturating = rate == SATURATION
    pairs = plan.saturation_pairs if saturating else plan.relay_pairs
    offered = plan.saturation_rate if saturating else rate
    spans = steady_windows(
        launch,
        plan,
        seed,
        pairs,
        offered,
        plan.relaycpu_warmup,
        plan.relaycpu_windows,
        plan.relaycpu_window,
    )
    errors = sum(s.counts["errors"] for s in spans)
    if errors:
        raise BenchError(f"{launch.module} refused {errors} envelopes at {offered:,.0f}/s")
    per = [s.per("received") for s in spans]
    return Steady(
        per_message=statistics.median(p[0] for p in per),
        user=statistics.median(p[1] for p in per),
        kernel=statistics.median(p[2] for p in per),
        relayed=statistics.median(s.rate("received") for s in spans),
        server_share=statistics.median(s.server / s.seconds for s in spans),
        others_share=statistics.median(
            max(0.0, s.busy - s.server - s.generator) / s.seconds for s in spans
        ),
    )


def _round_trip(launch: Launch, plan: Plan, seed: int) -> list[float]:
    """Round trips (ms) of the probe pairs while plan.small idle joined connections are held."""
    with tempfile.TemporaryDirectory(prefix="parlour-bench-") as folder:
        server = Server(Path(folder), launch, open_rooms=True)
        try:
            with Pool(1, server, seed) as probe, Pool(plan.idle_workers, server, seed + 1) as idle:
                probe.ask("open", [{"pairs": plan.probe_pairs, "rate": 500.0, "concurrency": 4}])
                round_trips(probe, 1.0)  # first use: lazy imports, caches
                open_idle(idle, plan.small, plan)
                samples, _lost = round_trips(probe, plan.probe_seconds)
        finally:
            server.stop()
    if not samples:
        raise BenchError(f"no round trip came back from {launch.module}")
    return samples


def _ratio(name: str, ours: float, theirs: float, target: float | None) -> Figure:
    return Figure(name, "x", (ours / theirs,), target, digits=2)


def measure(launch: Launch, plan: Plan, seed: int) -> Section:
    with tempfile.TemporaryDirectory(prefix="parlour-bench-build-") as folder:
        older = builds.older(launch, Path(folder))
        lineup: list[Build] = [builds.today(launch), older, builds.floor(launch)]
        rates = [*plan.relaycpu_rates, SATURATION]
        steady: dict[tuple[str, float], Steady] = {}
        for rate in rates:
            for build in lineup:
                steady[build.name, rate] = _relay(build.launch, plan, rate, seed)
        trips: dict[str, list[float]] = {build.name: [] for build in lineup}
        for run in range(plan.relaycpu_trip_runs):
            for build in lineup:
                trips[build.name] += _round_trip(build.launch, plan, seed + 100 * run)
    old, today, floor = older.name, "today", "floor"
    figures: list[Figure] = []
    notes: list[str] = []
    for rate in rates:
        label = "saturation" if rate == SATURATION else f"{rate:,.0f}/s"
        for name in (today, old, floor):
            got = steady[name, rate]
            figures.append(
                Figure(f"CPU per envelope at {label}, {name}", "µs", (got.per_message,), None)
            )
            notes.append(
                f"{label}, {name}: relayed {got.relayed:,.0f}/s, user {got.user:.1f} µs, kernel "
                f"{got.kernel:.1f} µs, server {100 * got.server_share:.0f}% of a core, other "
                f"programs {100 * got.others_share:.0f}%"
            )
        ours = steady[today, rate].per_message
        at_5k = rate == 5_000
        figures.append(
            _ratio(
                f"CPU per envelope at {label}, today / {old}",
                ours,
                steady[old, rate].per_message,
                0.5 if at_5k else None,
            )
        )
        figures.append(
            _ratio(
                f"CPU per envelope at {label}, today / floor",
                ours,
                steady[floor, rate].per_message,
                1.5 if at_5k else None,
            )
        )
    p50 = {name: percentile(samples, 0.50) for name, samples in trips.items()}
    p99 = {name: percentile(samples, 0.99) for name, samples in trips.items()}
    for name in (today, old, floor):
        figures.append(
            Figure(f"round trip at {plan.small:,}, p50, {name}", "ms", (p50[name],), None, digits=3)
        )
        figures.append(
            Figure(f"round trip at {plan.small:,}, p99, {name}", "ms", (p99[name],), None, digits=3)
        )
    figures.append(
        _ratio(f"round trip at {plan.small:,}, p50, today / {old}", p50[today], p50[old], 0.7)
    )
    figures.append(
        _ratio(f"round trip at {plan.small:,}, p50, today / floor", p50[today], p50[floor], None)
    )
    figures.append(
        _ratio(f"round trip at {plan.small:,}, p99, today / {old}", p99[today], p99[old], None)
    )
    notes.insert(
        0,
        f"{plan.relay_pairs} pairs at the fixed rates, {plan.saturation_pairs} offering "
        f"{plan.saturation_rate:,.0f}/s for saturation; each rate and build on a fresh server, "
        f"{plan.relaycpu_windows} windows of {plan.relaycpu_window:.0f} s after "
        f"{plan.relaycpu_warmup:.0f} s; {old} installed from git into a scratch venv that shares "
        "this interpreter's packages; today and floor on "
        f"{'the event loop as shipped' if launch.loop == 'shipped' else launch.loop}",
    )
    notes.insert(
        1,
        f"round trip: {plan.probe_pairs} probe pairs, {plan.probe_seconds:.0f} s x "
        f"{plan.relaycpu_trip_runs} per build, with {plan.small:,} idle joined connections; "
        + ", ".join(f"{name} {len(samples):,} samples" for name, samples in trips.items()),
    )
    return Section("relaycpu", figures, notes)
