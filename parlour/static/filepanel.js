// @ts-check
/**
 * The files panel: every file sent or offered in this call, one row per file and person, with
 * what can be done with it (accept, decline, cancel, save, dismiss) and how far it has got.
 * files.js does the work; this module only shows and asks.
 */

import { finished, formatSize } from "./files.js";
import { make } from "./tiles.js";

/** @typedef {import("./files.js").Files} Files */
/** @typedef {import("./files.js").Transfer} Transfer */
/** @typedef {import("./files.js").State} State */

/** @type {Record<State, [string, string]>} the state in a word: [incoming, outgoing] */
const BADGE = {
  hashing: ["", "Preparing"],
  offered: ["Offered", "Waiting"],
  transferring: ["Receiving", "Sending"],
  checking: ["Checking", "Sent"],
  verified: ["Verified", "Delivered"],
  corrupt: ["Corrupt", "Damaged"],
  declined: ["Declined", "Declined"],
  cancelled: ["Cancelled", "Cancelled"],
  interrupted: ["Interrupted", "Interrupted"],
  failed: ["Failed", "Failed"],
};

/** Seconds in words, roughly: "12 s", "3 min", "1 h 5 min". @param {number} seconds */
export function formatLeft(seconds) {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** @param {Transfer} t */
function detail(t) {
  const them = t.peer.name;
  switch (t.state) {
    case "hashing":
      return "Checking the file before offering it…";
    case "offered":
      return t.direction === "in" ? `${them} offers you this file. Nothing is received until you accept.` : `Waiting for ${them} to accept.`;
    case "transferring": {
      const rate = t.rate > 0 ? ` · ${formatSize(t.rate)}/s` : "";
      const left = t.left !== null && t.rate > 0 ? ` · about ${formatLeft(t.left)} left` : "";
      return `${formatSize(t.bytes)} of ${formatSize(t.size)}${rate}${left}`;
    }
    case "checking":
      return t.direction === "in" ? "Checking…" : `All sent; waiting for ${them}'s check.`;
    case "verified":
      return t.direction === "in" ? "Verified: its SHA-256 matches the sender's." : `${them} received it and its SHA-256 matched.`;
    default:
      return t.reason;
  }
}

export class FilePanel {
  /**
   * @param {{panel: HTMLElement, list: HTMLElement, news: HTMLElement, note: HTMLElement, clear: HTMLButtonElement}} ui
   * @param {Files} files
   * @param {(transfer: Transfer, url: string) => void} received  a file arrived verified
   */
  constructor(ui, files, received) {
    this.ui = ui;
    this.files = files;
    this.received = received;
    /** @type {Map<Transfer, {row: HTMLElement, state: State}>} */
    this.rows = new Map();
    /** Object URLs of received files, freed when the call's list is cleared. @type {Map<Transfer, string>} */
    this.urls = new Map();
    files.addEventListener("change", (event) => this.render(/** @type {CustomEvent} */ (event).detail.transfer));
    files.addEventListener("problem", (event) => this.note(/** @type {CustomEvent} */ (event).detail.message));
    ui.clear.addEventListener("click", () => {
      ui.note.replaceChildren();
      for (const transfer of [...this.rows.keys()]) if (finished(transfer.state)) this.dismiss(transfer);
      this.sync();
    });
  }

  /** A peer's misbehaviour or another notice, kept short: the last few lines. @param {string} text */
  note(text) {
    const line = make("li", "");
    line.textContent = text;
    this.ui.note.append(line);
    while (this.ui.note.children.length > 6) this.ui.note.firstElementChild?.remove();
    this.sync();
  }

  /** @param {Transfer} t */
  label(t) {
    return `${t.name} ${t.direction === "in" ? "from" : "to"} ${t.peer.name}`;
  }

  /** @param {Transfer} t */
  render(t) {
    const known = this.rows.get(t);
    const row = known?.row ?? make("li", "transfer");
    if (!known) this.ui.list.prepend(row);
    const moved = known?.state !== t.state;
    this.rows.set(t, { row, state: t.state });
    row.dataset.state = t.state;
    row.setAttribute("aria-label", this.label(t));
    if (moved) this.build(row, t);
    const progress = row.querySelector("progress");
    if (progress) {
      progress.max = Math.max(1, t.size);
      progress.value = t.state === "checking" ? Math.max(1, t.size) : t.bytes;
    }
    const status = row.querySelector(".transfer-detail");
    if (status) status.textContent = detail(t);
    if (moved) this.announce(t);
    this.sync();
  }

  /** The row anew for a state: its words and buttons. @param {HTMLElement} row @param {Transfer} t */
  build(row, t) {
    const title = make("p", "transfer-title");
    const name = make("strong", "transfer-name");
    name.textContent = t.name;
    const badge = make("span", "transfer-state");
    badge.textContent = BADGE[t.state][t.direction === "in" ? 0 : 1];
    title.append(badge, " ", name, ` ${t.direction === "in" ? "from" : "to"} ${t.peer.name}`);
    const meta = make("p", "transfer-meta");
    meta.textContent = [formatSize(t.size), t.type || "type not given", t.renamed ? "renamed from an unsafe name" : ""].filter(Boolean).join(" · ");
    /** @type {HTMLElement[]} */
    const parts = [title, meta];
    if (t.state === "transferring" || t.state === "checking") {
      parts.push(make("progress", "", { "aria-label": `${t.direction === "in" ? "Receiving" : "Sending"} ${this.label(t)}` }));
    }
    parts.push(make("p", "transfer-detail"));
    const actions = make("div", "transfer-actions");
    /** @param {string} text @param {string} label @param {() => void} act @param {string} [kind] */
    const button = (text, label, act, kind = "secondary") => {
      const b = make("button", kind, { type: "button", "aria-label": label });
      b.textContent = text;
      b.addEventListener("click", act);
      actions.append(b);
    };
    if (t.direction === "in" && t.state === "offered") {
      button("Accept", `Accept ${this.label(t)}`, () => void this.files.accept(t), "primary");
      button("Decline", `Decline ${this.label(t)}`, () => this.files.decline(t));
    } else if (t.can("cancelled") && t.state !== "checking") {
      button("Cancel", `Cancel ${this.label(t)}`, () => this.files.cancel(t));
    }
    if (t.direction === "in" && t.state === "verified" && t.blob) {
      const link = make("a", "primary button", { download: t.name, href: this.urlOf(t) });
      link.textContent = `Save ${t.name}`;
      actions.append(link);
    }
    if (finished(t.state)) button("Dismiss", `Dismiss ${this.label(t)}`, () => this.dismiss(t), "tool-text");
    parts.push(actions);
    const focused = row.contains(document.activeElement);
    row.replaceChildren(...parts);
    // A pressed button gone with its state: focus stays in the row, on what can be done now.
    if (focused) /** @type {HTMLElement | null} */ (actions.querySelector("a, button"))?.focus();
  }

  /** @param {Transfer} t */
  urlOf(t) {
    let url = this.urls.get(t);
    if (!url && t.blob) {
      url = URL.createObjectURL(t.blob);
      this.urls.set(t, url);
      this.received(t, url);
    }
    return url ?? "";
  }

  /** Said once per change of state, for screen readers; progress is on the bar. @param {Transfer} t */
  announce(t) {
    const word = BADGE[t.state][t.direction === "in" ? 0 : 1];
    if (!word) return;
    const size = t.state === "offered" ? `, ${formatSize(t.size)}` : "";
    this.ui.news.textContent = `${this.label(t)}${size}: ${word}.`;
  }

  /** @param {Transfer} t */
  dismiss(t) {
    const row = this.rows.get(t)?.row;
    if (row?.contains(document.activeElement)) this.ui.panel.focus();
    row?.remove();
    this.rows.delete(t);
    this.files.dismiss(t);
    this.sync();
  }

  sync() {
    const any = this.rows.size > 0 || this.ui.note.children.length > 0;
    this.ui.panel.hidden = !any;
    this.ui.clear.hidden = !this.ui.note.children.length && ![...this.rows.keys()].some((t) => finished(t.state));
  }

  /** The call is over: the list goes, and with it the received files. */
  clear() {
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
    this.rows.clear();
    this.ui.list.replaceChildren();
    this.ui.note.replaceChildren();
    this.ui.news.textContent = "";
    this.sync();
  }
}
