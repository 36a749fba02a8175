"""Chromium as these machines run it for real calls (shared/TESTING.md): browser tests and bench.

A fake camera and microphone that need no permission prompt, and none of Chromium's own calls
to outside hosts, which this machine's closed network refuses.
"""

from __future__ import annotations

from typing import Final

CHROMIUM: Final = "/usr/bin/chromium"
FAKE_DEVICES: Final = "--use-fake-device-for-media-stream"
# The fake camera's frame rate: Chromium's default is 20. Every test call encodes and decodes
# each camera once per other person on two cores, and at 10 frames a second a call leaves the
# test machine room to breathe; nothing a test checks needs more (the budget's maxFramerate is
# a sender parameter, read as such).
FAKE_FPS: Final = 10


def fake_devices(*options: str) -> str:
    """The fake-device switch with Chromium's options for it ("device-count=3"), at FAKE_FPS."""
    return f"{FAKE_DEVICES}=" + ",".join((*options, f"fps={FAKE_FPS}"))


CHROMIUM_ARGS: Final = (
    fake_devices(),
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def with_fake_devices(*options: str) -> list[str]:
    """CHROMIUM_ARGS with these fake-device options ("device-count=0") in the switch."""
    return [fake_devices(*options) if is_fake_devices(arg) else arg for arg in CHROMIUM_ARGS]


def without_fake_devices() -> list[str]:
    """CHROMIUM_ARGS without fake devices: the machine's own, which here are none."""
    return [arg for arg in CHROMIUM_ARGS if not is_fake_devices(arg)]


def is_fake_devices(arg: str) -> bool:
    return arg.split("=", 1)[0] == FAKE_DEVICES
