"""How big and how long each measurement is: the full run, and a quicker, smaller one."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Plan:
    startup_runs: int = 7
    memory_runs: int = 3
    small: int = 1_000  # joined idle connections
    large: int = 10_000
    idle_workers: int = 4
    open_rate: float = 2_000.0  # new connections a second, all workers together
    open_concurrency: int = 16  # pairs being set up at once, per worker
    probe_pairs: int = 8
    probe_seconds: float = 6.0
    relay_workers: int = 4
    relay_pairs: int = 250
    relay_rate: float = 10_000.0  # envelopes a second offered, all pairs together
    relay_warmup: float = 2.0
    relay_windows: int = 5
    relay_window: float = 3.0
    # relaycpu: three builds side by side (bench/relaycpu.py)
    relaycpu_rates: tuple[float, ...] = (2_000.0, 5_000.0, 10_000.0)
    saturation_pairs: int = 1_000  # more pairs, so that each stays under the rate limit
    saturation_rate: float = 40_000.0
    relaycpu_warmup: float = 2.0
    relaycpu_windows: int = 3
    relaycpu_window: float = 3.0
    relaycpu_trip_runs: int = 2
    flood_workers: int = 4
    flood_concurrency: int = 16  # joins in flight, per worker
    flood_rooms: int = 1_000
    flood_warmup: float = 1.0
    flood_windows: int = 5
    flood_window: float = 2.0
    floods_quiet: float = 4.0  # seconds of probing before any frame flood
    floods_window: float = 3.0  # seconds each frame flood may last, probed throughout
    call_runs: int = 5  # timed joins per call size, in real Chromium
    reach_runs: int = 5  # timed joins per simulated network, direct and relayed
    stun_runs: int = 3
    stun_requests: int = 100_000  # a run's bound in count...
    stun_seconds: float = 15.0  # ...and in time
    stun_window: int = 64  # requests in flight
    stun_addresses: int = 1_000  # loopback source addresses, past the per-address bound


FULL = Plan()
QUICK = replace(
    FULL,
    startup_runs=3,
    memory_runs=1,
    probe_seconds=3.0,
    relay_warmup=1.0,
    relay_windows=3,
    relay_window=2.0,
    relaycpu_warmup=1.0,
    relaycpu_windows=2,
    relaycpu_window=2.0,
    relaycpu_trip_runs=1,
    flood_windows=3,
    flood_window=1.5,
    floods_quiet=2.0,
    floods_window=1.5,
    call_runs=3,
    reach_runs=3,
    stun_runs=1,
    stun_requests=30_000,
    stun_seconds=5.0,
)


def shares(total: int, parts: int) -> list[int]:
    """`total` split over `parts` as evenly as whole numbers allow."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]
