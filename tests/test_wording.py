"""parlour.wording: the marked words of index.html written by the server, exactly as translate.js
would write them, and nothing else. (tests/browser/test_language.py compares the two in
Chromium.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources

import pytest

from parlour.wording import ATTRIBUTES, read_catalogue, render

STATIC = resources.files("parlour").joinpath("static")
LANGUAGES = ("en", "de", "fr", "es")


def source(name: str) -> str:
    return STATIC.joinpath(name).read_text(encoding="utf-8")


def as_node_reads_it(name: str) -> dict[str, object]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: the JavaScript tests need it too")
    module = STATIC.joinpath(name)
    script = "import(process.argv[1]).then((m) => console.log(JSON.stringify(m.default)))"
    done = subprocess.run(
        [node, "--input-type=module", "-e", script, f"file://{module}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    found: dict[str, object] = json.loads(done.stdout)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogues_plain_messages_read_as_node_reads_them(language: str) -> None:
    """Every message that is a plain sentence (no placeholder, no plural) is read, with the very
    text node reads; nothing else is."""
    name = f"i18n-{language}.js"
    whole = as_node_reads_it(name)
    plain = {
        key: text
        for key, text in whole.items()
        if isinstance(text, str) and not re.search(r"[{}<>]", text)
    }
    assert len(plain) > 100
    assert read_catalogue(source(name)) == plain


def test_a_message_the_reader_is_unsure_of_is_left_out() -> None:
    catalogue = """export default {
      // "comment.key": "not a message",
      "plain.one": "Join a room",
      "plain.next":
        "On the next line, with \\"quotes\\" and \\u00e9",
      "with.name": "Call {name}",
      "with.markup": "<b>bold</b>",
      "js.escape": "it\\'s",
      "plural.key": {
        one: "One minute",
        other: "{count} minutes",
      },
      "two.on.a.line": "a", "b.c": "d",
    };"""
    assert read_catalogue(catalogue) == {
        "plain.one": "Join a room",
        "plain.next": 'On the next line, with "quotes" and \u00e9',
    }


WORDS = {
    "prejoin.title": "Einem Raum beitreten",
    "chat.send": "Senden",
    "dialog.close": "Schließen",
    "chat.placeholder": "Nachricht an alle",
    "odd.words": 'Tom & "Jerry" <3',
}


def test_marked_text_and_worded_attributes_are_written_in() -> None:
    page = (
        '<h1 id="t" data-i18n="prejoin.title">Join a room</h1>\n'
        '<button type="submit" data-i18n-attr="aria-label:chat.send; title : dialog.close"'
        ' aria-label="Send"><svg aria-hidden="true"><use href="#x"/></svg></button>\n'
        "<input id=c data-i18n-attr='placeholder:chat.placeholder' placeholder=\"Message\">\n"
        '<P DATA-I18N="prejoin.title">Join a room</P>'
    )
    assert render(page, WORDS) == (
        '<h1 id="t" data-i18n="prejoin.title">Einem Raum beitreten</h1>\n'
        '<button type="submit" data-i18n-attr="aria-label:chat.send; title : dialog.close"'
        ' aria-label="Senden" title="Schließen"><svg aria-hidden="true"><use href="#x"/></svg>'
        "</button>\n"
        "<input id=c data-i18n-attr='placeholder:chat.placeholder' placeholder=\"Nachricht an"
        ' alle">\n'
        '<P DATA-I18N="prejoin.title">Einem Raum beitreten</P>'
    )


def test_words_are_escaped_as_text_and_as_attributes() -> None:
    page = '<p data-i18n="odd.words">x</p><img alt="" data-i18n-attr="alt:odd.words">'
    assert render(page, WORDS) == (
        '<p data-i18n="odd.words">Tom &amp; "Jerry" &lt;3</p>'
        '<img alt="Tom &amp; &quot;Jerry&quot; &lt;3" data-i18n-attr="alt:odd.words">'
    )


@pytest.mark.parametrize(
    "page",
    [
        '<p data-i18n="no.such">Kept</p>',  # a key the catalogue lacks: the English stays
        '<span data-i18n="prejoin.title">Join <b>a</b> room</span>',  # not text alone
        '<p data-i18n="prejoin.title">Join a room',  # no end tag before the next tag
        '<p data-i18n="prejoin.title">Join a room</div>',  # not its own end tag
        '<button data-i18n-attr="onclick:chat.send; href:chat.send; aria-label:no.such">',
        '<p data-i18n="prejoin.title x">Join a room</p>',  # not a key
        "<p title='data-i18n=\"prejoin.title\"'>Join a room</p>",  # in another attribute
        "<p>data-i18n=prejoin.title</p>",
    ],
)
def test_what_is_not_sure_is_left_as_written(page: str) -> None:
    assert render(page, WORDS) == page


def test_the_page_without_marks_or_words_is_unchanged() -> None:
    page = source("index.html")
    assert render(page, {}) == page
    marked = "data-i18n" in page
    assert (render(page, read_catalogue(source("i18n-de.js"))) == page) != marked


def test_the_attributes_are_translate_js_own() -> None:
    translate = source("translate.js")
    listed = re.search(r"const ATTRIBUTES = new Set\(\[(.*?)\]\)", translate)
    assert listed is not None
    assert set(re.findall(r'"([\w-]+)"', listed.group(1))) == ATTRIBUTES
