"""Round-trip probes: a few pairs in their own process, timing envelopes through the server."""

from __future__ import annotations

import time

from bench.pool import Pool
from bench.report import percentile


def round_trips(probe: Pool, seconds: float) -> tuple[list[float], int]:
    """Probe for `seconds`; returns (round trips in ms, envelopes lost)."""
    probe.ask("probe_start")
    time.sleep(seconds)
    replies = probe.ask("probe_stop")
    samples = [s * 1000 for r in replies for s in r["samples"]]
    return samples, sum(r["lost"] for r in replies)


def summary(samples: list[float], lost: int) -> str:
    if not samples:
        return "no samples"
    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
    return (
        f"{len(samples):,} samples, {lost} lost, "
        f"p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {max(samples):.3f} ms"
    )
