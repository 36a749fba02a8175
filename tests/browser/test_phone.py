"""On a phone: the join link's QR code, installing to the home screen, the screen kept on, the
loudspeaker while the camera is on. Real Chromium against a real server, checked as Lighthouse
checks an installable page: the manifest as Chromium parsed it, the service worker controlling
the page, the shell served offline."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

import parlour
from parlour import keys
from tests.browser.calling import eventually, free_port, join, link_url, press, tile
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.qrcodes import decode_png
from tests.support import ParlourProcess, host_secret, write_config

QR = "QR code of the join link"
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}

# Test-side instrumentation, as WATCH_PEER_CONNECTIONS: every wake lock the page is granted is
# kept in window.__wakeLocks, so a test can read whether the browser holds it.
WATCH_WAKE_LOCKS = """
(() => {
  const granted = [];
  Object.defineProperty(window, "__wakeLocks", { value: granted });
  const request = WakeLock.prototype.request;
  WakeLock.prototype.request = async function (...args) {
    const sentinel = await request.apply(this, args);
    granted.push(sentinel);
    return sentinel;
  };
})();
"""

# A phone's outputs as Safari on an iPhone lists them (an earpiece, "Receiver", beside the
# loudspeaker), and setSinkId recording what the page asks of it: this Chromium has no such
# devices to play to. `window.__headphones = true` adds wired headphones to the list.
PHONE_OUTPUTS = """
(() => {
  const sinks = [];
  Object.defineProperty(window, "__sinks", { value: sinks });
  window.__listed = 0;
  const enumerate = MediaDevices.prototype.enumerateDevices;
  MediaDevices.prototype.enumerateDevices = async function () {
    const found = (await enumerate.call(this)).filter((d) => d.kind !== "audiooutput");
    const output = (deviceId, label) => ({ deviceId, label, kind: "audiooutput", groupId: "" });
    found.push(output("receiver-id", "Receiver"), output("speaker-id", "Speaker"));
    if (window.__headphones) found.push(output("wired-id", "Headphones"));
    window.__listed++;
    return found;
  };
  HTMLMediaElement.prototype.setSinkId = async function (id) {
    sinks.push(id);
  };
})();
"""


def open_installable(browser: Browser, people: list[Person], url: str) -> Person:
    """A page whose service worker has taken control of it, as after a second visit."""
    person = open_person(browser, people, url)
    page = person.page
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()
    expect(page.get_by_role("heading", name="Join a room")).to_be_visible()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    return person


def cached_urls(page: Page) -> list[str]:
    return page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push(request.url);
            }
            return urls;
        }"""
    )


