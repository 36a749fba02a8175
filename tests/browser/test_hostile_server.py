"""A server that lies to the page: replays, forgeries and weak key parameters, in real Chromium.

A meddler sits on one person's WebSocket (Playwright's route_web_socket), sees every frame the
real server sends, and adds, rewrites or replays frames as a hostile server could. The page
must refuse each trick and say so, and what it shows must stay true.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from tests.browser.calling import (
    ask_to_join,
    chat_log,
    join,
    own_tile,
    say,
    tile,
    wait_decoding,
)
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.support import ParlourProcess

REPLAY_WARNING = "arrived twice"
NONSENSE_WARNING = "The server sent a message that made no sense"


@dataclass
class Meddler:
    """Everything the server sent one page, in order, and the route to inject frames with."""

    frames: list[dict[str, Any]] = field(default_factory=list)
    routes: list[WebSocketRoute] = field(default_factory=list)
    # From the second connection on, play the server: answer from what the first one said.
    impersonate: bool = False

    def attach(self, page: Page) -> None:
        page.route_web_socket(re.compile(r"/ws$"), self.route)

    def route(self, socket: WebSocketRoute) -> None:
        self.routes.append(socket)
        if self.impersonate:
            socket.send(json.dumps(self.first("welcome")))
            socket.on_message(lambda frame: self.answer(socket, frame))
            return
        upstream = socket.connect_to_server()
        upstream.on_message(lambda frame: self.forward(socket, frame))

    def forward(self, socket: WebSocketRoute, frame: str | bytes) -> None:
        self.frames.append(json.loads(frame))
        socket.send(frame)

    def answer(self, socket: WebSocketRoute, frame: str | bytes) -> None:
        if json.loads(frame)["type"] == "join":
            # Re-admitted with the very ids of the first time, then the old envelopes again.
            socket.send(json.dumps(self.first("joined")))
            for message in self.signals():
                socket.send(json.dumps(message))

    def first(self, kind: str) -> dict[str, Any]:
        return next(m for m in self.frames if m["type"] == kind)

    def signals(self) -> list[dict[str, Any]]:
        return [m for m in self.frames if m["type"] == "signal"]

    def inject(self, *messages: dict[str, Any]) -> None:
        for message in messages:
            self.routes[-1].send(json.dumps(message))


def meddled(browser: Browser, people: list[Person], url: str, *, clock: bool = False) -> Meddler:
    """Grace's page, behind a meddler, joined to Ada's room; both have heard the other."""
    ada = open_person(browser, people, url)
    join(ada.page, "Ada", PASSPHRASE)
    grace = open_person(browser, people, "about:blank")
    if clock:
        grace.page.clock.install()
    meddler = Meddler()
    meddler.attach(grace.page)
    grace.page.goto(url)
    join(grace.page, "Grace", PASSPHRASE)
    expect(tile(grace.page, "Ada")).to_be_visible()
    say(ada.page, "the first and only words")
    expect(chat_log(grace.page).get_by_role("listitem")).to_have_count(1)
    return meddler


def ada_id(meddler: Meddler) -> str:
    [peer] = meddler.first("joined")["peers"]
    return str(peer)


def assert_said_once(page: Page) -> None:
    log = chat_log(page).get_by_role("listitem")
    expect(log).to_have_count(1)
    expect(log).to_contain_text(["Ada: the first and only words"])


def test_old_envelopes_replayed_after_a_forged_leave_and_return_are_refused(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """A forged peer-left and peer-joined with the same id open no door to old envelopes."""
    meddler = meddled(browser, people, server.url)
    grace = people[-1].page
    peer = ada_id(meddler)
    meddler.inject(
        {"type": "peer-left", "peer": peer},
        {"type": "peer-joined", "peer": peer},
        *meddler.signals(),
    )
    expect(grace.get_by_role("alert")).to_contain_text(REPLAY_WARNING)
    assert_said_once(grace)


def test_old_envelopes_replayed_to_a_page_readmitted_with_the_same_ids_are_refused(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """The server drops the page and takes it back under the old ids: replays still fail."""
    meddler = meddled(browser, people, server.url)
    grace = people[-1].page
    meddler.impersonate = True
    meddler.routes[-1].close()  # the page's socket drops; its reconnect meets the impostor
    expect(grace.get_by_role("alert")).to_contain_text(REPLAY_WARNING)
    assert len(meddler.routes) == 2
    assert_said_once(grace)


def test_a_sender_written_as_a_list_is_refused_not_opened(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """A signal whose `from` is not a peer id is nonsense from the server, never an envelope."""
    meddler = meddled(browser, people, server.url)
    grace = people[-1].page
    chat = meddler.signals()[-1]
    meddler.inject({**chat, "from": [chat["from"]]})
    expect(grace.get_by_role("alert")).to_contain_text(NONSENSE_WARNING)
    assert_said_once(grace)


def test_a_forged_leave_does_not_end_a_call_that_still_flows(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """The server says Ada left; her media still flows, so she stays, long past any grace time."""
    meddler = meddled(browser, people, server.url, clock=True)
    grace = people[-1].page
    wait_decoding(grace, 1, "Grace")
    meddler.inject({"type": "peer-left", "peer": ada_id(meddler)})
    grace.clock.fast_forward("01:00")
    expect(tile(grace, "Ada")).to_be_visible()
    wait_decoding(grace, 1, "Grace, a minute after the forged leave")


def test_who_locked_the_room_is_not_taken_from_the_server(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """A room-state naming Ada shows only that the server says the room is locked."""
    meddler = meddled(browser, people, server.url)
    grace = people[-1].page
    ticket = "Hq0xS2ZtN4k7uP1wB9vYcA"
    meddler.inject({"type": "room-state", "locked": True, "by": ada_id(meddler), "ticket": ticket})
    notice = grace.get_by_role("status").filter(has_text="locked")
    expect(notice).to_have_text("The room is locked: nobody new can join.")


WELCOME_REWRITES = {
    "one iteration": {"iterations": 1},
    "just below the floor": {"iterations": 599_999},
    "a short salt": {"salt": "AAECAwQFBgcICQoLDA0ODw"},
    "another protocol": {"protocol": 1},
}


@pytest.mark.parametrize("change", WELCOME_REWRITES.values(), ids=WELCOME_REWRITES.keys())
def test_a_welcome_weaker_than_the_protocol_is_refused_before_any_stretch(
    browser: Browser, people: list[Person], server: ParlourProcess, change: dict[str, Any]
) -> None:
    """The page never stretches the passphrase with what a hostile server asks, and says why."""
    person = open_person(browser, people, "about:blank")
    page = person.page
    page.context.add_init_script(
        """(() => {
            const derive = SubtleCrypto.prototype.deriveBits;
            window.__stretches = 0;
            SubtleCrypto.prototype.deriveBits = function (algorithm, ...rest) {
                if (algorithm?.name === "PBKDF2") window.__stretches += 1;
                return derive.call(this, algorithm, ...rest);
            };
        })();"""
    )

    def rewrite(socket: WebSocketRoute) -> None:
        upstream = socket.connect_to_server()

        def forward(frame: str | bytes) -> None:
            message = json.loads(frame)
            weak = message["type"] == "welcome"
            socket.send(json.dumps({**message, **change}) if weak else frame)

        upstream.on_message(forward)

    page.route_web_socket(re.compile(r"/ws$"), rewrite)
    page.goto(server.url)
    ask_to_join(page, "Ada", PASSPHRASE)
    expect(page.get_by_role("alert")).to_contain_text("did not use your passphrase")
    expect(own_tile(page, "Ada")).to_have_count(0)
    assert page.evaluate("window.__stretches") == 0
    assert not [m for m in person.messages("sent") if m["type"] == "join"]
