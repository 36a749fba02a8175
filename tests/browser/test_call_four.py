"""Four people in one real call: every pair, the shared budget, the page on phone and desktop."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.calling import (
    AUDIO_KBPS,
    SharedCall,
    assert_direct,
    call_list,
    eventually,
    expected_scale,
    expected_video_kbps,
    join,
    link_url,
    press,
    senders,
    tile,
    wait_decoding,
    wait_playing,
)
from tests.browser.conftest import UPLOAD_KBPS, Person, open_person
from tests.support import ParlourProcess

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
PASSPHRASE = "four friends share one crowded little table"
NAMES = ("Ada", "Grace", "Hedy", "Ida")
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LOOKS = {"Ada": DESKTOP, "Ida": PHONE}


@pytest.fixture(scope="module")
def rooms() -> dict[str, tuple[str, int]]:
    return {"four": (PASSPHRASE, 8)}


@pytest.fixture
def quartet(browser: Browser, server: ParlourProcess, shared_call: SharedCall) -> dict[str, Person]:
    """Ada on a desktop, Ida on a phone, Grace and Hedy in between, all in one call, which the
    module's tests share while it is at rest."""

    def start(crowd: list[Person]) -> None:
        for name in NAMES:
            url = link_url(server.url, PASSPHRASE)
            join(open_person(browser, crowd, url, **LOOKS.get(name, {})).page, name)

    return dict(zip(NAMES, shared_call.people(NAMES, start), strict=True))


def test_every_pair_of_four_decodes_video_both_ways_directly(
    quartet: dict[str, Person],
) -> None:
    """All twelve directions decode video, over direct candidate pairs, shown in the tiles."""
    for name, person in quartet.items():
        wait_decoding(person.page, 3, name)
        assert_direct(person.page, name)
        wait_playing(person.page, *(other for other in NAMES if other != name))


def test_four_people_share_the_upload_budget_among_three_receivers(
    quartet: dict[str, Person],
) -> None:
    """With three others each video gets (upload_kbps - 120) / 3 kbit/s, 3 times smaller, 15 fps."""
    kbps = expected_video_kbps(UPLOAD_KBPS, 3)
    assert kbps < expected_video_kbps(UPLOAD_KBPS, 1)
    for name, person in quartet.items():

        def check(page: Page = person.page) -> None:
            videos = senders(page, "video")
            assert len(videos) == 3, videos
            for video in videos:
                [encoding] = video["encodings"]
                assert abs(encoding["maxBitrate"] - kbps * 1000) <= 1000, video
                assert encoding["scaleResolutionDownBy"] == expected_scale(kbps) == 3, video
                assert encoding["maxFramerate"] == 15, video
            audio = [e["maxBitrate"] for s in senders(page, "audio") for e in s["encodings"]]
            assert audio == [AUDIO_KBPS * 1000] * 3, audio

        eventually(person.page, check, f"{name}'s send budget for three others")


@pytest.mark.parametrize(("name", "look"), [("Ida", "phone"), ("Ada", "desktop")])
def test_four_people_fit_on_screen_with_every_control_reachable(
    quartet: dict[str, Person], name: str, look: str
) -> None:
    """On a 390x844 phone and a 1440x900 desktop no control lies outside the window or scrolls."""
    page = quartet[name].page
    expect(call_list(page).get_by_role("listitem")).to_have_count(4)
    wait_playing(page, *(other for other in NAMES if other != name))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"call-four-{look}.png")
    viewport = page.viewport_size
    assert viewport is not None
    width, height = viewport["width"], viewport["height"]
    outside = []
    for role in ("button", "combobox", "textbox", "checkbox", "slider"):
        for control in page.get_by_role(role).all():
            if not control.is_visible():
                continue
            box = control.bounding_box()
            assert box is not None
            inside = (
                box["x"] >= -0.5
                and box["y"] >= -0.5
                and box["x"] + box["width"] <= width + 0.5
                and box["y"] + box["height"] <= height + 0.5
            )
            if not inside:
                label = control.get_attribute("aria-label") or control.inner_text()
                outside.append(f"{role} {label!r} at {box}")
    assert not outside, f"outside the {width}x{height} window: {outside}"
    scroll = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert scroll[0] <= width, f"the page scrolls sideways: {scroll}"
    assert scroll[1] <= height, f"the page scrolls down: {scroll}"


def test_a_mute_and_a_camera_off_are_seen_by_all_three_others(
    quartet: dict[str, Person],
) -> None:
    """Ida's microphone and camera going off and on show on her tile in the three other pages."""
    ida = quartet["Ida"].page
    others = [person.page for name, person in quartet.items() if name != "Ida"]
    press(ida, "Mute microphone")
    press(ida, "Turn camera off")
    for page in others:
        expect(tile(page, "Ida").get_by_role("img", name="Microphone off")).to_be_visible()
        expect(tile(page, "Ida").get_by_role("img", name="Camera off")).to_be_visible()
    press(ida, "Unmute microphone")
    press(ida, "Turn camera on")
    for page in others:
        expect(tile(page, "Ida").get_by_role("img", name="Microphone off")).to_be_hidden()
        expect(tile(page, "Ida").get_by_role("img", name="Camera off")).to_be_hidden()
        wait_playing(page, "Ida")