def test_the_qr_code_beside_copy_join_link_reads_back_as_the_link_with_its_passphrase(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Show QR code, on a phone's screen: a picture a real decoder reads as the join link, made
    in the page (its encoder loaded only then), and out of the page again once hidden."""
    person = open_person(browser, people, server.url, **PHONE)
    page = person.page
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    join(page, "Ada", PASSPHRASE)
    button = page.get_by_role("button", name="Show QR code")
    expect(button).to_have_attribute("aria-expanded", "false")
    assert not [url for url in loaded if "lean-qr" in url]  # not loaded by a call that needs none
    button.click()
    code = page.get_by_role("img", name=QR)
    expect(code).to_be_visible()
    expect(page.get_by_role("button", name="Hide QR code")).to_have_attribute(
        "aria-expanded", "true"
    )
    assert [url for url in loaded if url.endswith("/static/vendor/lean-qr/index.mjs")]
    assert decode_png(code.screenshot()) == [link_url(server.url, PASSPHRASE)]
    box = code.bounding_box()
    assert box is not None
    assert box["width"] >= 200  # large enough to scan from another phone held at arm's length
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "phone-qr-code.png")
    # The server was shown nothing of it: no frame holds the passphrase.
    assert not [frame for frame in person.frames() if "velvet" in frame]

    page.get_by_role("button", name="Hide QR code").click()
    expect(page.get_by_role("img", name=QR)).to_have_count(0)
    page.get_by_role("button", name="Show QR code").click()
    expect(page.get_by_role("img", name=QR)).to_be_visible()
    press(page, "Leave call")
    expect(page.get_by_role("heading", name="Join a room")).to_be_visible()
    expect(page.locator(f'svg[aria-label="{QR}"]')).to_have_count(0)  # hidden or not


def _png_size(page: Page, url: str) -> tuple[int, int]:
    response = page.request.get(url)
    assert response.ok, url
    assert response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.body())).size


def test_the_manifest_is_valid_and_its_icons_load_at_their_sizes(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Chromium parses the manifest without an error; start_url and scope are the base path;
    every icon is a PNG of the size it claims, one of them maskable."""
    page = open_person(browser, people, server.url).page
    cdp = page.context.new_cdp_session(page)
    found = cdp.send("Page.getAppManifest")
    assert found["url"] == server.url + "manifest.webmanifest"
    assert found["errors"] == []
    manifest = json.loads(found["data"])
    assert manifest["name"] == manifest["short_name"] == "Parlour"
    assert manifest["display"] == "standalone"
    assert urljoin(found["url"], manifest["start_url"]) == server.url
    assert urljoin(found["url"], manifest["scope"]) == server.url
    sizes = {}
    for icon in manifest["icons"]:
        width, height = _png_size(page, urljoin(found["url"], icon["src"]))
        assert icon["sizes"] == f"{width}x{height}", icon
        sizes[width, icon["purpose"]] = icon
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= set(sizes)


def test_chromium_finds_the_page_installable(
    tmp_path: Path, server: ParlourProcess, browser: Browser
) -> None:
    """Chromium's own installability check (what Lighthouse asks it) finds nothing missing.

    A profile on disk, as a person's browser: Chromium never offers to install from an
    incognito-like context, which is what a test's fresh context is."""
    home = {"XDG_CONFIG_HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path)}
    # The module's browser runs sync Playwright already; its driver starts this one too.
    chromium = browser.browser_type
    context = chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        env={**os.environ, **home},
        headless=True,
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(server.url)
        page.evaluate("navigator.serviceWorker.ready")
        cdp = context.new_cdp_session(page)

        def installable() -> None:
            assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

        eventually(page, installable, "an installable page")
    finally:
        context.close()


def test_the_service_worker_serves_the_join_form_offline(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """After one visit the worker controls the page, and with the network gone a reload still
    shows the join form; a join link opened offline keeps its passphrase in the page only."""
    person = open_installable(browser, people, server.url)
    page = person.page
    urls = cached_urls(page)
    assert server.url in urls
    assert not [url for url in urls if "#" in url or "?" in url]
    page.context.set_offline(True)
    try:
        page.goto(link_url(server.url, PASSPHRASE))
        expect(page.get_by_role("heading", name="Join a room")).to_be_visible()
        expect(page.get_by_role("textbox", name="Your name")).to_be_editable()
        assert not [url for url in cached_urls(page) if "velvet" in url]
    finally:
        page.context.set_offline(False)


@pytest.fixture
def changing_server(tmp_path: Path) -> Iterator[tuple[ParlourProcess, bytes]]:
    """A server of its own, whose config a test changes; and a host's secret, not yet in it."""
    config = write_config(tmp_path, {"lounge": (PASSPHRASE, 8)})
    with ParlourProcess.start(config) as process:
        yield process, host_secret()


def test_a_new_page_replaces_the_kept_one_and_a_host_page_is_never_kept(
    browser: Browser, people: list[Person], changing_server: tuple[ParlourProcess, bytes]
) -> None:
    """The operator opens a front door (a new page at the same address): the next load shows
    it, and so does the next offline load. The host's page goes to the network only."""
    server, secret = changing_server
    person = open_installable(browser, people, server.url)
    page = person.page

    config = server.config
    verifier = keys.b64url(keys.verifier(secret))
    with config.open("a") as file:
        file.write(f'\n[hosts.grandma]\nverifier = "{verifier}"\n')
    server.send(signal.SIGHUP)
    server.stderr.expect("reloaded")
    page.reload()
    expect(page.get_by_role("heading", name="Ask for a call")).to_be_visible()
    page.context.set_offline(True)
    try:
        page.reload()
        expect(page.get_by_role("heading", name="Ask for a call")).to_be_visible()
    finally:
        page.context.set_offline(False)

    host_page = server.url + keys.b64url(secret)
    page.goto(host_page)
    expect(page.get_by_role("heading", name="Your front door")).to_be_visible()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    assert not [url for url in cached_urls(page) if keys.b64url(secret) in url]
    page.context.set_offline(True)
    try:
        with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
            page.goto(host_page)
    finally:
        page.context.set_offline(False)


def test_a_new_version_of_parlour_replaces_the_kept_shell_at_the_next_load(
    browser: Browser, people: list[Person], tmp_path: Path
) -> None:
    """Parlour upgraded (a file of the page changed, the server restarted on the same port):
    the next load is the new page, its service worker takes over and drops the old version's
    copy, and with the network gone the new page is what opens."""
    config = write_config(tmp_path, {"lounge": (PASSPHRASE, 8)}, port=free_port())
    upgraded = tmp_path / "upgraded"
    shutil.copytree(
        Path(parlour.__file__).parent,
        upgraded / "parlour",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    index = upgraded / "parlour" / "static" / "index.html"
    mark = '<meta name="parlour-test-version" content="2">'
    index.write_text(index.read_text().replace("<head>", f"<head>\n  {mark}", 1))

    with ParlourProcess.start(config) as old:
        page = open_installable(browser, people, old.url).page
        [kept] = page.evaluate("caches.keys()")
    new_version = page.locator('meta[name="parlour-test-version"]')
    expect(new_version).to_have_count(0)
    # `python -m parlour` in the upgraded copy's folder imports that copy.
    with ParlourProcess.start(config, prefix=("env", "-C", str(upgraded))) as server:
        page.goto(server.url)
        expect(new_version).to_have_count(1)

        def replaced() -> None:
            names = page.evaluate("caches.keys()")
            assert len(names) == 1, names
            assert names[0] != kept, names

        eventually(page, replaced, "the new version's kept copy in place of the old one")
        page.context.set_offline(True)
        try:
            page.reload()
            expect(page.get_by_role("heading", name="Join a room")).to_be_visible()
            expect(new_version).to_have_count(1)
        finally:
            page.context.set_offline(False)


def held_wake_locks(page: Page) -> int:
    return page.evaluate("window.__wakeLocks.filter((lock) => !lock.released).length")


def test_the_screen_is_kept_on_in_a_call_and_let_go_after_it(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """A screen wake lock while in the call, asked for again when the page is seen again, and
    released on leaving.

    Headless Chromium grants wake locks (so the lock is the browser's own) but has no hidden
    state to switch a page to: the browser's release on hiding and the page being seen again
    are played by the test, with the lock's own release() and a visibilitychange event."""
    page = open_person(browser, people, server.url, init_scripts=(WATCH_WAKE_LOCKS,)).page
    assert held_wake_locks(page) == 0
    join(page, "Ada", PASSPHRASE)

    def held() -> None:
        assert held_wake_locks(page) == 1

    eventually(page, held, "a wake lock in the call")
    page.evaluate("window.__wakeLocks[0].release()")  # as the browser does when hiding the page
    assert held_wake_locks(page) == 0
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    eventually(page, held, "the wake lock asked for again")
    press(page, "Leave call")
    expect(page.get_by_role("heading", name="Join a room")).to_be_visible()

    def released() -> None:
        assert held_wake_locks(page) == 0

    eventually(page, released, "no wake lock after leaving")


def sinks(page: Page) -> list[str]:
    return page.evaluate("[...window.__sinks]")


def test_on_a_phone_the_sound_plays_from_the_loudspeaker_while_the_camera_is_on(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """With an earpiece and a loudspeaker listed, the camera on means the loudspeaker; off,
    the browser's own choice again; headphones plugged in are never overruled."""
    options: dict[str, Any] = {"init_scripts": (PHONE_OUTPUTS,)}
    page = open_person(browser, people, server.url, **options).page
    join(page, "Ada", PASSPHRASE)
    # Sound to route needs someone to hear: Grace, on a computer.
    join(open_person(browser, people, link_url(server.url, PASSPHRASE)).page, "Grace")
    expect(tile(page, "Grace")).to_be_visible()

    def last(expected: str) -> Any:
        def check() -> None:
            found = sinks(page)
            assert found, "no setSinkId yet"
            assert found[-1] == expected, found

        return check

    eventually(page, last("speaker-id"), "the loudspeaker with the camera on")
    press(page, "Turn camera off")
    eventually(page, last(""), "the default with the camera off")
    page.evaluate("window.__headphones = true")
    count, listed = len(sinks(page)), page.evaluate("window.__listed")
    press(page, "Turn camera on")
    expect(page.get_by_role("button", name="Turn camera off")).to_be_visible()

    def looked() -> None:
        assert page.evaluate("window.__listed") > listed

    eventually(page, looked, "the outputs listed again with the camera on")
    assert sinks(page)[count:] == []  # the headphones keep the sound
    page.evaluate(
        "window.__headphones = false;"
        "navigator.mediaDevices.dispatchEvent(new Event('devicechange'))"
    )
    eventually(page, last("speaker-id"), "the loudspeaker once the headphones are gone")
