"""Server CPU per relayed envelope, with pairs relaying steadily to each other."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.errors import BenchError
from bench.plan import Plan, shares
from bench.pool import Pool
from bench.report import Figure, Section
from bench.server import Launch, Server
from bench.window import Span, between, mark


def steady_windows(
    launch: Launch,
    plan: Plan,
    seed: int,
    pairs: int,
    rate: float,
    warmup: float,
    windows: int,
    window: float,
) -> list[Span]:
    """A fresh server, `pairs` pairs relaying `rate` envelopes/s in all, and what `windows`
    windows of `window` s after `warmup` s saw (relaycpu's builds and rates use it too)."""
    spans: list[Span] = []
    with tempfile.TemporaryDirectory(prefix="parlour-bench-") as folder:
        server = Server(Path(folder), launch, open_rooms=True)
        try:
            with Pool(plan.relay_workers, server, seed) as pool:
                workers = len(pool)
                each = plan.open_rate / workers
                pool.ask(
                    "open",
                    [
                        {"pairs": n, "rate": each, "concurrency": plan.open_concurrency}
                        for n in shares(pairs, workers)
                    ],
                )
                pool.ask("relay_start", [{"rate": rate / workers}] * workers)
                time.sleep(warmup)
                for _ in range(windows):
                    first = mark(server, [pool])
                    time.sleep(window)
                    spans.append(between(first, mark(server, [pool])))
                pool.ask("relay_stop")
        finally:
            server.stop()
    return spans


def measure(launch: Launch, plan: Plan, seed: int) -> Section:
    spans = steady_windows(
        launch,
        plan,
        seed,
        plan.relay_pairs,
        plan.relay_rate,
        plan.relay_warmup,
        plan.relay_windows,
        plan.relay_window,
    )
    workers = plan.relay_workers
    errors = sum(s.counts["errors"] for s in spans)
    if errors:
        raise BenchError(f"the server refused {errors} envelopes: the pacing is wrong")
    per = [s.per("received") for s in spans]
    achieved = statistics.median(s.rate("received") for s in spans)
    user = statistics.median(p[1] for p in per)
    kernel = statistics.median(p[2] for p in per)
    each = plan.relay_rate / (2 * plan.relay_pairs)
    name = "server CPU per relayed envelope at sustained load"
    return Section(
        "relay",
        [Figure(name, "µs", tuple(p[0] for p in per), 25.0)],
        [
            f"{plan.relay_pairs} pairs, each connection sending its partner {each:.0f} "
            f"envelopes/s (ct of 200-400 characters): {plan.relay_rate:,.0f}/s offered, "
            f"{achieved:,.0f}/s relayed; {len(spans)} windows of {plan.relay_window:.0f} s",
            f"of which user {user:.1f} µs, kernel {kernel:.1f} µs (median)",
            spans[len(spans) // 2].load(workers),
        ],
    )
