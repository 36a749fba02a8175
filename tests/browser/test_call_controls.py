"""The in-call controls as a person uses them: shortcuts, pin, details, themes, focus, devices.

One call for the module: Ada on a desktop (keyboard and mouse), Grace on a phone (touch, several
cameras). Every control is found by its role and accessible name; every test leaves the call as
it found it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.calling import (
    SharedCall,
    assert_direct,
    call_list,
    controls,
    eventually,
    join,
    link_url,
    own_tile,
    press,
    senders,
    tile,
    wait_decoding,
    wait_growing,
    wait_playing,
)
from tests.browser.conftest import THREE_OF_EACH, UPLOAD_KBPS, Person, open_person
from tests.chromium import with_fake_devices
from tests.support import ParlourProcess

USING = Path(__file__).parents[2] / "docs" / "using.md"
PASSPHRASE = "the lamp by the window hums a low tune"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture(scope="module")
def browser_args() -> list[str]:
    """Three fake cameras, so that a phone has a front and a back one to switch between."""
    return with_fake_devices(THREE_OF_EACH)


@pytest.fixture(scope="module")
def rooms() -> dict[str, tuple[str, int]]:
    return {"parlour": (PASSPHRASE, 8)}


@pytest.fixture
def duo(browser: Browser, server: ParlourProcess, shared_call: SharedCall) -> tuple[Person, Person]:
    """Ada at a desktop and Grace on a phone, in a call the module's tests share while it is
    at rest."""

    def start(crowd: list[Person]) -> None:
        ada = open_person(browser, crowd, server.url, **DESKTOP)
        join(ada.page, "Ada", PASSPHRASE)
        grace = open_person(browser, crowd, link_url(server.url, PASSPHRASE), **PHONE)
        join(grace.page, "Grace")
        wait_decoding(ada.page, 1, "Ada")
        wait_decoding(grace.page, 1, "Grace")

    ada, grace = shared_call.people(("Ada", "Grace"), start)
    return ada, grace


def button(page: Page, name: str) -> Locator:
    return controls(page).get_by_role("button", name=name, exact=True)


def shortcut(page: Page, key: str) -> None:
    """Press a key with the focus on the page itself, not in a field or on a button."""
    page.evaluate("document.activeElement?.blur()")
    page.keyboard.press(key)


def documented_shortcuts() -> dict[str, str]:
    """The table under "## Keyboard shortcuts" in docs/using.md: key -> what it does."""
    section = USING.read_text().split("## Keyboard shortcuts", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]
    table = {key: what for key, what in cells}
    assert "M" in table, f"no shortcuts table found in {USING}"
    return table


def listed_shortcuts(dialog: Locator) -> list[str]:
    """The keys the shortcuts dialog lists, as a person reads them ("M", "Esc"...)."""
    terms = dialog.get_by_role("term")
    expect(terms.first).to_be_visible()
    return [" ".join(term.inner_text().split()) for term in terms.all()]


def test_keyboard_shortcuts_work_from_the_page_but_not_while_typing(
    duo: tuple[Person, Person],
) -> None:
    """M, V, C, P, F and ? do what the dialog says; Esc closes it; typing "m" in chat is text."""
    ada, grace = duo
    at_grace = tile(grace.page, "Ada")
    mic_off = at_grace.get_by_role("img", name="Microphone off")
    camera_off = at_grace.get_by_role("img", name="Camera off")

    shortcut(ada.page, "m")
    expect(button(ada.page, "Unmute microphone")).to_be_visible()
    expect(mic_off).to_be_visible()
    shortcut(ada.page, "m")
    expect(button(ada.page, "Mute microphone")).to_be_visible()
    expect(mic_off).to_be_hidden()

    shortcut(ada.page, "v")
    expect(button(ada.page, "Turn camera on")).to_be_visible()
    expect(camera_off).to_be_visible()
    shortcut(ada.page, "v")
    expect(button(ada.page, "Turn camera off")).to_be_visible()
    expect(camera_off).to_be_hidden()
    wait_playing(grace.page, "Ada")

    # C opens a closed chat and puts the cursor in the message box.
    chat_button = button(ada.page, "Chat")
    panel = ada.page.get_by_role("complementary", name="Chat")
    if chat_button.get_attribute("aria-expanded") == "true":
        chat_button.click()
    expect(panel).to_be_hidden()
    shortcut(ada.page, "c")
    expect(panel).to_be_visible()
    expect(chat_button).to_have_attribute("aria-expanded", "true")
    message = panel.get_by_role("textbox", name="Message")
    expect(message).to_be_focused()
    # The key reaches the page's listener before this returns: a shortcut would have fired.
    ada.page.keyboard.type("m")
    expect(message).to_have_value("m")
    assert button(ada.page, "Mute microphone").is_visible(), "typing m in the chat muted Ada"
    assert [s["track"]["enabled"] for s in senders(ada.page, "audio")] == [True]
    message.fill("")
    ada.page.keyboard.press("Escape")  # leaves the box; a wide screen keeps the panel open
    expect(chat_button).to_be_focused()

    # P pins whoever speaks, else the first other person: with both muted, nobody speaks.
    press(ada.page, "Mute microphone")
    press(grace.page, "Mute microphone")
    expect(call_list(ada.page).locator(".speaking")).to_have_count(0)  # the green ring
    pin_grace = tile(ada.page, "Grace").get_by_role("button", name="Pin Grace")
    pin_self = own_tile(ada.page, "Ada").get_by_role("button", name="Pin Ada (you)")
    shortcut(ada.page, "p")
    expect(pin_grace).to_have_attribute("aria-pressed", "true")
    expect(pin_self).to_have_attribute("aria-pressed", "false")
    shortcut(ada.page, "p")
    expect(pin_grace).to_have_attribute("aria-pressed", "false")
    press(ada.page, "Unmute microphone")
    press(grace.page, "Unmute microphone")

    # F: the call fills the screen, and F again gives it back. (Esc leaving full screen is the
    # browser's own doing, which headless Chromium does not do.)
    shortcut(ada.page, "f")
    expect(button(ada.page, "Exit full screen")).to_be_visible()
    assert ada.page.evaluate("document.fullscreenElement?.id") == "call"
    shortcut(ada.page, "f")
    expect(button(ada.page, "Full screen")).to_be_visible()
    assert ada.page.evaluate("document.fullscreenElement") is None

    # ? lists the shortcuts (each documented single key among them), and Esc closes the list.
    dialog = ada.page.get_by_role("dialog", name="Keyboard shortcuts")
    shortcut(ada.page, "?")
    expect(dialog).to_be_visible()
    single_keys = {key for key in documented_shortcuts() if " " not in key}
    missing = single_keys - set(listed_shortcuts(dialog))
    assert not missing, f"docs/using.md documents keys the dialog leaves out: {missing}"
    ada.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_the_shortcuts_dialog_lists_exactly_the_documented_shortcuts(
    duo: tuple[Person, Person],
) -> None:
    """The dialog and docs/using.md list the same keys, so neither can drift from the other."""
    ada, _ = duo
    button(ada.page, "Keyboard shortcuts").click()
    dialog = ada.page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    try:
        assert sorted(listed_shortcuts(dialog)) == sorted(documented_shortcuts())
    finally:
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_be_hidden()


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found, f"{locator} is not on the screen"
    return found


def area(locator: Locator) -> float:
    found = box(locator)
    return found["width"] * found["height"]


def test_pinning_a_tile_makes_it_large_and_unpinning_restores_the_grid(
    browser: Browser, people: list[Person], server: ParlourProcess, duo: tuple[Person, Person]
) -> None:
    """With three in the call, Pin Grace makes her tile fill most of the stage; again, the grid."""
    ada, grace = duo
    hedy = open_person(browser, people, link_url(server.url, PASSPHRASE), **DESKTOP)
    join(hedy.page, "Hedy")
    page = ada.page
    tiles = {name: tile(page, name) for name in ("Grace", "Hedy")}
    tiles["Ada"] = own_tile(page, "Ada")
    stage = box(page.get_by_role("main"))

    def sizes_alike() -> None:
        sizes = [area(t) for t in tiles.values()]
        assert max(sizes) < 1.1 * min(sizes), f"tiles of unequal size in a grid: {sizes}"

    eventually(page, sizes_alike, "three tiles of one size")
    pin = tiles["Grace"].get_by_role("button", name="Pin Grace")
    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "true")

    def grace_large() -> None:
        large, others = area(tiles["Grace"]), [area(tiles[name]) for name in ("Ada", "Hedy")]
        assert all(large > 6 * other for other in others), f"Grace {large}, others {others}"
        assert large > 0.5 * stage["width"] * stage["height"], f"Grace {large} of {stage}"

    eventually(page, grace_large, "Grace's pinned tile large")
    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "false")
    eventually(page, sizes_alike, "the grid back after unpinning")

    button(hedy.page, "Leave call").click()
    for person in (ada, grace):
        expect(call_list(person.page).get_by_role("listitem")).to_have_count(2)


DETAIL_ROWS = ("Route", "Round trip", "Packet loss", "Receiving", "Sending")


def details_of(region: Locator) -> dict[str, str]:
    """The rows of a Connection details region: term -> value, as shown."""
    values: dict[str, str] = region.evaluate(
        """(region) => Object.fromEntries([...region.querySelectorAll("dt")].map(
             (dt) => [dt.innerText.trim(), dt.nextElementSibling?.innerText.trim() ?? ""]))"""
    )
    return values


def number(text: str, unit: str) -> float:
    found = re.fullmatch(rf"(\d+(?:\.\d+)?) {re.escape(unit)}", text)
    assert found, f"{text!r} is not a number of {unit}"
    return float(found.group(1))


ROUND_TRIPS = """async () => {
  const out = [];
  for (const pc of window.__pcs.filter((pc) => pc.connectionState === "connected")) {
    const stats = [...(await pc.getStats()).values()];
    const transport = stats.find((s) => s.type === "transport" && s.selectedCandidatePairId);
    const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
    out.push(typeof pair?.currentRoundTripTime === "number");
  }
  return out;
}"""


def test_connection_details_show_plausible_measures_of_a_direct_call(
    duo: tuple[Person, Person],
) -> None:
    """Bars on the tile; the details give a direct route and believable time, loss and rates."""
    ada, _ = duo
    page = ada.page
    grace = tile(page, "Grace")
    expect(
        grace.get_by_role("img", name=re.compile(r"^Connection (good|fair|poor)$"))
    ).to_be_visible()
    opener = grace.get_by_role("button", name="Connection details for Grace")
    opener.click()
    expect(opener).to_have_attribute("aria-expanded", "true")
    region = page.get_by_role("region", name="Connection details for Grace")
    expect(region).to_be_visible()

    def measured() -> dict[str, str]:
        shown = details_of(region)
        assert all(shown.get(row, "Measuring…") != "Measuring…" for row in DETAIL_ROWS), shown
        # The first sample has no earlier one to make a rate from: wait for a real rate.
        assert number(shown["Receiving"], "kbit/s") > 0, shown
        return shown

    shown = eventually(page, measured, "the connection measured")
    assert shown["Route"] == "Direct", shown
    assert_direct(page, "Ada")  # as getStats says
    # "0 ms" is a measure on one machine, not a missing one: the selected pair has a round trip.
    assert page.evaluate(ROUND_TRIPS) == [True]
    assert 0 <= number(shown["Round trip"], "ms") < 200, shown  # one machine, no network
    assert 0 <= number(shown["Packet loss"], "%") < 5, shown
    # Each side sends within UPLOAD_KBPS, audio included; some headroom for packet overhead.
    for row in ("Receiving", "Sending"):
        assert 20 <= number(shown[row], "kbit/s") <= 1.5 * UPLOAD_KBPS, shown
    assert re.fullmatch(r"\d+\u00d7\d+", shown["Video"]), shown  # width, times sign, height

    page.keyboard.press("Escape")
    expect(region).to_be_hidden()
    expect(opener).to_have_attribute("aria-expanded", "false")
    expect(opener).to_be_focused()


# WCAG 2 relative luminance and contrast ratio of two computed CSS colours.
LUMINANCE = re.compile(r"rgba?\((\d+(?:\.\d+)?), (\d+(?:\.\d+)?), (\d+(?:\.\d+)?)(?:, ([\d.]+))?\)")


def luminance(color: str) -> float:
    found = LUMINANCE.fullmatch(color)
    assert found, f"not an opaque rgb() colour: {color}"
    assert found.group(4) in (None, "1"), f"a see-through colour: {color}"

    def linear(channel: str) -> float:
        c = float(channel) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(found.group(i)) for i in (1, 2, 3))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


COLOURS = "(el) => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"


def test_the_page_follows_the_system_dark_or_light_and_stays_readable(
    duo: tuple[Person, Person],
) -> None:
    """Dark and light give the page different backgrounds; its text keeps a 4.5:1 contrast."""
    ada, _ = duo
    page = ada.page
    seen: dict[str, float] = {}
    try:
        for scheme in ("dark", "light"):
            page.emulate_media(color_scheme=scheme)
            for what, surface in (
                ("page", page.locator("body")),
                ("chat", page.get_by_role("complementary", name="Chat")),
                ("control bar", controls(page)),
            ):
                text, background = surface.evaluate(COLOURS)
                ratio = contrast(text, background)
                assert ratio >= 4.5, f"{scheme} {what}: {text} on {background} is {ratio:.1f}:1"
            seen[scheme] = luminance(page.locator("body").evaluate(COLOURS)[1])
    finally:
        page.emulate_media(color_scheme="light")  # Playwright's default
    assert seen["dark"] < 0.05 < 0.6 < seen["light"], f"page background luminance: {seen}"


FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    toolbar: Boolean(el.closest('[role="toolbar"]')),
    outline: parseFloat(style.outlineWidth) > 0 && style.outlineStyle !== "none",
    shadow: style.boxShadow !== "none",
    shown: box.width > 0 && box.height > 0 && parseFloat(style.opacity) > 0,
  };
}"""


