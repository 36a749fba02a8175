"""Locking a room in a real call: the link no longer opens it, members still get back in."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.calling import (
    RECONNECT_TIMEOUT_MS,
    RECONNECTING,
    ask_to_join,
    call_list,
    controls,
    free_port,
    join,
    link_url,
    meet,
    own_tile,
    press,
    tile,
)
from tests.browser.conftest import Person, open_person
from tests.support import ParlourProcess, write_config

PASSPHRASE = "the last guest has arrived so close the door"
LOCKED_OUT = "This room is locked: the people in it have closed it to newcomers."


@pytest.fixture(scope="module")
def rooms() -> dict[str, tuple[str, int]]:
    return {"parlour": (PASSPHRASE, 8)}


def lock_button(page: Page, name: str) -> None:
    expect(controls(page).get_by_role("button", name=name, exact=True)).to_be_visible()


def notice(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def test_a_locked_room_keeps_newcomers_out_until_a_member_unlocks_it(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Lock: everyone sees who locked it, the link is refused, a reload gets back in; unlock."""
    ada, grace = meet(browser, people, server.url, PASSPHRASE, ("Ada", "Grace"))
    expect(tile(ada.page, "Grace")).to_be_visible()
    expect(tile(grace.page, "Ada")).to_be_visible()

    press(ada.page, "Lock room")
    lock_button(ada.page, "Unlock room")
    lock_button(grace.page, "Unlock room")
    notice(ada.page, "You locked the room")
    notice(grace.page, "Ada locked the room")

    # Hedy has the link, passphrase and all, and gets a plain sentence instead of the call.
    hedy = open_person(browser, people, link_url(server.url, PASSPHRASE))
    ask_to_join(hedy.page, "Hedy")
    expect(hedy.page.get_by_role("alert").filter(has_text=LOCKED_OUT)).to_be_visible()
    expect(call_list(hedy.page)).to_be_hidden()
    received = hedy.messages("received")
    assert not [m for m in received if m["type"] == "joined"]
    assert [m["code"] for m in received if m["type"] == "error"] == ["room-locked"]

    # Grace reloads: the ticket kept in the tab takes her back into the locked room.
    [state] = [m for m in grace.messages("received") if m["type"] == "room-state"]
    grace.page.reload()
    grace.page.get_by_role("textbox", name="Passphrase").fill(PASSPHRASE)  # the link's is gone
    grace.page.get_by_role("button", name="Join", exact=True).click()
    expect(own_tile(grace.page, "Grace")).to_be_visible()
    lock_button(grace.page, "Unlock room")
    expect(tile(ada.page, "Grace")).to_have_count(1)
    expect(call_list(ada.page).get_by_role("listitem")).to_have_count(2)
    first, again = [m for m in grace.messages("sent") if m["type"] == "join"]
    assert "ticket" not in first
    assert again["ticket"] == state["ticket"]

    press(grace.page, "Unlock room")
    lock_button(ada.page, "Lock room")
    lock_button(grace.page, "Lock room")
    notice(ada.page, "Grace unlocked the room")
    notice(grace.page, "You unlocked the room")

    hedy.page.get_by_role("button", name="Join", exact=True).click()
    expect(own_tile(hedy.page, "Hedy")).to_be_visible()
    expect(tile(ada.page, "Hedy")).to_be_visible()
    expect(tile(grace.page, "Hedy")).to_be_visible()
    expect(tile(hedy.page, "Ada")).to_be_visible()  # so that Hedy can name who locks

    # L locks from the keyboard, and the newcomer hears of it like everyone else.
    ada.page.keyboard.press("l")
    lock_button(hedy.page, "Unlock room")
    notice(hedy.page, "Ada locked the room")


def test_a_lock_lost_in_a_server_restart_is_put_back_by_the_members(
    browser: Browser, people: list[Person], tmp_path: Path
) -> None:
    """The server forgets the lock; the members, back with their ticket, lock it again."""
    config = write_config(tmp_path, rooms={"parlour": (PASSPHRASE, 8)}, port=free_port())
    server = ParlourProcess.start(config)
    try:
        ada, grace = meet(browser, people, server.url, PASSPHRASE, ("Ada", "Grace"))
        expect(tile(ada.page, "Grace")).to_be_visible()
        press(grace.page, "Lock room")
        lock_button(ada.page, "Unlock room")

        server.stop()
        server = ParlourProcess.start(config)
        for person in (ada, grace):
            banner = person.page.get_by_text(RECONNECTING)
            expect(banner).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)
            lock_button(person.page, "Unlock room")
        expect(call_list(ada.page).get_by_role("listitem")).to_have_count(2)
        expect(call_list(grace.page).get_by_role("listitem")).to_have_count(2)

        hedy = open_person(browser, people, link_url(server.url, PASSPHRASE))
        ask_to_join(hedy.page, "Hedy")
        expect(hedy.page.get_by_role("alert").filter(has_text=LOCKED_OUT)).to_be_visible()
        # Grace's press, then one lock put back with the ticket the server gave before.
        [state, *_] = [m for m in grace.messages("received") if m["type"] == "room-state"]
        locks = [m for p in (ada, grace) for m in p.messages("sent") if m["type"] == "lock"]
        assert sorted(locks, key=len) == [
            {"type": "lock"},
            {"type": "lock", "ticket": state["ticket"]},
        ]
    finally:
        server.stop()


def test_someone_alone_copies_the_join_link_and_hears_the_room_is_locked(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Alone, Copy join link puts a working link on the clipboard, with a word on the lock."""
    clipboard = {"permissions": ["clipboard-read", "clipboard-write"]}
    ada = open_person(browser, people, server.url, **clipboard)
    join(ada.page, "Ada", PASSPHRASE)
    expect(ada.page.get_by_role("status").filter(has_text="Waiting for others")).to_be_visible()
    press(ada.page, "Lock room")
    lock_button(ada.page, "Unlock room")
    ada.page.get_by_role("button", name="Copy join link").click()
    notice(ada.page, "Link copied. The room is locked: unlock it to let them in.")
    link = ada.page.evaluate("() => navigator.clipboard.readText()")
    assert link == link_url(server.url, PASSPHRASE)

    press(ada.page, "Unlock room")
    ada.page.get_by_role("button", name="Copy join link").click()
    expect(ada.page.get_by_role("status").filter(has_text="Link copied")).to_have_text(
        "Link copied"
    )
    grace = open_person(browser, people, link)
    join(grace.page, "Grace")
    expect(tile(ada.page, "Grace")).to_be_visible()
    expect(ada.page.get_by_role("status").filter(has_text="Waiting for others")).to_be_hidden()
