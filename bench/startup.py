"""Cold start (spawn to the first 200 on the room page) and idle memory right after it."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Final

from bench.plan import Plan
from bench.report import Figure, Section
from bench.server import Launch, Server
from bench.wire import new_locator

IDLE_SETTLE: Final = 1.0  # let start-up garbage go before reading VmRSS


def one(launch: Launch) -> tuple[float, float]:
    """(seconds to the first 200, idle VmRSS in MiB) for one fresh server with one room."""
    with tempfile.TemporaryDirectory(prefix="parlour-bench-") as folder:
        server = Server(Path(folder), launch, open_rooms=False, locators=[new_locator()])
        try:
            time.sleep(IDLE_SETTLE)
            return server.cold_start, server.rss_kib() / 1024
        finally:
            server.stop()


def measure(launch: Launch, plan: Plan, first_start: float) -> Section:
    """`first_start`: the bench's first, unmeasured start, which compiled the bytecode."""
    runs = [one(launch) for _ in range(plan.startup_runs)]
    return Section(
        "start",
        [
            Figure(
                "idle resident memory after start (VmRSS)", "MiB", tuple(r[1] for r in runs), 40.0
            ),
            Figure(
                "cold start to the first 200 on the room page",
                "s",
                tuple(r[0] for r in runs),
                0.5,
                digits=3,
            ),
        ],
        [
            "a config with one room, as `parlour serve` writes on first run; VmRSS read "
            f"{IDLE_SETTLE:.0f} s after the first 200",
            f"the bench's first start, which also compiled all bytecode, took {first_start:.3f} s",
        ],
    )
