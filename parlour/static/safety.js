// @ts-check
/**
 * The safety code, up front, in a front-door call. There the introductions are sealed with a key
 * everyone knows, the server included (PROTOCOL.md "The front door"), so only comparing the code
 * aloud tells two people that nobody stands between them. A room call keeps the code in each
 * person's connection details; here it is the first thing on screen, until the person closes it.
 */

import { t } from "./translate.js";

/** @typedef {import("./call.js").Participant} Participant */

/** @param {string} name @param {string} code */
export function safetySentence(name, code) {
  return t("safety.compare", { name, code });
}

export class SafetyNotice {
  /** @param {HTMLElement} root  holds a list for the lines and a close button ([data-dismiss]) */
  constructor(root) {
    this.root = root;
    this.lines = /** @type {HTMLElement} */ (root.querySelector("ul"));
    /** Codes already shown and closed: a code comes back only when it is a new one. */
    /** @type {Map<string, string>} session -> the code shown */
    this.shown = new Map();
    root.querySelector("[data-dismiss]")?.addEventListener("click", () => this.close());
  }

  /** @param {Participant} p */
  show(p) {
    if (!p.safetyCode || !p.name || this.shown.get(p.id) === p.safetyCode) return;
    this.shown.set(p.id, p.safetyCode);
    let line = /** @type {HTMLElement | null} */ (this.lines.querySelector(`[data-session="${p.id}"]`));
    if (!line) {
      line = document.createElement("li");
      line.dataset.session = p.id;
      this.lines.append(line);
    }
    line.textContent = safetySentence(p.name, p.safetyCode);
    this.root.hidden = false;
  }

  /** @param {string} session */
  forget(session) {
    this.shown.delete(session);
    this.lines.querySelector(`[data-session="${session}"]`)?.remove();
    if (!this.lines.children.length) this.root.hidden = true;
  }

  close() {
    this.lines.replaceChildren();
    this.root.hidden = true;
  }

  clear() {
    this.shown.clear();
    this.close();
  }
}
