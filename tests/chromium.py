"""Chromium as these machines run it for real calls (shared/TESTING.md): browser tests and bench.

A fake camera and microphone that need no permission prompt, and none of Chromium's own calls
to outside hosts, which this machine's closed network refuses.
"""

from __future__ import annotations

from typing import Final

CHROMIUM: Final = "/usr/bin/chromium"
FAKE_DEVICES: Final = "--use-fake-device-for-media-stream"
CHROMIUM_ARGS: Final = (
    FAKE_DEVICES,
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def with_fake_devices(flag: str) -> list[str]:
    """CHROMIUM_ARGS with another fake-device switch (a device count) in place of the plain one."""
    return [flag if arg == FAKE_DEVICES else arg for arg in CHROMIUM_ARGS]
