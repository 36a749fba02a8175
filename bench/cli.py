"""`python -m bench [--quick] [--only SECTION ...]`: run the budget, print one line a figure.

Exit status 0 whatever the verdicts (this is a benchmark, not a test); 1 when the bench itself
broke (a server that did not start, a worker that died), with the reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import (
    call,
    connections,
    files,
    floods,
    joins,
    limits,
    machine,
    page,
    procfs,
    reach,
    relay,
    relaycpu,
    report,
    startup,
    stun,
)
from bench.errors import BenchError
from bench.plan import FULL, QUICK, Plan
from bench.report import Section
from bench.server import Launch

SECTIONS = (
    "start",
    "connections",
    "relay",
    "relaycpu",
    "joins",
    "floods",
    "page",
    "call",
    "files",
    "stun",
    "reach",
)
DISTURBED = 0.10
QUIET_FOR = 3.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer and shorter runs (~1 min)")
    parser.add_argument(
        "--only", nargs="+", choices=SECTIONS, metavar="SECTION", help=f"some of {SECTIONS}"
    )
    parser.add_argument(
        "--server-loop",
        choices=("shipped", "asyncio", "uvloop"),
        default="shipped",
        help="what-if: run the unchanged server on asyncio or uvloop (default: as shipped, "
        "uvloop where it is installed)",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        metavar="N",
        help="run the bench, its servers and workers at this niceness; on a shared machine, "
        "-10 (as root) lets neighbours disturb the figures less",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each section, wait up to this long for other programs to go quiet",
    )
    parser.add_argument("--seed", type=int, default=1, help="seeds the generator's randomness")
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write every run's values to FILE"
    )
    return parser


def _others_mark() -> tuple[float, float, float]:
    busy, _ = procfs.machine_busy()
    return time.monotonic(), busy, procfs.own_cpu()


def _others_share(mark: tuple[float, float, float]) -> float:
    """The share of a core other programs took since `mark`."""
    at, busy, own = mark
    now, busy_now, own_now = _others_mark()
    return max(0.0, (busy_now - busy) - (own_now - own)) / max(now - at, 1e-9)


def _wait_quiet(limit: float) -> None:
    """Wait, `limit` seconds at most, until other programs leave the machine alone."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        mark = _others_mark()
        time.sleep(QUIET_FOR)
        if _others_share(mark) <= DISTURBED:
            return


def _others_since(mark: tuple[float, float, float]) -> str:
    """How much CPU other programs took meanwhile: on a shared machine, a disturbed figure
    should say so (more than a tenth of a core is worth a second run)."""
    share = _others_share(mark)
    flag = "  <- disturbed: run again on a quieter machine" if share > DISTURBED else ""
    return f"other programs used {100 * share:.0f}% of a core during this section{flag}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    plan: Plan = QUICK if args.quick else FULL
    nofile = limits.raise_nofile()
    if args.nice:
        try:
            # Servers and workers are children: they inherit it.
            os.setpriority(os.PRIO_PROCESS, 0, args.nice)
        except OSError as error:
            print(f"bench: cannot set niceness {args.nice}: {error}", file=sys.stderr)
            return 1
    for line in machine.describe(args.server_loop, nofile, os.getpriority(os.PRIO_PROCESS, 0)):
        print(line)
    print(f"plan: {'quick' if args.quick else 'full'}; medians over runs, (min-max, n=runs)")
    started = time.monotonic()
    verdicts: list[str] = []
    done: list[Section] = []
    with tempfile.TemporaryDirectory(prefix="parlour-bench-pycache-") as pycache:
        launch = Launch(Path(pycache), args.server_loop)
        # The first start compiles bytecode into the cache, as `pip install` would have done
        # for an installed server: every section then starts servers the same way.
        try:
            first_start, _ = startup.one(launch)
        except BenchError as error:
            print(f"bench broke starting the server: {error}", file=sys.stderr)
            return 1
        steps: dict[str, Callable[[], Section]] = {
            "start": lambda: startup.measure(launch, plan, first_start),
            "connections": lambda: connections.measure(launch, plan, args.seed * 1000),
            "relay": lambda: relay.measure(launch, plan, args.seed * 2000),
            "relaycpu": lambda: relaycpu.measure(launch, plan, args.seed * 5000),
            "joins": lambda: joins.measure(launch, plan, args.seed * 3000),
            "floods": lambda: floods.measure(launch, plan, args.seed * 4000),
            "page": lambda: page.measure(launch),
            "call": lambda: call.measure(launch, plan.call_runs),
            "files": lambda: files.measure(launch),
            "stun": lambda: stun.measure(launch, plan),
            "reach": lambda: reach.measure(plan.reach_runs),
        }
        for name in args.only or SECTIONS:
            if name == "reach" and not args.only and os.geteuid() != 0:
                # Namespaces and iptables need root; asked for by name, it fails saying so.
                print("[reach] skipped: simulated networks need root", flush=True)
                continue
            if args.wait_quiet and name != "page":
                _wait_quiet(args.wait_quiet)
            before = _others_mark()
            try:
                section = steps[name]()
            except BenchError as error:
                print(f"bench broke in {name}: {error}", file=sys.stderr)
                return 1
            # page: sizes do not depend on what else the machine does; call and reach: say it
            # themselves, with the browser's processes (not the bench's children) counted as theirs
            if name not in ("page", "call", "files", "reach"):
                section.notes.append(_others_since(before))
            print("\n".join(section.lines()), flush=True)
            done.append(section)
            verdicts += [figure.verdict for figure in section.figures]
    print(
        f"{verdicts.count('PASS')} PASS, {verdicts.count('MISS')} MISS, "
        f"{verdicts.count('INFO')} reported; {time.monotonic() - started:.0f} s; "
        f"load average at end: {machine.load_average()}"
    )
    if args.json:
        header = machine.describe(args.server_loop, nofile, os.getpriority(os.PRIO_PROCESS, 0))
        args.json.write_text(json.dumps(report.as_json(header, done), indent=2) + "\n")
    return 0
