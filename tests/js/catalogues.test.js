// The message catalogues against each other, against the modules that use them and against
// index.html: a key missing from a language, a key English lacks, placeholders that differ, a
// sentence written into a converted module instead of its catalogue, or words on the page that
// no catalogue holds all fail here (docs/translating.md).

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import { CATALOGUES, ENGLISH, placeholders } from "../../parlour/static/i18n.js";
import { KEY, looksLikeWords, pageWords, stringLiterals } from "./literals.js";

const STATIC = new URL("../../parlour/static/", import.meta.url);
/** @param {string} name */
const source = (name) => readFileSync(new URL(name, STATIC), "utf8");

/**
 * The modules whose words all come from the catalogues, or that have none for a person (the
 * DOM-free ones below roomlock.js, and stage.js, shell.js, wakelock.js, audioroute.js and
 * qrcode.js, whose words come from their callers). Every client module is in it: files.js
 * last (its reasons, what a peer's bad input is reported as, formatSize's units through Intl).
 */
const CONVERTED = [
  "prejoin.js",
  "door.js",
  "desk.js",
  "frontdoor.js",
  "safety.js",
  "elapsed.js",
  "pickers.js",
  "dialogs.js",
  "i18n.js",
  "translate.js",
  "roomlock.js",
  "crypto.js",
  "signaling.js",
  "schema.js",
  "pairing.js",
  "chat.js",
  "media.js",
  "speaking.js",
  "layout.js",
  "roles.js",
  "prefs.js",
  "invite.js",
  "tiles.js",
  "controls.js",
  "call.js",
  "mesh.js",
  "stage.js",
  "chatpanel.js",
  "app.js",
  "filepanel.js",
  "shell.js",
  "wakelock.js",
  "audioroute.js",
  "qrcode.js",
  "files.js",
];

/**
 * Literals in converted modules that look like words but are for the program or a developer,
 * each with why. Anything a person may read does not belong here.
 */
const NOT_WORDS = new Map([
  ["Parlour", "the name, the same in every language (desk.js: the tab's title)"],
  ["page is missing #{}", "a bug in index.html, thrown for a developer"],
  ["door: no transition from {} to {}", "a bug in door.js, thrown for a developer"],
  ["i18n: {}", "a report to the console, for a developer"],
  ["i18n: data-i18n-attr may not set {}", "a report to the console, for a developer"],
  ['no message "{}" in any catalogue', "a report to the console, for a developer"],
  ['no message "{}" in any catalogue (the page keeps its own text)', "a report to the console"],
  ['message "{}" needs {{}}', "a report to the console, for a developer"],
  ["SignalingError", "a class name"],
  ["The knock was cancelled.", "signaling.js: an Error's message; the page words refusals by code"],
  ["The connection to the server closed.", "signaling.js: the same, for the code closed"],
  ["Notification", "the browser's API, as in `\"Notification\" in window`"],
  ["Escape", "a KeyboardEvent key"],
  ["Files", "a DataTransfer type (app.js: files dragged over the page)"],
  ["Home", "a KeyboardEvent key (controls.js: moving along the toolbar)"],
  ["End", "a KeyboardEvent key (controls.js: moving along the toolbar)"],
  ["parlour: a file could not be read:", "files.js: a warning to the console, for a developer"],
  ["parlour: a file message could not be sent:", "files.js: a warning to the console, for a developer"],
  ["parlour: sending a file failed:", "files.js: a warning to the console, for a developer"],
]);

const english = (await CATALOGUES[ENGLISH]()).default;
const languages = Object.keys(CATALOGUES).filter((code) => code !== ENGLISH);
const catalogues = new Map(await Promise.all(languages.map(async (code) => [code, (await CATALOGUES[code]()).default])));

test("the page ships English, German, French and Spanish", () => {
  assert.deepEqual(Object.keys(CATALOGUES).sort(), ["de", "en", "es", "fr"]);
});

test("every catalogue has every English key, and no key English lacks", () => {
  for (const [code, catalogue] of catalogues) {
    const missing = Object.keys(english).filter((key) => !Object.hasOwn(catalogue, key));
    const extra = Object.keys(catalogue).filter((key) => !Object.hasOwn(english, key));
    assert.deepEqual(missing, [], `${code} lacks these keys`);
    assert.deepEqual(extra, [], `${code} has keys English lacks`);
  }
});

test("every key's placeholders are the same in every language", () => {
  for (const [code, catalogue] of catalogues) {
    for (const [key, message] of Object.entries(english)) {
      assert.deepEqual(placeholders(catalogue[key]), placeholders(message), `${code} ${key}`);
    }
  }
});

test("messages are non-empty text, plural ones with `other` and only their language's categories", () => {
  for (const [code, catalogue] of [[ENGLISH, english], ...catalogues]) {
    const categories = new Intl.PluralRules(code).resolvedOptions().pluralCategories;
    for (const [key, message] of Object.entries(catalogue)) {
      const forms = typeof message === "string" ? { other: message } : message;
      assert.equal(typeof forms.other, "string", `${code} ${key} needs an "other" form`);
      for (const [category, text] of Object.entries(forms)) {
        assert.ok(categories.includes(category), `${code} ${key}: ${category} is no plural category of ${code}`);
        assert.ok(typeof text === "string" && text.trim(), `${code} ${key} ${category} is empty`);
        assert.ok(!/[<>]/.test(text), `${code} ${key}: markup has no place in a message`);
      }
      if (typeof message !== "string") {
        assert.ok(placeholders(english[key]).includes("count"), `${code} ${key}: a plural message is chosen by {count}`);
      }
    }
  }
});

