"""The pre-join screen in real Chromium, as a person uses it: the preview, the device choices,
the microphone level, the remembered name, the key stretch, and a browser that cannot call.

Three fake cameras (THREE_OF_EACH), so that the camera chooser has a choice.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, Page, Route, WebSocketRoute, expect

from parlour import keys
from tests.browser.calling import (
    ask_to_join,
    eventually,
    join,
    link_url,
    press,
    the_link,
    wait_heard,
    wait_playing,
)
from tests.browser.conftest import PASSPHRASE, THREE_OF_EACH, Person, open_person
from tests.browser.prejoin import (
    assert_seen_without,
    chosen,
    media_problem,
    meter,
    options,
    picker,
    preview,
    wait_preview_playing,
)
from tests.chromium import with_fake_devices
from tests.support import ParlourProcess

CAMERAS = ["fake_device_0", "fake_device_1", "fake_device_2"]
# Chromium's fake microphones are these three whatever the device count.
MICROPHONES = ["Fake Default Audio Input", "Fake Audio Input 1", "Fake Audio Input 2"]


@pytest.fixture(scope="module")
def browser_args() -> list[str]:
    return with_fake_devices(THREE_OF_EACH)


def open_with(browser: Browser, people: list[Person], url: str, script: str) -> Person:
    """A person whose page runs `script` before any of its own."""
    person = open_person(browser, people, "about:blank")
    person.page.context.add_init_script(script)
    person.page.goto(url)
    return person


def level(page: Page) -> int:
    value = meter(page).get_attribute("aria-valuenow")
    assert value is not None, "the microphone level has no aria-valuenow"
    return int(value)


def preview_camera(page: Page) -> str:
    label: str = preview(page).evaluate("(v) => v.srcObject?.getVideoTracks()[0]?.label ?? ''")
    return label


def test_the_preview_plays_offers_the_devices_and_shows_the_microphone_level(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Before joining: the camera plays, both choosers list every device, the level moves."""
    page = open_person(browser, people, server.url).page
    wait_preview_playing(page)

    camera = picker(page, "Camera")
    microphone = picker(page, "Microphone")
    expect(camera).to_be_enabled()
    expect(camera.get_by_role("option")).to_have_count(len(CAMERAS))
    assert options(camera) == CAMERAS
    assert chosen(camera) == preview_camera(page) == "fake_device_0"
    expect(microphone.get_by_role("option")).to_have_count(len(MICROPHONES))
    assert options(microphone) == MICROPHONES

    # Chromium's fake microphone beeps: the level the page tells assistive tech goes up and down.
    seen: set[int] = set()

    def moving() -> None:
        seen.add(level(page))
        assert len(seen) >= 3, f"levels seen: {sorted(seen)}"
        assert max(seen) >= 10, f"levels seen: {sorted(seen)}"

    eventually(page, moving, "the microphone level following the fake microphone")

    # Muted, the level drops to nothing and stays there.
    page.get_by_role("button", name="Mute microphone").click()
    expect(page.get_by_role("button", name="Unmute microphone")).to_be_visible()
    expect(meter(page)).to_have_attribute("aria-valuenow", "0")

    # Another camera chosen before joining is the one the preview shows. (fake_device_1 would
    # play too, but see THREE_OF_EACH: fake_device_2 is the one a call could also send.)
    camera.select_option(label="fake_device_2")
    eventually(
        page,
        lambda: _assert_equal(preview_camera(page), "fake_device_2"),
        "the preview showing the camera chosen",
    )
    wait_preview_playing(page)
    assert chosen(camera) == "fake_device_2"


