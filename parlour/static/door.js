// @ts-check
/**
 * The visitor's side of the front door: a name (and, where several people receive visitors
 * here, whom to reach), then a calm waiting screen beside the camera preview, until a host
 * answers or declines. Nothing here mentions rooms or passphrases: a visitor's page gives no hint
 * that they exist. The preview and device choice are the pre-join screen's (prejoin.js); the
 * signalling is app.js's to drive.
 */

import { TICK_MS, waited, wholeMinutes } from "./elapsed.js";
import * as prefs from "./prefs.js";
import { t } from "./translate.js";

/** @typedef {"form" | "asking" | "waiting"} DoorState */

/** Which views may follow which; anything else is a bug and throws, naming the step. */
const TRANSITIONS = /** @type {const} */ ({
  form: ["asking"],
  asking: ["waiting", "form"],
  waiting: ["form"],
});

/** @param {string} id */
function byId(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`page is missing #${id}`);
  return found;
}

/**
 * What a visitor reads when the host says no: kind, without a reason, and an open door.
 * @param {string} to  whom they asked for, as they typed it; "" where they were not asked
 */
export function declinedSentence(to) {
  const name = to.trim();
  return name ? t("door.declined", { name }) : t("door.declinedNoName");
}

export class DoorPage {
  /**
   * @param {{several: boolean, ask: (name: string, to: string) => void, cancel: () => void}} options
   *   several: more than one person receives visitors here, so the visitor says whom they want
   */
  constructor({ several, ask, cancel }) {
    this.form = /** @type {HTMLFormElement} */ (byId("door-form"));
    this.name = /** @type {HTMLInputElement} */ (byId("door-name"));
    this.to = /** @type {HTMLInputElement} */ (byId("door-to"));
    this.button = /** @type {HTMLButtonElement} */ (byId("door-ask"));
    this.error = byId("door-error");
    this.news = byId("door-news");
    this.waitingCard = byId("door-waiting");
    this.heading = byId("door-waiting-title");
    this.clock = byId("door-waited");
    this.connection = byId("door-connection");
    this.cancelButton = byId("door-cancel");
    this.several = several;
    /** @type {DoorState} */
    this.state = "form";
    this.since = 0;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.ticker = undefined;
    byId("door-to-field").hidden = !several;
    this.name.value ||= prefs.load("name") ?? ""; // what was typed before the script came stays
    this.form.hidden = false;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.state !== "form") return;
      const name = this.name.value.trim();
      const to = several ? this.to.value.trim() : "";
      if (!name) return this.fail(t("door.needName"), this.name);
      if (several && !to) return this.fail(t("door.needTo"), this.to);
      prefs.save("name", name);
      this.news.textContent = "";
      this.error.textContent = "";
      this.setState("asking");
      ask(name, to);
    });
    this.button.disabled = false; // shipped disabled, like Join, until its handler is here
    this.cancelButton.addEventListener("click", () => {
      if (this.state === "form") return;
      cancel();
      this.showForm("");
    });
  }

  /** @param {DoorState} next */
  setState(next) {
    const allowed = /** @type {readonly DoorState[]} */ (TRANSITIONS[this.state]);
    if (!allowed.includes(next)) throw new Error(`door: no transition from ${this.state} to ${next}`);
    this.state = next;
    this.button.disabled = next === "asking";
  }

  focus() {
    (this.name.value ? (this.several ? this.to : this.button) : this.name).focus();
  }

  /** @param {string} text @param {HTMLElement} field */
  fail(text, field) {
    this.error.textContent = text;
    field.focus();
  }

  /** The server took the knock: wait, and say for how long, calmly. */
  showWaiting() {
    this.setState("waiting");
    this.since = Date.now();
    const to = this.several ? this.to.value.trim() : "";
    this.heading.textContent = to ? t("door.askingWhom", { name: to }) : t("door.asking");
    this.form.hidden = true;
    this.waitingCard.hidden = false;
    this.connection.textContent = "";
    this.tick();
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.cancelButton.focus();
  }

  tick() {
    const ms = Date.now() - this.since;
    this.clock.textContent = wholeMinutes(ms) < 1 ? t("door.waitedBrief") : t("door.waited", { time: waited(ms) });
  }

  /** @param {boolean} on  the socket dropped and the page is finding its way back */
  reconnecting(on) {
    this.connection.textContent = on ? t("door.reconnecting") : "";
  }

  /**
   * Back to the form, with a sentence saying why when there is one: a host's no, or trouble.
   * @param {string} news  calm news (a decline); "" for none
   * @param {string} [error]  something that went wrong
   */
  showForm(news, error = "") {
    clearInterval(this.ticker);
    if (this.state !== "form") this.setState("form");
    this.waitingCard.hidden = true;
    this.form.hidden = false;
    this.news.textContent = news;
    this.error.textContent = error;
    this.button.focus();
  }

  /** The call began (or the page is leaving): the waiting stops. */
  stop() {
    clearInterval(this.ticker);
    if (this.state !== "form") this.setState("form");
    this.waitingCard.hidden = true;
    this.form.hidden = false;
  }

  /** The person the visitor asked for, as typed; "" where there was no choice. */
  asked() {
    return this.several ? this.to.value.trim() : "";
  }
}
