// @ts-check
/**
 * The join link as a QR code, beside "Copy join link": a phone's camera opens the call
 * without anyone typing the link. Drawn in the page (qrcode.js), shown on request, and taken
 * out of the page again when hidden, as the link holds the passphrase.
 */

import { qrSvg } from "./qrcode.js";
import { t } from "./translate.js";

export class QrToggle {
  /**
   * @param {HTMLButtonElement} button  "Show QR code" (call.showQr), aria-controls the figure
   * @param {HTMLElement} figure  where the code goes, hidden until asked for
   * @param {() => string | null} link  the join link now, or null outside a room call
   */
  constructor(button, figure, link) {
    this.button = button;
    this.figure = figure;
    this.link = link;
    /** Counts each show, so that a code drawn late for an earlier one is dropped. */
    this.shown = 0;
    button.addEventListener("click", () => void (figure.hidden ? this.show() : this.hide()));
  }

  async show() {
    const link = this.link();
    if (!link) return;
    const turn = ++this.shown;
    this.button.setAttribute("aria-expanded", "true");
    this.button.textContent = t("call.hideQr");
    try {
      const svg = await qrSvg(link, t("call.qrLabel"));
      if (turn !== this.shown) return;
      this.figure.querySelector("svg")?.remove();
      this.figure.prepend(svg);
      this.figure.hidden = false;
    } catch {
      if (turn !== this.shown) return;
      this.hide();
      this.button.textContent = t("call.qrUnavailable");
    }
  }

  hide() {
    this.shown++;
    this.figure.hidden = true;
    this.figure.querySelector("svg")?.remove();
    this.button.setAttribute("aria-expanded", "false");
    this.button.textContent = t("call.showQr");
  }
}
