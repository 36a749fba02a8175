"""The server restarts in the middle of a real call: media goes on, signalling comes back."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.calling import (
    RECONNECT_TIMEOUT_MS,
    RECONNECTING,
    call_list,
    chat_log,
    free_port,
    meet,
    press,
    say,
    tile,
    wait_decoding,
    wait_playing,
)
from tests.browser.conftest import Person
from tests.support import ParlourProcess, write_config

PASSPHRASE = "the show goes on while the lights flicker"


def test_a_call_survives_a_server_restart(
    browser: Browser, people: list[Person], tmp_path: Path
) -> None:
    """Video keeps decoding while the server is down; then signalling is back (mute, chat)."""
    config = write_config(tmp_path, rooms={"show": (PASSPHRASE, 8)}, port=free_port())
    server = ParlourProcess.start(config)
    try:
        ada, grace = meet(browser, people, server.url, PASSPHRASE, ("Ada", "Grace"))
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
