"""parlour.agents: real User-Agent headers in words, and bounds on what goes in and out."""

from __future__ import annotations

import pytest

from parlour.agents import HEADER_MAX, UNKNOWN, WORDS_MAX, describe

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)
# Android browsers now send "K" where the model was: nothing to show.
CHROME_ANDROID_REDUCED = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
# Debian's Chromium as the browser tests drive it (headless).
CHROMIUM_HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/156.0.8078.114 Safari/537.36"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (CHROME_ANDROID, "Chrome 156 on Android 14 (Pixel 7)"),
        (CHROME_ANDROID_REDUCED, "Chrome 156 on Android 10"),
        (SAFARI_IPHONE, "Safari 17 on iOS 17.4 (iPhone)"),
        (FIREFOX_WINDOWS, "Firefox 128 on Windows 10"),
        (CHROMIUM_HEADLESS, "Headless Chrome 156 on Linux"),
        (SAFARI_MAC, "Safari 17 on macOS 10.15.7 (Mac)"),
        ("curl/8.5.0", "curl 8"),
        ("Mozilla/5.0 (X11; Linux x86_64)", f"{UNKNOWN} on Linux"),
    ],
)
def test_a_real_header_in_words(header: str, words: str) -> None:
    """Browser and major version, system and version, and the device where it says one."""
    assert describe(header) == words


@pytest.mark.parametrize("header", [None, "", "garbage", "Mozilla/5.0", "\x00\x01\x02", "😀" * 50])
def test_nothing_recognisable_is_unknown(header: str | None) -> None:
    """An empty, missing or meaningless header: "Unknown browser"."""
    assert describe(header) == UNKNOWN


def test_a_100_kb_header_is_read_only_as_far_as_its_start() -> None:
    """A huge header costs no more than HEADER_MAX characters of it and still says something."""
    assert describe(FIREFOX_WINDOWS + "x" * 100_000) == "Firefox 128 on Windows 10"
    assert describe("x" * HEADER_MAX + FIREFOX_WINDOWS) == UNKNOWN
    assert len(describe("(" + "A" * 100_000)) <= WORDS_MAX


def test_the_words_are_bounded() -> None:
    """Whatever the header names, the words are at most WORDS_MAX characters."""
    header = (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-" + "Z" * 200 + ") "
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" + "1" * 100 + ".0 Mobile Safari/537.36"
    )
    words = describe(header)
    assert len(words) == WORDS_MAX
    # Each long part was shortened on its own, so the others still show.
    assert words.startswith("Chrome 111")
    assert " on Android 14 (Samsung SM-ZZZ" in words
    assert words.endswith("…")


@pytest.mark.parametrize(
    "header",
    [
        CHROME_ANDROID.replace("Pixel 7", "Pixel\u202e 7\u2028\x1b[31m"),
        "\u202e" + FIREFOX_WINDOWS.replace("Firefox", "Fire\u200bfox\x00"),
        SAFARI_IPHONE.replace("iPhone OS", "iPhone\r\nOS"),
    ],
)
def test_the_words_are_one_printable_line(header: str) -> None:
    """Control, format and separator characters in the header never reach the words."""
    assert describe(header).isprintable()


def test_the_same_header_is_parsed_once() -> None:
    """Hosts see the same browsers again and again: a second call is a cache hit."""
    from parlour import agents

    before = agents._describe.cache_info().hits
    describe(SAFARI_IPHONE)
    describe(SAFARI_IPHONE)
    assert agents._describe.cache_info().hits >= before + 1
