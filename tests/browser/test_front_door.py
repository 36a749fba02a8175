"""The front door in real Chromium against a real server: visitors knock, hosts answer.

Every visitor comes from an address of their own (a trusted proxy's X-Forwarded-For), as they
would on the internet: the server's knock limit counts per address, and the host's page shows it.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from parlour import keys
from tests.browser.calling import (
    RECONNECT_TIMEOUT_MS,
    call_list,
    eventually,
    free_port,
    join,
    link_url,
    own_tile,
    the_link,
    tile,
    wait_decoding,
    wait_heard,
    wait_playing,
)
from tests.browser.conftest import PASSPHRASE, UPLOAD_KBPS, Person, open_person
from tests.support import ParlourProcess, host_secret, write_config

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

GRANDMA = host_secret()
GRANDPA = host_secret()
HOSTS = {
    "grandma": {
        "secret": GRANDMA,
        "contacts": ["Grandma", "Nana"],
        "permitted": ["Ada", "Grace", "Hedy", "Ida", "Joan", "Karen", "Lise", "Mary"],
        "super": True,
    },
    "grandpa": {"secret": GRANDPA, "contacts": ["Grandpa"], "permitted": ["Linus", "Ada"]},
}

WAITING = re.compile(r"^Waiting for ")
SAFETY = (
    r"Compare this code aloud with {}: (\d{{3}} \d{{3}})\. If it matches, nobody is listening in\."
)
addresses = (f"203.0.113.{n}" for n in itertools.count(10))


@dataclass
class Door:
    """The module's server, which one test restarts on the same port."""

    config: Path
    process: ParlourProcess

    @property
    def url(self) -> str:
        return self.process.url

    def host_url(self, secret: bytes) -> str:
        return self.url + keys.b64url(secret)

    def restart(self) -> None:
        self.process.stop()
        self.process = ParlourProcess.start(self.config)


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    folder = tmp_path_factory.mktemp("front-door")
    rooms = {"lounge": (PASSPHRASE, 8)}
    config = write_config(
        folder, rooms, port=free_port(), call={"upload_kbps": UPLOAD_KBPS}, hosts=HOSTS
    )
    # The browsers all come from 127.0.0.1; the test's "proxy" there gives each its own address.
    text = config.read_text().replace("[server]\n", '[server]\ntrusted_proxies = ["127.0.0.1"]\n')
    config.write_text(text)
    process = ParlourProcess.start(config)
    found = Door(config, process)
    try:
        yield found
    finally:
        found.process.stop()


def visitor(browser: Browser, people: list[Person], door: Door, **options: object) -> Person:
    """A visitor's browser, from an address of its own, on the front door's page."""
    headers = {"X-Forwarded-For": next(addresses)}
    return open_person(browser, people, door.url, extra_http_headers=headers, **options)


def host(
    browser: Browser, people: list[Person], door: Door, secret: bytes, **options: object
) -> Person:
    person = open_person(browser, people, door.host_url(secret), **options)
    expect(person.page.get_by_role("heading", name="Waiting for you")).to_be_visible()
    return person


def knock(page: Page, name: str, to: str = "Grandma") -> None:
    """Ask for a call, and wait until the page says it waits."""
    page.get_by_role("textbox", name="Your name").fill(name)
    page.get_by_role("textbox", name="Who would you like to reach?").fill(to)
    page.get_by_role("button", name="Ask for a call").click()
    expect(page.get_by_role("timer")).to_have_text(WAITING)


def waiting_list(page: Page) -> Locator:
    return page.get_by_role("list", name="Waiting for you")


def row(page: Page, name: str) -> Locator:
    """A visitor's row in the host's list (its nested list of facts is not a row)."""
    rows = waiting_list(page).locator(":scope > li")
    return rows.filter(has=page.locator(".visitor-name", has_text=re.compile(f"^{name}$")))


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def safety_code(page: Page, name: str) -> str:
    """The code the front-door notice asks to compare with `name`."""
    notice = page.get_by_role("status", name="Safety codes")
    line = notice.get_by_text(re.compile(SAFETY.format(re.escape(name))))
    expect(line).to_be_visible()
    found = re.search(SAFETY.format(re.escape(name)), line.inner_text())
    assert found, line.inner_text()
    return found.group(1)


