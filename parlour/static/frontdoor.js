// @ts-check
/**
 * The front door's two sides, each on a Signaling of its own: a visitor who knocks and waits
 * (door.js shows them), and a host's desk that lists who waits and answers (desk.js shows it).
 * When a host answers, both pages hand their signalling to app.js, which starts the call as a
 * room's call starts: the front door only decides who gets in.
 */

import { DeskView } from "./desk.js";
import { declinedSentence, DoorPage } from "./door.js";
import { joinError } from "./prejoin.js";
import { Signaling, SignalingError } from "./signaling.js";
import { t } from "./translate.js";

/**
 * What app.js lends the front door.
 * @typedef {object} Calls
 * @property {string} url  the server's socket
 * @property {Promise<unknown>} ready  the page's certificate is made: a call can start at once
 * @property {(signaling: Signaling, joined: any, name: string) => void} begin
 *   start a front-door call; synchronous, so that the introductions that follow `joined` at
 *   once find the call listening
 * @property {() => boolean} inCall
 * @property {(text: string) => void} tell  say something over the call
 */

/** @param {unknown} error */
function refusal(error) {
  return {
    code: error instanceof SignalingError ? error.code : "closed",
    message: error instanceof Error ? error.message : "",
    retryAfter: error instanceof SignalingError ? error.retryAfter : null,
  };
}

/** A visitor: ask, wait, and be answered or declined. */
export class Visiting {
  /** @param {Calls} calls @param {boolean} several  the visitor says whom they want to reach */
  constructor(calls, several) {
    this.calls = calls;
    /** The connection while the visitor asks and waits; null before and after. */
    /** @type {Signaling | null} */
    this.signaling = null;
    this.page = new DoorPage({ several, ask: (name, to) => void this.knock(name, to), cancel: () => this.cancel() });
  }

  /** @param {string} name @param {string} to */
  async knock(name, to) {
    const page = this.page;
    const signaling = new Signaling(this.calls.url);
    this.signaling = signaling;
    const mine = () => this.signaling === signaling;
    signaling.addEventListener("joined", (event) => {
      const detail = /** @type {CustomEvent} */ (event).detail;
      if (!detail.door || !mine() || this.calls.inCall()) return;
      this.signaling = null;
      // Answered: the call starts at once, with no click, under the name the visitor typed.
      this.calls.begin(signaling, detail, name);
    });
    signaling.addEventListener("declined", () => {
      if (!mine()) return;
      this.signaling = null;
      signaling.close();
      page.showForm(declinedSentence(page.asked()));
    });
    signaling.addEventListener("state", (event) => {
      if (mine()) page.reconnecting(/** @type {CustomEvent} */ (event).detail.state === "reconnecting");
    });
    signaling.addEventListener("closed", () => {
      if (!mine()) return;
      this.signaling = null;
      page.showForm("", joinError("closed"));
    });
    try {
      await this.calls.ready;
      await signaling.connect();
      await signaling.knock(name, to);
      if (mine()) page.showWaiting();
    } catch (error) {
      if (!mine()) return; // cancelled meanwhile
      this.signaling = null;
      signaling.close();
      const { code, message, retryAfter } = refusal(error);
      page.showForm("", joinError(code, message, retryAfter));
    }
  }

  cancel() {
    const signaling = this.signaling;
    this.signaling = null;
    signaling?.cancel();
    signaling?.close();
  }
}

/** What a host reads when the server refuses their page or one of their answers. */
const DESK_ERRORS = /** @type {const} */ ({
  "not-expected": "deskError.notExpected",
  "no-such-visitor": "deskError.noSuchVisitor",
  "room-full": "deskError.roomFull",
  "already-joined": "deskError.alreadyJoined",
  "not-a-host": "deskError.notAHost",
  "locked-out": "deskError.lockedOut",
  closed: "deskError.closed",
});

/**
 * A refusal in words; one the page does not know by its code, in `otherwise`.
 * @param {string} code @param {"deskError.refusedThat" | "deskError.refusedPage"} otherwise
 */
function deskError(code, otherwise) {
  return Object.hasOwn(DESK_ERRORS, code) ? t(DESK_ERRORS[/** @type {keyof typeof DESK_ERRORS} */ (code)]) : t(otherwise, { code });
}

