"""No camera and no microphone at all: Chromium without its fake devices, on a machine with none.

Chromium's fake-device flag always brings three fake microphones, whatever its device count,
so "nothing at all" is Chromium with no fake devices on a machine without a camera or a sound
card (these test machines). On a machine with real devices this module is skipped.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.calling import join
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.browser.prejoin import assert_seen_without, media_problem, picker
from tests.chromium import without_fake_devices
from tests.support import ParlourProcess

INPUTS = """async () => (await navigator.mediaDevices.enumerateDevices())
  .filter((d) => d.kind === "audioinput" || d.kind === "videoinput").length"""


@pytest.fixture(scope="module")
def browser_args() -> list[str]:
    return without_fake_devices()


def test_nothing_found_is_said_and_the_person_joins_as_a_listener(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """The page says no camera or microphone was found; the person joins to watch and listen,
    and the others see both off on their tile."""
    first = open_person(browser, people, server.url)
    if first.page.evaluate(INPUTS):
        pytest.skip("this machine has a real camera or microphone")
    join(first.page, "Ada", PASSPHRASE)

    page = open_person(browser, people, server.url).page
    expect(media_problem(page, "No camera or microphone was found")).to_contain_text(
        "You can still join to watch and listen"
    )
    expect(page.get_by_role("button", name="Try again")).to_be_hidden()
    expect(page.get_by_role("main").get_by_text("No camera", exact=True)).to_be_visible()
    for device, none in (("Camera", "No camera found"), ("Microphone", "No microphone found")):
        expect(picker(page, device)).to_be_disabled()
        expect(picker(page, device).get_by_role("option")).to_have_text([none])
    expect(page.get_by_role("button", name="Mute microphone")).to_be_hidden()
    expect(page.get_by_role("button", name="Turn camera off")).to_be_hidden()

    join(page, "Listener", PASSPHRASE)
    assert_seen_without(first.page, "Listener", mic=False, camera=False)
    assert_seen_without(page, "Ada", mic=False, camera=False)
