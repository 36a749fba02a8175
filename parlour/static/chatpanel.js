// @ts-check
/**
 * The chat side panel: the messages of this call and a box to write one. Sending is done by
 * whoever owns the panel (sealed, through the signalling); this module only shows and asks.
 */

import { t } from "./translate.js";

/** Stand-ins for the sender and the file while a sentence is split around them (private use). */
const WHO = "\u{E000}";
const FILE = "\u{E001}";

export class ChatPanel {
  /**
   * @param {{panel: HTMLElement, log: HTMLElement, form: HTMLFormElement, text: HTMLInputElement}} ui
   * @param {(text: string) => boolean} send  false when the message could not go
   * @param {(open: boolean, unread: number) => void} changed
   * @param {() => void} escape  Escape pressed in the panel
   */
  constructor(ui, send, changed, escape) {
    this.ui = ui;
    this.changed = changed;
    this.unread = 0;
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = ui.text.value.trim();
      if (text && send(text)) ui.text.value = "";
    });
    ui.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") escape();
    });
  }

  get focused() {
    return this.ui.panel.contains(document.activeElement);
  }

  focus() {
    this.ui.text.focus();
  }

  get open() {
    return !this.ui.panel.hidden;
  }

  /** @param {boolean} open @param {boolean} [focus] */
  show(open, focus = false) {
    this.ui.panel.hidden = !open;
    if (open) this.unread = 0;
    if (open && focus) this.ui.text.focus();
    this.changed(open, this.unread);
  }

  /** @param {string} who @param {string} text @param {boolean} mine */
  add(who, text, mine) {
    const line = document.createElement("li");
    line.className = mine ? "mine" : "";
    const speaker = document.createElement("strong");
    speaker.textContent = t("chat.from", { name: who });
    line.append(speaker, text);
    this.ui.log.append(line);
    this.ui.log.scrollTop = this.ui.log.scrollHeight;
    if (!this.open && !mine) {
      this.unread++;
      this.changed(false, this.unread);
    }
  }

  /**
   * A line that links to a file someone sent: "Ada sent report.pdf", the name a download link.
   * @param {string} who @param {string} name  safe to save under @param {string} url
   */
  addFile(who, name, url) {
    const line = document.createElement("li");
    const speaker = document.createElement("strong");
    speaker.textContent = who;
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.textContent = name;
    // The whole sentence is the language's ("{name} sent {file}"); the name and the link go
    // where it puts them.
    const sentence = t("chat.sentFile", { name: WHO, file: FILE });
    line.append(...sentence.split(/(\u{E000}|\u{E001})/u).map((part) => (part === WHO ? speaker : part === FILE ? link : part)));
    this.ui.log.append(line);
    this.ui.log.scrollTop = this.ui.log.scrollHeight;
    if (!this.open) {
      this.unread++;
      this.changed(false, this.unread);
    }
  }

  clear() {
    this.ui.log.replaceChildren();
    this.ui.text.value = "";
    this.unread = 0;
  }
}
