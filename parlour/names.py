"""People's names at the front door: how they are cleaned, and how two of them are compared.

A visitor types a name and whom they want to reach; the file lists hosts' contact names and
the names each host expects. `clean` makes a typed name safe to store and show; `fold` makes
the form in which two names are compared, so that "Zoë", "zoe" and " ZOE " are one name.
"""

from __future__ import annotations

import unicodedata

MAX_CHARS = 64

# Bidirectional controls (LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI; LRM, RLM; ALM) are not
# in category Cc, yet they can make a name read backwards on the host's page ("Trojan Source").
_BIDI = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)


def hidden(char: str) -> bool:
    """A control character (category Cc, tab and newline included) or a bidi control."""
    return char in _BIDI or unicodedata.category(char) == "Cc"


def _spaced(text: str) -> str:
    """Runs of white space as one space, none at either end (str.split: Unicode White_Space)."""
    return " ".join(text.split())


def clean(text: str, limit: int = MAX_CHARS) -> str:
    """What a typed name may be stored and shown as: no control or bidi characters, single
    spaces, trimmed, at most `limit` characters.

    White space that is also a control character (tab, newline) becomes a space rather than
    vanishing, so "Ada\\tLovelace" stays two words.
    """
    kept = "".join(" " if char.isspace() else "" if hidden(char) else char for char in text)
    return _spaced(kept)[:limit].rstrip()


def fold(text: str) -> str:
    """The form names are compared in: without case, accents, compatibility forms or extra
    spaces.

    NFKD splits "ë" into "e" and a combining mark (dropped) and "ﬁ" into "fi"; casefold then
    goes further than lower() ("ß" is "ss"), and NFKD once more takes apart what casefold
    made ("İ" folds to "i" and a dot above).
    """
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _spaced(bare)
