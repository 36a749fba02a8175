"""parlour.languages: the page's language from an Accept-Language header, as a browser sends it
and as nobody should."""

from __future__ import annotations

import pytest

from parlour.languages import MAX_HEADER, catalogues, choose, wanted

SHIPPED = ("en", "de", "fr", "es")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        # As Chromium, Firefox and Safari send it.
        ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "de"),
        ("fr-FR,fr;q=0.9", "fr"),
        ("es-419,es;q=0.9", "es"),
        ("en-GB,en;q=0.9,de;q=0.8", "en"),
        ("de-CH", "de"),  # a region the page lacks: its language
        ("sr-Latn-RS, es", "es"),  # script and region dropped, nothing: the next one
        ("it-IT,it;q=0.9,fr;q=0.8", "fr"),  # the first the page has
        # Order is by weight, then by place in the list.
        ("en;q=0.5, fr;q=0.8", "fr"),
        ("fr;q=0.8, de;q=0.8, es;q=0.9", "es"),
        ("fr;q=0.8, de;q=0.8", "fr"),
        ("de;q=0.001, es;q=0.01", "es"),
        ("fr;q=1.000, de", "fr"),
        # q=0 refuses a language, even when a longer tag would lead to it.
        ("de;q=0, fr;q=0.1", "fr"),
        ("de-AT, de;q=0, es;q=0.5", "es"),
        # Case, spaces and tabs, "_" as some systems write it.
        ("DE-de", "de"),
        (" \tfr ;\tQ=0.5 , en;q=0.1", "fr"),
        ("es_ES", "es"),
        # "*" names no language: the named ones decide.
        ("*", "en"),
        ("*, de;q=0.5", "de"),
        # Nothing the page has, or nothing at all.
        ("it, ja, zh-Hant-TW", "en"),
        ("", "en"),
    ],
)
def test_the_first_wanted_language_the_page_has(header: str, language: str) -> None:
    assert choose(header, SHIPPED) == language


@pytest.mark.parametrize(
    "header",
    [
        "de;q=2",  # weight out of range
        "de;q=0.5000",  # four decimals
        "de;q=",
        "de;q=-1",
        "de;q=1.5",
        "de;level=1",  # no other parameter is allowed
        "deutsch-deutschland",  # more than eight letters
        "de-",
        "-de",
        "d e",
        "de;;q=1",
        "12",
        "de\x00",
        "<script>",
        "de=1",
        ",,,;;;===",
        "\u00fcber-de",  # non-ASCII letters are not a language range
    ],
)
def test_an_item_that_does_not_parse_is_left_out(header: str) -> None:
    assert choose(header, SHIPPED) == "en"
    # ...and the rest of the list still counts.
    assert choose(f"{header}, fr;q=0.2", SHIPPED) == "fr"


def test_an_overlong_header_is_no_preference() -> None:
    """Not cut somewhere in an item: a header longer than any browser's is read as English."""
    header = "de," * (MAX_HEADER // 3) + "de"
    assert len(header) > MAX_HEADER
    assert choose(header, SHIPPED) == "en"
    assert wanted(header) == ([], set())
    fitting = ("it," * MAX_HEADER)[: MAX_HEADER - 3] + ",de"
    assert len(fitting) == MAX_HEADER
    assert choose(fitting, SHIPPED) == "de"


def test_wanted_orders_by_weight_and_keeps_refusals_apart() -> None:
    assert wanted("en;q=0.1, fr-CA, de;q=0, es;q=0.9") == (["fr-ca", "es", "en"], {"de"})


def test_the_shipped_languages_come_from_the_catalogues_file_names() -> None:
    names = ["index.html", "i18n.js", "i18n-fr.js", "i18n-en.js", "i18n-de.js", "app.js"]
    assert catalogues(names) == ("en", "de", "fr")
    assert catalogues(["i18n-pt-br.js", "i18n-../x.js", "i18n-DE.js", "i18n-x.js"]) == (
        "en",
        "pt-br",
    )
