// @ts-check
/**
 * The call controls at the bottom, their keyboard shortcuts, and full screen. Button names
 * say what a press will do ("Unmute microphone"), and change with the state.
 */

import { t } from "./translate.js";

/** @typedef {import("./media.js").LocalMedia} LocalMedia */
/** @typedef {import("./i18n.js").Key} Key */

/**
 * @typedef {object} Actions
 * @property {() => void} settings
 * @property {(fromKey?: boolean) => void} chat  from the keyboard, an open chat is focused rather than closed
 * @property {() => void} shortcuts
 * @property {() => void} pinSpeaker
 * @property {() => void} lock  lock the room to newcomers, or unlock it
 * @property {() => void} sendFile  choose files to send to everyone
 * @property {() => void} leave
 * @property {(text: string) => void} problem
 */

/** @param {HTMLElement} root @param {string} id */
function button(root, id) {
  const found = root.querySelector(`#${id}`);
  if (!(found instanceof HTMLButtonElement)) throw new Error(`page is missing button #${id}`);
  return found;
}

/** Set a control's accessible name, its visible tip and its icon. @param {HTMLButtonElement} b @param {string} label @param {string} [glyph] */
function describe(b, label, glyph) {
  b.setAttribute("aria-label", label);
  const tip = b.querySelector(".tip-text");
  if (tip) tip.textContent = label;
  const use = b.querySelector("use");
  if (glyph && use) use.setAttribute("href", `static/icons.svg#${glyph}`);
}

/** Typing in a field must never trigger a shortcut. @param {EventTarget | null} target */
function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !["checkbox", "radio", "button", "submit", "range"].includes(target.type);
}

export class Controls {
  /**
   * @param {HTMLElement} toolbar
   * @param {HTMLElement} fullscreenTarget  what goes full screen: the stage with its controls
   * @param {LocalMedia} media
   * @param {Actions} actions
   */
  constructor(toolbar, fullscreenTarget, media, actions) {
    this.toolbar = toolbar;
    this.target = fullscreenTarget;
    this.media = media;
    this.actions = actions;
    this.active = false;
    this.mic = button(toolbar, "mic-button");
    this.camera = button(toolbar, "camera-button");
    this.flip = button(toolbar, "flip-button");
    this.share = button(toolbar, "share-button");
    this.chat = button(toolbar, "chat-button");
    this.fullscreen = button(toolbar, "fullscreen-button");
    this.lock = button(toolbar, "lock-button");
    this.locked = false;
    this.mic.addEventListener("click", () => this.toggleMic());
    this.camera.addEventListener("click", () => void this.toggleCamera());
    this.share.addEventListener("click", () => void this.toggleShare());
    this.flip.addEventListener("click", () => void this.run(() => media.flipCamera(), "controls.flipFailed"));
    this.lock.addEventListener("click", actions.lock);
    button(toolbar, "settings-button").addEventListener("click", actions.settings);
    button(toolbar, "file-button").addEventListener("click", actions.sendFile);
    this.chat.addEventListener("click", () => actions.chat(false));
    button(toolbar, "shortcuts-button").addEventListener("click", actions.shortcuts);
    button(toolbar, "leave-button").addEventListener("click", actions.leave);
    this.fullscreen.hidden = !document.fullscreenEnabled;
    this.fullscreen.addEventListener("click", () => void this.toggleFullscreen());
    document.addEventListener("fullscreenchange", () => this.render());
    media.addEventListener("change", () => this.render());
    toolbar.addEventListener("keydown", (event) => this.arrows(event));
    document.addEventListener("keydown", (event) => this.shortcut(event));
    this.render();
  }

