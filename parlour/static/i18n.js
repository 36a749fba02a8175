// @ts-check
/**
 * The page's words, in the visitor's language: one message catalogue per language (i18n-en.js,
 * i18n-de.js…), chosen from the browser's languages, with English as the fallback for a language
 * the page does not have and for a key a catalogue lacks. No DOM: tests load it under Node, and
 * DOM-free modules (elapsed.js, signaling.js, crypto.js) word their sentences through it too.
 * translate.js is the page's side: it picks the language before the page's script runs, and
 * fills in the marked elements of index.html.
 *
 * A message is a whole sentence with named placeholders ("Asking {name} for a call"), or, where
 * a number changes the words, an object of Intl.PluralRules categories ({one: "…", other: "…"})
 * chosen by the `count` parameter. Sentences are never put together from pieces: word order
 * and grammar differ between languages, so each language writes the whole sentence.
 */

import english from "./i18n-en.js";

/** @typedef {keyof typeof english} Key */
/** @typedef {string | ({other: string} & Partial<Record<Intl.LDMLPluralRule, string>>)} Message */
/** @typedef {Record<string, Message>} Catalogue */
/** @typedef {Record<string, string | number>} Params */

export const ENGLISH = "en";

/**
 * Every language the page ships, by its code (lower case), and how to load its catalogue. Each
 * import names its file whole, so a language code from the browser never becomes part of an
 * address, and bench/page.py and the service worker find every catalogue. English is in the page
 * already: it is the fallback, so a page in English waits for nothing.
 * @type {Record<string, () => Promise<{default: Catalogue}>>}
 */
export const CATALOGUES = {
  en: async () => ({ default: english }),
  de: () => import("./i18n-de.js"),
  fr: () => import("./i18n-fr.js"),
  es: () => import("./i18n-es.js"),
};

/**
 * The first of the browser's languages the page has, trying each without its region or script
 * ("de-AT" → "de"), else English.
 * @param {readonly unknown[]} preferred  navigator.languages, most wanted first
 * @param {readonly string[]} [available]
 */
export function pickLanguage(preferred, available = Object.keys(CATALOGUES)) {
  for (const tag of preferred) {
    if (typeof tag !== "string") continue;
    // Language tags compare without regard to case (BCP 47); "_" comes from some systems.
    const parts = tag.trim().toLowerCase().replaceAll("_", "-").split("-");
    while (parts.length && parts[0]) {
      const candidate = parts.join("-");
      if (available.includes(candidate)) return candidate;
      parts.pop();
    }
  }
  return ENGLISH;
}

/** @param {Catalogue} catalogue @param {string} key @returns {Message | undefined} */
function own(catalogue, key) {
  // Only the catalogue's own keys: "constructor" or "__proto__" is no message.
  return Object.hasOwn(catalogue, key) ? catalogue[key] : undefined;
}

/** The placeholders a message's text names, each once. @param {Message} message */
export function placeholders(message) {
  const texts = typeof message === "string" ? [message] : Object.values(message);
  const names = new Set();
  for (const text of texts) for (const found of String(text).matchAll(/\{(\w+)\}/g)) names.add(found[1]);
  return [...names].sort();
}

/** What a missing key or parameter does: said to whoever looks at the console, never on screen. */
let report = (/** @type {string} */ problem) => console.error(`i18n: ${problem}`);

/** Tests listen here instead of the console. @param {(problem: string) => void} listener */
export function onProblem(listener) {
  report = listener;
}

/** One language's words, with English behind it for any key it lacks. */
export class Translator {
  /** @param {string} language @param {Catalogue} messages @param {Catalogue} [fallback] */
  constructor(language, messages, fallback = english) {
    this.language = language;
    this.messages = messages;
    this.fallback = fallback;
    this.plurals = new Intl.PluralRules(language);
    /** @type {Map<string, Intl.NumberFormat>} */
    this.numbers = new Map();
  }

  /** @param {string} key */
  has(key) {
    return own(this.messages, key) !== undefined || own(this.fallback, key) !== undefined;
  }

  /**
   * The sentence for `key`, with its placeholders filled in; "" (and a report) for a key no
   * catalogue has, so that a person never reads a key.
   * @param {string} key @param {Params} [params]
   */
  text(key, params = {}) {
    const message = own(this.messages, key) ?? own(this.fallback, key);
    if (message === undefined) {
      report(`no message "${key}" in any catalogue`);
      return "";
    }
    let text = message;
    if (typeof message !== "string") {
      const count = params.count;
      const category = typeof count === "number" ? this.plurals.select(count) : "other";
      text = message[category] ?? message.other;
    }
    return String(text).replace(/\{(\w+)\}/g, (_, name) => {
      const value = Object.hasOwn(params, name) ? params[name] : undefined;
      if (value === undefined) {
        report(`message "${key}" needs {${name}}`);
        return "";
      }
      return typeof value === "number" ? this.number(value) : value;
    });
  }

  /** A number as this language writes it. @param {number} value @param {Intl.NumberFormatOptions} [options] */
  number(value, options = {}) {
    const id = JSON.stringify(options);
    let format = this.numbers.get(id);
    if (!format) {
      format = new Intl.NumberFormat(this.language, options);
      this.numbers.set(id, format);
    }
    return format.format(value);
  }
}

let current = new Translator(ENGLISH, english);

/**
 * The sentence for `key` in the page's language. Named placeholders come from `params`
 * (numbers formatted for the language); `count` also chooses a plural form.
 * @param {Key} key @param {Params} [params]
 */
export function t(key, params) {
  return current.text(key, params);
}

/**
 * The same for a key that comes from the page (data-i18n), not from code: null when no
 * catalogue has it, so the caller keeps what the page already says.
 * @param {string} key @param {Params} [params]
 */
export function lookup(key, params) {
  if (!current.has(key)) {
    report(`no message "${key}" in any catalogue (the page keeps its own text)`);
    return null;
  }
  return current.text(key, params);
}

/** A number in the page's language. @param {number} value @param {Intl.NumberFormatOptions} [options] */
export function formatNumber(value, options) {
  return current.number(value, options);
}

/** The page's language code ("en", "de"…), for <html lang> and for Intl. */
export function language() {
  return current.language;
}

/**
 * Speak the first of `preferred` the page has: load its catalogue (one small file; none for
 * English) and use it from now on. A catalogue that does not load leaves the page in English.
 * @param {readonly unknown[]} preferred  navigator.languages, most wanted first
 * @returns {Promise<string>} the language now used
 */
export async function useLanguage(preferred) {
  const chosen = pickLanguage(preferred);
  try {
    const loaded = await CATALOGUES[chosen]();
    current = new Translator(chosen, loaded.default);
  } catch {
    current = new Translator(ENGLISH, english);
  }
  return current.language;
}
