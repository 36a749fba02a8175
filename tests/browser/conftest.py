"""Real Chromium (Debian's, driven by Playwright) against a real `parlour serve` process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, WebSocket, sync_playwright

from tests.support import ParlourProcess, write_config

CHROMIUM = "/usr/bin/chromium"
# Flags from shared/TESTING.md: a fake camera and microphone, and no calls to outside hosts.
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000

PASSPHRASE = "velvet harbor quietly juggles seven lanterns"
SMALL_ROOM_PASSPHRASE = "two is company three is a crowd"


# Module scope: sync Playwright runs its own event loop, which must be gone before the
# asyncio tests of other modules start theirs.
@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
    home = tmp_path_factory.mktemp("chromium-home")
    env = {**os.environ, "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home)}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParlourProcess]:
    folder = tmp_path_factory.mktemp("parlour")
    config = write_config(
        folder, rooms={"lounge": (PASSPHRASE, 8), "pair": (SMALL_ROOM_PASSPHRASE, 2)}
    )
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


@pytest.fixture
def people(browser: Browser) -> Iterator[list[Person]]:
    """Call `people.append(...)` through `open_person`; every context is closed afterwards."""
    crowd: list[Person] = []
    yield crowd
    for person in crowd:
        person.page.context.close()


def open_person(browser: Browser, crowd: list[Person], url: str) -> Person:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
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