def test_tab_reaches_every_control_with_a_name_and_a_visible_focus(
    duo: tuple[Person, Person],
) -> None:
    """From the top of the call, Tab alone reaches every button of the control bar; each stop
    has a role and a name and a focus outline a person can see."""
    ada, _ = duo
    page = ada.page
    bar = controls(page).get_by_role("button")
    wanted = set(bar.evaluate_all("(all) => all.filter((b) => !b.hidden).map((b) => b.ariaLabel)"))
    assert {"Mute microphone", "Turn camera off", "Leave call"} <= wanted, wanted
    page.get_by_role("main").focus()  # the stage, first in the call; Tab goes on from there
    reached: set[str] = set()
    while not wanted <= reached:
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUSED), f"Tab went round without reaching {wanted - reached}"
        described = page.locator(":focus").aria_snapshot()
        assert re.match(r'- \w+ "[^"]+"', described), f"a control without a name: {described}"

        def seen(described: str = described) -> dict[str, bool]:
            where: dict[str, bool] = page.evaluate(FOCUSED)
            assert where["shown"], (
                f"focus on something not shown: {described}"
            )  # tile tools fade in
            assert where["outline"] or where["shadow"], f"no visible focus on {described}"
            return where

        if eventually(page, seen, "focus seen")["toolbar"]:
            reached.add(described.split('"')[1])
    assert reached == wanted


