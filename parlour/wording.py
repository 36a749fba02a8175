"""index.html's marked words, written into the page by the server in the page's language.

translate.js fills in the elements index.html marks (data-i18n, data-i18n-attr) once the page's
modules have loaded, which on a phone or a busy machine is a second or more after the browser
first paints the page: without this, a German visitor would read the page's English first. The
server, which has chosen the language already (languages.py), writes the same words into the
HTML it sends, so the page paints in its language; translate.js then sets the same text again.

It does only what is sure, and leaves the rest to translate.js, which stays the authority:
  - only a catalogue's messages written as one string literal a JSON reader reads the same (a
    plural message, or any other way of writing one, is left out), and none with a placeholder
    (a mark takes none) or with markup (a catalogue may have none: docs/translating.md);
  - only an element whose whole content is text (translate.js replaces the whole content);
  - only the attributes translate.js may set.
Every word is escaped as text or as a quoted attribute: a catalogue can add no markup here
either. The catalogues are the page's own files, read once at start; nothing of a request is
ever written into the page.
"""

from __future__ import annotations

import html
import json
import re
from typing import Final

# One message on its own line (or its text on the next): `  "prejoin.title": "Join a room",`.
MESSAGE: Final = re.compile(
    r'^[ \t]*"(?P<key>[\w.-]+)":\s*(?P<text>"(?:[^"\\\n]|\\.)*")[ \t]*,?[ \t]*$', re.MULTILINE
)

# What translate.js's ATTRIBUTES lets a catalogue set: words a person reads or hears.
ATTRIBUTES: Final = frozenset(("aria-label", "placeholder", "title", "alt"))

# A start tag, its attributes quoted either way or not at all (HTML's syntax, without the rare
# forms index.html does not use), and one attribute of it.
_ATTRIBUTE: Final = r"""\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
START_TAG: Final = re.compile(rf"<(?P<name>[A-Za-z][\w-]*)(?P<attributes>(?:{_ATTRIBUTE})*)\s*/?>")
ATTRIBUTE: Final = re.compile(
    r"""(?P<space>\s+)(?P<name>[^\s"'>/=]+)(?:\s*=\s*(?P<value>"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
)
KEY: Final = re.compile(r"[\w.-]+")


def read_catalogue(source: str) -> dict[str, str]:
    """A catalogue module's (i18n-XX.js) plain messages, key to text: those this module may
    write into the page. tests/test_wording.py checks them against the module as node reads it.
    """
    messages: dict[str, str] = {}
    for found in MESSAGE.finditer(source):
        try:
            text = json.loads(found["text"])
        except ValueError:
            continue  # a JavaScript escape JSON lacks: translate.js fills this one in
        if not isinstance(text, str) or any(sign in text for sign in "{}<>"):
            continue
        messages[found["key"]] = text
    return messages


def _attributes(text: str) -> list[tuple[str, str, str | None]]:
    """A start tag's attributes as (space before, name, raw value with its quotes, or None)."""
    return [(m["space"], m["name"], m["value"]) for m in ATTRIBUTE.finditer(text)]


def _value(raw: str | None) -> str:
    if raw is None:
        return ""
    return html.unescape(raw[1:-1] if raw[:1] in "\"'" else raw)


def render(page: str, messages: dict[str, str]) -> str:
    """`page` with each marked element's words from `messages`, where it is sure to be what
    translate.js would write; everything else exactly as it was."""
    out: list[str] = []
    done = 0  # how much of `page` is in `out`
    for tag in START_TAG.finditer(page):
        if tag.start() < done or "data-i18n" not in tag["attributes"].lower():
            continue
        attributes = _attributes(tag["attributes"])
        found = {name.lower(): _value(value) for _, name, value in attributes}
        new_tag = _with_attributes(tag, attributes, _worded(found.get("data-i18n-attr"), messages))
        out.append(page[done : tag.start()] + new_tag)
        done = tag.end()
        key = found.get("data-i18n")
        if key is None or not KEY.fullmatch(key) or key not in messages:
            continue
        # The element's whole content, if it is text alone: up to its own end tag.
        end = page.find("<", done)
        closing = f"</{tag['name']}>"
        if end < 0 or page[end : end + len(closing)].lower() != closing.lower():
            continue
        out.append(html.escape(messages[key], quote=False))
        done = end
    out.append(page[done:])
    return "".join(out)


def _worded(marks: str | None, messages: dict[str, str]) -> dict[str, str]:
    """data-i18n-attr ("name:key;name:key") as the attributes it sets, as translate.js reads it."""
    worded: dict[str, str] = {}
    for pair in (marks or "").split(";"):
        name, key, *_ = [part.strip() for part in pair.split(":")] + [""]
        if name in ATTRIBUTES and key in messages:
            worded[name] = messages[key]
    return worded


def _with_attributes(
    tag: re.Match[str], attributes: list[tuple[str, str, str | None]], worded: dict[str, str]
) -> str:
    if not worded:
        return tag.group()
    parts = [f"<{tag['name']}"]
    for space, name, value in attributes:
        if name.lower() in worded:
            value = '"' + html.escape(worded.pop(name.lower()), quote=True) + '"'
        parts.append(space + name + ("" if value is None else "=" + value))
    parts.extend(f' {name}="{html.escape(text, quote=True)}"' for name, text in worded.items())
    close = tag.group()[len(tag["name"]) + 1 + len(tag["attributes"]) :]
    return "".join(parts) + close
