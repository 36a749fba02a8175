// @ts-check
/**
 * The page in the visitor's language. Importing this module picks the language from the
 * browser's list and loads its catalogue (one small file; nothing for English) before any module
 * that imports it runs, so every sentence the page writes is in that language from the start;
 * then it fills in the elements index.html marks:
 *
 *   <h1 data-i18n="prejoin.title">Join a room</h1>               the text (the whole content)
 *   <button data-i18n-attr="aria-label:chat.send">…</button>     attributes, "name:key;name:key"
 *
 * The English in the page stays as it is where a key is unknown. Text goes in as textContent and
 * attributes through setAttribute, never as HTML, so a catalogue cannot add markup to the page.
 */

import { language, lookup, t, useLanguage } from "./i18n.js";

export { t };

/** The attributes a catalogue may set: words a person reads or hears, nothing that acts. */
const ATTRIBUTES = new Set(["aria-label", "placeholder", "title", "alt"]);

/**
 * Fill in every marked element under `root` from the catalogue.
 * @param {ParentNode} root
 */
export function translatePage(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    const text = lookup(/** @type {HTMLElement} */ (element).dataset.i18n ?? "");
    if (text !== null) element.textContent = text;
  }
  for (const element of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of (/** @type {HTMLElement} */ (element).dataset.i18nAttr ?? "").split(";")) {
      const [name, key] = pair.split(":").map((part) => part.trim());
      if (!name || !key) continue;
      if (!ATTRIBUTES.has(name)) {
        console.error(`i18n: data-i18n-attr may not set ${name}`);
        continue;
      }
      const text = lookup(key);
      if (text !== null) element.setAttribute(name, text);
    }
  }
}

/**
 * The language the server chose for this page from the request's Accept-Language (web.py), if
 * it did: the page arrived with that lang and that catalogue already on its way, so the page's
 * words follow it. The header and navigator.languages mostly come from the same setting, but
 * not always (Safari sends only the first language; an extension or a proxy may rewrite the
 * header): choosing again here could write French into a page that arrived German. A page
 * served without that choice (no Accept-Language) goes by the browser's languages.
 */
const chosen = document.documentElement.dataset.language;

await useLanguage(
  chosen ? [chosen] : navigator.languages?.length ? navigator.languages : [navigator.language],
);
document.documentElement.lang = language();
translatePage(document);
// When the page speaks its language: a mark for DevTools' timeline, and for the test that
// compares it with the first paint (tests/browser/test_language.py).
performance.mark("parlour:translated");
