"""A join link as a QR code drawn with text, for a phone's camera pointed at a terminal.

segno makes the code (ISO/IEC 18004); this module only draws its modules. Each line of text
holds two rows of modules in half-block characters, in black on white set explicitly by ANSI
colours: a terminal's own colours may be light on dark, and an inverted code is one that some
phone cameras do not read.
"""

from __future__ import annotations

from typing import Final

import segno

# The quiet zone the standard asks for around a code: four modules of white.
QUIET_ZONE: Final = 4
BLACK_ON_WHITE: Final = "\x1b[30;107m"
RESET: Final = "\x1b[0m"
# A character for (top module dark, bottom module dark), drawn in black on the white ground.
HALVES: Final = {
    (False, False): " ",
    (True, False): "\u2580",  # upper half block
    (False, True): "\u2584",  # lower half block
    (True, True): "\u2588",  # full block
}


def terminal_qr(text: str) -> str:
    """`text` as a QR code of lines of half blocks, each line in black on white."""
    # Error correction M: the standard's default, and a phone held at a screen needs no more.
    code = segno.make(text, error="m", micro=False, boost_error=False)
    rows = [[bool(module) for module in row] for row in code.matrix_iter(border=QUIET_ZONE)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))  # a last row of white, below the quiet zone
    lines = []
    for top, bottom in zip(rows[::2], rows[1::2], strict=True):
        drawn = "".join(HALVES[pair] for pair in zip(top, bottom, strict=True))
        lines.append(BLACK_ON_WHITE + drawn + RESET)
    return "\n".join(lines)