def test_a_visitor_knocks_the_host_answers_and_they_see_and_hear_each_other(
    browser: Browser, people: list[Person], door: Door
) -> None:
    """Call starts the call on both pages with no more clicks; a second visitor joins it."""
    grandma = host(browser, people, door, GRANDMA)
    expect(grandma.page).to_have_title("Parlour")
    ada = visitor(browser, people, door)
    knock(ada.page, "Ada")

    ada_row = row(grandma.page, "Ada")
    expect(ada_row).to_contain_text("203.0.113.")
    expect(ada_row).to_contain_text("Chrom")  # the browser in words, from its User-Agent
    expect(ada_row).to_contain_text("Waiting for less than a minute")
    expect(ada_row).not_to_contain_text("Not on your list")
    expect(grandma.page).to_have_title("(1) Parlour")
    button(grandma.page, "Call Ada").click()

    expect(own_tile(ada.page, "Ada")).to_be_visible()
    expect(own_tile(grandma.page, "Grandma")).to_be_visible()
    wait_decoding(ada.page, 1, "Ada")
    wait_decoding(grandma.page, 1, "Grandma")
    wait_heard(ada.page, the_link(ada.page, "Ada"), "Ada hearing Grandma")
    wait_heard(grandma.page, the_link(grandma.page, "Grandma"), "Grandma hearing Ada")
    wait_playing(ada.page, "Grandma")
    wait_playing(grandma.page, "Ada")
    expect(row(grandma.page, "Ada")).to_have_count(0)
    expect(grandma.page).to_have_title("Parlour")

    # The safety code is up front on both pages, and the same: nobody stands between them.
    assert safety_code(ada.page, "Grandma") == safety_code(grandma.page, "Ada")
    ARTIFACTS.mkdir(exist_ok=True)
    ada.page.screenshot(path=ARTIFACTS / "front-door-call-safety-code.png")
    button(ada.page, "Close the safety code").click()
    expect(ada.page.get_by_role("status", name="Safety codes")).to_be_hidden()
    # No room words in a front-door call: nothing to lock, no link to copy.
    expect(ada.page.get_by_role("button", name="Lock room")).to_be_hidden()
    expect(ada.page.get_by_role("button", name="Copy join link")).to_be_hidden()

    # A second visitor, answered into the call going on from the list over it.
    grace = visitor(browser, people, door)
    knock(grace.page, "Grace", "Nana")
    waiting = button(grandma.page, "Waiting (1)")
    expect(waiting).to_be_visible()
    waiting.click()
    button(grandma.page, "Call Grace").click()
    expect(own_tile(grace.page, "Grace")).to_be_visible()
    for person, others in ((grandma, ("Ada", "Grace")), (ada, ("Grandma", "Grace"))):
        expect(call_list(person.page).get_by_role("listitem")).to_have_count(3)
        for other in others:
            expect(tile(person.page, other)).to_be_visible()
    wait_decoding(grace.page, 2, "Grace")

    # Leaving the call, the host is back at the desk, which kept listening all along.
    button(grandma.page, "Leave call").click()
    expect(grandma.page.get_by_role("heading", name="Waiting for you")).to_be_visible()
    expect(grandma.page.get_by_text(re.compile("^Nobody is waiting."))).to_be_visible()


def test_an_unexpected_name_is_shown_without_a_call_button_and_keeps_waiting(
    browser: Browser, people: list[Person], door: Door
) -> None:
    """Marked not expected, only Dismiss; dismissed, the visitor still waits, told nothing."""
    grandma = host(browser, people, door, GRANDMA)
    mallory = visitor(browser, people, door)
    knock(mallory.page, "Mallory")

    mallory_row = row(grandma.page, "Mallory")
    expect(mallory_row).to_contain_text("Not on your list")
    expect(button(grandma.page, "Dismiss Mallory")).to_be_visible()
    expect(grandma.page.get_by_role("button", name=re.compile("^Call Mallory"))).to_have_count(0)
    expect(grandma.page.get_by_role("button", name=re.compile("^Decline Mallory"))).to_have_count(0)
    # Grandma is the super-host: the attempt is in her audit too, live.
    audit = grandma.page.get_by_role("table", name="Attempts that went wrong")
    expect(audit.get_by_role("row").filter(has_text="Mallory").first).to_contain_text(
        "A name not on the list"
    )

    received = len(mallory.received)
    button(grandma.page, "Dismiss Mallory").click()
    expect(mallory_row).to_have_count(0)
    expect(mallory.page.get_by_role("timer")).to_have_text(WAITING)
    expect(mallory.page.get_by_role("button", name="Cancel")).to_be_visible()
    assert [json.loads(frame)["type"] for frame in mallory.received[received:]] in ([], ["pong"])


