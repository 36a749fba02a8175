"""Join pressed to the first remote frame across simulated networks, direct and relayed.

Two topologies of tests/netns.py, each with a real `parlour serve` (and its STUN responder) in
the public namespace and one Chromium in each of two homes:

- direct: both homes behind routers that keep the port (MASQUERADE); the browsers learn their
  outside addresses from Parlour's STUN responder and punch through to each other;
- relayed: both behind symmetric NAT (MASQUERADE --random-fully); only coturn, on another
  public address, gets the media through.

Each run opens a fresh room (open rooms, a random passphrase): one person joins, then the timed
one opens the join link and presses Join, and the page notes (bench/call.py's instrumentation)
when the form was submitted and when the first remote video frame came out of the decoder. The
route each run took is read from getStats and checked to be the one the topology is about.
Needs root (namespaces, iptables), as the tests of tests/browser/test_networks.py do.
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from bench.call import OwnCpu, join, need_browser, open_page
from bench.errors import BenchError
from bench.report import Figure, Section
from tests.netns import Internet, Nat
from tests.reachability import Relay, launch, serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Playwright

RELAYED_WITHIN: Final = 0.5  # s: a relayed call's first frame, after a direct one's

# The selected pair of the page's one connection: its two candidate types, and how a local
# relay candidate reached the relay.
ROUTE: Final = """async () => {
  for (const pc of window.__pcs ?? []) {
    const byId = new Map();
    (await pc.getStats()).forEach((s) => byId.set(s.id, s));
    for (const s of byId.values()) {
      if (s.type !== "transport" || !s.selectedCandidatePairId) continue;
      const pair = byId.get(s.selectedCandidatePairId);
      const local = byId.get(pair?.localCandidateId);
      const remote = byId.get(pair?.remoteCandidateId);
      const over = local?.relayProtocol ? ` over ${local.relayProtocol}` : "";
      return `${local?.candidateType}-${remote?.candidateType}${over}`;
    }
  }
  return null;
}"""
# Keeps every RTCPeerConnection for ROUTE, as the browser tests' init script does.
KEEP: Final = """(() => {
  const Native = window.RTCPeerConnection;
  const made = [];
  Object.defineProperty(window, "__pcs", { value: made });
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); made.push(this); }
  };
})();"""


@dataclass(frozen=True, slots=True)
class Run:
    join_to_frame: float  # s, Join pressed to the first remote frame, less the stretch left
    route: str  # "srflx-srflx", "relay-prflx over udp"...


def measure(runs: int) -> Section:
    _check_prerequisites()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="parlour-bench-reach-") as folder:
        chromium = Path(folder) / "chromium"  # XDG_CONFIG_HOME of every browser, for OwnCpu
        chromium.mkdir()
        cpu = OwnCpu(str(chromium))
        with sync_playwright() as playwright:
            direct = _topology(
                playwright, Path(folder) / "direct", chromium, Nat.ENDPOINT_INDEPENDENT, None, runs
            )
            relayed = _topology(
                playwright, Path(folder) / "relayed", chromium, Nat.SYMMETRIC, Relay(), runs
            )
        others = cpu.others_note()
    for run in direct:
        if "relay" in run.route:
            raise BenchError(f"the direct topology was relayed: {run.route}")
    for run in relayed:
        if "relay" not in run.route:
            raise BenchError(f"the relayed topology was not relayed: {run.route}")
    return _section(direct, relayed, others)


def _check_prerequisites() -> None:
    need_browser()
    if os.geteuid() != 0:
        raise BenchError("network namespaces and iptables need root")
    needed = (("ip", "iproute2"), ("iptables", "iptables"), ("turnserver", "coturn"))
    for program, package in needed:
        if shutil.which(program) is None:
            raise BenchError(f"{program} is missing: apt-get install {package}")


def _topology(
    playwright: Playwright, folder: Path, chromium: Path, nat: Nat, relay: Relay | None, runs: int
) -> list[Run]:
    folder.mkdir()
    with Internet() as internet:
        homes = [internet.home(internet.router(nat)) for _ in range(2)]
        with serve(internet, folder, {}, relay, open_rooms=True) as site:
            browsers = [launch(playwright, home, chromium, site) for home in homes]
            try:
                _once(browsers, site.url)  # warm-up: Chromium's first call is slower
                return [_once(browsers, site.url) for _ in range(runs)]
            finally:
                for browser in browsers:
                    browser.close()


def _once(browsers: list[Browser], url: str) -> Run:
    """A fresh room: the first browser's person joins, the second's is timed joining."""
    link = f"{url}#{quote(f'bench room {secrets.token_hex(8)}')}"
    made: list[BrowserContext] = []
    try:
        waiting = open_page(browsers[0], made, link, KEEP)
        join(waiting, "Waiting")
        people = waiting.get_by_role("list", name="People in the call")
        people.get_by_role("group", name="Waiting (you)", exact=True).wait_for()
        timed = open_page(browsers[1], made, link, KEEP)
        join(timed, "Timed")
        timed.wait_for_function("() => window.__bench.frames.length >= 1")
        found: dict[str, Any] = timed.evaluate("() => window.__bench")
        route = timed.evaluate(ROUTE)
    finally:
        for context in made:
            context.close()
    if len(found["stretch"]) != 1 or found["submitted"] is None or not route:
        raise BenchError(f"unexpected timing record from the page: {found}, route {route}")
    [(began, ended)] = found["stretch"]
    submitted = found["submitted"]
    waited = max(0.0, ended - max(began, submitted))
    return Run((min(found["frames"]) - submitted - waited) / 1000, route)


def _section(direct: list[Run], relayed: list[Run], others: str) -> Section:
    def figure(name: str, values: tuple[float, ...], target: float | None) -> Figure:
        return Figure(name, "s", values, target, digits=3)

    def times(runs: list[Run]) -> tuple[float, ...]:
        return tuple(run.join_to_frame for run in runs)

    def routes(runs: list[Run]) -> str:
        seen = [run.route for run in runs]
        counted = {route: seen.count(route) for route in seen}
        return ", ".join(f"{route} ({n} run{'s' * (n > 1)})" for route, n in counted.items())

    later = statistics.median(times(relayed)) - statistics.median(times(direct))
    return Section(
        "reach",
        [
            figure("direct via STUN: Join pressed to 1st remote frame", times(direct), None),
            figure("relayed: Join pressed to 1st remote frame", times(relayed), None),
            figure("relayed 1st frame after direct's (medians)", (later,), RELAYED_WITHIN),
        ],
        [
            "Chromium in home namespaces behind router namespaces, Parlour and coturn in a "
            "public one (tests/netns.py); the key stretch still running at Join is left out",
            f"direct: two port-keeping NATs (MASQUERADE), routes (timed side, local-remote): "
            f"{routes(direct)}",
            f"relayed: two symmetric NATs (--random-fully), routes: {routes(relayed)}",
            others,
        ],
    )
