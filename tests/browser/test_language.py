"""The page in the visitor's language, in real Chromium: the language Chromium reports (from the
context's locale) picks the catalogue, which comes in one small request before the page's script
writes anything; what the converted modules write is then in that language, and a language the
page does not have falls back to English.

index.html's own words are still English here: the next step marks them with data-i18n, which
translate.js fills in (checked below on a fragment, with the page's own module).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from parlour import keys
from tests.browser.calling import link_url
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.support import ParlourProcess, host_secret, write_config

GRANDMA = host_secret()
HOSTS = {
    "grandma": {"secret": GRANDMA, "contacts": ["Oma", "Mamie"], "permitted": ["Ada"]},
    "grandpa": {"secret": host_secret(), "contacts": ["Opa"], "permitted": ["Ada"]},
}
addresses = (f"203.0.113.{n}" for n in itertools.count(60))


@dataclass
class Site:
    process: ParlourProcess

    @property
    def url(self) -> str:
        return self.process.url


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server with a room and a front door that two people receive visitors at."""
    folder = tmp_path_factory.mktemp("language")
    config = write_config(folder, {"lounge": (PASSPHRASE, 8)}, hosts=HOSTS)
    # Each visitor comes from an address of its own, as on the internet (the knock limit).
    text = config.read_text().replace("[server]\n", '[server]\ntrusted_proxies = ["127.0.0.1"]\n')
    config.write_text(text)
    with ParlourProcess.start(config) as process:
        yield Site(process)


def person(browser: Browser, people: list[Person], url: str, locale: str) -> tuple[Page, list[str]]:
    """A browser whose language is `locale`, and the catalogues its page asked for beyond
    English (i18n-en.js is one of the page's modules: the fallback is always there)."""
    catalogues: list[str] = []
    headers = {"X-Forwarded-For": next(addresses)}
    found = open_person(browser, people, "about:blank", locale=locale, extra_http_headers=headers)
    page = found.page
    page.on(
        "request",
        lambda request: catalogues.extend(re.findall(r"i18n-(?!en\b)\w+\.js$", request.url)),
    )
    page.goto(url)
    return page, catalogues


def test_chromium_reports_the_locale_as_the_browsers_first_language(
    browser: Browser, people: list[Person], site: Site
) -> None:
    """What the page reads, navigator.languages, follows the context's locale."""
    page, _ = person(browser, people, site.url, "de-DE")
    assert page.evaluate("navigator.languages")[0] == "de-DE"


def test_a_german_visitor_is_asked_and_kept_waiting_in_german(
    browser: Browser, people: list[Person], site: Site
) -> None:
    page, catalogues = person(browser, people, site.url, "de-DE")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    ask = page.get_by_role("button", name="Ask for a call")  # index.html: not yet marked
    ask.click()
    expect(page.get_by_role("alert").filter(has_text="Bitte")).to_have_text(
        "Bitte gib deinen Namen ein."
    )
    page.get_by_role("textbox", name="Your name").fill("Ada")
    ask.click()
    expect(page.get_by_role("alert").filter(has_text="Bitte")).to_have_text(
        "Bitte gib den Namen der Person ein, die du erreichen möchtest."
    )
    page.get_by_role("textbox", name="Who would you like to reach?").fill("Oma")
    ask.click()
    expect(page.get_by_role("heading", name="Du bittest Oma um einen Anruf")).to_be_visible()
    expect(page.get_by_role("timer")).to_have_text("Du wartest seit weniger als einer Minute")
    assert catalogues == ["i18n-de.js"], "the German catalogue, once, and no other"

    # The host, in German too, sees the visitor in words of the desk's catalogue.
    host, _ = person(browser, people, site.url + keys.b64url(GRANDMA), "de-AT")
    row = host.get_by_role("list", name="Waiting for you").locator(":scope > li")
    expect(row.get_by_role("button", name="Ada anrufen", exact=True)).to_have_text("Anrufen")
    expect(row.get_by_role("button", name="Ada ablehnen", exact=True)).to_be_visible()
    expect(row.get_by_role("list", name="Über Ada")).to_contain_text("Fragt nach Oma")
    expect(row.get_by_text("Wartet seit weniger als einer Minute")).to_be_visible()
    expect(host).to_have_title("(1) Parlour")
    page.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(0)


def test_a_french_visitor_reads_french(browser: Browser, people: list[Person], site: Site) -> None:
    page, catalogues = person(browser, people, site.url, "fr-FR")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("button", name="Ask for a call").click()
    expect(page.get_by_role("alert").filter(has_text="nom")).to_have_text(
        "Écris ton nom, s\u2019il te plaît."
    )
    page.get_by_role("textbox", name="Your name").fill("Ada")
    page.get_by_role("textbox", name="Who would you like to reach?").fill("Mamie")
    page.get_by_role("button", name="Ask for a call").click()
    expect(page.get_by_role("heading", name="Tu demandes un appel à Mamie")).to_be_visible()
    expect(page.get_by_role("timer")).to_have_text("Tu attends depuis moins d\u2019une minute")
    assert catalogues == ["i18n-fr.js"]
    page.get_by_role("button", name="Cancel").click()


def test_the_pre_join_screen_speaks_german(
    browser: Browser, people: list[Person], site: Site
) -> None:
    """A room's link in German: the preview's buttons, and what a join without a name says."""
    page, _ = person(browser, people, link_url(site.url, PASSPHRASE), "de-CH")
    expect(page.get_by_role("button", name="Mikrofon stummschalten")).to_be_visible()
    page.get_by_role("button", name="Mikrofon stummschalten").click()
    expect(page.get_by_role("button", name="Mikrofon einschalten")).to_be_visible()
    expect(page.get_by_role("button", name="Kamera ausschalten")).to_be_visible()
    page.get_by_role("textbox", name="Your name").fill("")
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.locator("#join-error")).to_have_text("Bitte gib deinen Namen ein.")


def test_a_language_the_page_lacks_is_english_with_no_request(
    browser: Browser, people: list[Person], site: Site
) -> None:
    page, catalogues = person(browser, people, site.url, "it-IT")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Ask for a call").click()
    expect(page.locator("#door-error")).to_have_text("Please type your name.")
    assert catalogues == [], "English is in the page already"


def test_marked_elements_are_filled_in_and_only_worded_attributes_are_set(
    browser: Browser, people: list[Person], site: Site
) -> None:
    """translate.js on a fragment marked as index.html will be, with the page's own module."""
    page, _ = person(browser, people, site.url, "es-ES")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    found = page.evaluate(
        """async () => {
          const address = new URL("static/translate.js", document.baseURI).href;
          const { translatePage } = await import(address);
          const box = document.createElement("div");
          box.innerHTML = `
            <h2 data-i18n="prejoin.title">Join a room</h2>
            <p data-i18n="no.suchKey">Kept as it is</p>
            <button data-i18n-attr="aria-label:chat.send; onclick:chat.send; title:dialog.close">
            </button>`;
          translatePage(box);
          const button = box.querySelector("button");
          return {
            title: box.querySelector("h2").textContent,
            kept: box.querySelector("p").textContent,
            label: button.getAttribute("aria-label"),
            tip: button.getAttribute("title"),
            onclick: button.getAttribute("onclick"),
          };
        }"""
    )
    assert found == {
        "title": "Entrar en una sala",
        "kept": "Kept as it is",
        "label": "Enviar",
        "tip": "Cerrar",
        "onclick": None,
    }
