// i18n.js: the language picked from the browser's list, English behind every other language,
// placeholders and plural forms by Intl.PluralRules, and never a key on screen.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { waited } from "../../parlour/static/elapsed.js";
import {
  CATALOGUES,
  ENGLISH,
  formatNumber,
  language,
  lookup,
  onProblem,
  pickLanguage,
  placeholders,
  t,
  Translator,
  useLanguage,
} from "../../parlour/static/i18n.js";

/** @type {string[]} */
const problems = [];
onProblem((problem) => problems.push(problem));

afterEach(async () => {
  problems.length = 0;
  await useLanguage([ENGLISH]);
});

test("the first of the browser's languages the page has, trying each without its region", () => {
  const cases = [
    [["de-AT"], "de"],
    [["de-AT", "fr"], "de"],
    [["fr-CA", "de"], "fr"],
    [["it-IT", "it", "es-MX"], "es"],
    [["DE-at"], "de"],
    [["pt_BR", "fr_FR"], "fr"],
    [["zh-Hant-TW"], "en"],
    [["it"], "en"],
    [[], "en"],
    [["", "*", 42, null, "es"], "es"],
    [["en-GB", "de"], "en"],
  ];
  for (const [preferred, expected] of cases) assert.equal(pickLanguage(/** @type {unknown[]} */ (preferred)), expected, String(preferred));
  assert.equal(pickLanguage(["pt-BR"], ["pt-br", "pt", "en"]), "pt-br", "a region the page has is taken as it is");
});

test("a language is used once its catalogue is loaded, and English comes back for one the page lacks", async () => {
  assert.equal(await useLanguage(["de-AT", "en"]), "de");
  assert.equal(language(), "de");
  assert.equal(t("prejoin.title"), "Einem Raum beitreten");
  assert.equal(await useLanguage(["fr-BE"]), "fr");
  assert.equal(t("door.cancel"), "Annuler");
  assert.equal(await useLanguage(["es-419"]), "es");
  assert.equal(t("prejoin.join"), "Entrar");
  assert.equal(await useLanguage(["ja", "ko"]), "en");
  assert.equal(t("prejoin.title"), "Join a room");
});

test("a catalogue that does not load leaves the page in English", async () => {
  const load = CATALOGUES.de;
  CATALOGUES.de = () => Promise.reject(new Error("offline"));
  try {
    assert.equal(await useLanguage(["de"]), "en");
    assert.equal(t("prejoin.title"), "Join a room");
  } finally {
    CATALOGUES.de = load;
  }
});

test("a key a language lacks is said in English, and one no catalogue has is never shown", () => {
  const german = new Translator("de", { "door.cancel": "Abbrechen" });
  assert.equal(german.text("door.cancel"), "Abbrechen");
  assert.equal(german.text("door.ask"), "Ask for a call");
  assert.deepEqual(problems, []);
  assert.equal(german.text("door.nonsense"), "");
  assert.equal(german.text("constructor"), "", "the catalogue's prototype is no message");
  assert.equal(german.text("__proto__"), "");
  assert.equal(problems.length, 3);
  assert.match(problems[0], /door\.nonsense/);
  assert.equal(lookup("page.nonsense"), null, "the page keeps its own words for a key nobody has");
});

test("placeholders are filled by name, numbers in the language's way, and a missing one is left empty", async () => {
  assert.equal(t("door.askingWhom", { name: "Grandma" }), "Asking Grandma for a call");
  assert.equal(t("safety.compare", { name: "Ada", code: "123 456" }), "Compare this code aloud with Ada: 123 456. If it matches, nobody is listening in.");
  assert.equal(t("join.refused", { code: "{name}" }), "The server refused to let you in ({name}).", "a value is not read again");
  assert.equal(t("devices.cameraNumber", { number: 1234 }), "Camera 1,234");
  await useLanguage(["de"]);
  assert.equal(t("door.askingWhom", { name: "Oma" }), "Du bittest Oma um einen Anruf");
  assert.equal(t("devices.cameraNumber", { number: 1234 }), "Kamera 1.234");
  assert.deepEqual(problems, []);
  assert.equal(t("door.askingWhom"), "Du bittest  um einen Anruf");
  assert.deepEqual(problems, ['message "door.askingWhom" needs {name}']);
});