def test_two_hosts_each_see_only_their_own_visitors(
    browser: Browser, people: list[Person], door: Door
) -> None:
    """A knock for Grandpa shows on his page alone, and one for Grandma on hers alone."""
    grandma = host(browser, people, door, GRANDMA)
    grandpa = host(browser, people, door, GRANDPA)
    linus = visitor(browser, people, door)
    knock(linus.page, "Linus", "Grandpa")
    hedy = visitor(browser, people, door)
    knock(hedy.page, "Hedy", "Nana")

    expect(button(grandpa.page, "Call Linus")).to_be_visible()
    expect(button(grandma.page, "Call Hedy")).to_be_visible()
    expect(row(grandpa.page, "Hedy")).to_have_count(0)
    expect(row(grandma.page, "Linus")).to_have_count(0)
    # Grandpa is no super-host: no audit on his page.
    expect(grandpa.page.get_by_role("table", name="Attempts that went wrong")).to_have_count(0)


def test_a_declined_visitor_reads_a_kind_sentence_and_may_ask_again(
    browser: Browser, people: list[Person], door: Door
) -> None:
    grandma = host(browser, people, door, GRANDMA)
    ida = visitor(browser, people, door)
    knock(ida.page, "Ida")
    button(grandma.page, "Decline Ida").click()

    expect(ida.page.get_by_role("status").filter(has_text="can't take")).to_have_text(
        "Grandma can't take your call just now. You can ask again later."
    )
    expect(row(grandma.page, "Ida")).to_have_count(0)
    ida.page.get_by_role("button", name="Ask for a call").click()
    expect(ida.page.get_by_role("timer")).to_have_text(WAITING)
    expect(button(grandma.page, "Call Ida")).to_be_visible()


def test_a_visitor_who_cancels_leaves_the_list(
    browser: Browser, people: list[Person], door: Door
) -> None:
    grandma = host(browser, people, door, GRANDMA)
    joan = visitor(browser, people, door)
    knock(joan.page, "Joan")
    expect(row(grandma.page, "Joan")).to_have_count(1)

    joan.page.get_by_role("button", name="Cancel").click()
    expect(row(grandma.page, "Joan")).to_have_count(0)
    expect(joan.page.get_by_role("button", name="Ask for a call")).to_be_visible()


def test_a_host_who_reloads_the_page_still_sees_who_waits(
    browser: Browser, people: list[Person], door: Door
) -> None:
    grandma = host(browser, people, door, GRANDMA)
    karen = visitor(browser, people, door)
    knock(karen.page, "Karen")
    expect(row(grandma.page, "Karen")).to_have_count(1)

    grandma.page.reload()
    expect(button(grandma.page, "Call Karen")).to_be_visible()
    expect(grandma.page).to_have_title("(1) Parlour")


def test_the_server_answers_every_visitor_alike(
    browser: Browser, people: list[Person], door: Door
) -> None:
    """A welcome name, a name on no list and a host nobody is called get the same frames."""
    knocks = [("Lise", "Grandma"), ("Eve", "Grandma"), ("Lise", "Great-aunt Agatha")]
    seen = []
    for name, to in knocks:
        person = visitor(browser, people, door)
        knock(person.page, name, to)
        seen.append(person)
    # The page's own keepalive pings are answered with pongs at times the page chooses.
    frames = [[f for f in p.received if json.loads(f)["type"] != "pong"] for p in seen]
    assert [json.loads(f)["type"] for f in frames[0]] == ["welcome", "waiting"]
    assert frames[1] == frames[0]
    assert frames[2] == frames[0]


