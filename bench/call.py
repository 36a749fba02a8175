"""A call starting in real Chromium: load to the first decoded remote frame; the page's weight.

Each run opens a fresh room. Everyone but the last person joins first (for four people, they
also wait until they see each other); the last person then opens the join link, types a name
and presses Join, and the page records, with performance.now() (zero at navigation start):

- when the form was submitted,
- when the key stretch ran (PBKDF2 in WebCrypto: the one deliberately slow step, whose cost is
  set by the protocol's iteration count, not by this code; from a join link the page starts it
  as it loads, so only what is left of it when Join is pressed holds anyone up), and
- when each remote video's first decoded frame came out of the decoder (read through a
  MediaStreamTrackProcessor; where there is none, inbound-rtp framesDecoded > 0, polled).

That instrumentation is injected by the bench (an init script wrapping RTCPeerConnection and
SubtleCrypto.deriveBits); the app is unchanged. Nothing here is faked: Debian's Chromium with
its fake camera and microphone, a real `parlour serve`, real WebRTC between browser contexts.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from bench import http, procfs
from bench.errors import BenchError
from bench.report import Figure, Section
from bench.server import HOST, Launch, Server
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

TIMEOUT_MS: Final = 30_000
DISTURBED: Final = 0.10  # as bench.cli: more than a tenth of a core from others
FIRST_FRAME_TARGET: Final = 1.0  # s, two people, key stretch excluded
PAGE_TARGET: Final = 60.0  # KB gzip

# Test-side instrumentation, as in tests/browser: it only watches.
WATCH: Final = """
(() => {
  const bench = { submitted: null, stretch: [], frames: [], joined: null, connected: null };
  Object.defineProperty(window, "__bench", { value: bench });
  document.addEventListener("submit", () => { bench.submitted ??= performance.now(); }, true);
  const derive = SubtleCrypto.prototype.deriveBits;
  SubtleCrypto.prototype.deriveBits = async function (algorithm, ...rest) {
    const started = performance.now();
    try {
      return await derive.call(this, algorithm, ...rest);
    } finally {
      if (algorithm?.name === "PBKDF2") bench.stretch.push([started, performance.now()]);
    }
  };
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", ({ data }) => {
        if (bench.joined === null && String(data).includes('"type":"joined"')) {
          bench.joined = performance.now();
        }
      });
    }
  };
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("connectionstatechange", () => {
        if (this.connectionState === "connected") bench.connected ??= performance.now();
      });
      this.addEventListener("track", ({ receiver, track }) => {
        if (track.kind !== "video") return;
        const seen = () => bench.frames.push(performance.now());
        if ("MediaStreamTrackProcessor" in window) {
          // The first frame out of the decoder, as an event: no polling to load the page.
          const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
          reader.read().then(({ value }) => {
            seen();
            value?.close();
            void reader.cancel();
          });
          return;
        }
        const poll = async () => {
          let decoded = 0;
          (await receiver.getStats()).forEach((s) => {
            if (s.type === "inbound-rtp") decoded += s.framesDecoded ?? 0;
          });
          if (decoded > 0) seen();
          else if (this.connectionState !== "closed") setTimeout(poll, 20);
        };
        void poll();
      });
    }
  };
})();
"""

# Every address the page fetched from its own origin (the sizes are then asked of the server:
# Resource Timing reports 0 for some, such as an SVG sprite loaded by <use href>).
RESOURCES: Final = """() => [
  ...performance.getEntriesByType("navigation"),
  ...performance.getEntriesByType("resource"),
].filter((e) => e.name.startsWith(location.origin)).map((e) => new URL(e.name).pathname)"""


class OwnCpu:
    """CPU used by the bench and everything it started, Chromium included, sampled from /proc.

    The bench's usual account (its own CPU and its waited-for children's) misses Chromium: its
    renderers are forked by a zygote and re-parented, so nothing of the bench ever waits for
    them. They all inherit the XDG_CONFIG_HOME the bench gives the browser, which finds them.
    A process's last fraction of a sampling interval is missed, so "others" errs high.
    """

    INTERVAL: Final = 0.25

    def __init__(self, marker: str) -> None:
        self.marker = f"XDG_CONFIG_HOME={marker}\0".encode()
        self.ours: dict[int, bool] = {}
        self.start: dict[int, float] = {}
        self.latest: dict[int, float] = {}
        self.stopped = threading.Event()
        self.sample()
        self.start = dict(self.latest)
        self.busy, _ = procfs.machine_busy()
        self.began = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(self.INTERVAL):
            self.sample()

    def _is_ours(self, pid: int, parents: dict[int, int]) -> bool:
        seen, at = set(), pid
        while at > 1 and at not in seen:
            if at == os.getpid():
                return True
            seen.add(at)
            at = parents.get(at, 0)
        try:
            return self.marker in Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            return False

    def sample(self) -> None:
        parents: dict[int, int] = {}
        pids = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]
        for pid in pids:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            parents[pid] = int(stat[stat.rindex(")") + 2 :].split()[1])
        for pid in pids:
            if pid not in self.ours:
                self.ours[pid] = self._is_ours(pid, parents)
            if self.ours[pid]:
                with contextlib.suppress(OSError):
                    self.latest[pid] = procfs.cpu_seconds(pid)

    def others_note(self) -> str:
        """The share of a core other programs took since the start, like the other sections."""
        self.stopped.set()
        self.thread.join()
        self.sample()
        busy, _ = procfs.machine_busy()
        ours = sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.latest.items())
        share = max(0.0, (busy - self.busy) - ours) / (time.monotonic() - self.began)
        flag = "  <- disturbed: run again on a quieter machine" if share > DISTURBED else ""
        return (
            f"other programs used {100 * share:.0f}% of a core during this section "
            f"(the bench's Chromium, {ours:.0f} s of CPU, not counted as other){flag}"
        )


@dataclass(frozen=True, slots=True)
class Start:
    """One timed join, in seconds from navigation start."""

    loaded: float  # the load event
    submitted: float
    stretch: float  # how long PBKDF2 took
    waited: float  # how much of it was still to run when Join was pressed
    joined: float  # the server's `joined` arrived
    connected: float  # the first RTCPeerConnection reached "connected"
    frames: tuple[float, ...]  # first decoded frame of each remote video, in order

    @property
    def first(self) -> float:
        return self.frames[0]

    @property
    def last(self) -> float:
        return self.frames[-1]


def need_browser() -> None:
    """Playwright and Debian's Chromium, or a BenchError saying how to get them."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        raise BenchError("playwright is missing: pip install -e '.[test]'") from None
    if not Path(CHROMIUM).exists():
        raise BenchError(f"{CHROMIUM} is missing: apt-get install chromium")


