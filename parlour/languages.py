"""Which of the page's languages a browser asks for, from its Accept-Language header.

The server picks the page's language before it sends the page (web.py), so the page arrives
with its <html lang> and its catalogue already on the way; translate.js then follows that
choice. The rule is the page's own (i18n.js pickLanguage): the first wanted language the page
has, trying each without its region or script ("de-AT", then "de"), else English, with "first"
ordered by the header's q-values.

No parser for this header comes with Parlour's dependencies (aiohttp has none), so here is a
small one, strict about each item and lenient about the list: an item that does not parse is
left out, and a header with nothing usable in it is English.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Final

ENGLISH: Final = "en"

# Real browsers send well under 200 characters ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7"); a
# header longer than this is not a browser's list, and is read as no preference (English)
# rather than cut somewhere in the middle of an item.
MAX_HEADER: Final = 1024

# One item of the list (RFC 9110 12.5.4): a language range (RFC 4647 2.1), "*" or up to eight
# letters then "-"-separated subtags of up to eight letters or digits, with an optional weight
# "q=" 0 to 1 with up to three decimals. "_" is taken for "-", as some systems write it.
ITEM: Final = re.compile(
    r"[ \t]*(?P<range>\*|[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*)"
    r"(?:[ \t]*;[ \t]*[qQ]=(?P<q>0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?))?[ \t]*"
)

# A catalogue's file name, as i18n.js imports it: "i18n-de.js", "i18n-pt-br.js".
CATALOGUE: Final = re.compile(r"i18n-(?P<language>[a-z]{2,3}(?:-[a-z0-9]{2,8})*)\.js")


def catalogues(names: Iterable[str]) -> tuple[str, ...]:
    """The languages the page ships, from its files' names, English first."""
    found = {match["language"] for name in names if (match := CATALOGUE.fullmatch(name))}
    return (ENGLISH, *sorted(found - {ENGLISH}))


def wanted(header: str) -> tuple[list[str], set[str]]:
    """The header's language ranges, lower case, most wanted first (equal weights in the
    header's order), and those it refuses with q=0."""
    if len(header) > MAX_HEADER:
        return [], set()
    weighted: list[tuple[float, int, str]] = []
    refused: set[str] = set()
    for place, item in enumerate(header.split(",")):
        match = ITEM.fullmatch(item)
        if match is None:
            continue  # empty (the list syntax allows ",,") or not a language range
        tag = match["range"].lower().replace("_", "-")
        weight = float(match["q"]) if match["q"] else 1.0
        if weight == 0:
            refused.add(tag)
        else:
            weighted.append((-weight, place, tag))
    weighted.sort()
    return [tag for _, _, tag in weighted], refused


def choose(header: str, available: Collection[str]) -> str:
    """The first language of `available` (lower-case codes) the header asks for, else English.

    "*" (any language) names none, so it chooses nothing by itself: the named ones do.
    """
    tags, refused = wanted(header)
    for tag in tags:
        parts = tag.split("-")
        while parts:
            candidate = "-".join(parts)
            if candidate in refused:
                break  # "de-CH, de;q=0": German is not what this reader wants after all
            if candidate in available:
                return candidate
            parts.pop()
    return ENGLISH