def test_screenshots_of_the_visitor_waiting_and_the_host_with_two_visitors(
    browser: Browser, people: list[Person], door: Door
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    grandma = host(browser, people, door, GRANDMA, viewport=DESKTOP)
    mary = visitor(browser, people, door, viewport=PHONE)
    knock(mary.page, "Mary")
    oscar = visitor(browser, people, door, viewport=PHONE)
    knock(oscar.page, "Oscar", "Nana")
    expect(waiting_list(grandma.page).locator(":scope > li")).to_have_count(2)

    for page, what in ((mary.page, "visitor-waiting"), (grandma.page, "host-two-visitors")):
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            page.screenshot(path=ARTIFACTS / f"front-door-{what}-{size['width']}.png")


def test_a_waiting_visitor_is_back_in_the_list_after_a_server_restart(
    browser: Browser, people: list[Person], door: Door
) -> None:
    """The server forgets knocks and desks; the pages make them again."""
    grandma = host(browser, people, door, GRANDMA)
    ada = visitor(browser, people, door)
    knock(ada.page, "Ada", "Nana")
    expect(row(grandma.page, "Ada")).to_have_count(1)

    door.restart()
    # Both pages find their way back: the desk opens again, and Ada knocks again.
    for person, message in ((grandma, "desk"), (ada, "waiting")):
        eventually(
            person.page,
            lambda person=person, message=message: _assert(
                [m["type"] for m in person.messages("received")].count(message) == 2
            ),
            f"a second {message} after the restart",
            timeout=RECONNECT_TIMEOUT_MS / 1000,
        )
    expect(button(grandma.page, "Call Ada")).to_be_visible()
    expect(ada.page.get_by_role("timer")).to_have_text(WAITING)
    expect(grandma.page.get_by_role("status").filter(has_text="Reconnecting")).to_have_count(0)
    button(grandma.page, "Call Ada").click()
    expect(own_tile(ada.page, "Ada")).to_be_visible()


def test_a_front_door_call_goes_on_through_a_server_restart_and_says_nobody_new_can_join(
    browser: Browser, people: list[Person], door: Door
) -> None:
    """The server forgets the call; the media does not need it, and both pages say so."""
    grandma = host(browser, people, door, GRANDMA)
    lise = visitor(browser, people, door)
    knock(lise.page, "Lise")
    button(grandma.page, "Call Lise").click()
    wait_decoding(lise.page, 1, "Lise")
    wait_decoding(grandma.page, 1, "Grandma")

    door.restart()
    for person, other in ((lise, "Grandma"), (grandma, "Lise")):
        lost = person.page.get_by_role("alert").filter(has_text="nobody new can join")
        expect(lost).to_have_text(
            "The connection to the server was lost. Your call goes on, directly between you,"
            " but nobody new can join it."
        )
        wait_decoding(person.page, 1, f"{other} after the server forgot the call")
        wait_playing(person.page, other)
    # The host's desk is back meanwhile: a new visitor shows on the list over the call.
    mary = visitor(browser, people, door)
    knock(mary.page, "Mary")
    expect(button(grandma.page, "Waiting (1)")).to_be_visible(timeout=RECONNECT_TIMEOUT_MS)


def test_a_join_link_opens_its_room_where_the_front_door_is_on(
    browser: Browser, people: list[Person], door: Door
) -> None:
    """The base path with a passphrase after "#" is the room page, exactly as without hosts."""
    ada = open_person(browser, people, link_url(door.url, PASSPHRASE))
    expect(ada.page.get_by_role("heading", name="Join a room")).to_be_visible()
    expect(ada.page.get_by_role("button", name="Ask for a call")).to_be_hidden()
    join(ada.page, "Ada")


def test_a_visitor_page_never_speaks_of_rooms(
    browser: Browser, people: list[Person], door: Door
) -> None:
    page = visitor(browser, people, door).page
    expect(page.get_by_role("button", name="Ask for a call")).to_be_visible()
    text = page.locator("body").inner_text().lower()
    for word in ("room", "passphrase", "join"):
        assert word not in text, f"{word!r} on a visitor's page"
    assert page.get_by_role("textbox").count() == 2  # their name, and whom to reach


def test_with_one_host_the_visitor_is_not_asked_whom_to_reach(
    browser: Browser, people: list[Person], tmp_path: Path
) -> None:
    config = write_config(tmp_path, {}, hosts={"grandma": HOSTS["grandma"]})
    with ParlourProcess.start(config) as server:
        page = open_person(browser, people, server.url).page
        expect(page.get_by_role("textbox", name="Your name")).to_be_visible()
        expect(page.get_by_role("textbox", name="Who would you like to reach?")).to_have_count(0)
        page.get_by_role("textbox", name="Your name").fill("Ada")
        page.get_by_role("button", name="Ask for a call").click()
        expect(page.get_by_role("heading", name="Asking for a call")).to_be_visible()
        grandma = open_person(browser, people, server.url + keys.b64url(GRANDMA)).page
        button(grandma, "Decline Ada").click()
        expect(page.get_by_role("status").filter(has_text="can't take")).to_have_text(
            "They can't take your call just now. You can ask again later."
        )


def _assert(held: bool) -> None:
    assert held