# Chromium's fake cameras, in the order it lists them; fake_device_1 is a depth camera whose
# frames WebRTC does not send (see THREE_OF_EACH in conftest.py).
CAMERAS = ["fake_device_0", "fake_device_1", "fake_device_2"]
DEPTH_CAMERA = "fake_device_1"


def test_switch_camera_on_a_phone_goes_round_the_cameras_and_the_call_goes_on(
    duo: tuple[Person, Person],
) -> None:
    """Grace's phone offers Switch camera (Ada's desktop does not). Chromium's fake cameras do
    not say which way they face, as a USB camera on a touch laptop would not: each press sends
    the next camera at once on the same connection, round to the first, and Ada keeps seeing
    Grace's picture."""
    ada, grace = duo
    expect(button(ada.page, "Switch camera")).to_be_hidden()  # no touch screen
    flip = button(grace.page, "Switch camera")
    expect(flip).to_be_visible()
    [link] = wait_decoding(ada.page, 1, "Ada")
    own_video = own_tile(grace.page, "Grace").locator("video")

    def sent_camera() -> str:
        [sender] = senders(grace.page, "video")
        assert sender["track"], "no video is sent"
        label: str = sender["track"]["label"]
        return label

    first = sent_camera()
    seen = []
    for _ in CAMERAS:
        before = sent_camera()
        flip.click()
        seen.append(
            eventually(
                grace.page, lambda before=before: _changed(sent_camera(), before), "a new camera"
            )
        )
        # A camera that does not say which way it faces is taken as facing the person.
        expect(own_video).to_have_css("transform", re.compile("-1"))
        if seen[-1] != DEPTH_CAMERA:
            wait_growing(ada.page, link.index, "frames_decoded", f"Ada seeing {seen[-1]}")
    assert sorted(seen) == CAMERAS
    assert seen[-1] == first, "the presses did not come round to the first camera"
    wait_playing(ada.page, "Grace")
    [still] = wait_decoding(ada.page, 1, "Ada after the switches")
    assert still.index == link.index, "the connection was made anew"


