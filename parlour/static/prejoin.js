// @ts-check
/**
 * Before joining: the camera preview with a live microphone level and device choices, the
 * name (remembered) and the passphrase (or the note that the link carried it), and a plain
 * sentence for everything that can stand in the way.
 */

import { DevicePickers } from "./pickers.js";
import * as prefs from "./prefs.js";
import { t } from "./translate.js";

/** @typedef {import("./media.js").LocalMedia} LocalMedia */

/** What a person should read for each reason a join can fail, by the server's code. */
const JOIN_ERRORS = /** @type {const} */ ({
  "no-such-room": "join.noSuchRoom",
  "room-locked": "join.roomLocked",
  "room-full": "join.roomFull",
  "rate-limited": "join.rateLimited",
  "too-many-connections": "join.tooManyConnections",
  closed: "join.closed",
});

/** What a person should read for each problem with the camera and microphone. */
const MEDIA_PROBLEMS = /** @type {const} */ ({
  denied: "media.denied",
  "no-devices": "media.noDevices",
  "in-use": "media.inUse",
  unsupported: "media.unsupported",
  "no-camera": "media.noCamera",
  "no-microphone": "media.noMicrophone",
});

/** Why this browser cannot take part at all, or null when it can. */
export function unsupported() {
  if (!window.isSecureContext || !globalThis.crypto?.subtle) return t("browser.insecure");
  if (!("RTCPeerConnection" in window)) return t("browser.noCalls");
  // Without camera access a person can still join to watch and listen: openMedia says so.
  return null;
}

/**
 * What to tell a person whose join was refused.
 * @param {string} code  the server's error code, or the page's own ("closed", "weak-welcome")
 * @param {string} [serverMessage]  the sentence that came with it; only the page's own is shown
 * @param {number | null} [retryAfter]  seconds until trying again can help, as the server said
 */
export function joinError(code, serverMessage = "", retryAfter = null) {
  if (code === "weak-welcome") return t("join.weakWelcome", { reason: serverMessage });
  if (code === "locked-out") {
    const minutes = retryAfter ? Math.ceil(retryAfter / 60) : 0;
    return minutes ? t("join.lockedOut", { count: minutes }) : t("join.lockedOutWhile");
  }
  const key = Object.hasOwn(JOIN_ERRORS, code) ? JOIN_ERRORS[/** @type {keyof typeof JOIN_ERRORS} */ (code)] : null;
  return key ? t(key) : t("join.refused", { code });
}

/** @type {string | null} */
let fromLink = null;

/**
 * The passphrase a link carries after "#" (percent-encoded UTF-8), or "". It is read once and
 * then cleared from the address bar and the tab's history, so that it is not left where the
 * next person at this browser finds it; the page keeps it in memory only.
 */
export function linkPassphrase() {
  if (fromLink === null) {
    const hash = location.hash.slice(1);
    try {
      fromLink = decodeURIComponent(hash);
    } catch {
      fromLink = hash;
    }
    if (hash) history.replaceState(history.state, "", location.pathname + location.search);
  }
  return fromLink;
}

/** @param {string} id */
function byId(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`page is missing #${id}`);
  return found;
}