def browser_env(home: Path) -> dict[str, str | float | bool]:
    """The browser's environment: its profile folders under `home`, which OwnCpu finds."""
    return {**os.environ, "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home)}


def measure(launch: Launch, runs: int) -> Section:
    need_browser()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="parlour-bench-call-") as folder:
        server = Server(Path(folder), launch, open_rooms=True)
        home = Path(folder) / "chromium-home"
        cpu = OwnCpu(str(home))
        env = browser_env(home)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), env=env, headless=True
                )
                try:
                    url = f"http://127.0.0.1:{server.port}{server.page_path}"
                    _join_and_time(browser, url, 2)  # warm-up: Chromium's first call is slower
                    two = [_join_and_time(browser, url, 2) for _ in range(runs)]
                    four = [_join_and_time(browser, url, 4) for _ in range(runs)]
                    weight = _page_weight(browser, server.port, url)
                finally:
                    browser.close()
        finally:
            server.stop()
        others = cpu.others_note()
    return _section(two, four, weight, others)


def _section(
    two: list[Start], four: list[Start], weight: dict[str, tuple[int, int]], others: str
) -> Section:
    def figure(name: str, values: list[float], target: float | None) -> Figure:
        return Figure(name, "s", tuple(values), target, digits=3)

    code = {n: w for n, w in weight.items() if not n.endswith(".svg")}
    raw = sum(plain for plain, _ in code.values()) / 1000
    packed = sum(gzipped for _, gzipped in code.values()) / 1000
    extra = sorted(set(weight) - set(code))
    return Section(
        "call",
        [
            figure(
                "2 people: load to 1st remote frame, stretch excluded",
                [s.first - s.waited for s in two],
                FIRST_FRAME_TARGET,
            ),
            figure("2 people: load to 1st remote frame, all in", [s.first for s in two], None),
            figure(
                "2 people: Join pressed to 1st remote frame, no stretch",
                [s.first - s.waited - s.submitted for s in two],
                None,
            ),
            figure(
                "key stretch in the page (PBKDF2, 600,000 rounds)", [s.stretch for s in two], None
            ),
            figure(
                "4 people: load to 1st remote frame, stretch excluded",
                [s.first - s.waited for s in four],
                None,
            ),
            figure(
                "4 people: load to 3rd remote frame, stretch excluded",
                [s.last - s.waited for s in four],
                None,
            ),
            Figure("call page, HTML+JS+CSS, raw", "KB", (raw,), None),
            Figure("call page, HTML+JS+CSS, gzip as served", "KB", (packed,), PAGE_TARGET),
        ],
        [
            "the last person to join is timed from navigation start; the others are already in",
            f"2 people, from navigation start: load event {_spread([s.loaded for s in two])}, "
            f"Join pressed {_spread([s.submitted for s in two])} (Playwright types the name "
            f"and presses Join as soon as it can), `joined` {_spread([s.joined for s in two])}, "
            f"connected {_spread([s.connected for s in two])}, first frame "
            f"{_spread([s.first for s in two])} s",
            "the stretch starts once the page is welcomed, before Join from a join link; what "
            f"was left of it at Join, {_spread([s.waited for s in two])} s, is what is excluded",
            f"4 people, likewise: load event {_spread([s.loaded for s in four])}, Join pressed "
            f"{_spread([s.submitted for s in four])}, `joined` {_spread([s.joined for s in four])}"
            f", connected {_spread([s.connected for s in four])}, first frame "
            f"{_spread([s.first for s in four])} s, while the three already in keep two cores busy",
            f"{len(code)} files counted ({', '.join(sorted(code))}); also loaded: "
            + (", ".join(f"{n} {weight[n][1]:,} B gzip" for n in extra) or "nothing else"),
            others,
        ],
    )


