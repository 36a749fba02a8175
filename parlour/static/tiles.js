// @ts-check
/**
 * One tile per person: video (or initials when the camera is off), the name, what is off, how
 * the connection is, and buttons to pin the tile, to send the person a file, and to see the
 * connection's details with the safety code. A tile knows nothing of the call engine; app.js hands it a TileView.
 */

import { formatNumber } from "./i18n.js";
import { t } from "./translate.js";

const SVG = "http://www.w3.org/2000/svg";

/**
 * @typedef {object} Quality
 * @property {number} rttMs @property {number} lossPct @property {number} recvKbps
 * @property {number} sendKbps @property {string} route @property {string} video
 * @property {"good" | "fair" | "poor"} grade
 */

/**
 * @typedef {object} TileView
 * @property {string} name         the display name (without "(you)")
 * @property {MediaStream | null} stream
 * @property {boolean} micOff
 * @property {boolean} cameraOff  their camera is off (said on the tile)
 * @property {boolean} picture    there is video to show; otherwise the initials
 * @property {boolean} mirrored    the own camera, shown as in a mirror
 * @property {string} status       what to say over the tile ("Connecting…"), or ""
 * @property {Quality | null} quality
 * @property {string | null} safetyCode
 * @property {boolean} [pending]  someone in the room whose greeting has not arrived yet
 * @property {boolean} [screen]  a shared screen: shown whole (fit), or cropped to fill on request
 * @property {boolean} [canSend]  a file can be sent to them now (their connection has its channel)
 */

/** @param {string} name @returns {SVGSVGElement} */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `static/icons.svg#${name}`);
  svg.append(use);
  return svg;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} className @param {Record<string, string>} [attrs]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function make(tag, className, attrs = {}) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, value);
  return element;
}

/** @param {string} name */
function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = [...(words[0] ?? "?")][0] ?? "?";
  const last = words.length > 1 ? ([...words[words.length - 1]][0] ?? "") : "";
  return (first + last).toUpperCase();
}

/** A stable colour per name, so a person keeps theirs all call long. @param {string} name */
function hue(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 360;
  return String(h);
}

/** How each grade of a connection is said. @type {Record<Quality["grade"], import("./i18n.js").Key>} */
const GRADES = { good: "tile.good", fair: "tile.fair", poor: "tile.poor" };

/** @type {Tile | null} the tile whose details are open: one at a time */
let detailed = null;

document.addEventListener("pointerdown", (event) => {
  if (detailed && event.target instanceof Node && !detailed.el.contains(event.target)) detailed.showDetails(false);
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && detailed) {
    const tile = detailed;
    tile.showDetails(false);
    tile.detailsButton.focus();
  }
});

