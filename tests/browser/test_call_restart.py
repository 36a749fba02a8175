"""The server restarts in the middle of a real call: media goes on, signalling comes back."""

from __future__ import annotations

import socket
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.calling import (
    RECONNECT_TIMEOUT_MS,
    RECONNECTING,
    call_list,
    chat_log,
    join,
    link_url,
    press,
    say,
    tile,
    wait_decoding,
    wait_playing,
)
from tests.browser.conftest import Person, open_person
from tests.support import ParlourProcess, write_config

PASSPHRASE = "the show goes on while the lights flicker"


def free_port() -> int:
    """A port free now, written into the config so that the restarted server takes it again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_a_call_survives_a_server_restart(
    browser: Browser, people: list[Person], tmp_path: Path
) -> None:
    """Video keeps decoding while the server is down; then signalling is back (mute, chat)."""
    config = write_config(tmp_path, rooms={"show": (PASSPHRASE, 8)}, port=free_port())
    server = ParlourProcess.start(config)
    try:
        ada = open_person(browser, people, server.url)
        join(ada.page, "Ada", PASSPHRASE)
        grace = open_person(browser, people, link_url(server.url, PASSPHRASE))
        join(grace.page, "Grace")
        for person, other in ((ada, "Grace"), (grace, "Ada")):
            wait_decoding(person.page, 1, other)

        server.stop()
        for person, other in ((ada, "Grace"), (grace, "Ada")):
            expect(person.page.get_by_role("status").filter(has_text=RECONNECTING)).to_be_visible()
            wait_decoding(person.page, 1, f"{other}'s peer while the server is down")
            wait_playing(person.page, other)

        server = ParlourProcess.start(config)
        for person, other in ((ada, "Grace"), (grace, "Ada")):
            banner = person.page.get_by_text(RECONNECTING)
            expect(banner).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)
            wait_decoding(person.page, 1, f"{other}'s peer after the restart")
            expect(call_list(person.page).get_by_role("listitem")).to_have_count(2)

        press(ada.page, "Mute microphone")
        expect(tile(grace.page, "Ada").get_by_role("img", name="Microphone off")).to_be_visible()
        say(grace.page, "still here after the restart")
        expect(chat_log(ada.page)).to_contain_text("still here after the restart")
        wait_playing(ada.page, "Grace")
        wait_playing(grace.page, "Ada")
    finally:
        server.stop()