def test_choosing_a_speaker_plays_the_others_through_it(duo: tuple[Person, Person]) -> None:
    """Settings offers this browser's audio outputs; the chosen one becomes the sink of every
    other person's media element, never of one's own muted tile."""
    ada, _ = duo
    page = ada.page
    press(page, "Settings")
    settings = page.get_by_role("dialog", name="Settings")
    speaker = settings.get_by_role("combobox", name="Speaker")
    expect(speaker).to_be_enabled()

    def offered() -> list[dict[str, Any]]:  # the list is filled once the dialog is open
        options: list[dict[str, Any]] = speaker.evaluate(
            "(s) => [...s.options].map((o) => ({label: o.label, value: o.value, on: o.selected}))"
        )
        assert len(options) >= 2, f"nothing to choose between: {options}"
        return options

    options = eventually(page, offered, "speakers to choose from")
    [before] = [option for option in options if option["on"]]
    chosen = next(option for option in options if not option["on"] and option["value"] != "")
    grace_video = tile(page, "Grace").locator("video")
    own_video = own_tile(page, "Ada").locator("video")
    own_sink = own_video.evaluate("(v) => v.sinkId")
    try:
        speaker.select_option(label=chosen["label"])
        expect(grace_video).to_have_js_property("sinkId", chosen["value"])
        assert own_video.evaluate("(v) => v.sinkId") == own_sink
    finally:
        speaker.select_option(value=before["value"])
        expect(grace_video).to_have_js_property("sinkId", before["value"])
        settings.get_by_role("button", name="Close").click()
        expect(settings).to_be_hidden()


def _changed(now: str, before: str) -> str:
    assert now != before, f"still sending {before}"
    return now