def test_joining_with_the_camera_off_is_heard_at_once_and_seen_once_it_is_on(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Camera off before Join: the others hear the person at once, and see them once it is on."""
    ada = open_person(browser, people, server.url)
    join(ada.page, "Ada", PASSPHRASE)
    page = open_person(browser, people, server.url).page
    wait_preview_playing(page)
    page.get_by_role("button", name="Turn camera off").click()
    join(page, "Cam", PASSPHRASE)
    assert_seen_without(ada.page, "Cam", mic=True, camera=False)
    wait_heard(ada.page, the_link(ada.page, "Ada"), "Ada hearing Cam")
    press(page, "Turn camera on")
    assert_seen_without(ada.page, "Cam", mic=True, camera=True)
    wait_playing(ada.page, "Cam")


def test_a_second_visit_remembers_the_name_but_never_the_passphrase(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """The name typed once is there on the next visit in the same browser, and only there."""
    first = open_person(browser, people, server.url).page
    expect(first.get_by_role("textbox", name="Your name")).to_have_value("")
    join(first, "Ada Lovelace", PASSPHRASE)

    again = first.context.new_page()
    again.goto(server.url)
    expect(again.get_by_role("textbox", name="Your name")).to_have_value("Ada Lovelace")
    expect(again.get_by_role("textbox", name="Passphrase")).to_have_value("")
    # Focus waits where there is still something to type.
    expect(again.get_by_role("textbox", name="Passphrase")).to_be_focused()

    elsewhere = open_person(browser, people, server.url).page
    expect(elsewhere.get_by_role("textbox", name="Your name")).to_have_value("")


# Test-side instrumentation, as WATCH_PEER_CONNECTIONS: every PBKDF2 stretch the page asks
# WebCrypto for is counted (with its iteration count) and then done by WebCrypto as asked.
COUNT_STRETCHES = """
(() => {
  const native = SubtleCrypto.prototype.deriveBits;
  const stretches = [];
  Object.defineProperty(window, "__stretches", { value: stretches });
  SubtleCrypto.prototype.deriveBits = function (algorithm, ...rest) {
    if (algorithm?.name === "PBKDF2") stretches.push(algorithm.iterations);
    return native.call(this, algorithm, ...rest);
  };
})();
"""


def stretches(page: Page) -> list[int]:
    done: list[int] = page.evaluate("window.__stretches")
    return done


def test_the_key_stretch_runs_once_per_join(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Each press of Join stretches the passphrase once, with the server's iteration count; a
    link's passphrase is stretched once while the person types, and Join does not redo it."""
    typed = open_with(browser, people, server.url, COUNT_STRETCHES)
    page = typed.page
    expect(page.get_by_role("textbox", name="Your name")).to_be_visible()
    assert stretches(page) == []
    ask_to_join(page, "Ada", "not the passphrase of any room")
    expect(page.get_by_role("alert").filter(has_text="does not open a room")).to_be_visible()
    [welcome] = [m for m in typed.messages("received") if m["type"] == "welcome"]
    assert stretches(page) == [welcome["iterations"]]
    join(page, "Ada", PASSPHRASE)
    assert stretches(page) == [welcome["iterations"]] * 2

    linked = open_with(browser, people, link_url(server.url, PASSPHRASE), COUNT_STRETCHES)
    eventually(
        linked.page,
        lambda: _assert_equal(len(stretches(linked.page)), 1),
        "the link's passphrase stretched before Join",
    )
    join(linked.page, "Grace")
    assert len(stretches(linked.page)) == 1


def test_a_long_key_stretch_shows_its_progress(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """When unlocking the room takes a while, the page says so beside a progress bar, and Join
    waits.

    The stretch takes ~0.1 s here, too quick for the page to speak up (it waits 0.3 s), and the
    iteration count is the server's constant; slowing Chromium's CPU does not slow WebCrypto,
    which works off the main thread. So the welcome is rewritten on its way to the page with ten
    times the iterations: the page really stretches that long (counted below), then the server,
    which knows the true count, turns the result away as a wrong passphrase.
    """
    person = open_person(browser, people, "about:blank")
    page = person.page
    page.context.add_init_script(COUNT_STRETCHES)
    slower = 10 * keys.KDF_ITERATIONS

    def route(socket: WebSocketRoute) -> None:
        upstream = socket.connect_to_server()
        upstream.on_message(lambda frame: socket.send(_more_iterations(frame, slower)))

    page.route_web_socket(re.compile(r"/ws$"), route)
    page.goto(server.url)
    page.get_by_role("textbox", name="Your name").fill("Ada")
    page.get_by_role("textbox", name="Passphrase").fill(PASSPHRASE)
    join_button = page.get_by_role("button", name="Join", exact=True)
    join_button.click()

    progress = page.get_by_role("progressbar", name="Unlocking the room…")
    expect(progress).to_be_visible()
    expect(page.get_by_role("status").filter(has=progress)).to_have_text("Unlocking the room…")
    expect(join_button).to_be_disabled()

    expect(page.get_by_role("alert").filter(has_text="does not open a room")).to_be_visible()
    expect(progress).to_be_hidden()
    expect(join_button).to_be_enabled()
    assert stretches(page) == [slower]


def _more_iterations(frame: str | bytes, iterations: int) -> str | bytes:
    message = json.loads(frame)
    if message.get("type") != "welcome":
        return frame
    return json.dumps({**message, "iterations": iterations})


NO_CAMERA_ACCESS = "delete Navigator.prototype.mediaDevices;"
NO_WEBRTC = "delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;"


def test_a_browser_without_camera_access_joins_to_watch_and_listen(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """A browser that can call but cannot reach cameras says so and joins as a listener.

    Chromium always has navigator.mediaDevices on a secure page; an init script removes it
    before the page loads, as a stand-in for a browser without it (the page's check is for
    exactly that API). Everything else is real: the other person and the call.
    """
    ada = open_person(browser, people, server.url)
    join(ada.page, "Ada", PASSPHRASE)

    old = open_with(browser, people, server.url, NO_CAMERA_ACCESS)
    page = old.page
    expect(media_problem(page, "This browser cannot use a camera or microphone")).to_be_visible()
    expect(media_problem(page, "You can still join to watch and listen")).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_be_hidden()
    join(page, "Old Browser", PASSPHRASE)

    assert_seen_without(ada.page, "Old Browser", mic=False, camera=False)
    assert_seen_without(page, "Ada", mic=True, camera=True)
    wait_playing(page, "Ada")  # watching works


def test_a_browser_without_webrtc_is_told_it_cannot_make_calls(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Without RTCPeerConnection nobody can be seen or heard, so the page says which browsers
    can, and Join is not offered.

    Chromium always has RTCPeerConnection; an init script removes it before the page loads, as
    a stand-in for an old browser without WebRTC (the API the page checks for).
    """
    page = open_with(browser, people, server.url, NO_WEBRTC).page
    expect(
        page.get_by_role("alert").filter(has_text="This browser cannot make calls")
    ).to_contain_text("recent Firefox, Chrome, Edge or Safari")
    expect(page.get_by_role("button", name="Join", exact=True)).to_be_disabled()
    expect(preview(page)).to_be_hidden()


def test_join_waits_for_the_page_script_so_a_quick_click_cannot_send_the_passphrase(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """On a slow line the form is on screen before the script that handles it. A click then
    must not submit it the browser's way: that reloads the page, drops the link's passphrase
    and would put the typed fields in the address. Join is offered once the script is there."""
    person = open_person(browser, people, "about:blank")
    page = person.page
    held: list[Route] = []
    page.route("**/static/app.js", lambda route: held.append(route))
    page.goto(link_url(server.url, PASSPHRASE), wait_until="commit")

    def asked() -> None:
        assert held, "not yet"

    eventually(page, asked, "the page asks for its script")
    join_button = page.get_by_role("button", name="Join", exact=True)
    expect(join_button).to_be_visible()
    expect(join_button).to_be_disabled()
    held[0].continue_()
    page.get_by_role("textbox", name="Your name").fill("Ada")
    join_button.click()
    expect(page.get_by_role("group", name="Ada (you)", exact=True)).to_be_visible()
    assert page.url == server.url, page.url  # the page took the fragment away; nothing added


def _assert_equal(got: object, want: object) -> None:
    assert got == want, f"{got!r} != {want!r}"


def test_a_module_that_did_not_arrive_is_said_and_reload_brings_the_page(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """A dropped connection loses one of the page's modules: the page cannot work, and says so
    instead of showing a Join that never wakes; Reload the page fetches it again and works."""
    page = open_person(browser, people, "about:blank").page
    notice = page.get_by_role("alert").filter(has_text="Part of this page did not arrive")
    page.route("**/static/signaling.js", lambda route: route.abort("connectionreset"))
    page.goto(link_url(server.url, PASSPHRASE))
    expect(notice).to_be_visible()
    expect(page.get_by_role("button", name="Join", exact=True)).to_be_disabled()
    page.unroute("**/static/signaling.js")
    page.get_by_role("button", name="Reload the page").click()
    join_button = page.get_by_role("button", name="Join", exact=True)
    expect(join_button).to_be_enabled()
    expect(notice).to_be_hidden()
    # No script read the link the first time, so the reload still carries its passphrase.
    expect(page.get_by_role("textbox", name="Passphrase")).to_be_hidden()
    join(page, "Ada")