def _spread(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{ordered[len(ordered) // 2]:.3f} ({ordered[0]:.3f}-{ordered[-1]:.3f})"


@contextmanager
def _contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    try:
        yield made
    finally:
        for context in made:
            context.close()


def open_page(browser: Browser, made: list[BrowserContext], url: str, *scripts: str) -> Page:
    """A new context (kept in `made` to be closed) watching its page, with `scripts` too."""
    context = browser.new_context()
    made.append(context)
    context.set_default_timeout(TIMEOUT_MS)
    for script in (*scripts, WATCH):
        context.add_init_script(script)
    page = context.new_page()
    page.goto(url)
    return page


def join(page: Page, name: str) -> None:
    page.get_by_role("textbox", name="Your name").fill(name)
    page.get_by_role("button", name="Join", exact=True).click()


def _in_call(page: Page, name: str) -> None:
    people = page.get_by_role("list", name="People in the call")
    people.get_by_role("group", name=f"{name} (you)", exact=True).wait_for()


def _join_and_time(browser: Browser, url: str, size: int) -> Start:
    """A fresh room of `size` people; the time it took the last one to see someone."""
    passphrase = f"bench room {secrets.token_hex(8)}"
    link = f"{url}#{quote(passphrase)}"
    with _contexts(browser) as made:
        for number in range(size - 1):
            page = open_page(browser, made, link)
            name = f"Waiting {number + 1}"
            join(page, name)
            _in_call(page, name)
            # Those already in see each other before the timed person comes.
            page.wait_for_function("(n) => window.__bench.frames.length >= n", arg=number)
        page = open_page(browser, made, link)
        join(page, "Timed")
        page.wait_for_function("(n) => window.__bench.frames.length >= n", arg=size - 1)
        found: dict[str, Any] = page.evaluate(
            """() => ({...window.__bench,
                       loaded: performance.getEntriesByType("navigation")[0].loadEventEnd})"""
        )
    if len(found["stretch"]) != 1 or None in (found["submitted"], found["joined"]):
        raise BenchError(f"unexpected timing record from the page: {found}")
    [(began, ended)] = found["stretch"]
    frames = tuple(sorted(t / 1000 for t in found["frames"]))
    return Start(
        loaded=found["loaded"] / 1000,
        submitted=found["submitted"] / 1000,
        stretch=(ended - began) / 1000,
        waited=max(0.0, ended - max(began, found["submitted"])) / 1000,
        joined=found["joined"] / 1000,
        connected=found["connected"] / 1000,
        frames=frames,
    )


def _page_weight(browser: Browser, port: int, url: str) -> dict[str, tuple[int, int]]:
    """File name -> (bytes plain, bytes with gzip) as the server sends what the page loaded."""
    with _contexts(browser) as made:
        page = open_page(browser, made, url)
        page.get_by_role("button", name="Join", exact=True).wait_for()
        page.wait_for_load_state("networkidle")
        paths: list[str] = page.evaluate(RESOURCES)
    weight: dict[str, tuple[int, int]] = {}
    for path in dict.fromkeys(paths):
        plain = http.get(HOST, port, path)
        packed = http.get(HOST, port, path, gzip=True)
        if plain.status != 200 or packed.status != 200:
            raise BenchError(f"{path} answered {plain.status} / {packed.status}")
        weight[path.rsplit("/", 1)[-1] or "index.html"] = (len(plain.body), len(packed.body))
    if "index.html" not in weight or not any(n.endswith(".js") for n in weight):
        raise BenchError(f"the page loaded neither HTML nor scripts: {sorted(weight)}")
    return weight
