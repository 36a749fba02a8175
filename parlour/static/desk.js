// @ts-check
/**
 * The host's desk: who waits for this host, newest at top, live, with Call and Decline for the
 * names on the host's list and only Dismiss for the others; for the super-host also the attempts
 * that went wrong. A new visitor chimes (once the person has touched the page, as browsers
 * require for sound), shows a system notification (if the person asked for them) and counts in
 * the tab's title, so the page can sit in a background tab all day. The signalling is app.js's.
 */

import { TICK_MS, waited, wholeMinutes } from "./elapsed.js";
import { language } from "./i18n.js";
import { t } from "./translate.js";

/** @typedef {import("./signaling.js").Visitor} Visitor */
/** @typedef {import("./signaling.js").AuditEntry} AuditEntry */
/** @typedef {import("./signaling.js").Desk} Desk */

/** The audit's events, as a person would say them (PROTOCOL.md "The front door"). */
const EVENTS = /** @type {const} */ ({
  "unexpected-name": "audit.unexpectedName",
  "unknown-host": "audit.unknownHost",
  country: "audit.countryRefused",
  "knock-limit": "audit.knockLimit",
  "list-full": "audit.listFull",
  "wrong-passphrase": "audit.wrongPassphrase",
  "bad-host-secret": "audit.badHostSecret",
  lockout: "audit.lockout",
  "connection-limit": "audit.connectionLimit",
  probe: "audit.probe",
});

/** An audit event in words; a newer server's event by its code. @param {string} event */
function eventWords(event) {
  return Object.hasOwn(EVENTS, event) ? t(EVENTS[/** @type {keyof typeof EVENTS} */ (event)]) : event;
}

/** The audit table keeps at most what the server opens a desk with. */
const AUDIT_ROWS = 200;
const TITLE = "Parlour";

/** @type {Intl.DisplayNames | null | undefined} */
let regions;

/** Country names in the page's language, made when first needed (the language is known then). */
function countries() {
  if (regions === undefined) {
    try {
      regions = new Intl.DisplayNames([language()], { type: "region" });
    } catch {
      regions = null; // an old browser: the code alone
    }
  }
  return regions;
}

/** A country code in words, with the code for those who know it. @param {string | null} code */
export function countryName(code) {
  if (!code) return "";
  const country = countries()?.of(code);
  return country && country !== code ? t("desk.country", { country, code }) : code;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} [className] @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function make(tag, className = "", text = "") {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** @param {string} id */
function byId(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`page is missing #${id}`);
  return found;
}

/** A short, soft two-note chime made on the spot: no sound file to fetch. */
class Chime {
  constructor() {
    /** @type {AudioContext | null} */
    this.context = null;
    // Browsers let a page make sound only after the person has touched it.
    const unlock = () => {
      if (!this.context && "AudioContext" in window) this.context = new AudioContext();
      void this.context?.resume();
    };
    for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, unlock, { once: true, capture: true });
  }

  play() {
    const context = this.context;
    if (!context || context.state !== "running") return;
    const start = context.currentTime + 0.02;
    [660, 880].forEach((frequency, i) => {
      const at = start + i * 0.18;
      const tone = context.createOscillator();
      const volume = context.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      volume.gain.setValueAtTime(0.0001, at);
      volume.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
      tone.connect(volume).connect(context.destination);
      tone.start(at);
      tone.stop(at + 0.4);
    });
  }
}

export class DeskView {
  /**
   * @param {{call: (visitor: Visitor) => void, decline: (visitor: Visitor) => void,
   *   dismiss: (visitor: Visitor) => void, count: (waiting: number) => void}} on
   *   count: the number waiting changed (the call's "Waiting (N)" control follows it)
   */
  constructor(on) {
    this.on = on;
    this.root = byId("desk");
    this.list = byId("visitors");
    this.empty = byId("visitors-empty");
    this.status = byId("desk-status");
    this.error = byId("desk-error");
    this.notify = /** @type {HTMLButtonElement} */ (byId("desk-notify"));
    this.auditSection = byId("audit");
    this.auditRows = byId("audit-rows");
    this.nameField = /** @type {HTMLInputElement} */ (byId("desk-name"));
    /** @type {Map<string, {visitor: Visitor, row: HTMLLIElement, clock: HTMLElement}>} */
    this.rows = new Map();
    this.chime = new Chime();
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.ticker = undefined;
    this.notify.hidden = !("Notification" in window) || Notification.permission !== "default";
    this.notify.addEventListener("click", () => void this.askToNotify());
  }

  /** Notifications are asked for once, from a button: never on load, where browsers frown on it. */
  async askToNotify() {
    try {
      await Notification.requestPermission();
    } catch {
      // an old Safari wants a callback; then the button simply stays
    }
    this.notify.hidden = Notification.permission !== "default";
  }

  /** @param {boolean} shown */
  show(shown) {
    this.root.hidden = !shown;
    clearInterval(this.ticker);
    if (shown) {
      this.tick();
      this.ticker = setInterval(() => this.tick(), TICK_MS);
    }
  }

  /** @param {string} text  how the desk's connection stands, or "" when all is well */
  setStatus(text) {
    this.status.textContent = text;
  }

  /** @param {string} text */
  showError(text) {
    this.error.textContent = text;
  }

