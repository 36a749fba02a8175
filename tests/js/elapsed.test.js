// elapsed.js: waiting times in words, whole minutes only, so a page rewrites them calmly.

import assert from "node:assert/strict";
import { test } from "node:test";

import { waited } from "../../parlour/static/elapsed.js";

test("a wait reads in whole minutes, then hours and minutes", () => {
  const cases = [
    [0, "less than a minute"],
    [59_999, "less than a minute"],
    [60_000, "1 min"],
    [2 * 60_000 + 59_000, "2 min"],
    [59 * 60_000, "59 min"],
    [60 * 60_000, "1 hr"],
    [65 * 60_000, "1 hr 5 min"],
    [-5_000, "less than a minute"],
  ];
  for (const [ms, words] of cases) assert.equal(waited(/** @type {number} */ (ms)), words, String(ms));
});