test("plural forms follow each language's rules", async () => {
  /** @type {[string, number, RegExp][]} */
  const cases = [
    ["en", 1, /Wait a minute, then try again\.$/],
    ["en", 2, /Wait 2 minutes, then try again\.$/],
    ["en", 1500, /Wait 1,500 minutes, then try again\.$/],
    ["de", 1, /Warte eine Minute und versuche/],
    ["de", 5, /Warte 5 Minuten und versuche/],
    ["de", 1500, /Warte 1\.500 Minuten und versuche/],
    ["fr", 1, /Attends une minute, puis réessaie\.$/],
    ["fr", 3, /Attends 3 minutes, puis réessaie\.$/],
    ["fr", 1500, /Attends 1\s500 minutes, puis réessaie\.$/],
    ["es", 1, /Espera un minuto y vuelve a intentarlo\.$/],
    ["es", 7, /Espera 7 minutos y vuelve a intentarlo\.$/],
  ];
  for (const [code, count, words] of cases) {
    await useLanguage([code]);
    assert.match(t("join.lockedOut", { count }), words, `${code} ${count}`);
  }
  assert.deepEqual(problems, []);
});

test("French takes 0 and 1 as the singular; English and German only 1", () => {
  const message = { "x.apples": { one: "{count} pomme", other: "{count} pommes" } };
  const french = new Translator("fr", message, message);
  assert.deepEqual([0, 1, 1.5, 2].map((count) => french.text("x.apples", { count })), ["0 pomme", "1 pomme", "1,5 pomme", "2 pommes"]);
  const english = new Translator("en", message, message);
  assert.deepEqual([0, 1, 2].map((count) => english.text("x.apples", { count })), ["0 pommes", "1 pomme", "2 pommes"]);
  const german = new Translator("de", message, message);
  assert.deepEqual([0, 1, 2].map((count) => german.text("x.apples", { count })), ["0 pommes", "1 pomme", "2 pommes"]);
  const spanish = new Translator("es", message, message);
  assert.deepEqual([0, 1, 2].map((count) => spanish.text("x.apples", { count })), ["0 pommes", "1 pomme", "2 pommes"]);
  assert.equal(french.text("x.apples"), " pommes", "without a count: the `other` form, and a report of the missing {count}");
  assert.deepEqual(problems, ['message "x.apples" needs {count}']);
});

test("waiting times and numbers are written in the page's language", async () => {
  const times = [0, 5 * 60_000, 65 * 60_000];
  // Which spaces Intl puts between a number and its unit (no-break or not) varies with the ICU
  // version; the words and their order are what this checks.
  const words = () => times.map((ms) => waited(ms).replace(/\s/g, " "));
  assert.deepEqual(words(), ["less than a minute", "5 min", "1 hr 5 min"]);
  await useLanguage(["de"]);
  assert.deepEqual(words(), ["weniger als eine Minute", "5 Min.", "1 Std. 5 Min."]);
  assert.equal(formatNumber(1234.5), "1.234,5");
  await useLanguage(["fr"]);
  assert.deepEqual(words(), ["moins d’une minute", "5 min", "1 h 5 min"]);
  await useLanguage(["es"]);
  assert.deepEqual(words(), ["menos de un minuto", "5 min", "1 h 5 min"]);
});

test("every message of every language, with its placeholders given, reads as words and not as a key", async () => {
  for (const code of Object.keys(CATALOGUES)) {
    const catalogue = (await CATALOGUES[code]()).default;
    await useLanguage([code]);
    for (const [key, message] of Object.entries(catalogue)) {
      const params = Object.fromEntries(placeholders(message).map((name) => [name, name === "count" ? 2 : "Ada"]));
      for (const count of typeof message === "string" ? [2] : [1, 2, 5]) {
        const text = t(/** @type {any} */ (key), { ...params, ...(params.count === undefined ? {} : { count }) });
        assert.ok(text && text !== key && !/\{\w+\}/.test(text), `${code} ${key}: ${JSON.stringify(text)}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
