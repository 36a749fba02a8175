"""The relay round trip in one room while other connections flood the server with frames.

A flooder sends `{}` text frames, or WebSocket pings, as fast as its socket takes them. The
server is to close it (PROTOCOL.md "Limits") and, until then, not let it hold the event loop:
the probe's round trip stays within twice its quiet figure. Flooders do not reconnect; a
stream of new connections is the join flood, measured in its own section.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from bench.plan import Plan
from bench.pool import Pool
from bench.probing import round_trips, summary
from bench.report import Figure, Section, percentile
from bench.server import Launch, Server

WARMUP: Final = 1.0
FLOODERS: Final = (1, 4, 16)
KINDS: Final = {"text": "`{}` frames", "ping": "WebSocket pings"}


def measure(launch: Launch, plan: Plan, seed: int) -> Section:
    runs: list[tuple[str, int, list[float], int, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="parlour-bench-") as folder:
        server = Server(Path(folder), launch, open_rooms=True)
        try:
            with Pool(1, server, seed) as probe, Pool(1, server, seed + 1) as flood:
                probe.ask("open", [{"pairs": plan.probe_pairs, "rate": 500.0, "concurrency": 4}])
                round_trips(probe, WARMUP)
                quiet, quiet_lost = round_trips(probe, plan.floods_quiet)
                for kind in KINDS:
                    for flooders in FLOODERS:
                        probe.ask("probe_start")
                        flood.ask("frames_start", [{"connections": flooders, "kind": kind}])
                        time.sleep(plan.floods_window)
                        outcome = flood.ask("frames_stop")[0]
                        reply = probe.ask("probe_stop")[0]
                        samples = [s * 1000 for s in reply["samples"]]
                        runs.append((kind, flooders, samples, reply["lost"], outcome))
        finally:
            server.stop()
    quiet_p50, quiet_p99 = percentile(quiet, 0.50), percentile(quiet, 0.99)
    target = 2 * quiet_p99
    figures = [
        Figure("relay round trip, quiet, p50", "ms", (quiet_p50,), None, digits=3),
        Figure("relay round trip, quiet, p99", "ms", (quiet_p99,), None, digits=3),
    ]
    notes = [
        f"round trip = A -> server -> B -> server -> A in {plan.probe_pairs} probe rooms of "
        f"their own; quiet: {summary(quiet, quiet_lost)}; target: p99 within twice the quiet p99",
        f"each flood: N connections, each sending as fast as its socket takes them for up to "
        f"{plan.floods_window:.1f} s, not reconnecting; the probe runs the whole window",
    ]
    for kind, flooders, samples, lost, outcome in runs:
        name = f"relay round trip, {flooders} flooding {KINDS[kind]}"
        if samples:
            figures.append(
                Figure(f"{name}, p50", "ms", (percentile(samples, 0.5),), None, digits=3)
            )
            figures.append(
                Figure(f"{name}, p99", "ms", (percentile(samples, 0.99),), target, digits=3)
            )
        closed = outcome["closed_after"]
        when = f"closed after {statistics.median(closed) * 1000:.0f} ms (median)" if closed else ""
        notes.append(
            f"{flooders} x {kind}: {outcome['sent']:,} frames written, close codes "
            f"{outcome['codes']} {when}; probe {summary(samples, lost)}"
        )
    return Section("floods", figures, notes)
