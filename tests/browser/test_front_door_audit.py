"""The super-host's audit and a host page in the background, in real Chromium.

The server has a country allow-list (New Zealand only) and a country database the test writes
(tests/geodb.py: 203.0.113.0/24 is NZ, 198.51.100.0/24 is DE); each browser comes from an
address of its own through a trusted proxy's X-Forwarded-For.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from parlour import keys
from parlour.door import MAX_WAITING
from tests.browser.calling import TIMEOUT_S, link_url, own_tile, wait_decoding
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.browser.test_front_door import WAITING, knock, row, waiting_list
from tests.geodb import write_country_db
from tests.support import ParlourProcess, host_secret, write_config

GRANDMA = host_secret()
HOSTS = {
    "grandma": {"secret": GRANDMA, "contacts": ["Grandma"], "permitted": ["Ada"], "super": True},
    "grandpa": {"secret": host_secret(), "contacts": ["Grandpa"], "permitted": ["Ada"]},
}

# What the host page's init script records: each Notification made, each tone started, and a
# switch that makes the page believe it is in a background tab (headless pages are visible).
WATCH_ALERTS = """
(() => {
  const seen = { notes: [], tones: 0, hidden: false };
  Object.defineProperty(window, "__alerts", { value: seen });
  Object.defineProperty(document, "visibilityState", {
    get: () => (seen.hidden ? "hidden" : "visible"),
  });
  const Native = window.Notification;
  window.Notification = class extends Native {
    constructor(title, options) {
      super(title, options);
      seen.notes.push({ title, body: options?.body ?? "" });
    }
  };
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) {
    seen.tones += 1;
    return start.apply(this, args);
  };
})();
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParlourProcess]:
    folder = tmp_path_factory.mktemp("front-door-audit")
    write_country_db(folder / "countries.mmdb")
    config = write_config(folder, {"lounge": (PASSPHRASE, 8)}, hosts=HOSTS)
    text = config.read_text().replace("[server]\n", '[server]\ntrusted_proxies = ["127.0.0.1"]\n')
    text += '\n[front_door]\ncountries = ["NZ"]\ngeoip_database = "countries.mmdb"\n'
    config.write_text(text)
    with ParlourProcess.start(config) as process:
        yield process


def from_address(
    browser: Browser, people: list[Person], url: str, address: str, **options: object
) -> Person:
    headers = {"X-Forwarded-For": address}
    return open_person(browser, people, url, extra_http_headers=headers, **options)


def host_page(browser: Browser, people: list[Person], server: ParlourProcess) -> Person:
    grandma = open_person(browser, people, server.url + keys.b64url(GRANDMA))
    expect(grandma.page.get_by_role("heading", name="Waiting for you")).to_be_visible()
    return grandma


def audit_row(page: Page, text: str) -> Locator:
    table = page.get_by_role("table", name="Attempts that went wrong")
    return table.get_by_role("row").filter(has_text=text)


