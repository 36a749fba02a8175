"""Someone no path reaches: their tile says so within the bound, and the others' call goes on.

Hedy's browser may use no candidate but a TURN relay, and there is none: test-side
instrumentation sets `iceTransportPolicy: "relay"` on every RTCPeerConnection her page makes,
which leaves her with no way to send anything, like a network that blocks calls. Ada and Grace
still reach each other.
"""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.calling import join, link_url, tile, wait_decoding
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.support import ParlourProcess, scaled

NO_PATH = """
(() => {
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(config = {}, ...rest) {
      super({ ...config, iceTransportPolicy: "relay" }, ...rest);
    }
  };
})();
"""
# The page's bound (mesh.js CONNECT_BOUND_MS), and as long again for a slow machine.
BOUND_S = 15.0


def test_a_person_no_path_reaches_is_named_and_the_others_go_on(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Within the bound every tile of Hedy says why; Ada and Grace keep decoding each other."""
    ada = open_person(browser, people, link_url(server.url, PASSPHRASE))
    join(ada.page, "Ada")
    grace = open_person(browser, people, link_url(server.url, PASSPHRASE))
    join(grace.page, "Grace")
    hedy = open_person(browser, people, "about:blank")
    hedy.page.context.add_init_script(NO_PATH)
    hedy.page.goto(link_url(server.url, PASSPHRASE))
    join(hedy.page, "Hedy")

    wait_decoding(ada.page, 1, "Ada, from Grace")
    timeout = scaled(2 * BOUND_S) * 1000
    for page, other in ((ada.page, "Hedy"), (grace.page, "Hedy"), (hedy.page, "Ada")):
        expect(tile(page, other)).to_contain_text(
            f"Could not connect to {other}: your network or theirs blocks calls", timeout=timeout
        )
    wait_decoding(grace.page, 1, "Grace, from Ada, with Hedy unreachable")