export class Tile {
  /**
   * @param {boolean} self  the own tile: muted video, no connection details
   * @param {(tile: Tile) => void} onPin
   * @param {(tile: Tile) => void} [onSend]  "Send a file to …" pressed
   */
  constructor(self, onPin, onSend) {
    this.self = self;
    this.el = make("li", "tile entering", { role: "listitem" });
    this.body = make("div", "tile-body", { role: "group" });
    this.video = make("video", "", { playsinline: "", autoplay: "" });
    this.video.muted = self; // one's own voice never plays back
    this.avatar = make("div", "avatar", { "aria-hidden": "true" });
    this.status = make("p", "tile-status");
    this.quality = make("span", "quality", { role: "img" });
    this.quality.append(make("i", ""), make("i", ""), make("i", ""));
    this.detailsButton = make("button", "tool", { type: "button", "aria-expanded": "false" });
    this.detailsButton.append(icon("info"));
    this.pinButton = make("button", "tool", { type: "button", "aria-pressed": "false" });
    this.pinButton.append(icon("pin"));
    // A shared screen is letterboxed so nothing of it is cut off; on a phone, filling the
    // tile (cropped) may make its text large enough to read.
    this.fitButton = make("button", "tool", { type: "button", "aria-pressed": "false", "aria-label": t("tile.fill") });
    this.fitButton.append(icon("expand"));
    this.fitButton.hidden = true;
    this.fitButton.addEventListener("click", () => this.setFill(this.fitButton.getAttribute("aria-pressed") !== "true"));
    this.sendButton = make("button", "tool", { type: "button" });
    this.sendButton.append(icon("file"));
    this.sendButton.hidden = true;
    this.sendButton.addEventListener("click", () => onSend?.(this));
    const tools = make("div", "tile-tools");
    tools.append(this.fitButton, this.sendButton, this.detailsButton, this.pinButton);
    this.micOff = make("span", "flag", { role: "img", "aria-label": t("tile.micOff") });
    this.micOff.append(icon("mic-off"));
    this.camOff = make("span", "flag", { role: "img", "aria-label": t("tile.cameraOff") });
    this.camOff.append(icon("cam-off"));
    this.label = make("span", "tile-label");
    const caption = make("div", "tile-name");
    caption.append(this.micOff, this.camOff, this.label, this.quality);
    this.body.append(this.video, this.avatar, this.status, tools, caption);
    this.details = make("section", "details");
    this.details.hidden = true;
    this.el.append(this.body, this.details);
    if (self) {
      this.quality.hidden = true;
      this.detailsButton.hidden = true;
    }
    this.onPin = onPin;
    this.pinButton.addEventListener("click", () => this.onPin(this));
    this.detailsButton.addEventListener("click", () => this.showDetails(this.detailsButton.getAttribute("aria-expanded") !== "true"));
    this.video.addEventListener("loadedmetadata", () => this.play());
    this.el.addEventListener("transitionend", (event) => {
      if (event.target === this.el) this.fitDetails();
    });
    /** @type {TileView | null} */
    this.view = null;
    this.track = "";
    requestAnimationFrame(() => requestAnimationFrame(() => this.el.classList.remove("entering")));
  }

  /** @param {TileView} view */
  update(view) {
    const old = this.view;
    this.view = view;
    const shown = this.self ? t("tile.you", { name: view.name }) : view.name;
    if (old?.name !== view.name) {
      this.body.setAttribute("aria-label", shown);
      this.label.textContent = shown;
      // Drawn by CSS from the attribute, so the initials are not part of the tile's text.
      this.avatar.dataset.initials = view.pending ? "…" : initials(view.name);
      this.avatar.style.setProperty("--hue", hue(view.name));
      this.pinButton.setAttribute("aria-label", t("tile.pin", { name: shown }));
      this.detailsButton.setAttribute("aria-label", t("tile.details", { name: view.name }));
      this.sendButton.setAttribute("aria-label", t("tile.sendFile", { name: view.name }));
      this.details.setAttribute("aria-label", t("tile.details", { name: view.name }));
    }
    // A new camera track (turned back on, switched, flipped) is shown by loading the stream anew.
    const track = view.stream?.getVideoTracks()[0]?.id ?? "";
    if (this.video.srcObject !== view.stream || track !== this.track) this.video.srcObject = view.stream;
    this.track = track;
    this.video.classList.toggle("mirrored", view.mirrored);
    this.body.classList.toggle("camera-off", !view.picture);
    this.micOff.hidden = !view.micOff;
    this.camOff.hidden = !view.cameraOff;
    this.body.classList.toggle("pending", Boolean(view.pending));
    this.status.textContent = view.status;
    this.pinButton.hidden = Boolean(view.pending);
    this.detailsButton.hidden = this.self || Boolean(view.pending) || Boolean(view.screen);
    this.fitButton.hidden = !view.screen;
    this.sendButton.hidden = this.self || Boolean(view.pending) || Boolean(view.screen) || !view.canSend;
    this.el.classList.toggle("screen", Boolean(view.screen));
    const grade = view.quality?.grade;
    this.quality.className = `quality ${grade ?? "unknown"}`;
    this.quality.setAttribute("aria-label", t(grade ? GRADES[grade] : "tile.notMeasured"));
    if (!this.details.hidden) this.renderDetails();
  }

