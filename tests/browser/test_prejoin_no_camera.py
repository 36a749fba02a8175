"""A microphone but no camera: Chromium's fake devices with a device count of 0.

`--use-fake-device-for-media-stream=device-count=0` leaves no camera at all; the three fake
microphones stay (their number does not follow the count).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.calling import eventually, join, the_link, wait_heard
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.browser.prejoin import assert_seen_without, media_problem, meter, picker
from tests.chromium import with_fake_devices
from tests.support import ParlourProcess

NO_CAMERA = "device-count=0"
SOUND_ONLY = "No camera was found, so you will join with sound only"


@pytest.fixture(scope="module")
def browser_args() -> list[str]:
    return with_fake_devices(NO_CAMERA)


def test_no_camera_is_said_and_the_person_joins_with_sound_only(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """The page says there is no camera and joins with the microphone: the others see the
    camera off and hear the sound."""
    ada = open_person(browser, people, server.url)
    join(ada.page, "Ada", PASSPHRASE)

    page = open_person(browser, people, server.url).page
    expect(media_problem(page, SOUND_ONLY)).to_be_visible()
    expect(page.get_by_role("main").get_by_text("No camera", exact=True)).to_be_visible()
    expect(picker(page, "Camera")).to_be_disabled()
    expect(picker(page, "Camera").get_by_role("option")).to_have_text(["No camera found"])
    expect(picker(page, "Microphone")).to_be_enabled()
    expect(picker(page, "Microphone").get_by_role("option")).to_have_count(3)
    eventually(
        page,
        lambda: _assert_above(int(meter(page).get_attribute("aria-valuenow") or 0), 10),
        "the microphone level following the fake microphone",
    )

    join(page, "Voice", PASSPHRASE)
    assert_seen_without(ada.page, "Voice", mic=True, camera=False)


def test_the_others_hear_a_person_without_a_camera(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Sound arrives and is played out: the receiver's totalAudioEnergy grows."""
    ada = open_person(browser, people, server.url)
    join(ada.page, "Ada", PASSPHRASE)
    voice = open_person(browser, people, server.url)
    join(voice.page, "Voice", PASSPHRASE)
    wait_heard(ada.page, the_link(ada.page, "Ada"), "Ada hearing Voice")


def _assert_above(value: int, floor: int) -> None:
    assert value > floor, f"{value} is not above {floor}"
