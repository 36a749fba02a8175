"""Chromium as these machines run it for real calls (shared/TESTING.md): browser tests and bench.

A fake camera and microphone that need no permission prompt, and none of Chromium's own calls
to outside hosts, which this machine's closed network refuses.
"""

from __future__ import annotations

from typing import Final

CHROMIUM: Final = "/usr/bin/chromium"
CHROMIUM_ARGS: Final = (
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