  /** The desk opened (again): the list is the server's now. @param {Desk} desk */
  open(desk) {
    for (const { row } of this.rows.values()) row.remove();
    this.rows.clear();
    // Newest first on the wire: added oldest first, each on top.
    for (const visitor of [...desk.visitors].reverse()) this.place(visitor);
    this.auditSection.hidden = !desk.super;
    this.auditRows.replaceChildren();
    for (const entry of [...desk.audit].reverse()) this.addAudit(entry);
    if (!this.nameField.value) this.nameField.value = desk.host.charAt(0).toUpperCase() + desk.host.slice(1);
    this.counted();
  }

  /** Someone new is waiting: on top, and heard. @param {Visitor} visitor */
  add(visitor) {
    this.place(visitor);
    this.counted();
    this.chime.play();
    this.notifyOf(visitor);
  }

  /** @param {Visitor} visitor */
  notifyOf(visitor) {
    if (!("Notification" in window) || Notification.permission !== "granted" || document.visibilityState === "visible") return;
    try {
      const title = visitor.name ? t("desk.notification", { name: visitor.name }) : t("desk.notificationNoName");
      const note = new Notification(title, {
        body: t(visitor.expected ? "desk.notificationExpected" : "desk.notificationUnexpected"),
        tag: `parlour-visitor-${visitor.id}`,
      });
      note.addEventListener("click", () => window.focus());
    } catch {
      // Some browsers allow notifications only from a service worker: the title still counts.
    }
  }

  /** @param {Visitor} visitor */
  place(visitor) {
    this.rows.get(visitor.id)?.row.remove();
    const name = visitor.name || t("desk.someone");
    const row = make("li", visitor.expected ? "visitor" : "visitor unexpected");
    const who = make("p", "visitor-who");
    who.append(make("strong", "visitor-name", name));
    if (!visitor.expected) who.append(" ", make("span", "tag", t("desk.notOnList")));
    const facts = make("ul", "visitor-facts");
    facts.setAttribute("aria-label", t("desk.about", { name }));
    const clock = make("li", "visitor-waited");
    const said = [visitor.to && t("desk.askedFor", { name: visitor.to }), visitor.address, countryName(visitor.country), visitor.agent];
    for (const fact of said) if (fact) facts.append(make("li", "", fact));
    facts.append(clock);
    const actions = make("div", "visitor-actions");
    /** @param {string} verb @param {string} label  the verb with whom it is for @param {string} style @param {() => void} act */
    const button = (verb, label, style, act) => {
      const b = make("button", style, verb);
      b.type = "button";
      b.setAttribute("aria-label", label);
      b.addEventListener("click", act);
      actions.append(b);
    };
    if (visitor.expected) {
      button(t("desk.call"), t("desk.callWhom", { name }), "primary", () => this.on.call(visitor));
      button(t("desk.decline"), t("desk.declineWhom", { name }), "secondary", () => this.on.decline(visitor));
    } else {
      // As the host asked: shown, so they know, but never callable.
      button(t("desk.dismiss"), t("desk.dismissWhom", { name }), "secondary", () => this.on.dismiss(visitor));
    }
    row.append(who, facts, actions);
    this.list.prepend(row);
    this.rows.set(visitor.id, { visitor, row, clock });
    this.tickRow(visitor, clock);
  }

  /** @param {string} id */
  remove(id) {
    const found = this.rows.get(id);
    if (!found) return;
    const focused = found.row.contains(document.activeElement);
    found.row.remove();
    this.rows.delete(id);
    this.counted();
    // Focus that was on a row that went stays in the list, not lost to the page's top.
    if (focused) /** @type {HTMLElement | null} */ (this.list.querySelector("button") ?? this.notify)?.focus();
  }

  /** @param {string} id */
  has(id) {
    return this.rows.has(id);
  }

  counted() {
    const n = this.rows.size;
    this.empty.hidden = n > 0;
    document.title = n ? t("desk.pageTitle", { count: n }) : TITLE;
    this.on.count(n);
  }

  tick() {
    for (const { visitor, clock } of this.rows.values()) this.tickRow(visitor, clock);
    for (const cell of this.auditRows.querySelectorAll("time")) cell.textContent = clockTime(Number(cell.dataset.at));
  }

  /** @param {Visitor} visitor @param {HTMLElement} clock */
  tickRow(visitor, clock) {
    const ms = Date.now() - visitor.since;
    clock.textContent = wholeMinutes(ms) < 1 ? t("desk.waitedBrief") : t("desk.waited", { time: waited(ms) });
  }

  /** An attempt that went wrong, on top. @param {AuditEntry} entry */
  addAudit(entry) {
    const row = make("tr");
    const when = make("time", "", clockTime(entry.at));
    when.dateTime = new Date(entry.at).toISOString();
    when.dataset.at = String(entry.at);
    // Without a country database every country is unknown: a dash says so without noise.
    const cells = [when, entry.address, countryName(entry.country) || "–", eventWords(entry.event), entry.what];
    for (const cell of cells) {
      const td = make("td");
      td.append(cell);
      row.append(td);
    }
    this.auditRows.prepend(row);
    while (this.auditRows.children.length > AUDIT_ROWS) this.auditRows.lastElementChild?.remove();
  }

  /** The name this host goes by in calls. */
  hostName() {
    return this.nameField.value.trim() || t("desk.host");
  }
}

/** A time today as hours and minutes; another day with its date. @param {number} at */
function clockTime(at) {
  const date = new Date(at);
  const today = new Date().toDateString() === date.toDateString();
  return date.toLocaleString(language(), today ? { hour: "2-digit", minute: "2-digit" } : { dateStyle: "medium", timeStyle: "short" });
}
