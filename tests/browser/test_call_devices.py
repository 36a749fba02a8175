"""Changing camera and microphone in the middle of a real call, with three fake devices of each."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.calling import (
    eventually,
    meet,
    press,
    senders,
    wait_decoding,
    wait_growing,
    wait_playing,
)
from tests.browser.conftest import THREE_OF_EACH, Person
from tests.chromium import with_fake_devices
from tests.support import ParlourProcess

PASSPHRASE = "the second camera sees the other side"


@pytest.fixture(scope="module")
def browser_args() -> list[str]:
    return with_fake_devices(THREE_OF_EACH)


@pytest.fixture(scope="module")
def rooms() -> dict[str, tuple[str, int]]:
    return {"devices": (PASSPHRASE, 8)}


def other_option(select: Locator) -> str:
    """The label of an option that is not the one chosen now."""
    labels: list[str] = select.evaluate(
        "(s) => [...s.options].filter((o) => !o.selected && o.value).map((o) => o.label)"
    )
    assert labels, "only one device to choose from"
    return labels[-1]


def sent_label(page: Page, kind: str) -> str:
    [sender] = senders(page, kind)
    assert sender["track"], f"no {kind} track is sent"
    label: str = sender["track"]["label"]
    return label


def test_switching_camera_and_microphone_keeps_the_call_going(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """A device chosen in Settings is sent at once; the connection and the media carry on."""
    ada, grace = meet(browser, people, server.url, PASSPHRASE, ("Ada", "Grace"))
    [link] = wait_decoding(grace.page, 1, "Grace")

    press(ada.page, "Settings")
    settings = ada.page.get_by_role("dialog", name="Settings")
    expect(settings).to_be_visible()
    camera = settings.get_by_role("combobox", name="Camera")
    microphone = settings.get_by_role("combobox", name="Microphone")
    expect(camera.get_by_role("option")).to_have_count(3)  # the fake cameras this browser has

    # fake_device_1 would not do: see THREE_OF_EACH.
    new_camera = "fake_device_2"
    assert sent_label(ada.page, "video") == "fake_device_0"
    camera.select_option(label=new_camera)
    eventually(
        ada.page,
        lambda: _assert_equal(sent_label(ada.page, "video"), new_camera),
        "Ada sending the camera she chose",
    )
    wait_growing(grace.page, link.index, "frames_decoded", "Grace seeing Ada's other camera")
    wait_playing(grace.page, "Ada")

    new_microphone = other_option(microphone)
    assert new_microphone != sent_label(ada.page, "audio")
    microphone.select_option(label=new_microphone)
    eventually(
        ada.page,
        lambda: _assert_equal(sent_label(ada.page, "audio"), new_microphone),
        "Ada sending the microphone she chose",
    )
    wait_growing(grace.page, link.index, "audio_energy", "Grace hearing Ada's other microphone")

    settings.get_by_role("button", name="Close").click()
    expect(settings).to_be_hidden()
    # The same connection all along: nothing was renegotiated from scratch.
    [still] = wait_decoding(grace.page, 1, "Grace after the switch")
    assert still.index == link.index
    wait_decoding(ada.page, 1, "Ada after the switch")


def _assert_equal(got: object, want: object) -> None:
    assert got == want, f"{got!r} != {want!r}"