  play() {
    this.video.play().catch(() => {
      // Autoplay with sound was refused: the next touch or key anywhere starts it.
      const retry = () => void this.video.play().catch(() => {});
      document.addEventListener("pointerdown", retry, { once: true });
      document.addEventListener("keydown", retry, { once: true });
    });
  }

  /** Crop a shared screen to fill its tile, or show it whole. @param {boolean} fill */
  setFill(fill) {
    this.fitButton.setAttribute("aria-pressed", String(fill));
    this.fitButton.setAttribute("aria-label", t(fill ? "tile.fit" : "tile.fill"));
    this.el.classList.toggle("fill", fill);
  }

  /** @param {boolean} on */
  setSpeaking(on) {
    this.body.classList.toggle("speaking", on);
  }

  /** @param {boolean} on */
  setPinned(on) {
    this.pinButton.setAttribute("aria-pressed", String(on));
    this.el.classList.toggle("pinned", on);
  }

  /** Play remote sound through the chosen speaker, where the browser can. @param {string} id */
  setSink(id) {
    if (this.self || !("setSinkId" in this.video)) return;
    this.video.setSinkId(id).catch(() => {}); // a vanished device: stay on the current one
  }

  /** @param {boolean} open */
  showDetails(open) {
    if (open && detailed && detailed !== this) detailed.showDetails(false);
    detailed = open ? this : detailed === this ? null : detailed;
    this.details.hidden = !open;
    this.detailsButton.setAttribute("aria-expanded", String(open));
    this.el.classList.toggle("raised", open);
    if (open) {
      this.renderDetails();
      this.fitDetails();
    }
  }

  /** Keep the open details inside the stage, however small or near an edge the tile is. */
  fitDetails() {
    const stage = this.el.parentElement?.getBoundingClientRect();
    if (this.details.hidden || !stage) return;
    this.details.style.transform = "";
    this.details.style.maxHeight = `${stage.height - 16}px`;
    const box = this.details.getBoundingClientRect();
    const dx = Math.max(0, stage.left + 8 - box.left);
    const dy = Math.max(stage.top + 8 - box.top, Math.min(0, stage.bottom - 8 - box.bottom));
    this.details.style.transform = `translate(${dx}px, ${dy}px)`;
  }

  renderDetails() {
    const view = this.view;
    if (!view) return;
    const q = view.quality;
    const measuring = t("tile.measuring");
    // Measures are written whole, without grouping, as the details always showed them.
    /** @param {number} value @param {number} [digits] */
    const measure = (value, digits = 0) =>
      formatNumber(value, { useGrouping: false, minimumFractionDigits: digits, maximumFractionDigits: digits });
    /** @type {[import("./i18n.js").Key, string][]} */
    const rows = [
      ["tile.route", q ? q.route : measuring],
      ["tile.roundTrip", q ? t("tile.milliseconds", { value: measure(q.rttMs) }) : measuring],
      ["tile.packetLoss", q ? t("tile.percent", { value: measure(q.lossPct, 1) }) : measuring],
      ["tile.receiving", q ? t("tile.kbps", { value: measure(q.recvKbps) }) : measuring],
      ["tile.sending", q ? t("tile.kbps", { value: measure(q.sendKbps) }) : measuring],
      ["tile.video", q?.video || (q ? t("tile.noVideo") : measuring)],
      ["tile.safetyCode", view.safetyCode ?? t("tile.notKnownYet")],
    ];
    const list = make("dl", "");
    for (const [term, value] of rows) {
      const row = make("div", term === "tile.safetyCode" ? "code" : "");
      const dt = make("dt", "");
      const dd = make("dd", "");
      dt.textContent = t(term);
      dd.textContent = value;
      row.append(dt, dd);
      list.append(row);
    }
    const hint = make("p", "hint");
    hint.textContent = t("tile.compare", { name: view.name });
    this.details.replaceChildren(list, hint);
  }
}