export class Prejoin {
  /**
   * @param {LocalMedia} media
   * @param {(name: string, passphrase: string) => void} join
   */
  constructor(media, join) {
    this.media = media;
    this.root = byId("prejoin");
    this.form = /** @type {HTMLFormElement} */ (byId("join-form"));
    this.name = /** @type {HTMLInputElement} */ (byId("name"));
    this.passphrase = /** @type {HTMLInputElement} */ (byId("passphrase"));
    this.preview = /** @type {HTMLVideoElement} */ (byId("preview"));
    this.previewNote = byId("preview-note");
    this.meter = byId("level");
    this.mediaProblem = byId("media-problem");
    this.retry = byId("media-retry");
    this.status = byId("join-status");
    this.statusText = byId("join-status-text");
    this.error = byId("join-error");
    this.button = /** @type {HTMLButtonElement} */ (byId("join"));
    this.micToggle = /** @type {HTMLButtonElement} */ (byId("preview-mic"));
    this.camToggle = /** @type {HTMLButtonElement} */ (byId("preview-camera"));
    /** @type {number | undefined} */
    this.slow = undefined;
    this.metering = false;
    this.denied = false;
    this.opened = false; // until the first answer about devices, say nothing about them
    this.pickers = new DevicePickers(
      media,
      {
        camera: /** @type {HTMLSelectElement} */ (byId("camera")),
        microphone: /** @type {HTMLSelectElement} */ (byId("microphone")),
        speaker: /** @type {HTMLSelectElement} */ (byId("speaker")),
      },
      { speaker: () => {}, problem: (text) => this.showProblem(text) },
    );
    this.name.value ||= prefs.load("name") ?? ""; // what was typed before the script came stays
    const fromLink = linkPassphrase();
    if (fromLink) {
      this.passphrase.value = fromLink;
      byId("passphrase-field").hidden = true;
      byId("link-note").hidden = false;
    }
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = this.name.value.trim();
      if (!name) return this.fail(t("prejoin.needName"), this.name);
      if (!this.passphrase.value.trim()) return this.fail(t("prejoin.needPassphrase"), this.passphrase);
      prefs.save("name", name);
      join(name, this.passphrase.value);
    });
    // The page ships Join disabled: a click before this module runs would submit the form the
    // browser's way, reloading the page and losing the link's passphrase.
    this.button.disabled = false;
    this.retry.addEventListener("click", () => void this.openMedia());
    this.micToggle.addEventListener("click", () => media.setMicMuted(!media.micMuted));
    this.camToggle.addEventListener("click", () => void media.setCameraOn(!media.cameraOn).catch(() => {}));
    media.addEventListener("change", () => this.render());
    this.render();
  }

  /** Check the browser, then start the preview. @param {boolean} [focus]  put focus on the form */
  async start(focus = true) {
    const problem = unsupported();
    if (problem) {
      this.error.textContent = problem;
      this.button.disabled = true;
      this.root.classList.add("unsupported");
      return;
    }
    if (focus) this.focus();
    await this.openMedia();
  }

  focus() {
    const field = !this.name.value ? this.name : !this.passphrase.value ? this.passphrase : this.button;
    field.focus();
  }

  async openMedia() {
    this.showProblem("");
    const cameraId = prefs.load("camera") ?? undefined;
    const micId = prefs.load("microphone") ?? undefined;
    const processing = prefs.loadProcessing();
    let result = await this.media.open({ cameraId, micId, processing });
    if (result.problem !== "denied" && ((cameraId && !result.video) || (micId && !result.audio))) {
      // A remembered device that is gone (unplugged, another computer): take whatever exists.
      prefs.save("camera", null);
      prefs.save("microphone", null);
      result = await this.media.open({ processing });
    }
    /** @type {string | null} */
    let problem = result.problem;
    if (!problem && !result.video && result.audio) problem = "no-camera";
    if (!problem && !result.audio && result.video) problem = "no-microphone";
    if (!problem && !result.audio && !result.video) problem = "no-devices";
    this.denied = problem === "denied";
    this.opened = true;
    const words = problem && Object.hasOwn(MEDIA_PROBLEMS, problem) ? t(MEDIA_PROBLEMS[/** @type {keyof typeof MEDIA_PROBLEMS} */ (problem)]) : "";
    this.showProblem(words, problem === "denied" || problem === "in-use");
    this.render();
    await this.pickers.refresh();
    this.meterLoop();
  }

  /** @param {string} text @param {boolean} [canRetry] */
  showProblem(text, canRetry = false) {
    const message = this.mediaProblem.querySelector("p");
    if (message) message.textContent = text;
    this.mediaProblem.hidden = !text;
    this.retry.hidden = !canRetry;
  }

  render() {
    const m = this.media;
    const showing = m.hasCamera && m.cameraOn;
    // A stream with no picture would hold back the page's load event for good: none then.
    const source = showing && m.stream.getVideoTracks().length ? m.stream : null;
    if (this.preview.srcObject !== source) this.preview.srcObject = source;
    this.preview.classList.toggle("off", !showing);
    this.previewNote.textContent = !this.opened
      ? ""
      : this.denied
      ? t("prejoin.cameraNotAllowed")
      : !m.hasCamera
        ? t("prejoin.noCamera")
        : m.cameraOn
          ? ""
          : t("prejoin.cameraIsOff");
    this.micToggle.setAttribute("aria-label", t(m.micMuted ? "prejoin.unmute" : "prejoin.mute"));
    this.micToggle.classList.toggle("off", m.micMuted || !m.hasMic);
    this.micToggle.hidden = !m.hasMic;
    this.micToggle.querySelector("use")?.setAttribute("href", `static/icons.svg#${m.micMuted ? "mic-off" : "mic"}`);
    this.camToggle.setAttribute("aria-label", t(m.cameraOn ? "prejoin.cameraOff" : "prejoin.cameraOn"));
    this.camToggle.classList.toggle("off", !showing);
    this.camToggle.hidden = !m.hasCamera;
    this.camToggle.querySelector("use")?.setAttribute("href", `static/icons.svg#${showing ? "cam" : "cam-off"}`);
  }

  /** The level meter runs while the form is on screen; aria-valuenow changes a few times a second. */
  meterLoop() {
    if (this.metering) return;
    this.metering = true;
    const bar = /** @type {HTMLElement} */ (this.meter.firstElementChild);
    let said = -1;
    let lastSaid = 0;
    const frame = (/** @type {number} */ now) => {
      if (this.root.hidden) {
        this.metering = false;
        return;
      }
      const level = this.media.micMuted ? 0 : Math.min(1, this.media.level());
      bar.style.transform = `scaleX(${level.toFixed(3)})`;
      const value = Math.round(level * 100);
      if (value !== said && now - lastSaid > 250) {
        this.meter.setAttribute("aria-valuenow", String(value));
        [said, lastSaid] = [value, now];
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  /** @param {string} text @param {HTMLElement} field */
  fail(text, field) {
    this.error.textContent = text;
    field.focus();
  }

  /**
   * Joining is under way: the button waits, and the status speaks only if it takes a while.
   * @param {string} text  what is happening now, or "" when done
   */
  working(text) {
    clearTimeout(this.slow);
    this.button.disabled = Boolean(text);
    const show = () => {
      this.statusText.textContent = text;
      this.status.hidden = !text;
    };
    if (text) this.error.textContent = "";
    // Already on screen, or done: change at once. Otherwise speak up only if it takes a while.
    if (!text || !this.status.hidden) show();
    else this.slow = window.setTimeout(show, 300);
  }

  /** @param {string} text */
  showError(text) {
    this.working("");
    this.error.textContent = text;
  }

  /** @param {boolean} shown */
  show(shown) {
    this.root.hidden = !shown;
    if (shown) {
      this.render();
      this.meterLoop();
    }
  }
}
