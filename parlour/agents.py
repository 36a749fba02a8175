"""A visitor's browser and device in words, from their User-Agent header, for the host's page.

The parsing is `ua-parser`'s, with the rules it ships (ua-parser-builtins): never regexes of
our own, which would be wrong by next year. What a browser says is whatever its user wants it
to say, so the result is a hint for a person, never a fact to decide anything on.

Cost, measured on the development machine for one parse the cache had not seen: about 0.03 ms
with ua-parser-rs (ua-parser's [regex] extra, a compiled matcher from a PyPI wheel), against
0.5 to 1.5 ms for a usual header, and 5 ms for 512 characters of junk, with the pure-Python
matcher it falls back to where that wheel is missing. Loading the rules takes about 0.2 s, at
the first parse; load() does it ahead, at start, so no visitor's knock waits for it.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Final

from ua_parser import OS, BasicResolver, Device, Parser, UserAgent, load_builtins

UNKNOWN: Final = "Unknown browser"
HEADER_MAX: Final = 512
"""The longest header parsed: the rest of a longer one is not read."""
PART_MAX: Final = 32
WORDS_MAX: Final = 80

# The rules name a phone's browser apart from the desktop one; the device says that already.
_BROWSER_NAMES: Final = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "HeadlessChrome": "Headless Chrome",
    "Mobile Safari": "Safari",
}
_OS_NAMES: Final = {"Mac OS X": "macOS"}
_UNSAFE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@functools.cache
def _parser() -> Parser:
    try:
        from ua_parser.regex import Resolver as RegexResolver  # needs ua-parser-rs
    except ImportError:
        return Parser(BasicResolver(load_builtins()))
    from ua_parser import load_lazy_builtins

    return Parser(RegexResolver(load_lazy_builtins()))


def load() -> None:
    """Load the rules now (about 0.2 s) rather than at the first describe()."""
    _parser()


def describe(user_agent: str | None) -> str:
    """The browser, system and device in words, such as "Chrome 126 on Android 14 (Pixel 7)",
    at most WORDS_MAX characters; UNKNOWN for an empty header or one the rules do not know."""
    if not user_agent:
        return UNKNOWN
    return _describe(user_agent[:HEADER_MAX])


@functools.lru_cache(maxsize=256)  # a host sees the same few browsers again and again
def _describe(header: str) -> str:
    result = _parser().parse(header)
    browser = _browser(result.user_agent)
    system = _system(result.os)
    if browser is None and system is None:
        return UNKNOWN
    words = browser or UNKNOWN
    if system is not None:
        words += f" on {system}"
    device = _device(result.device)
    if device is not None:
        words += f" ({device})"
    return _bounded(words, WORDS_MAX)


def _browser(agent: UserAgent | None) -> str | None:
    if agent is None or agent.family == "Other":
        return None
    name = _part(_BROWSER_NAMES.get(agent.family, agent.family))
    return f"{name} {_part(agent.major)}" if agent.major else name


def _system(system: OS | None) -> str | None:
    if system is None or system.family == "Other":
        return None
    name = _part(_OS_NAMES.get(system.family, system.family))
    version = ".".join(v for v in (system.major, system.minor, system.patch) if v)
    return f"{name} {_part(version)}" if version else name


def _device(device: Device | None) -> str | None:
    # A generic device ("K", which Android browsers now send instead of the model, or
    # "Generic Smartphone") says nothing the system does not.
    if device is None or device.family == "Other" or (device.brand or "").startswith("Generic"):
        return None
    return _part(device.family)


def _part(text: str) -> str:
    # Characters that could break the page's line or reorder its text go; a header may hold
    # anything a client chose to send.
    text = "".join(c for c in text if unicodedata.category(c) not in _UNSAFE)
    return _bounded(text.strip(), PART_MAX)


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
