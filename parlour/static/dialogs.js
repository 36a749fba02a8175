// @ts-check
/**
 * The call's two dialogs: Settings (devices and sound processing) and Keyboard shortcuts.
 * Native <dialog>: Escape closes it and focus returns to the button that opened it.
 */

import { DevicePickers } from "./pickers.js";
import * as prefs from "./prefs.js";
import { t } from "./translate.js";

/** @typedef {import("./media.js").LocalMedia} LocalMedia */
/** @typedef {"noiseSuppression" | "echoCancellation" | "autoGainControl"} Processing */

/** Close buttons and a click on the backdrop close a dialog. @param {HTMLDialogElement} dialog */
export function closable(dialog) {
  for (const button of dialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dialog.close());
  }
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close(); // the backdrop, not the content
  });
}

export class SettingsDialog {
  /**
   * @param {HTMLDialogElement} dialog
   * @param {LocalMedia} media
   * @param {{speaker: (id: string) => void, problem: (text: string) => void}} on
   */
  constructor(dialog, media, on) {
    this.dialog = dialog;
    this.media = media;
    /** @param {string} name */
    const select = (name) => /** @type {HTMLSelectElement} */ (dialog.querySelector(`select[name="${name}"]`));
    this.pickers = new DevicePickers(
      media,
      { camera: select("camera"), microphone: select("microphone"), speaker: select("speaker") },
      on,
    );
    /** @type {HTMLInputElement[]} */
    this.boxes = [...dialog.querySelectorAll("input[type=checkbox]")].map((box) => /** @type {HTMLInputElement} */ (box));
    for (const box of this.boxes) {
      box.addEventListener("change", async () => {
        const key = /** @type {Processing} */ (box.name);
        try {
          await media.setProcessing({ [key]: box.checked });
          prefs.save("processing", JSON.stringify(media.processing));
        } catch {
          on.problem(t("devices.processingFailed"));
        }
        this.sync();
      });
    }
    closable(dialog);
  }

  sync() {
    for (const box of this.boxes) box.checked = Boolean(this.media.processing[/** @type {Processing} */ (box.name)]);
  }

  async open() {
    this.sync();
    this.dialog.showModal();
    await this.pickers.refresh();
  }
}
