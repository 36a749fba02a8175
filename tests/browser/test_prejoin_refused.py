"""Camera and microphone refused for real: Chromium without its fake permission prompt.

Without --use-fake-ui-for-media-stream, headless Chromium answers getUserMedia with
NotAllowedError at once for a page that was not granted the camera and microphone (no prompt
waits), and lets a context granted them (Playwright's `permissions`) use the fake devices.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.calling import join, wait_playing
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.browser.prejoin import (
    assert_seen_without,
    chosen,
    media_problem,
    picker,
    wait_preview_playing,
)
from tests.chromium import CHROMIUM_ARGS
from tests.support import ParlourProcess

ALLOWED = ["camera", "microphone"]
DENIED = "Parlour may not use your camera and microphone"


@pytest.fixture(scope="module")
def browser_args() -> list[str]:
    return [arg for arg in CHROMIUM_ARGS if arg != "--use-fake-ui-for-media-stream"]


def test_refused_camera_and_microphone_are_explained_and_the_person_joins_to_listen(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """A refusal reads as a plain sentence with Try again; joining anyway makes a listener."""
    ada = open_person(browser, people, server.url, permissions=ALLOWED)
    wait_preview_playing(ada.page)
    join(ada.page, "Ada", PASSPHRASE)

    refused = open_person(browser, people, server.url)
    page = refused.page
    expect(media_problem(page, DENIED)).to_contain_text("join without them")
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    expect(page.get_by_role("main").get_by_text("Camera not allowed")).to_be_visible()
    # Try again while Parlour is still refused: the explanation stays.
    page.get_by_role("button", name="Try again").click()
    expect(media_problem(page, DENIED)).to_be_visible()

    join(page, "Listener", PASSPHRASE)
    assert_seen_without(ada.page, "Listener", mic=False, camera=False)
    assert_seen_without(page, "Ada", mic=True, camera=True)
    wait_playing(page, "Ada")


def test_allowing_the_camera_then_try_again_starts_the_preview(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """The person allows camera and microphone beside the address, presses Try again, and the
    preview plays with the devices listed by name."""
    page = open_person(browser, people, server.url).page
    expect(media_problem(page, DENIED)).to_be_visible()
    # Until the page may use a device, the browser tells it no names.
    expect(picker(page, "Camera").get_by_role("option")).to_have_text(["Camera 1"])

    page.context.grant_permissions(ALLOWED)
    page.get_by_role("button", name="Try again").click()
    wait_preview_playing(page)
    expect(media_problem(page, DENIED)).to_be_hidden()
    expect(page.get_by_role("button", name="Try again")).to_be_hidden()
    expect(picker(page, "Camera").get_by_role("option")).to_have_text(["fake_device_0"])
    assert chosen(picker(page, "Camera")) == "fake_device_0"
