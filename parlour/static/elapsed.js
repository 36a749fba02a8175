// @ts-check
/**
 * How long someone has waited, in words that change a few times an hour rather than every
 * second: "less than a minute", "2 min", "1 hr 5 min", in the page's language. No DOM: tests
 * load it under Node.
 */

import { formatNumber, t } from "./i18n.js";

/** How often a page rewrites a waiting time: often enough to be right, rarely enough to be calm. */
export const TICK_MS = 20_000;

const MINUTE = 60_000;

/** @param {number} value @param {"minute" | "hour"} unit */
const unit = (value, unit) => formatNumber(value, { style: "unit", unit, unitDisplay: "short" });

/**
 * Whole minutes waited: under one, a sentence says "less than a minute" as its language
 * needs (the words change with the sentence around them in some languages).
 * @param {number} ms  how long, in milliseconds (a clock that stepped back counts as nothing)
 */
export function wholeMinutes(ms) {
  return Math.floor(Math.max(0, ms) / MINUTE);
}

/**
 * @param {number} ms  how long, in milliseconds (a clock that stepped back counts as nothing)
 * @returns {string}
 */
export function waited(ms) {
  const whole = wholeMinutes(ms);
  if (whole < 1) return t("elapsed.lessThanAMinute");
  if (whole < 60) return unit(whole, "minute");
  const h = Math.floor(whole / 60);
  const m = whole % 60;
  return m ? t("elapsed.hoursMinutes", { hours: unit(h, "hour"), minutes: unit(m, "minute") }) : unit(h, "hour");
}
