"""Sharing in a real call between two Chromium pages: file throughput against a bare data
channel, the JS heap while a large file goes through, and Share screen to the first frame.

Ada and Bo join a fresh room, cameras and microphones (fake) running, as in a real call.

- Throughput: Ada sends a 100 MB file to Bo through the page (Send a file, Bo accepts); timed
  from Bo's Accept to "Verified" on Bo's page, so it holds the chunks, the receiver's hashing and
  the Blob assembly, but not the sender's hashing before the offer (reported on its own). In the
  same run, between the same two pages and over the same connection, a bare RTCDataChannel
  (pre-negotiated, so that nothing is renegotiated) sends the same number of bytes in 64 KiB
  messages with the page's watermarks and nothing else: no file reads, no hashing. The ratio is
  bare time / page time.
- Heap: a 500 MB file the same way, the JS heap of both pages (CDP Runtime.getHeapUsage, used
  size) sampled every 250 ms from the bench; the peak of each.
- Screen: Ada presses Share screen; from that click (Date.now() in Ada's page) to the first
  frame of the new video track out of Bo's decoder (Date.now() in Bo's page; one clock, one
  machine).

The instrumentation is init scripts that only watch; the app is unchanged.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from bench.call import OwnCpu, browser_env, join, need_browser, open_page
from bench.errors import BenchError
from bench.report import Better, Figure, Section
from bench.server import Launch, Server
from tests.chromium import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, CDPSession, Page

THROUGHPUT_MB: Final = 100
HEAP_MB: Final = 500
RATIO_TARGET: Final = 0.80
HEAP_TARGET: Final = 100.0  # MB, each tab
SCREEN_RUNS: Final = 3
TRANSFER_TIMEOUT_MS: Final = 900_000
SAMPLE_MS: Final = 250

# When the share button was pressed, and when each remote video track's first frame decoded.
WATCH: Final = """
(() => {
  const bench = { shared: [], frames: [] };
  Object.defineProperty(window, "__files", { value: bench });
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest("#share-button")) bench.shared.push(Date.now());
  }, true);
  const Native = window.RTCPeerConnection;
  window.__benchPcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__benchPcs.push(this);
      this.addEventListener("track", ({ track }) => {
        if (track.kind !== "video") return;
        const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
        reader.read().then(({ value }) => {
          bench.frames.push(Date.now());
          value?.close();
          void reader.cancel();
        });
      });
    }
  };
})();
"""

# The bare channel: both pages open channel 1000, pre-negotiated, on their one connection.
BARE_RECEIVE: Final = """(total) => new Promise((resolve) => {
  const pc = window.__benchPcs.find((p) => p.connectionState === "connected");
  const channel = pc.createDataChannel("bench", { negotiated: true, id: 1000 });
  channel.binaryType = "arraybuffer";
  let got = 0;
  channel.onmessage = ({ data }) => {
    got += data.byteLength;
    if (got >= total) channel.send("done");
  };
  window.__bareChannel = channel;
  channel.onopen = () => resolve(true);
})"""
BARE_SEND: Final = """(total) => new Promise((resolve, reject) => {
  const pc = window.__benchPcs.find((p) => p.connectionState === "connected");
  const channel = pc.createDataChannel("bench", { negotiated: true, id: 1000 });
  channel.binaryType = "arraybuffer";
  channel.bufferedAmountLowThreshold = 1 << 20;
  const chunk = new Uint8Array(65536 + 4);
  crypto.getRandomValues(chunk.subarray(0, 65536));
  let sent = 0;
  let started = 0;
  channel.onmessage = () => resolve(performance.now() - started);
  channel.onerror = (event) => reject(new Error(String(event.error)));
  const pump = () => {
    while (sent < total) {
      if (channel.bufferedAmount > (4 << 20)) {
        channel.addEventListener("bufferedamountlow", pump, { once: true });
        return;
      }
      const size = Math.min(65536, total - sent);
      channel.send(size === 65536 ? chunk : chunk.subarray(0, size + 4));
      sent += size;
    }
  };
  channel.onopen = () => { started = performance.now(); pump(); };
})"""


def measure(launch: Launch) -> Section:
    need_browser()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="parlour-bench-files-") as folder:
        server = Server(Path(folder), launch, open_rooms=True)
        home = Path(folder) / "chromium-home"
        cpu = OwnCpu(str(home))
        env = browser_env(home)
        args = [*CHROMIUM_ARGS, "--auto-select-desktop-capture-source=Entire screen"]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=args, env=env, headless=True
                )
                try:
                    url = f"http://127.0.0.1:{server.port}{server.page_path}"
                    found = _run(browser, url, Path(folder))
                finally:
                    browser.close()
        finally:
            server.stop()
        others = cpu.others_note()
    return _section(found, others)


def _run(browser: Browser, url: str, folder: Path) -> dict[str, Any]:
    link = f"{url}#{quote(f'bench files {secrets.token_hex(8)}')}"
    made: list[BrowserContext] = []
    try:
        ada = open_page(browser, made, link, WATCH)
        join(ada, "Ada")
        bo = open_page(browser, made, link, WATCH)
        join(bo, "Bo")
        tile = ada.get_by_role("list", name="People in the call").get_by_role("group", name="Bo")
        tile.get_by_role("button", name="Send a file to Bo").wait_for()
        ada.wait_for_function(
            "() => window.__benchPcs.some((p) => p.connectionState === 'connected')"
        )
        total = THROUGHPUT_MB * 1_000_000
        bo.evaluate(BARE_RECEIVE, total)
        bare_ms = float(ada.evaluate(BARE_SEND, total))
        small = _file(folder, "throughput.bin", total)
        bo.evaluate(LAG_START)
        page_s, hash_s, _ = _transfer(ada, bo, small, sample=False)
        lag = [float(v) for v in bo.evaluate(LAG_STOP)]
        large = _file(folder, "heap.bin", HEAP_MB * 1_000_000)
        heap_page_s, _, peaks = _transfer(ada, bo, large, sample=True)
        screen = [_share(ada, bo) for _ in range(SCREEN_RUNS)]
    finally:
        for context in made:
            context.close()
    return {
        "bare": bare_ms / 1000,
        "page": page_s,
        "hash": hash_s,
        "heap_page": heap_page_s,
        "peaks": peaks,
        "screen": screen,
        "lag": lag,
    }


def _file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    block = os.urandom(1 << 20)
    with path.open("wb") as out:
        for start in range(0, size, len(block)):
            out.write((start.to_bytes(8, "big") + block)[: min(len(block), size - start)])
    return path


# How late a 50 ms timer fires on the receiver's main thread while a file arrives, as a measure
# of how busy that thread is (input events are scheduled ahead of timers, so a click may wait
# less). Started before the offer, read at Verified: (longest, 95th percentile), ms.
LAG_START = """() => {
  const probe = { late: [], last: performance.now() };
  probe.timer = setInterval(() => {
    const now = performance.now();
    probe.late.push(Math.max(0, now - probe.last - 50));
    probe.last = now;
  }, 50);
  window.__lag = probe;
}"""
LAG_STOP = """() => {
  clearInterval(window.__lag.timer);
  const late = window.__lag.late.sort((a, b) => a - b);
  return [late.at(-1) ?? 0, late[Math.floor(0.95 * (late.length - 1))] ?? 0];
}"""


def _transfer(ada: Page, bo: Page, path: Path, sample: bool) -> tuple[float, float, list[float]]:
    """(Accept to Verified, s; choosing to the offer, s; peak JS heap of Ada and Bo, MB)."""
    tile = ada.get_by_role("list", name="People in the call").get_by_role("group", name="Bo")
    sessions = [ada.context.new_cdp_session(ada), bo.context.new_cdp_session(bo)]
    peaks = [0.0, 0.0]
    name = path.name
    chosen = time.monotonic()
    with ada.expect_file_chooser() as chooser:
        tile.get_by_role("button", name="Send a file to Bo").click()
    chooser.value.set_files(str(path))
    accept = bo.get_by_role("button", name=f"Accept {name} from Ada")
    accept.wait_for(timeout=TRANSFER_TIMEOUT_MS)
    offered = time.monotonic() - chosen
    started = time.monotonic()
    accept.click()
    verified = bo.get_by_role("listitem", name=f"{name} from Ada", exact=True).locator(
        ".transfer-state", has_text="Verified"
    )
    deadline = started + TRANSFER_TIMEOUT_MS / 1000
    while not verified.count():
        if sample:
            _sample(sessions, peaks)
        if time.monotonic() > deadline:
            raise BenchError(f"{name} was not verified within {TRANSFER_TIMEOUT_MS / 1000:.0f} s")
        bo.wait_for_timeout(SAMPLE_MS if sample else 50)
    took = time.monotonic() - started
    for page in (ada, bo):
        page.get_by_role("region", name="Files").get_by_role(
            "button", name="Clear finished"
        ).click()
    for session in sessions:
        session.detach()
    return took, offered, peaks


def _sample(sessions: list[CDPSession], peaks: list[float]) -> None:
    for n, session in enumerate(sessions):
        used = float(session.send("Runtime.getHeapUsage")["usedSize"]) / 1e6
        peaks[n] = max(peaks[n], used)


def _share(ada: Page, bo: Page) -> float:
    """Share screen at Ada to the first frame of it at Bo, s; then stop, and wait for it gone."""
    before = bo.evaluate("() => window.__files.frames.length")
    controls = ada.get_by_role("toolbar", name="Call controls")
    controls.get_by_role("button", name="Share screen", exact=True).click()
    bo.wait_for_function("(n) => window.__files.frames.length > n", arg=before)
    pressed = float(ada.evaluate("() => window.__files.shared.at(-1)"))
    shown = float(bo.evaluate("() => window.__files.frames.at(-1)"))
    controls.get_by_role("button", name="Stop sharing screen", exact=True).click()
    screen = bo.get_by_role("list", name="People in the call").get_by_role(
        "group", name="Ada's screen"
    )
    screen.wait_for(state="detached")
    return (shown - pressed) / 1000


def _section(found: dict[str, Any], others: str) -> Section:
    ratio = found["bare"] / found["page"]
    rate = THROUGHPUT_MB / found["page"]
    bare_rate = THROUGHPUT_MB / found["bare"]
    ada_peak, bo_peak = found["peaks"]
    return Section(
        "files",
        [
            Figure(
                f"file throughput, {THROUGHPUT_MB} MB, page / bare data channel",
                "%",
                (100 * ratio,),
                100 * RATIO_TARGET,
                Better.HIGHER,
            ),
            Figure(f"file throughput, {THROUGHPUT_MB} MB, through the page", "MB/s", (rate,), None),
            Figure(
                f"file throughput, {THROUGHPUT_MB} MB, bare data channel",
                "MB/s",
                (bare_rate,),
                None,
            ),
            Figure(
                f"{THROUGHPUT_MB} MB file: receiver's main thread, longest timer delay",
                "ms",
                (found["lag"][0],),
                None,
            ),
            Figure(f"{HEAP_MB} MB file: peak JS heap, sender", "MB", (ada_peak,), HEAP_TARGET),
            Figure(f"{HEAP_MB} MB file: peak JS heap, receiver", "MB", (bo_peak,), HEAP_TARGET),
            Figure(
                "Share screen to the first frame at the other side",
                "s",
                tuple(found["screen"]),
                None,
                digits=3,
            ),
        ],
        [
            "two Chromium pages in one call, fake camera and microphone running; the page's time "
            "is Accept to Verified (chunks, the receiver's SHA-256, the Blob), the bare "
            "channel's first send to the receiver's last byte, same bytes, same watermarks",
            f"the receiver's main thread during the {THROUGHPUT_MB} MB: a 50 ms timer fired up "
            f"to {found['lag'][0]:.0f} ms late, 95 % of the time within {found['lag'][1]:.0f} ms "
            "(how busy the thread that also handles clicks is)",
            f"{THROUGHPUT_MB} MB through the page took {found['page']:.1f} s, bare "
            f"{found['bare']:.1f} s; before the offer, the sender hashed it "
            f"(choosing to the offer: {found['hash']:.1f} s)",
            f"{HEAP_MB} MB took {found['heap_page']:.1f} s, Accept to Verified; heap sampled "
            f"every {SAMPLE_MS} ms (CDP Runtime.getHeapUsage, usedSize)",
            others,
        ],
    )