  render() {
    const m = this.media;
    const muted = m.micMuted || !m.hasMic;
    describe(this.mic, t(m.hasMic ? (m.micMuted ? "controls.unmute" : "controls.mute") : "controls.noMicrophone"), muted ? "mic-off" : "mic");
    this.mic.disabled = !m.hasMic;
    this.mic.classList.toggle("off", muted);
    const dark = !m.cameraOn || !m.hasCamera;
    describe(this.camera, t(m.hasCamera ? (m.cameraOn ? "controls.cameraOff" : "controls.cameraOn") : "controls.noCamera"), dark ? "cam-off" : "cam");
    this.camera.disabled = !m.hasCamera;
    this.camera.classList.toggle("off", dark);
    this.flip.hidden = !m.canFlip;
    // Not offered where the browser cannot share (phones): a button that can only fail is noise.
    this.share.hidden = !m.canShare;
    describe(this.share, t(m.sharing ? "controls.stopSharing" : "controls.share"));
    this.share.classList.toggle("active", m.sharing);
    const full = document.fullscreenElement === this.target;
    describe(this.fullscreen, t(full ? "controls.exitFullscreen" : "controls.fullscreen"), full ? "shrink" : "expand");
    // Like the others, the name says what a press does; the icon shows how the room is now.
    describe(this.lock, t(this.locked ? "controls.unlock" : "controls.lock"), this.locked ? "lock" : "unlock");
    this.lock.classList.toggle("active", this.locked);
  }

  /** @param {boolean} locked */
  lockState(locked) {
    this.locked = locked;
    this.render();
  }

  /** @param {boolean} open @param {number} unread */
  chatState(open, unread) {
    this.chat.setAttribute("aria-expanded", String(open));
    this.chat.classList.toggle("active", open);
    const badge = this.chat.querySelector(".badge");
    if (badge) badge.textContent = unread ? String(Math.min(unread, 99)) : "";
  }

  toggleMic() {
    if (this.media.hasMic) this.media.setMicMuted(!this.media.micMuted);
  }

  async toggleCamera() {
    if (!this.media.hasCamera) return;
    const on = !this.media.cameraOn;
    await this.run(() => this.media.setCameraOn(on), "controls.cameraFailed");
  }

  async toggleShare() {
    if (!this.media.canShare) return;
    if (this.media.sharing) {
      this.media.stopScreen();
      return;
    }
    try {
      await this.media.shareScreen();
    } catch (error) {
      // Cancelling the browser's picker is a choice, not a problem to report.
      if (!(error instanceof DOMException && error.name === "NotAllowedError")) {
        this.actions.problem(t("controls.shareFailed"));
      }
    }
    this.render();
  }

  /** @param {() => Promise<unknown>} step @param {Key} failure  what to say if it fails */
  async run(step, failure) {
    try {
      await step();
    } catch {
      this.actions.problem(t(failure));
    }
    this.render();
  }

  async toggleFullscreen() {
    if (this.fullscreen.hidden) return; // not offered by this browser (iPhones, for one)
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await this.target.requestFullscreen();
    } catch {
      this.actions.problem(t("controls.fullscreenFailed"));
    }
  }

  /** Left and Right move along the toolbar, as in any toolbar. @param {KeyboardEvent} event */
  arrows(event) {
    const keys = ["ArrowLeft", "ArrowRight", "Home", "End"];
    if (!keys.includes(event.key)) return;
    const buttons = [...this.toolbar.querySelectorAll("button")].filter((b) => !b.hidden && !b.disabled);
    const at = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (at < 0) return;
    const next = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: buttons.length - 1 }[event.key] ?? at;
    buttons[(next + buttons.length) % buttons.length]?.focus();
    event.preventDefault();
  }

  /** @param {KeyboardEvent} event */
  shortcut(event) {
    if (!this.active || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    /** @type {Record<string, () => void>} */
    const table = {
      m: () => this.toggleMic(),
      v: () => void this.toggleCamera(),
      s: () => void this.toggleShare(),
      c: () => this.actions.chat(true),
      f: () => void this.toggleFullscreen(),
      p: this.actions.pinSpeaker,
      l: this.actions.lock,
      "?": this.actions.shortcuts,
    };
    const action = table[event.key.toLowerCase()];
    if (!action || event.repeat) return;
    event.preventDefault();
    action();
  }
}
