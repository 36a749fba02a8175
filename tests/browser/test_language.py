"""The page in the visitor's language, in real Chromium: the language Chromium reports (from the
context's locale, in navigator.languages and in Accept-Language) picks the catalogue. The server
picks it from Accept-Language and sends the page with <html lang> already said and the catalogue
preloaded; the page follows the server's choice. What the converted modules write is then in
that language, and a language the page does not have falls back to English.

index.html marks its words with data-i18n: the server writes them into the page in the
visitor's language (wording.py) and translate.js fills them in again; both are checked below: the
same words to the character, a German title in every frame from the first, and the call's control
bar by its German names.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from parlour import keys, wording
from tests.browser.calling import link_url
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.support import ParlourProcess, host_secret, write_config

GRANDMA = host_secret()
HOSTS = {
    "grandma": {"secret": GRANDMA, "contacts": ["Oma", "Mamie"], "permitted": ["Ada"]},
    "grandpa": {"secret": host_secret(), "contacts": ["Opa"], "permitted": ["Ada"]},
}
addresses = (f"203.0.113.{n}" for n in itertools.count(60))


def static(name: str) -> str:
    return resources.files("parlour").joinpath("static", name).read_text(encoding="utf-8")


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
    expect(page.get_by_role("heading", name="Um einen Anruf bitten")).to_be_visible()
    ask = page.get_by_role("button", name="Um einen Anruf bitten")
    ask.click()
    expect(page.get_by_role("alert").filter(has_text="Bitte")).to_have_text(
        "Bitte gib deinen Namen ein."
    )
    page.get_by_role("textbox", name="Dein Name").fill("Ada")
    ask.click()
    expect(page.get_by_role("alert").filter(has_text="Bitte")).to_have_text(
        "Bitte gib den Namen der Person ein, die du erreichen möchtest."
    )
    page.get_by_role("textbox", name="Wen möchtest du erreichen?").fill("Oma")
    ask.click()
    expect(page.get_by_role("heading", name="Du bittest Oma um einen Anruf")).to_be_visible()
    expect(page.get_by_role("timer")).to_have_text("Du wartest seit weniger als einer Minute")
    assert catalogues == ["i18n-de.js"], "the German catalogue, once, and no other"

    # The host, in German too, sees the visitor in words of the desk's catalogue.
    host, _ = person(browser, people, site.url + keys.b64url(GRANDMA), "de-AT")
    expect(host.get_by_role("heading", name="Deine Haustür")).to_be_visible()
    row = host.get_by_role("list", name="Wer auf dich wartet").locator(":scope > li")
    expect(row.get_by_role("button", name="Ada anrufen", exact=True)).to_have_text("Anrufen")
    expect(row.get_by_role("button", name="Ada ablehnen", exact=True)).to_be_visible()
    expect(row.get_by_role("list", name="Über Ada")).to_contain_text("Fragt nach Oma")
    expect(row.get_by_text("Wartet seit weniger als einer Minute")).to_be_visible()
    expect(host).to_have_title("(1) Parlour")
    page.get_by_role("button", name="Abbrechen").click()
    expect(row).to_have_count(0)


def test_a_french_visitor_reads_french(browser: Browser, people: list[Person], site: Site) -> None:
    page, catalogues = person(browser, people, site.url, "fr-FR")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("button", name="Demander un appel").click()
    expect(page.get_by_role("alert").filter(has_text="nom")).to_have_text(
        "Écris ton nom, s\u2019il te plaît."
    )
    page.get_by_role("textbox", name="Ton nom").fill("Ada")
    page.get_by_role("textbox", name="Qui veux-tu joindre\u00a0?").fill("Mamie")
    page.get_by_role("button", name="Demander un appel").click()
    expect(page.get_by_role("heading", name="Tu demandes un appel à Mamie")).to_be_visible()
    expect(page.get_by_role("timer")).to_have_text("Tu attends depuis moins d\u2019une minute")
    assert catalogues == ["i18n-fr.js"]
    page.get_by_role("button", name="Annuler").click()


def test_the_pre_join_screen_speaks_german(
    browser: Browser, people: list[Person], site: Site
) -> None:
    """A room's link in German: the preview's buttons, and what a join without a name says."""
    page, _ = person(browser, people, link_url(site.url, PASSPHRASE), "de-CH")
    expect(page.get_by_role("button", name="Mikrofon stummschalten")).to_be_visible()
    page.get_by_role("button", name="Mikrofon stummschalten").click()
    expect(page.get_by_role("button", name="Mikrofon einschalten")).to_be_visible()
    expect(page.get_by_role("button", name="Kamera ausschalten")).to_be_visible()
    page.get_by_role("textbox", name="Dein Name").fill("")
    page.get_by_role("button", name="Beitreten", exact=True).click()
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


# Test-side instrumentation: the page's language at every frame Chromium renders until
# translate.js has filled the page in (its performance mark), from the very first.
WATCH_FRAMES = """
(() => {
  const frames = [];
  Object.defineProperty(window, "__frames", { value: frames });
  const look = () => {
    const translated = performance.getEntriesByName("parlour:translated").length > 0;
    const title = document.getElementById("join-title");
    frames.push({ lang: document.documentElement.lang, title: title?.textContent, translated });
    if (!translated) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();
"""


def arriving(
    browser: Browser, people: list[Person], url: str, locale: str, **headers: str
) -> tuple[Page, Response]:
    """A browser in `locale` (and any `headers` it sends besides) opening `url`, and the page
    as the server sent it."""
    headers = {"X-Forwarded-For": next(addresses), **headers}
    found = open_person(
        browser,
        people,
        "about:blank",
        init_scripts=(WATCH_FRAMES,),
        locale=locale,
        extra_http_headers=headers,
    )
    response = found.page.goto(url)
    assert response is not None
    return found.page, response


def test_the_page_arrives_german_with_its_catalogue_already_on_the_way(
    browser: Browser, people: list[Person], site: Site
) -> None:
    """The HTML itself says German, so the first frame Chromium renders is lang="de" (before,
    the page said "en" until the whole module graph had loaded); the German catalogue is fetched
    from the page's <head>, before translate.js has even been asked for, and only once."""
    page, response = arriving(browser, people, link_url(site.url, PASSPHRASE), "de-DE")
    assert "Accept-Language" in response.headers["vary"]
    html = response.text()
    assert '<html lang="de" data-language="de">' in html
    assert '<link rel="modulepreload" href="static/i18n-de.js">' in html
    expect(page.get_by_role("button", name="Mikrofon stummschalten")).to_be_visible()
    frames = page.evaluate("window.__frames")
    assert frames, "no frame was rendered"
    assert {frame["lang"] for frame in frames} == {"de"}, frames
    loads = page.evaluate(
        """() => performance.getEntriesByType("resource")
          .filter((entry) => /static\\/(i18n-de|translate)\\.js$/.test(entry.name))
          .map((entry) => ({ name: entry.name.split("/").pop(), start: entry.startTime }))"""
    )
    catalogue = [load for load in loads if load["name"] == "i18n-de.js"]
    translate = [load for load in loads if load["name"] == "translate.js"]
    assert len(catalogue) == 1, loads
    assert len(translate) == 1, loads
    # Preloaded: asked for before the module that imports it, not after the module graph.
    assert catalogue[0]["start"] < translate[0]["start"], loads


def test_the_page_follows_the_servers_choice_over_navigator_languages(
    browser: Browser, people: list[Person], site: Site
) -> None:
    """Accept-Language and navigator.languages disagree (a proxy or an extension rewrote the
    header): the page speaks the language it arrived in, and never asks for the other one."""
    page = open_person(browser, people, "about:blank", locale="fr-FR").page
    assert page.evaluate("navigator.languages")[0] == "fr-FR"
    # Chromium's own header follows the locale, whatever extra_http_headers say: rewritten here
    # on the way, as a proxy would.
    page.route(
        site.url,
        lambda route: route.continue_(
            headers={**route.request.headers, "accept-language": "de-DE,de;q=0.9"}
        ),
    )
    catalogues: list[str] = []
    page.on(
        "request",
        lambda request: catalogues.extend(re.findall(r"i18n-(?!en\b)\w+\.js$", request.url)),
    )
    page.goto(site.url)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_role("button", name="Um einen Anruf bitten").click()
    expect(page.locator("#door-error")).to_have_text("Bitte gib deinen Namen ein.")
    assert catalogues == ["i18n-de.js"], "the server's German, and no French"


def test_the_server_writes_the_words_translate_js_writes(
    browser: Browser, people: list[Person], site: Site
) -> None:
    """index.html, marked throughout, put in German by the server's wording.py and by
    translate.js in Chromium: the same page, to the character."""
    german = wording.read_catalogue(static("i18n-de.js"))
    whole = static("index.html")
    body = whole[whole.index("<body>") + len("<body>") : whole.index("</body>")]
    assert body.count("data-i18n=") > 60
    assert body.count("data-i18n-attr=") > 15
    by_server = wording.render(body, german)
    assert by_server != body
    page, _ = person(browser, people, site.url, "de-DE")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    found = page.evaluate(
        """async ([marked, byServer]) => {
          const address = new URL("static/translate.js", document.baseURI).href;
          const { translatePage } = await import(address);
          const serialised = (html, translate) => {
            const box = document.createElement("template");
            box.innerHTML = html;
            if (translate) translatePage(box.content);
            return box.innerHTML;
          };
          return { byPage: serialised(marked, true), byServer: serialised(byServer, false) };
        }""",
        [body, by_server],
    )
    assert found["byServer"] == found["byPage"]


def test_the_page_paints_in_german_from_its_first_frame(
    browser: Browser, people: list[Person], site: Site
) -> None:
    """Every frame Chromium renders shows the room form's title in German, from the first one,
    though translate.js runs a second or so after the first paint; translate.js then changes no
    word of it. (Without the server's wording, measured: English in every load.)"""
    page, response = arriving(browser, people, link_url(site.url, PASSPHRASE), "de-DE")
    assert 'id="join-title" data-i18n="prejoin.title">Einem Raum beitreten</h1>' in (
        response.text()
    )
    expect(page.get_by_role("button", name="Mikrofon stummschalten")).to_be_visible()
    expect(page.get_by_role("heading", name="Einem Raum beitreten")).to_be_visible()
    expect(page.get_by_role("textbox", name="Dein Name")).to_be_visible()
    frames = page.evaluate("window.__frames")
    titles = {frame["title"] for frame in frames if frame["title"] is not None}
    assert titles == {"Einem Raum beitreten"}, frames


def test_the_call_speaks_german(browser: Browser, people: list[Person], site: Site) -> None:
    """In a call, the page's title, the own tile, the control bar and what it opens go by their
    German names, and locking the room is said in German, as a whole sentence."""
    page, _ = person(browser, people, link_url(site.url, PASSPHRASE), "de-DE")
    page.get_by_role("textbox", name="Dein Name").fill("Ada")
    page.get_by_role("button", name="Beitreten", exact=True).click()
    bar = page.get_by_role("toolbar", name="Anrufsteuerung")
    expect(bar).to_be_visible()
    expect(page.get_by_role("heading", name="Im Raum")).to_be_attached()
    people_list = page.get_by_role("list", name="Leute im Anruf")
    expect(people_list.get_by_role("group", name="Ada (du)", exact=True)).to_be_visible()
    expect(page.get_by_text("Warten auf die anderen")).to_be_visible()
    expect(page.get_by_role("button", name="Einladungslink kopieren")).to_be_visible()
    named = ("Mikrofon stummschalten", "Kamera ausschalten", "Datei senden", "Raum abschließen")
    for name in (*named, "Einstellungen", "Chat", "Tastenkürzel", "Anruf verlassen"):
        expect(bar.get_by_role("button", name=name, exact=True)).to_be_visible()
    bar.get_by_role("button", name="Einstellungen", exact=True).click()
    settings = page.get_by_role("dialog", name="Einstellungen")
    expect(settings.get_by_role("checkbox", name="Rauschunterdrückung")).to_be_visible()
    settings.get_by_role("button", name="Schließen").click()
    expect(settings).to_be_hidden()
    chat_button = bar.get_by_role("button", name="Chat", exact=True)
    if chat_button.get_attribute("aria-expanded") != "true":  # open already on a wide screen
        chat_button.click()
    chat = page.get_by_role("complementary", name="Chat")
    expect(chat.get_by_role("textbox", name="Nachricht")).to_be_visible()
    expect(chat.get_by_role("button", name="Senden")).to_be_visible()
    bar.get_by_role("button", name="Raum abschließen", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="abgeschlossen")).to_have_text(
        "Du hast den Raum abgeschlossen: Niemand Neues kann beitreten."
    )
    expect(bar.get_by_role("button", name="Raum aufschließen", exact=True)).to_be_visible()
    bar.get_by_role("button", name="Raum aufschließen", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="aufgeschlossen")).to_have_text(
        "Du hast den Raum aufgeschlossen."
    )
