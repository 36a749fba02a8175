// @ts-check
/**
 * How long someone has waited, in words that change a few times an hour rather than every
 * second: "less than a minute", "2 min", "1 hr 5 min". No DOM: tests load it under Node.
 */

/** How often a page rewrites a waiting time: often enough to be right, rarely enough to be calm. */
export const TICK_MS = 20_000;

const MINUTE = 60_000;

/** @param {string} unit */
const units = (unit) => new Intl.NumberFormat("en", { style: "unit", unit, unitDisplay: "short" });
const minutes = units("minute");
const hours = units("hour");

/**
 * @param {number} ms  how long, in milliseconds (a clock that stepped back counts as nothing)
 * @returns {string}
 */
export function waited(ms) {
  const whole = Math.floor(Math.max(0, ms) / MINUTE);
  if (whole < 1) return "less than a minute";
  if (whole < 60) return minutes.format(whole);
  const h = Math.floor(whole / 60);
  const m = whole % 60;
  return m ? `${hours.format(h)} ${minutes.format(m)}` : hours.format(h);
}
