"""Reading QR codes back with a real decoder (zxing-cpp), as a phone's camera would.

Nothing here uses segno, which made the terminal's codes: a code that segno draws but that no
other reader can read must fail the test.
"""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Half-block characters: which of the line's two module rows are dark (black on white).
DARK = {
    " ": (False, False),
    "\u2580": (True, False),
    "\u2584": (False, True),
    "\u2588": (True, True),
}
PIXELS_PER_MODULE = 6


def terminal_lines(text: str) -> list[str]:
    """The lines of `text` that draw a code: coloured, and only half blocks and spaces once the
    colours go (the quiet zone's lines are all spaces)."""
    lines = []
    for line in text.splitlines():
        plain = ANSI.sub("", line)
        if plain and ANSI.search(line) and set(plain) <= set(DARK):
            lines.append(plain)
    return lines


def decode_terminal(text: str) -> list[str]:
    """Every QR code drawn in `text` with half blocks, decoded from a picture of it."""
    rows: list[list[bool]] = []
    for line in terminal_lines(text):
        pairs = [DARK[char] for char in line]
        rows += [[top for top, _ in pairs], [bottom for _, bottom in pairs]]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    image = Image.new("L", (width, len(rows)), 255)
    rows = [row + [False] * (width - len(row)) for row in rows]
    image.putdata([0 if dark else 255 for row in rows for dark in row])
    big = image.resize((width * PIXELS_PER_MODULE, len(rows) * PIXELS_PER_MODULE), Image.NEAREST)
    return decode_image(big)


def decode_png(png: bytes) -> list[str]:
    """Every QR code in a screenshot."""
    return decode_image(Image.open(io.BytesIO(png)))


def decode_image(image: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    return [result.text for result in found]
