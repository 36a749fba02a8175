"""One network holding too many connections: the pre-join screen says so, a call keeps trying."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from parlour import protocol
from parlour.signaling import MAX_CONNECTIONS_PER_ADDRESS
from tests.browser.calling import (
    RECONNECT_TIMEOUT_MS,
    RECONNECTING,
    ask_to_join,
    join,
    own_tile,
)
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.support import ParlourProcess

TOO_MANY = "Too many connections from your network to this server."

# Opens `n` sockets from this page, as other tabs would, each left open once welcomed.
HOLD = """async (n) => {
    const url = new URL("ws", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    window.held = [];
    for (let i = 0; i < n; i++) {
        const socket = new WebSocket(url.href);
        const first = await new Promise((resolve, reject) => {
            socket.onmessage = (event) => resolve(JSON.parse(event.data).type);
            socket.onclose = () => reject(new Error(`socket ${i} closed before its welcome`));
        });
        if (first !== "welcome") throw new Error(`socket ${i} got ${first}`);
        window.held.push(socket);
    }
}"""
# Closes them, each once the server has answered its close: by then the server has let it go.
RELEASE = """() => Promise.all(window.held.map((socket) => new Promise((resolve) => {
    socket.onclose = resolve;
    socket.close();
})))"""


def test_the_prejoin_screen_says_when_this_network_holds_too_many_connections(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """With every slot of 127.0.0.1 taken, Join says so plainly; once tabs close, Join works."""
    tabs = open_person(browser, people, server.url)
    tabs.page.evaluate(HOLD, MAX_CONNECTIONS_PER_ADDRESS)
    ada = open_person(browser, people, server.url)
    ask_to_join(ada.page, "Ada", PASSPHRASE)
    expect(ada.page.get_by_role("alert")).to_contain_text(TOO_MANY)
    expect(own_tile(ada.page, "Ada")).to_be_hidden()
    refusals = [m for m in ada.messages("received") if m["type"] == "error"]
    assert [m["code"] for m in refusals] == ["too-many-connections"]

    tabs.page.evaluate(RELEASE)
    ada.page.get_by_role("button", name="Join", exact=True).click()
    expect(own_tile(ada.page, "Ada")).to_be_visible()


def route_with_one_refusal(page: Page) -> tuple[list[WebSocketRoute], list[WebSocketRoute]]:
    """Pass the page's sockets to the server, except the second, which is refused as the
    server refuses one past the limit. Returns the page's sockets and the server ends."""
    pages: list[WebSocketRoute] = []
    servers: list[WebSocketRoute] = []
    refusal = protocol.encode(protocol.error(protocol.ErrorCode.TOO_MANY_CONNECTIONS)).decode()

    def route(socket: WebSocketRoute) -> None:
        pages.append(socket)
        if len(pages) == 2:
            socket.send(refusal)
            socket.close(code=1013, reason="try again later")
            return
        servers.append(socket.connect_to_server())

    page.route_web_socket(re.compile(r"/ws$"), route)
    return pages, servers


def test_a_call_keeps_reconnecting_when_refused_for_too_many_connections(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Refused with too-many-connections on the way back, the page retries and gets back in."""
    ada = open_person(browser, people, "about:blank")
    pages, servers = route_with_one_refusal(ada.page)
    ada.page.goto(server.url)
    join(ada.page, "Ada", PASSPHRASE)
    banner = ada.page.get_by_role("status").filter(has_text=RECONNECTING)

    servers[0].close()  # the connection drops, as on a network change
    pages[0].close(code=1001, reason="gone")
    expect(banner).to_be_visible()
    expect(banner).to_be_hidden(timeout=RECONNECT_TIMEOUT_MS)
    expect(own_tile(ada.page, "Ada")).to_be_visible()
    assert len(pages) == 3, "the page gave up after the refusal instead of trying again"
    expect(ada.page.locator("#call-alert")).not_to_contain_text("would not let this page back")
    joined = [m for m in ada.messages("received") if m["type"] == "joined"]
    assert len(joined) == 2
