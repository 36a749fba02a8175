"""Real Chromium (Debian's, driven by Playwright) against a real `parlour serve` process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect, sync_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.support import ParlourProcess, scaled, write_config

if TYPE_CHECKING:
    from tests.browser.calling import SharedCall

# Three fake cameras and three fake microphones (the first of them the "default") instead of one.
# Chromium's fake cameras differ in pixel format: fake_device_0 is I420, fake_device_1 Y16 (a
# depth camera: it plays in a <video> but WebRTC sends none of its frames), fake_device_2 MJPEG.
THREE_OF_EACH = "device-count=3"
# Playwright's expect() waits 5 s unless told; the machine is shared and noisy, and may be more
# so than here (PARLOUR_TEST_TIMEOUT_FACTOR).
TIMEOUT_MS = round(scaled(15.0) * 1000)
expect.set_options(timeout=TIMEOUT_MS)

# call.upload_kbps for every test server: low enough that both ends of PROTOCOL.md's budget rules
# are reached (two people: 960 kbit/s, 1.5 times smaller; four: 293 kbit/s, 3 times smaller,
# 15 fps), which also keeps four fake cameras affordable on a two-core machine.
UPLOAD_KBPS = 1000

# Test-side instrumentation, not an app hook: every RTCPeerConnection the page makes is kept in
# window.__pcs, so a test can read getStats() and the senders like chrome://webrtc-internals;
# every identity text the page hashes (PROTOCOL.md "Pairwise keys") in window.__identities,
# so a test can compute the safety code on its own; and what failed to load or threw in
# window.__problems, for a test's message when the page did not come up.
WATCH_PEER_CONNECTIONS = """
(() => {
  const problems = [];
  Object.defineProperty(window, "__problems", { value: problems });
  // Capturing: a script or module that failed to load fires "error" on its element, which does
  // not bubble; the page's own uncaught errors arrive here too.
  window.addEventListener("error", (event) => {
    const source = event.target?.src || event.target?.href;
    problems.push(source ? `could not load ${source}` : String(event.message));
  }, true);
  window.addEventListener("unhandledrejection", (event) => problems.push(String(event.reason)));
  const identities = [];
  Object.defineProperty(window, "__identities", { value: identities });
  const digest = SubtleCrypto.prototype.digest;
  SubtleCrypto.prototype.digest = function (algorithm, data) {
    try {
      const text = new TextDecoder().decode(data);
      if (text.startsWith("parlour/v2 identity\\n")) identities.push(text);
    } catch {}
    return digest.call(this, algorithm, data);
  };
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  const made = [];
  Object.defineProperty(window, "__pcs", { value: made });
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      made.push(this);
    }
  };
})();
"""

PASSPHRASE = "velvet harbor quietly juggles seven lanterns"
SMALL_ROOM_PASSPHRASE = "two is company three is a crowd"


@pytest.fixture(scope="module")
def browser_args() -> list[str]:
    """Chromium's command line; a module overrides this fixture for other fake devices."""
    return list(CHROMIUM_ARGS)


# Module scope: sync Playwright runs its own event loop, which must be gone before the
# asyncio tests of other modules start theirs.
@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, browser_args: list[str]) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
    home = tmp_path_factory.mktemp("chromium-home")
    env = {**os.environ, "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home)}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=browser_args, env=env, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def rooms() -> dict[str, tuple[str, int]]:
    """The rooms of the module's server, name -> (passphrase, size); a module overrides this."""
    return {"lounge": (PASSPHRASE, 8), "pair": (SMALL_ROOM_PASSPHRASE, 2)}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, rooms: dict[str, tuple[str, int]]
) -> Iterator[ParlourProcess]:
    """`parlour serve` for the module: its rooms, and UPLOAD_KBPS for every call."""
    folder = tmp_path_factory.mktemp("parlour")
    config = write_config(folder, rooms, call={"upload_kbps": UPLOAD_KBPS})
    with ParlourProcess.start(config) as process:
        yield process


@dataclass
class Person:
    """One browser tab, and every WebSocket frame its page sent or received."""

    page: Page
    sent: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)

    def frames(self) -> list[str]:
        return self.sent + self.received

    def messages(self, direction: str) -> list[dict[str, object]]:
        frames = self.sent if direction == "sent" else self.received
        return [json.loads(frame) for frame in frames]


def leave_all(crowd: list[Person]) -> None:
    """Close every person's browser context, which ends their pages and calls."""
    while crowd:
        crowd.pop().page.context.close()


# The module's shared call while it is open (see shared_call).
_SHARED: list[SharedCall] = []


@pytest.fixture
def people(browser: Browser, request: pytest.FixtureRequest) -> Iterator[list[Person]]:
    """Call `people.append(...)` through `open_person`; every context is closed afterwards.

    A test that makes its own call and does not use the module's shared one ends that first:
    its cameras would go on encoding and decoding beside the test's call, and on two cores the
    two calls together run everything slower (a later shared-call test starts it again)."""
    if "shared_call" not in request.fixturenames:
        for call in _SHARED:
            call.close()
    crowd: list[Person] = []
    try:
        yield crowd
    finally:
        leave_all(crowd)


@pytest.fixture(scope="module")
def shared_call(browser: Browser) -> Iterator[SharedCall]:
    """A call the module's tests share while it stays at rest (see calling.SharedCall)."""
    from tests.browser.calling import SharedCall  # calling.py imports this module

    call = SharedCall(browser)
    _SHARED.append(call)
    try:
        yield call
    finally:
        _SHARED.remove(call)
        call.close()


def open_person(
    browser: Browser,
    crowd: list[Person],
    url: str,
    init_scripts: tuple[str, ...] = (),
    **context_options: Any,
) -> Person:
    """A new browser context (its own storage, like another person's browser) opening `url`.

    `init_scripts` run in the page before its own (to take a browser feature away, say);
    `context_options` go to Playwright's new_context: viewport, is_mobile, has_touch...
    """
    context = browser.new_context(**context_options)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(WATCH_PEER_CONNECTIONS)
    for script in init_scripts:
        context.add_init_script(script)
    page = context.new_page()
    person = Person(page)

    def watch(socket: WebSocket) -> None:
        socket.on("framesent", lambda payload: person.sent.append(_text(payload)))
        socket.on("framereceived", lambda payload: person.received.append(_text(payload)))

    page.on("websocket", watch)
    crowd.append(person)
    page.goto(url)
    return person


def _text(payload: str | bytes) -> str:
    return payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