def test_the_super_host_sees_an_unknown_contact_a_wrong_passphrase_and_a_country_refusal(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    grandma = host_page(browser, people, server)

    santa = from_address(browser, people, server.url, "203.0.113.40")
    knock(santa.page, "Ada", "Santa")
    expect(audit_row(grandma.page, "Ada to Santa")).to_contain_text(
        "Asked for someone who is not here"
    )
    expect(audit_row(grandma.page, "Ada to Santa")).to_contain_text("(NZ)")

    # Ada is on Grandma's list, but knocks from Germany: she waits like everyone, unseen.
    abroad = from_address(browser, people, server.url, "198.51.100.41")
    knock(abroad.page, "Ada", "Grandma")
    refused = audit_row(grandma.page, "198.51.100.41")
    expect(refused).to_contain_text("From a country not allowed")
    expect(refused).to_contain_text("(DE)")
    expect(row(grandma.page, "Ada")).to_have_count(0)
    expect(abroad.page.get_by_role("timer")).to_have_text(WAITING)

    # A room's join link with a wrong passphrase, from a third address.
    guesser = from_address(
        browser, people, link_url(server.url, "not the passphrase"), "203.0.113.42"
    )
    guesser.page.get_by_role("textbox", name="Your name").fill("Mallory")
    guesser.page.get_by_role("button", name="Join", exact=True).click()
    expect(audit_row(grandma.page, "203.0.113.42")).to_contain_text("Wrong passphrase")

    # The refused visitor heard exactly what a welcome one hears.
    welcome = from_address(browser, people, server.url, "203.0.113.43")
    knock(welcome.page, "Ada", "Grandma")
    expect(row(grandma.page, "Ada")).to_have_count(1)
    frames = [
        [frame for frame in person.received if json.loads(frame)["type"] != "pong"]
        for person in (abroad, welcome)
    ]
    assert [json.loads(frame)["type"] for frame in frames[0]] == ["welcome", "waiting"]
    assert frames[1] == frames[0]


def test_a_host_page_in_the_background_chimes_notifies_and_counts_in_its_title(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    grandma = host_page(browser, people, server)
    page = grandma.page
    page.context.grant_permissions(["notifications"])
    page.add_init_script(WATCH_ALERTS)
    page.reload()
    expect(page.get_by_role("heading", name="Waiting for you")).to_be_visible()
    # Asked for once: with the permission already given, the button is not offered again.
    expect(page.get_by_role("button", name="Notify me when someone knocks")).to_be_hidden()
    page.get_by_role("textbox", name="Your name in calls").click()  # a touch lets it make sound
    page.evaluate("window.__alerts.hidden = true")
    title = page.title()

    ada = from_address(browser, people, server.url, "203.0.113.50")
    knock(ada.page, "Ada", "Grandma")
    expect(row(page, "Ada")).to_have_count(1)
    expect(page).to_have_title(f"(1) {title}")
    alerts = page.evaluate("window.__alerts")
    assert alerts["notes"] == [{"title": "Ada is waiting", "body": "Open Parlour to call them."}]
    assert alerts["tones"] == 2  # the two notes of the chime

    ada.page.get_by_role("button", name="Cancel").click()
    expect(row(page, "Ada")).to_have_count(0)
    expect(page).to_have_title(title)


async def _knock_flood(ws_url: str, count: int, until: threading.Event) -> int:
    """`count` strangers knock, each from an address of its own, and keep waiting (their
    sockets open) `until` it is set; returns how many were told `waiting`."""
    # No limit on the session's connections (aiohttp's default is 100 at a time).
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        sockets = []
        for n in range(count):
            address = f"10.9.{n // 250}.{n % 250}"
            ws = await session.ws_connect(ws_url, headers={"X-Forwarded-For": address})
            await ws.receive_json()  # welcome
            await ws.send_json({"type": "knock", "name": f"Stranger {n}", "to": "Grandma"})
            sockets.append(ws)
        told = [(await ws.receive_json())["type"] for ws in sockets]
        await asyncio.to_thread(until.wait, TIMEOUT_S)
        for ws in sockets:
            await ws.close()
    return told.count("waiting")


def test_five_hundred_knocks_do_not_keep_a_host_from_answering_the_one_they_expect(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    grandma = host_page(browser, people, server)
    ada = from_address(browser, people, server.url, "203.0.113.60")
    knock(ada.page, "Ada", "Grandma")
    expect(row(grandma.page, "Ada")).to_have_count(1)

    answered = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        flood = pool.submit(asyncio.run, _knock_flood(server.ws_url, 500, answered))
        # Answered once the list is full and the strangers still pour in: it keeps Ada (the
        # oldest unexpected knock goes first), and the page stays quick enough to click.
        expect(waiting_list(grandma.page).locator(":scope > li")).to_have_count(MAX_WAITING)
        button = grandma.page.get_by_role("button", name="Call Ada", exact=True)
        button.click()
        answered.set()
        assert flood.result(timeout=TIMEOUT_S) == 500
    expect(own_tile(ada.page, "Ada")).to_be_visible()
    wait_decoding(ada.page, 1, "Ada")
    wait_decoding(grandma.page, 1, "Grandma")
