"""Draw the home-screen icons (parlour/static/icon-*.png) from the door of icons.svg.

Run once when the design changes, and commit the PNG files: the server only serves them. It
draws with the same Chromium the tests use (`python3 scripts/icons.py`), so no image library
is needed to make them.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "parlour" / "static"
sys.path.insert(0, str(ROOT))

from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

ACCENT = "#2f62d0"  # style.css --accent, the light theme's
# (file, size, maskable). A maskable icon is cropped by the phone to a circle or a squircle: its
# ground fills the square and the door stays inside the middle 80 % (the "safe zone").
ICONS = [
    ("icon-192.png", 192, False),
    ("icon-512.png", 512, False),
    ("icon-maskable-512.png", 512, True),
]


def door_path() -> str:
    symbol = re.search(r'<symbol id="door"[^>]*>(.*?)</symbol>', (STATIC / "icons.svg").read_text())
    if symbol is None:
        raise SystemExit("icons.svg has no door symbol")
    return symbol.group(1)


def svg(size: int, maskable: bool) -> str:
    # The door is drawn in a 24-unit box; the icon's viewBox is 48 units, so the door takes
    # half the side (maskable: 40 %, well inside the safe zone).
    view = 60 if maskable else 48
    offset = (view - 24) / 2
    ground = (
        f'<rect width="{view}" height="{view}" fill="{ACCENT}"/>'
        if maskable
        else f'<rect width="{view}" height="{view}" rx="{view * 0.22}" fill="{ACCENT}"/>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {view} {view}">{ground}'
        f'<g transform="translate({offset} {offset})" fill="none" stroke="#fff" '
        f'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{door_path()}</g></svg>'
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as home, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            env={**os.environ, "XDG_CONFIG_HOME": home, "XDG_CACHE_HOME": home},
        )
        page = browser.new_page()
        for name, size, maskable in ICONS:
            page.set_viewport_size({"width": size, "height": size})
            page.set_content(
                "<style>html,body{margin:0;background:transparent}svg{display:block}</style>"
                + svg(size, maskable)
            )
            page.locator("svg").screenshot(path=str(STATIC / name), omit_background=True)
            print(f"wrote {STATIC / name}")
        browser.close()


if __name__ == "__main__":
    main()
