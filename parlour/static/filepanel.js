// @ts-check
/**
 * The files panel: every file sent or offered in this call, one row per file and person, with
 * what can be done with it (accept, decline, cancel, save, dismiss) and how far it has got.
 * files.js does the work; this module only shows and asks.
 */

import { finished, formatSize } from "./files.js";
import { make } from "./tiles.js";
import { t as say } from "./translate.js";

/** @typedef {import("./files.js").Files} Files */
/** @typedef {import("./files.js").Transfer} Transfer */
/** @typedef {import("./files.js").State} State */
/** @typedef {import("./i18n.js").Key} Key */

/** @type {Record<State, [Key | null, Key]>} the state in a word: [incoming, outgoing] */
const BADGE = {
  hashing: [null, "fileState.preparing"],
  offered: ["fileState.offered", "fileState.waiting"],
  transferring: ["fileState.receiving", "fileState.sending"],
  checking: ["fileState.checking", "fileState.sent"],
  verified: ["fileState.verified", "fileState.delivered"],
  corrupt: ["fileState.corrupt", "fileState.damaged"],
  declined: ["fileState.declined", "fileState.declined"],
  cancelled: ["fileState.cancelled", "fileState.cancelled"],
  interrupted: ["fileState.interrupted", "fileState.interrupted"],
  failed: ["fileState.failed", "fileState.failed"],
};

/** A transfer's state in a word, or "" (an incoming file has no word while it is prepared). @param {Transfer} t */
function stateWord(t) {
  const key = BADGE[t.state][t.direction === "in" ? 0 : 1];
  return key ? say(key) : "";
}

/** Seconds in words, roughly: "12 s", "3 min", "1 h 5 min". @param {number} seconds */
export function formatLeft(seconds) {
  if (seconds < 60) return say("file.seconds", { seconds: Math.max(1, Math.round(seconds)) });
  if (seconds < 3600) return say("file.minutes", { minutes: Math.round(seconds / 60) });
  return say("file.hoursMinutes", { hours: Math.floor(seconds / 3600), minutes: Math.round((seconds % 3600) / 60) });
}

/** @param {Transfer} t */
function detail(t) {
  const name = t.peer.name;
  const incoming = t.direction === "in";
  switch (t.state) {
    case "hashing":
      return say("file.hashing");
    case "offered":
      return say(incoming ? "file.offeredToYou" : "file.waitingFor", { name });
    case "transferring": {
      // Separate measures, each whole in the language, side by side.
      const parts = [say("file.progress", { done: formatSize(t.bytes), size: formatSize(t.size) })];
      if (t.rate > 0) parts.push(say("file.rate", { rate: formatSize(t.rate) }));
      if (t.left !== null && t.rate > 0) parts.push(say("file.left", { time: formatLeft(t.left) }));
      return parts.join(" · ");
    }
    case "checking":
      return incoming ? say("file.checking") : say("file.sentWaiting", { name });
    case "verified":
      return incoming ? say("file.verified") : say("file.delivered", { name });
    default:
      return t.reason;
  }
}

/** Stand-in for the file's name while a title is split around it (private use). */
const FILE = "\u{E001}";

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
    return this.say(t, "file.from", "file.to");
  }

  /**
   * A sentence about a transfer, whole in the language: its file and the other person.
   * @param {Transfer} t @param {Key} incoming @param {Key} outgoing  the sentence each way
   */
  say(t, incoming, outgoing) {
    return say(t.direction === "in" ? incoming : outgoing, { file: t.name, name: t.peer.name });
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
    badge.textContent = stateWord(t);
    // "report.pdf from Ada" is the language's whole phrase; the name goes where it puts it.
    const phrase = say(t.direction === "in" ? "file.from" : "file.to", { file: FILE, name: t.peer.name });
    title.append(badge, " ", ...phrase.split(FILE).flatMap((part, i) => (i ? [name, part] : [part])));
    const meta = make("p", "transfer-meta");
    meta.textContent = [formatSize(t.size), t.type || say("file.noType"), t.renamed ? say("file.renamed") : ""].filter(Boolean).join(" · ");
    /** @type {HTMLElement[]} */
    const parts = [title, meta];
    if (t.state === "transferring" || t.state === "checking") {
      parts.push(make("progress", "", { "aria-label": this.say(t, "file.receivingThis", "file.sendingThis") }));
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
      button(say("file.accept"), this.say(t, "file.acceptThis", "file.acceptThis"), () => void this.files.accept(t), "primary");
      button(say("file.decline"), this.say(t, "file.declineThis", "file.declineThis"), () => this.files.decline(t));
    } else if (t.can("cancelled") && t.state !== "checking") {
      button(say("file.cancel"), this.say(t, "file.cancelFrom", "file.cancelTo"), () => this.files.cancel(t));
    }
    if (t.direction === "in" && t.state === "verified" && t.blob) {
      const link = make("a", "primary button", { download: t.name, href: this.urlOf(t) });
      link.textContent = say("file.save", { file: t.name });
      actions.append(link);
    }
    if (finished(t.state)) button(say("file.dismiss"), this.say(t, "file.dismissFrom", "file.dismissTo"), () => this.dismiss(t), "tool-text");
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
    const state = stateWord(t);
    if (!state) return;
    const incoming = t.direction === "in";
    const key = t.state === "offered" ? (incoming ? "file.newsOfferedIn" : "file.newsOfferedOut") : incoming ? "file.newsIn" : "file.newsOut";
    this.ui.news.textContent = say(key, { file: t.name, name: t.peer.name, size: formatSize(t.size), state });
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