/** A host: the desk, its answers, and the list over the call. */
export class Hosting {
  /**
   * @param {Calls} calls
   * @param {{button: HTMLButtonElement, close: HTMLElement}} controls  "Waiting (N)" in the
   *   call's toolbar, and the list's "Back to the call"
   * @param {() => Promise<void>} openMedia  camera and microphone, opened only to call someone
   */
  constructor(calls, controls, openMedia) {
    this.calls = calls;
    this.controls = controls;
    this.openMedia = openMedia;
    /** @type {Signaling | null} */
    this.signaling = null;
    this.view = new DeskView({
      call: (visitor) => void this.answer(visitor.id),
      decline: (visitor) => this.signaling?.decline(visitor.id),
      dismiss: (visitor) => this.signaling?.dismiss(visitor.id),
      count: (waiting) => {
        controls.button.setAttribute("aria-label", t("desk.waitingButton", { count: waiting }));
        const badge = controls.button.querySelector(".badge");
        if (badge) badge.textContent = waiting ? String(Math.min(waiting, 99)) : "";
      },
    });
    controls.button.addEventListener("click", () => this.overlay(!this.overlaid()));
    controls.close.addEventListener("click", () => this.overlay(false));
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.overlaid()) this.overlay(false);
    });
  }

  overlaid() {
    return this.controls.button.getAttribute("aria-expanded") === "true";
  }

  /** Over a call the list opens and closes; outside a call it is the page. @param {boolean} open */
  overlay(open) {
    const inCall = this.calls.inCall();
    this.view.root.classList.toggle("overlay", open);
    this.view.show(open || !inCall);
    this.controls.close.hidden = !open;
    this.controls.button.setAttribute("aria-expanded", String(open));
    if (open) (this.view.list.querySelector("button") ?? this.controls.close).focus();
    else if (inCall) this.controls.button.focus();
  }

  /** Call a visitor: into the call going on, or a new one with the camera turned on first. @param {string} id */
  async answer(id) {
    const signaling = this.signaling;
    if (!signaling) return;
    this.view.showError("");
    if (!this.calls.inCall()) await this.openMedia();
    if (!signaling.answer(id)) this.view.showError(t("desk.connectionDown"));
    if (this.calls.inCall()) this.overlay(false);
  }

  /** The page's own address names the desk: its last segment is the secret. */
  async open() {
    const view = this.view;
    const secret = location.pathname.split("/").pop() ?? "";
    view.show(true);
    view.setStatus(t("desk.connecting"));
    const signaling = new Signaling(this.calls.url);
    this.signaling = signaling;
    /** @param {string} type @param {(detail: any) => void} handle */
    const on = (type, handle) => signaling.addEventListener(type, (event) => handle(/** @type {CustomEvent} */ (event).detail));
    on("desk", (desk) => {
      view.open(desk);
      view.setStatus("");
    });
    on("visitor", ({ visitor }) => view.add(visitor));
    on("visitor-gone", ({ visitor }) => view.remove(visitor));
    on("audit", ({ entry }) => view.addAudit(entry));
    on("joined", (joined) => {
      if (joined.door && !this.calls.inCall()) this.calls.begin(signaling, joined, view.hostName());
    });
    on("state", ({ state }) => {
      if (state === "reconnecting") view.setStatus(t("desk.reconnecting"));
    });
    on("server-error", ({ code, about }) => {
      if (!["answer", "decline", "dismiss", "desk"].includes(about)) return;
      const text = deskError(code, "deskError.refusedThat");
      view.showError(text);
      if (this.calls.inCall()) this.calls.tell(text); // the list is closed over the call: say it where the host looks
    });
    on("closed", () => view.setStatus(t("deskError.closed")));
    try {
      await this.calls.ready;
      await signaling.connect();
      await signaling.openDesk(secret);
    } catch (error) {
      const { code } = refusal(error);
      view.setStatus("");
      view.showError(deskError(code, "deskError.refusedPage"));
      signaling.close();
    }
  }

  /** The host left the call: the desk is the page again. */
  leftCall() {
    this.overlay(false);
    this.view.show(true);
  }
}