test("every key a converted module names is in English", () => {
  const areas = new Set(Object.keys(english).map((key) => key.split(".")[0]));
  for (const name of CONVERTED) {
    for (const literal of stringLiterals(source(name))) {
      if (KEY.test(literal) && areas.has(literal.split(".")[0])) {
        assert.ok(Object.hasOwn(english, literal), `${name} names "${literal}", which English lacks`);
      }
    }
  }
});

test("the converted modules write no words of their own: every sentence comes from a catalogue", () => {
  const wording = [];
  for (const name of CONVERTED) {
    for (const literal of stringLiterals(source(name))) {
      if (looksLikeWords(literal) && !NOT_WORDS.has(literal)) wording.push(`${name}: ${JSON.stringify(literal)}`);
    }
  }
  assert.deepEqual(wording, [], "words written into a converted module instead of a catalogue");
});

test("the static check sees words in a module, and not the program's names", () => {
  const sample = [
    'const a = "Please type your name."; // "A comment: not seen."',
    "const b = `Waiting for ${minutes(`${n} min`)}`;",
    "const c = 'Camera'; /* 'Neither is this.' */",
    'const d = ["visitor unexpected", "door-form", "click", "desk.title", "static/icons.svg#mic"];',
    'const e = /["\']/.test(x) ? "" : "No camera found";',
  ].join("\n");
  const literals = stringLiterals(sample);
  assert.deepEqual(literals.filter(looksLikeWords), ["Please type your name.", "Waiting for {}", "Camera", "No camera found"]);
  assert.ok(literals.includes("{} min"), "a template inside a template's ${…} is read too");
});

/**
 * English messages as patterns: a placeholder stands for whatever the page shows there. One of
 * placeholders only ("{hours} {minutes}") would match anything, so it matches nothing on a page.
 */
const englishPatterns = Object.entries(english).flatMap(([key, message]) =>
  (typeof message === "string" ? [message] : Object.values(message)).map((text) => ({
    key,
    pattern: /\p{L}/u.test(text.replace(/\{\w+\}/g, ""))
      ? new RegExp(`^${text.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, ".+")}$`)
      : /(?!)/,
  })),
);

/** The words on a page that no English message holds (or that its marking key does not hold). @param {string} html */
function unlisted(html) {
  const problems = [];
  for (const { text, where, key } of pageWords(html)) {
    if (text === "Parlour") continue; // the name, the same in every language
    if (key !== null) {
      const message = Object.hasOwn(english, key) ? english[key] : undefined;
      const texts = message === undefined ? [] : typeof message === "string" ? [message] : Object.values(message);
      if (!englishPatterns.some((entry) => entry.key === key && entry.pattern.test(text)))
        problems.push(`${where} "${text}" is marked ${key}, which says ${JSON.stringify(texts)}`);
      // translate.js fills in marks without parameters: a message that needs some is script's to set.
      else if (message !== undefined && placeholders(message).length)
        problems.push(`${where} "${text}" is marked ${key}, which needs {${placeholders(message).join("}, {")}}`);
    } else if (!englishPatterns.some((entry) => entry.pattern.test(text))) {
      problems.push(`${where} "${text}" is in no catalogue`);
    } else if (!englishPatterns.some((entry) => entry.pattern.test(text) && placeholders(english[entry.key]).length)) {
      // Unmarked words stay English in every language; only words script sets with a value
      // (the host's "Waiting ({count})", which frontdoor.js writes) may stay unmarked.
      problems.push(`${where} "${text}" is not marked`);
    }
  }
  return problems;
}

test("every word index.html shows or speaks is an English message", () => {
  assert.deepEqual(unlisted(source("index.html")), []);
});

test("the page check finds words no catalogue holds, and a mark whose key says otherwise or needs parameters", () => {
  const html = [
    '<main><h1 data-i18n="prejoin.title">Join a room</h1>',
    '<p>A sentence nobody translated.</p>',
    '<button aria-label="Waiting (3)" data-i18n-attr="aria-label:desk.waitingButton"></button>',
    '<button aria-label="Waiting (3)"></button>',
    '<button data-i18n-attr="aria-label:chat.send" aria-label="Send it"><kbd>Esc</kbd></button>',
    '<p data-i18n="prejoin.name">Your passphrase</p>',
    '<h2>Chat</h2><button aria-label="Send" data-i18n="chat.send"></button></main>',
  ].join("\n");
  assert.deepEqual(unlisted(html), [
    '<p> "A sentence nobody translated." is in no catalogue',
    '<button aria-label> "Waiting (3)" is marked desk.waitingButton, which needs {count}',
    '<button aria-label> "Send it" is marked chat.send, which says ["Send"]',
    '<p> "Your passphrase" is marked prejoin.name, which says ["Your name"]',
    '<h2> "Chat" is not marked',
    '<button aria-label> "Send" is not marked',
  ]);
});

test("every English key is used: named by a module, or marked in index.html", () => {
  const modules = readdirSync(STATIC).filter((name) => name.endsWith(".js") && !name.startsWith("i18n-"));
  const named = new Set(modules.flatMap((name) => stringLiterals(source(name)).filter((literal) => KEY.test(literal))));
  const marked = new Set(pageWords(source("index.html")).flatMap((word) => (word.key === null ? [] : [word.key])));
  const unused = Object.keys(english).filter((key) => !named.has(key) && !marked.has(key));
  assert.deepEqual(unused, [], "keys nothing names: remove them, or name them whole where they are used");
});
