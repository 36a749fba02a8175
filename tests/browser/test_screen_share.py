"""Sharing a screen in real calls: an extra video transceiver everyone decodes, the presenter
layout, stopping (the page's button and the browser's own bar), a late joiner, two sharers, and
phones, which view shares but cannot make one.

Chromium answers getDisplayMedia with a fake 1280x720 monitor at once when told which source to
pick (shared/TESTING.md, "Screen capture").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.calling import call_list, controls, eventually, join, link_url, meet, tile
from tests.browser.conftest import Person, open_person
from tests.chromium import CHROMIUM_ARGS
from tests.support import ParlourProcess

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"

SHARING = "amber lanterns drift over the sleeping harbour"
LATE = "the kettle sings for whoever comes in late"
BOTH = "two painters share one easel on sundays"
STOPPED = "a curtain falls and the lights come back up"
PHONE = "small screens still see the whole picture"

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
# A phone as far as a page can tell: small, touch, and no getDisplayMedia (as on Android and iOS).
NO_DISPLAY_MEDIA = "delete MediaDevices.prototype.getDisplayMedia;"
PHONE_CONTEXT = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


@pytest.fixture(scope="module")
def browser_args() -> list[str]:
    """Chromium picks the whole (fake) screen for getDisplayMedia without asking."""
    return [*CHROMIUM_ARGS, "--auto-select-desktop-capture-source=Entire screen"]


@pytest.fixture(scope="module")
def rooms() -> dict[str, tuple[str, int]]:
    named = {"sharing": SHARING, "late": LATE, "both": BOTH, "stopped": STOPPED, "phone": PHONE}
    return {name: (passphrase, 8) for name, passphrase in named.items()}


# Per connection, each inbound video stream that decodes, with its frame count (webrtc-internals'
# view): a shared screen is a second one beside the camera.
INBOUND_VIDEO = """async () => {
  const out = [];
  for (const pc of window.__pcs) {
    if (pc.connectionState !== "connected") continue;
    const frames = [];
    (await pc.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video" && (s.framesDecoded ?? 0) > 0) {
        frames.push({mid: s.mid, frames: s.framesDecoded});
      }
    });
    out.push(frames);
  }
  return out;
}"""


def wait_screen_decoded(page: Page, who: str) -> None:
    """Some connection of the page decodes two video streams, camera and screen, both growing."""
    before: dict[str, int] = {}

    def check() -> None:
        streams: list[list[dict[str, Any]]] = page.evaluate(INBOUND_VIDEO)
        pairs = [link for link in streams if len(link) == 2]
        assert pairs, f"no connection decodes two video streams: {streams}"
        now = {f"{n}:{s['mid']}": s["frames"] for n, link in enumerate(pairs) for s in link}
        stale = [key for key, frames in now.items() if frames <= before.get(key, -1)]
        fresh = not before
        before.clear()
        before.update(now)
        assert not fresh, "a first sample"
        assert not stale, f"frames not growing: {now}"

    eventually(page, check, f"{who} decoding a camera and a screen")


# Per connection, the inbound audio streams that receive packets: a tab's sound is a second one.
INBOUND_AUDIO = """async () => {
  const out = [];
  for (const pc of window.__pcs) {
    if (pc.connectionState !== "connected") continue;
    let streams = 0;
    (await pc.getStats()).forEach((s) => {
      const heard = s.type === "inbound-rtp" && s.kind === "audio" && (s.packetsReceived ?? 0) > 0;
      if (heard) streams += 1;
    });
    out.push(streams);
  }
  return out;
}"""


def wait_screen_sound(page: Page, name: str) -> None:
    """The share's sound (Chromium's fake capture gives one) arrives beside the microphone and
    plays from the screen's tile, not the person's."""

    def check() -> None:
        streams = page.evaluate(INBOUND_AUDIO)
        assert 2 in streams, f"no connection receives two audio streams: {streams}"
        video = screen_tile(page, name).locator("video")
        sound = video.evaluate("(v) => (v.srcObject ? v.srcObject.getAudioTracks().length : 0)")
        assert sound == 1, f"the screen's tile has {sound} audio tracks"

    eventually(page, check, f"{name}'s screen sound")


def screen_tile(page: Page, name: str) -> Locator:
    return call_list(page).get_by_role("group", name=f"{name}'s screen", exact=True)


def share(page: Page) -> None:
    controls(page).get_by_role("button", name="Share screen", exact=True).click()
    expect(sharing_notice(page)).to_be_visible()


def sharing_notice(page: Page) -> Locator:
    return page.get_by_role("status").filter(has_text="You are sharing your screen")


def news(page: Page) -> Locator:
    return page.locator("#screen-news")


def assert_large(page: Page, name: str) -> None:
    """The screen's tile takes most of the stage, and every person's tile is smaller."""
    expect(screen_tile(page, name)).to_be_visible()

    def check() -> None:
        stage = page.locator("#stage").bounding_box()
        box = screen_tile(page, name).bounding_box()
        assert stage, "no stage on the page"
        assert box, "no screen tile on the page"
        share = (box["width"] * box["height"]) / (stage["width"] * stage["height"])
        assert share > 0.45, f"the screen takes {share:.0%} of the stage"
        for person in call_list(page).get_by_role("group").all():
            label = person.get_attribute("aria-label") or ""
            if label.endswith("'s screen"):
                continue
            other = person.bounding_box()
            assert other, f"{label} has no box"
            assert other["width"] * other["height"] < box["width"] * box["height"] / 3, label

    eventually(page, check, f"{name}'s screen shown large")


def end_from_browser_bar(page: Page) -> None:
    """What Chromium's own "Stop sharing" bar does: the capture track stops and fires `ended`
    (a page's own track.stop() fires nothing, so the event is dispatched beside it)."""
    page.evaluate(
        """() => {
      for (const pc of window.__pcs) for (const t of pc.getTransceivers()) {
        const track = t.sender.track;
        if (track && track.kind === "video" && track.getSettings().displaySurface) {
          track.stop();
          track.dispatchEvent(new Event("ended"));
          return;
        }
      }
      throw new Error("no screen is being sent");
    }"""
    )


def assert_restored(viewer: Page, sharer: Page, name: str) -> None:
    expect(screen_tile(viewer, name)).to_have_count(0)
    expect(news(viewer)).to_have_text("")
    expect(sharing_notice(sharer)).to_be_hidden()
    expect(controls(sharer).get_by_role("button", name="Share screen", exact=True)).to_be_visible()


def test_a_shared_screen_is_a_second_video_shown_large_and_not_mirrored_to_the_sharer(
    browser: Browser, server: ParlourProcess, people: list[Person]
) -> None:
    """Grace decodes Ada's camera and screen, hears the screen's sound, sees the screen large with
    who shares it; Ada sees a notice, her own tile still shows her camera, and no tile of her
    own screen."""
    ada = open_person(browser, people, server.url, **DESKTOP)
    join(ada.page, "Ada", SHARING)
    grace = open_person(browser, people, link_url(server.url, SHARING), **DESKTOP)
    join(grace.page, "Grace")
    expect(tile(grace.page, "Ada")).to_be_visible()
    share(ada.page)
    wait_screen_decoded(grace.page, "Grace")
    wait_screen_sound(grace.page, "Ada")
    assert_large(grace.page, "Ada")
    expect(news(grace.page)).to_have_text("Ada is sharing their screen")
    expect(screen_tile(ada.page, "Ada")).to_have_count(0)
    expect(news(ada.page)).to_have_text("")
    own = ada.page.evaluate(
        """() => [...document.querySelectorAll("video")]
             .flatMap((v) => (v.srcObject ? v.srcObject.getVideoTracks() : []))
             .map((t) => t.getSettings().displaySurface ?? "camera")"""
    )
    assert "monitor" not in own, f"the sharer's page shows its own screen: {own}"
    sent = ada.page.evaluate(
        """() => window.__pcs.flatMap((pc) => pc.getSenders())
             .filter((s) => s.track?.getSettings().displaySurface)
             .map((s) => ({hint: s.track.contentHint,
                           fps: s.getParameters().encodings[0]?.maxFramerate}))"""
    )
    assert sent == [{"hint": "detail", "fps": 15}], sent
    ARTIFACTS.mkdir(exist_ok=True)
    grace.page.screenshot(path=ARTIFACTS / "screen-share-presenter-1440x900.png")
    # Pinning someone still works over a share, and unpinning brings the share back large.
    tile(grace.page, "Ada").get_by_role("button", name="Pin Ada").click()
    expect(tile(grace.page, "Ada").get_by_role("button", name="Pin Ada")).to_have_attribute(
        "aria-pressed", "true"
    )
    tile(grace.page, "Ada").get_by_role("button", name="Pin Ada").click()
    assert_large(grace.page, "Ada")


def test_stopping_by_button_or_the_browser_bar_restores_the_layout_for_everyone(
    browser: Browser, server: ParlourProcess, people: list[Person]
) -> None:
    """Stop sharing in the notice, and the browser's own bar (the track's `ended`), each take
    the screen away on both pages."""
    ada, grace = meet(browser, people, server.url, STOPPED, ("Ada", "Grace"))
    share(ada.page)
    expect(screen_tile(grace.page, "Ada")).to_be_visible()
    page = ada.page
    page.locator("#sharing").get_by_role("button", name="Stop sharing", exact=True).click()
    assert_restored(grace.page, page, "Ada")
    share(page)
    expect(screen_tile(grace.page, "Ada")).to_be_visible()
    expect(news(grace.page)).to_have_text("Ada is sharing their screen")
    end_from_browser_bar(page)
    assert_restored(grace.page, page, "Ada")


def test_someone_who_joins_during_a_share_sees_it_at_once(
    browser: Browser, server: ParlourProcess, people: list[Person]
) -> None:
    """Linus comes in while Ada shares: her screen is in the call he joins."""
    ada, _grace = meet(browser, people, server.url, LATE, ("Ada", "Grace"))
    share(ada.page)
    linus = open_person(browser, people, link_url(server.url, LATE))
    join(linus.page, "Linus")
    expect(screen_tile(linus.page, "Ada")).to_be_visible()
    expect(news(linus.page)).to_have_text("Ada is sharing their screen")
    wait_screen_decoded(linus.page, "Linus")


def test_two_people_share_at_once_and_both_screens_show(
    browser: Browser, server: ParlourProcess, people: list[Person]
) -> None:
    """Ada and Grace share together; Linus sees both screens and both names."""
    ada, grace = meet(browser, people, server.url, BOTH, ("Ada", "Grace"))
    linus = open_person(browser, people, link_url(server.url, BOTH))
    join(linus.page, "Linus")
    expect(tile(linus.page, "Ada")).to_be_visible()
    expect(tile(linus.page, "Grace")).to_be_visible()
    share(ada.page)
    share(grace.page)
    expect(screen_tile(linus.page, "Ada")).to_be_visible()
    expect(screen_tile(linus.page, "Grace")).to_be_visible()
    # Named in the order Linus met them, which depends on whose greeting came first.
    both = re.compile(r"^(Ada and Grace|Grace and Ada) are sharing their screens$")
    expect(news(linus.page)).to_have_text(both)
    expect(screen_tile(ada.page, "Grace")).to_be_visible()
    expect(screen_tile(grace.page, "Ada")).to_be_visible()
    expect(screen_tile(ada.page, "Ada")).to_have_count(0)


def test_a_phone_cannot_share_but_sees_a_share_fit_to_its_screen(
    browser: Browser, server: ParlourProcess, people: list[Person]
) -> None:
    """No Share screen button (nor its shortcut) where getDisplayMedia is missing; the share
    fills the phone's stage whole, and can be cropped to fill the tile and back."""
    ada = open_person(browser, people, server.url, **DESKTOP)
    join(ada.page, "Ada", PHONE)
    phone = open_person(
        browser, people, link_url(server.url, PHONE), (NO_DISPLAY_MEDIA,), **PHONE_CONTEXT
    )
    join(phone.page, "Grace")
    expect(controls(phone.page).get_by_role("button", name="Mute microphone")).to_be_visible()
    expect(controls(phone.page).get_by_role("button", name="Share screen")).to_have_count(0)
    phone.page.keyboard.press("s")
    expect(sharing_notice(phone.page)).to_be_hidden()
    share(ada.page)
    assert_large(phone.page, "Ada")
    expect(news(phone.page)).to_have_text("Ada is sharing their screen")
    ARTIFACTS.mkdir(exist_ok=True)
    phone.page.screenshot(path=ARTIFACTS / "screen-share-presenter-390x844.png")
    screen = screen_tile(phone.page, "Ada")
    fit = screen.locator("video").evaluate("(v) => getComputedStyle(v).objectFit")
    assert fit == "contain", fit
    screen.get_by_role("button", name="Fill the tile").click()
    expect(screen.get_by_role("button", name="Fit the screen")).to_be_visible()
    filled = screen.locator("video").evaluate("(v) => getComputedStyle(v).objectFit")
    assert filled == "cover", filled
