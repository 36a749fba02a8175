// @ts-check
/**
 * The page: the join form, then the call. This module only wires the pieces together: the
 * engine (signaling.js, media.js, call.js) on one side, the page's parts on the other.
 *
 * One page, four ways in, decided once at load. A link that carries a passphrase after "#"
 * opens the room form as always. Otherwise the server says on <body> what this address is:
 * data-role="host" is a host's secret page (the desk, desk.js); data-door="one" or "several"
 * at the base path is the front door for visitors (door.js), which never shows a room; with the
 * front door off, the base path is the room form.
 */

import { AudioRoute } from "./audioroute.js";
import { Call } from "./call.js";
import { Chat } from "./chat.js";
import { ChatPanel } from "./chatpanel.js";
import { Controls } from "./controls.js";
import { closable, SettingsDialog } from "./dialogs.js";
import { FilePanel } from "./filepanel.js";
import { Files } from "./files.js";
import { Hosting, Visiting } from "./frontdoor.js";
import { language } from "./i18n.js";
import { QrToggle } from "./invite.js";
import { LocalMedia } from "./media.js";
import { pageCertificate } from "./mesh.js";
import { Pairing } from "./pairing.js";
import * as prefs from "./prefs.js";
import { joinError, linkPassphrase, Prejoin, unsupported } from "./prejoin.js";
import { RoomLock } from "./roomlock.js";
import { SafetyNotice } from "./safety.js";
import { Signaling, SignalingError } from "./signaling.js";
import { SpeakerPicker } from "./speaking.js";
import { keepShell } from "./shell.js";
import { SCREEN, SELF, Stage } from "./stage.js";
import { t } from "./translate.js";
import { ScreenAwake } from "./wakelock.js";

/** @typedef {import("./call.js").Participant} Participant */
/** @typedef {import("./tiles.js").TileView} TileView */

/** What a tile says of a connection that is not up, by its state. @type {Record<string, import("./i18n.js").Key>} */
const CONNECTION = {
  connecting: "connection.connecting",
  reconnecting: "connection.reconnecting",
  failed: "connection.failed",
};

/** @param {string} id */
function byId(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`page is missing #${id}`);
  return found;
}

/** @typedef {"room" | "visitor" | "host"} Mode */
/** @type {Mode} */
const mode = linkPassphrase()
  ? "room"
  : document.body.dataset.role === "host"
    ? "host"
    : ["one", "several"].includes(document.body.dataset.door ?? "")
      ? "visitor"
      : "room";

const ui = {
  call: byId("call"),
  stage: byId("stage"),
  banner: byId("reconnecting"),
  lockNotice: byId("room-lock"),
  alert: byId("call-alert"),
  waiting: byId("waiting"),
  copyStatus: byId("copy-status"),
  shortcuts: /** @type {HTMLDialogElement} */ (byId("shortcuts")),
  callTitle: byId("call-title"),
  lockButton: byId("lock-button"),
  lockShortcut: byId("lock-shortcut"),
  deskButton: /** @type {HTMLButtonElement} */ (byId("desk-button")),
  screenNews: byId("screen-news"),
  sharing: byId("sharing"),
  shareShortcut: byId("share-shortcut"),
  fileInput: /** @type {HTMLInputElement} */ (byId("file-input")),
  dropHint: byId("drop-hint"),
};

const media = new LocalMedia();
const stage = new Stage(ui.stage, byId("tiles"));
const picker = new SpeakerPicker();
const wide = matchMedia("(min-width: 60rem)");
const awake = new ScreenAwake();
const route = new AudioRoute(media, (id) => stage.setSink(id));
navigator.mediaDevices?.addEventListener("devicechange", () => void (session && route.update()));

/**
 * The call under way, if any. door: a front-door call, which has no passphrase and cannot be
 * locked; lost: its signalling dropped, so the server no longer knows it (the media goes on).
 * @type {{signaling: Signaling, call: Call, talk: Chat, lock: RoomLock, name: string, passphrase: string, door: boolean, lost: boolean} | null}
 */
let session = null;
const PENDING = "pending:"; // placeholder tiles; session ids are base64url, without ":"
let pendingCount = 0;

const prejoin = new Prejoin(media, (name, passphrase) => void join(name, passphrase));
const settings = new SettingsDialog(/** @type {HTMLDialogElement} */ (byId("settings")), media, {
  speaker: (id) => stage.setSink(id),
  problem: tell,
});
closable(ui.shortcuts);

const chat = new ChatPanel(
  {
    panel: byId("chat"),
    log: byId("chat-log"),
    form: /** @type {HTMLFormElement} */ (byId("chat-form")),
    text: /** @type {HTMLInputElement} */ (byId("chat-text")),
  },
  (text) => {
    if (!session || session.signaling.state !== "joined") return false;
    void session.talk.send(text);
    chat.add(t("tile.you", { name: session.name }), text, true);
    return true;
  },
  (open, unread) => {
    controls.chatState(open, unread);
    stage.relayout();
  },
  () => {
    // Over the stage (narrow screens) the panel closes; beside it, it stays and focus leaves.
    if (!wide.matches) chat.show(false);
    controls.chat.focus();
  },
);

/** Files sent and received in the call, browser to browser (files.js), and their panel. */
const files = new Files();
const filePanel = new FilePanel(
  {
    panel: byId("files"),
    list: byId("files-list"),
    news: byId("files-news"),
    note: byId("files-notes"),
    clear: /** @type {HTMLButtonElement} */ (byId("files-clear")),
  },
  files,
  (transfer, url) => chat.addFile(transfer.peer.name, transfer.name, url),
);

const controls = new Controls(byId("controls"), ui.call, media, {
  sendFile: () => chooseFiles(null),
  settings: () => void settings.open(),
  chat: (fromKey) => (fromKey && chat.open && !chat.focused ? chat.focus() : chat.show(!chat.open, true)),
  shortcuts: () => ui.shortcuts.showModal(),
  pinSpeaker: () => stage.pin(stage.pinned ? null : (stage.speaker ?? firstRemote())),
  lock: toggleLock,
  leave,
  problem: tell,
});

/** Whom the file chooser is open for: a person's session id, or null for everyone. @type {string | null} */
let fileTarget = null;

/** @param {string | null} target */
function chooseFiles(target) {
  fileTarget = target;
  ui.fileInput.value = "";
  ui.fileInput.click();
}
ui.fileInput.addEventListener("change", () => sendFiles([...(ui.fileInput.files ?? [])], fileTarget));
stage.onSend = (id) => chooseFiles(id);

/**
 * Offer files to one person or to everyone connected; each of them accepts or declines.
 * @param {File[]} chosen @param {string | null} target
 */
function sendFiles(chosen, target) {
  if (!session || !chosen.length) return;
  const people = [...session.call.participants.values()].filter(
    (p) => (target === null || p.id === target) && p.connection === "connected",
  );
  if (!people.length) {
    tell(t(target ? "call.fileNotConnected" : "call.fileNobody"));
    return;
  }
  files.send(chosen, people);
}

// Files dropped anywhere on the call go to everyone, or to the person whose tile they land on.
ui.call.addEventListener("dragover", (event) => {
  if (!session || !event.dataTransfer?.types.includes("Files")) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "copy";
  ui.dropHint.hidden = false;
});
ui.call.addEventListener("dragleave", (event) => {
  if (!(event.relatedTarget instanceof Node) || !ui.call.contains(event.relatedTarget)) ui.dropHint.hidden = true;
});
ui.call.addEventListener("drop", (event) => {
  ui.dropHint.hidden = true;
  if (!session || !event.dataTransfer?.files.length) return;
  event.preventDefault();
  const tile = event.target instanceof Element ? event.target.closest(".tile") : null;
  const id = [...stage.tiles].find(([, t]) => t.el === tile)?.[0];
  sendFiles([...event.dataTransfer.files], id && id !== SELF && !id.includes(":") ? id : null);
});
// A pasted file (a screenshot, a copied file) goes to everyone; pasted text is left alone.
document.addEventListener("paste", (event) => {
  const pasted = [...(event.clipboardData?.files ?? [])];
  if (!session || !pasted.length) return;
  event.preventDefault();
  sendFiles(pasted, null);
});

/** Say something in the call that needs attention. @param {string} text */
function tell(text) {
  const line = ui.alert.querySelector("p");
  if (line) line.textContent = text;
  ui.alert.hidden = !text;
}
ui.alert.querySelector("[data-dismiss]")?.addEventListener("click", () => tell(""));

function firstRemote() {
  return [...stage.tiles.keys()].find((id) => id !== SELF) ?? null;
}

function socketUrl() {
  const url = new URL("ws", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  return url.href;
}

/**
 * A link that carries the passphrase lets the page connect and stretch the key while the person
 * is still choosing a camera and typing a name; Join then waits only for the server's answer.
 * @param {string} passphrase
 */
function connectEarly(passphrase) {
  const signaling = new Signaling(socketUrl());
  const connected = signaling.connect().then(() => signaling.prepare(passphrase));
  connected.catch(() => {}); // join() connects afresh when this one failed
  return { signaling, connected };
}

/** @type {{signaling: Signaling, connected: Promise<void>} | null} */
let early = linkPassphrase() ? connectEarly(linkPassphrase()) : null;

/** The early connection if it is still usable, else a new one. @returns {Promise<Signaling>} */
async function connected() {
  const taken = early;
  early = null;
  if (taken) {
    try {
      await taken.connected;
      if (taken.signaling.state === "ready") return taken.signaling;
    } catch {
      // The server was unreachable when the page opened; it may be back now.
    }
    taken.signaling.close();
  }
  const signaling = new Signaling(socketUrl());
  await signaling.connect();
  return signaling;
}

/** The DTLS certificate this page uses for every call, made while the person gets ready. */
const identity = pageCertificate();
/** The same, once made: a host's answer starts a call at once, with no time to wait for it. */
/** @type {{certificate: RTCCertificate, fingerprints: string[]} | null} */
let madeIdentity = null;
void identity.then((made) => (madeIdentity = made));

/** @param {string} name @param {string} passphrase */
async function join(name, passphrase) {
  /** @type {Signaling | undefined} */
  let signaling;
  let joined;
  try {
    await identity;
    prejoin.working(t("call.connecting"));
    signaling = await connected();
    prejoin.working(t("call.unlockingRoom"));
    joined = await signaling.join(passphrase);
  } catch (error) {
    const code = error instanceof SignalingError ? error.code : "closed";
    const retryAfter = error instanceof SignalingError ? error.retryAfter : null;
    prejoin.showError(joinError(code, error instanceof Error ? error.message : "", retryAfter));
    signaling?.close();
    return;
  }
  prejoin.working("");
  begin(signaling, {
    uploadKbps: joined.upload_kbps,
    iceServers: joined.ice_servers,
    iceTtl: joined.ice_ttl,
    relayOnly: joined.relay_only,
  }, name, passphrase);
}

/**
 * In: the call starts. Synchronous from the server's `joined` on, so that the introductions
 * that may follow at once find someone listening.
 * @param {Signaling} signaling
 * @param {{uploadKbps: number, iceServers: RTCIceServer[], iceTtl: number | null, relayOnly: boolean}} joined
 * @param {string} name @param {string} passphrase  "" for a front-door call
 */
function begin(signaling, joined, name, passphrase) {
  if (!madeIdentity) throw new Error("app: a call before the page's certificate");
  const { certificate, fingerprints } = madeIdentity;
  const door = !passphrase;
  const pairing = new Pairing({ signaling, fingerprints });
  const call = new Call({ signaling, pairing, certificate, media, name, ...joined });
  // Each feature registers the sealed kinds it handles before the call starts to hear any.
  const talk = new Chat(call);
  const lock = new RoomLock(call, signaling);
  session = { signaling, call, talk, lock, name, passphrase, door, lost: false };
  listen(signaling, call, talk, lock);
  showLock(signaling, null);
  enter(name);
  call.start();
  syncPending();
}

/** @param {Signaling} signaling @param {Call} call @param {Chat} talk @param {RoomLock} lock */
function listen(signaling, call, talk, lock) {
  /** Why the server would not take the call back after a reconnect, if it said. */
  let refusal = "";
  /** @param {Event} event */
  const who = (event) => /** @type {CustomEvent<{participant: Participant}>} */ (event).detail.participant;
  const door = session?.door ?? false;
  call.addEventListener("participant-added", (event) => {
    const placeholder = [...stage.tiles.keys()].find((id) => id.startsWith(PENDING));
    if (placeholder) stage.rename(placeholder, who(event).id);
    show(who(event));
    if (door) safety.show(who(event));
    syncPending();
  });
  call.addEventListener("participant-updated", (event) => {
    show(who(event));
    if (door) safety.show(who(event));
  });
  call.addEventListener("participant-removed", (event) => {
    stage.remove(who(event).id);
    stage.remove(SCREEN + who(event).id);
    files.detach(who(event).id);
    showScreenNews();
    safety.forget(who(event).id);
    syncPending();
  });
  call.addEventListener("levels", highlightSpeaker);
  call.addEventListener("channel", (event) => {
    const { participant, channel } = /** @type {CustomEvent<{participant: Participant, channel: RTCDataChannel}>} */ (event).detail;
    files.attach(participant, channel);
  });
  talk.addEventListener("line", (event) => {
    const { participant, text } = /** @type {CustomEvent<{participant: Participant, text: string}>} */ (event).detail;
    chat.add(participant.name, text, false);
  });
  call.addEventListener("signaling", (event) => {
    const { state } = /** @type {CustomEvent<{state: string}>} */ (event).detail;
    // A front-door call the server lost stays lost: reconnecting is the desk's business then.
    ui.banner.textContent = state === "reconnecting" && !session?.lost ? t("call.reconnecting") : "";
    if (state === "closed" && session && !session.lost) {
      tell(refusal || t("call.lost"));
    }
  });
  signaling.addEventListener("call-lost", () => {
    if (!session) return;
    session.lost = true;
    ui.banner.textContent = "";
    tell(t("call.lostGoesOn"));
  });
  call.addEventListener("warning", (event) => {
    tell(/** @type {CustomEvent<{message: string}>} */ (event).detail.message || t("call.wentWrong"));
  });
  for (const type of ["peer-joined", "peer-left", "joined"]) signaling.addEventListener(type, syncPending);
  signaling.addEventListener("joined", () => {
    if (session) session.lost = false; // a host who answers again is in a call the server knows
    showLock(signaling, null);
  });
  signaling.addEventListener("room-state", (event) => {
    const { restored } = /** @type {CustomEvent<{restored: boolean}>} */ (event).detail;
    // The server says how the room stands; who changed it is only told by that member, sealed.
    const note = lockNote?.locked === signaling.locked ? lockNote.name : null;
    lockNote = null;
    const own = pressedLock === signaling.locked;
    pressedLock = null;
    if (restored) showLock(signaling, null);
    else if (own) showLock(signaling, null, true);
    else showLock(signaling, note);
  });
  lock.addEventListener("said", (event) => {
    const { participant, locked } = /** @type {CustomEvent<{participant: Participant, locked: boolean}>} */ (event).detail;
    if (locked === signaling.locked) showLock(signaling, participant.name);
    else lockNote = { name: participant.name, locked }; // before the server's word: wait for it
  });
  signaling.addEventListener("server-error", (event) => {
    const { code, message, about, retryAfter } = /** @type {CustomEvent} */ (event).detail;
    if (about !== "join") return;
    refusal = t("call.refusedBack", { reason: joinError(code, message, retryAfter) });
    tell(refusal);
  });
}

/** What this person last asked of the lock, until the server answers. @type {boolean | null} */
let pressedLock = null;
/** A member's sealed word about the lock that came before the server's. @type {{name: string, locked: boolean} | null} */
let lockNote = null;

function toggleLock() {
  if (!session || session.door) return; // a front-door call is the host's to open, not lockable
  const { signaling, lock } = session;
  const locked = !signaling.locked;
  if (!lock.set(locked)) {
    tell(t("lock.offline"));
    return;
  }
  pressedLock = locked;
}

/** @type {number | undefined} */
let lockNoticeTimer;
/** Whether the notice says the room is locked now (a rejoin keeps it as it is). */
let lockLine = false;

/**
 * The lock button follows the room; while it is locked a line says so and, when a member said
 * so sealed, by whom; an unlock is news for a few seconds.
 * @param {Signaling} signaling @param {string | null} who  the member who just changed it, if known
 * @param {boolean} [mine]  this person changed it
 */
function showLock(signaling, who, mine = false) {
  const locked = signaling.locked;
  controls.lockState(locked);
  clearTimeout(lockNoticeTimer);
  if (locked) {
    // A rejoin is no news: a line that already says who locked it stays.
    if (mine || who || !lockLine) {
      ui.lockNotice.textContent = mine ? t("lock.lockedByYou") : who ? t("lock.lockedBy", { name: who }) : t("lock.locked");
    }
    lockLine = true;
  } else {
    ui.lockNotice.textContent = mine
      ? t("lock.unlockedByYou")
      : who
        ? t("lock.unlockedBy", { name: who })
        : ui.lockNotice.textContent
          ? t("lock.unlocked")
          : "";
    lockLine = false;
    lockNoticeTimer = window.setTimeout(() => (ui.lockNotice.textContent = ""), 6000);
  }
}

/**
 * People the server says are in the room but who have not said hello yet get a tile saying
 * so; the tile becomes theirs once they do.
 */
function syncPending() {
  if (!session) return;
  const { signaling, call } = session;
  const want = Math.max(0, signaling.peers.size - call.participants.size);
  const have = [...stage.tiles.keys()].filter((id) => id.startsWith(PENDING));
  for (let i = have.length; i < want; i++) {
    stage.add(`${PENDING}${++pendingCount}`).update({
      name: t("call.someoneJoining"),
      stream: null,
      micOff: false,
      cameraOff: false,
      picture: false,
      mirrored: false,
      status: "",
      quality: null,
      safetyCode: null,
      pending: true,
    });
  }
  for (const id of have.slice(want)) stage.remove(id);
  updateWaiting();
}

/** @param {string} name */
function enter(name) {
  const door = session?.door ?? false;
  prejoin.show(false);
  visiting?.page.stop();
  hosting?.view.show(false);
  ui.callTitle.textContent = t(door ? "call.titleDoor" : "call.title");
  ui.lockButton.hidden = door;
  ui.lockShortcut.hidden = door;
  ui.shareShortcut.hidden = !media.canShare;
  ui.deskButton.hidden = mode !== "host";
  ui.call.hidden = false;
  controls.active = true;
  stage.setSink(prefs.load("speaker") ?? "");
  void awake.hold();
  void route.update();
  stage.add(SELF).update(selfView(name));
  chat.show(wide.matches);
  updateWaiting();
  controls.mic.focus();
}

/** @param {string} name @returns {TileView} */
function selfView(name) {
  return {
    name,
    stream: media.stream,
    micOff: media.micMuted || !media.hasMic,
    cameraOff: !media.cameraOn || !media.hasCamera,
    picture: media.cameraOn && media.hasCamera,
    mirrored: media.facing !== "environment",
    status: "",
    quality: null,
    safetyCode: null,
  };
}

/**
 * What a tile says when no path to that person was found within the bound. The call with the
 * others goes on, and the page keeps trying in the background.
 * @param {string} name
 */
function unreachable(name) {
  const relayed = session?.call.iceServers.some((server) => [server.urls].flat().some((url) => /^turns?:/.test(url)));
  return relayed
    ? t("connection.unreachableRelayed", { name })
    : t("connection.unreachable", { name });
}

/** @param {Participant} p */
function show(p) {
  // An update may trail a removal (a measurement that was under way): it must not revive the tile.
  if (session?.call.participants.get(p.id) !== p) return;
  const hasVideo = Boolean(p.stream?.getVideoTracks().length);
  stage.add(p.id).update({
    name: p.name || t("call.someoneJoining"),
    stream: p.stream,
    micOff: !p.audio,
    cameraOff: !p.video,
    picture: p.video && hasVideo,
    mirrored: false,
    status: p.connection === "unreachable" ? unreachable(p.name) : Object.hasOwn(CONNECTION, p.connection) ? t(CONNECTION[p.connection]) : "",
    quality: p.quality,
    safetyCode: p.safetyCode,
    canSend: p.connection === "connected",
  });
  if (p.screen) {
    stage.add(SCREEN + p.id).update({
      name: t("call.screenOf", { name: p.name }),
      stream: p.screen,
      micOff: false,
      cameraOff: false,
      picture: true,
      mirrored: false,
      status: "",
      quality: null,
      safetyCode: null,
      screen: true,
    });
  } else {
    stage.remove(SCREEN + p.id);
  }
  showScreenNews();
  updateWaiting();
}

/** Who shares a screen now, in one line for everyone else; the sharer's own notice to stop. */
function showScreenNews() {
  const names = session ? [...session.call.participants.values()].filter((p) => p.screen).map((p) => p.name) : [];
  ui.screenNews.textContent = !names.length
    ? ""
    : names.length === 1
      ? t("call.sharingOne", { name: names[0] })
      : t("call.sharingSeveral", { names: new Intl.ListFormat(language(), { type: "conjunction" }).format(names) });
  ui.sharing.hidden = !session || !media.sharing;
}
byId("stop-sharing").addEventListener("click", () => {
  media.stopScreen();
  controls.share.focus(); // the notice and its button go away: focus must land somewhere near
});

function updateWaiting() {
  // A front-door call has no link to copy: whoever comes next knocks.
  ui.waiting.hidden = !session || session.door || stage.tiles.size > 1;
  if (ui.waiting.hidden) {
    ui.copyStatus.textContent = "";
    if (!qr.figure.hidden) qr.hide();
  }
}

/** This room's join link, passphrase after "#" (never sent to the server), or null. */
function joinLink() {
  if (!session || session.door) return null;
  return `${location.origin}${location.pathname}#${encodeURIComponent(session.passphrase)}`;
}
const qr = new QrToggle(/** @type {HTMLButtonElement} */ (byId("qr-button")), byId("qr"), joinLink);

function highlightSpeaker() {
  if (!session) return;
  const levels = new Map([[SELF, media.micMuted ? 0 : session.call.selfLevel()]]);
  for (const p of session.call.participants.values()) levels.set(p.id, p.audio ? p.level : 0);
  stage.setSpeaker(picker.pick(levels, performance.now()));
}

async function copyLink() {
  const link = joinLink();
  if (!session || !link) return;
  // A locked room turns the link away until someone unlocks it: say so while it is copied.
  const locked = session.signaling.locked;
  try {
    await navigator.clipboard.writeText(link);
    ui.copyStatus.textContent = t(locked ? "invite.copiedLocked" : "invite.copied");
  } catch {
    // No clipboard here (an old browser, or permission refused): let the person copy it.
    window.prompt(t(locked ? "invite.copyThisLocked" : "invite.copyThis"), link);
  }
}
byId("copy-link").addEventListener("click", () => void copyLink());

function leave() {
  if (!session) return;
  const { call, signaling } = session;
  session = null;
  awake.release();
  qr.hide(); // the code holds the passphrase: out of the page with the call
  // The goodbye is sealed and sent first, so the others see this tile go at once. A host's
  // socket stays: it is their desk too.
  void call.leave().finally(() => {
    if (mode !== "host") signaling.close();
  });
  safety.clear();
  if (document.fullscreenElement) void document.exitFullscreen();
  controls.active = false;
  stage.clear();
  stage.pin(null);
  chat.clear();
  files.clear();
  filePanel.clear();
  tell("");
  ui.banner.textContent = "";
  clearTimeout(lockNoticeTimer);
  ui.lockNotice.textContent = "";
  lockLine = false;
  media.stopScreen();
  ui.screenNews.textContent = "";
  ui.sharing.hidden = true;
  controls.lockState(false);
  ui.call.hidden = true;
  if (hosting) {
    media.stop(); // no camera light on a page that waits all day
    hosting.leftCall();
    return;
  }
  prejoin.show(true);
  if (visiting) visiting.page.focus();
  else prejoin.button.focus();
}

media.addEventListener("change", () => {
  if (session) stage.tiles.get(SELF)?.update(selfView(session.name));
  if (session) void route.update();
  showScreenNews();
});
window.addEventListener("pagehide", () => {
  session?.call.stop();
  session?.signaling.close();
  visiting?.signaling?.close();
  hosting?.signaling?.close();
});

const safety = new SafetyNotice(byId("safety-notice"));

const calls = {
  url: socketUrl(),
  ready: identity,
  /** @param {Signaling} signaling @param {any} joined @param {string} name */
  begin: (signaling, joined, name) => begin(signaling, joined, name, ""),
  inCall: () => session !== null,
  tell,
};
const visiting = mode === "visitor" ? new Visiting(calls, document.body.dataset.door === "several") : null;
const hosting =
  mode === "host" ? new Hosting(calls, { button: ui.deskButton, close: byId("desk-close") }, () => openMediaOnce()) : null;

/** A host's camera and microphone, opened for a call (not all day on a page that waits). */
async function openMediaOnce() {
  if (!media.stream.getTracks().length) await prejoin.openMedia();
}

if (mode === "visitor") {
  // Nothing on a visitor's page speaks of rooms: the room form goes, and its camera notes come.
  const form = byId("join-form");
  byId("door-form").insertBefore(byId("media-problem"), byId("door-news"));
  form.remove();
  const problem = unsupported();
  if (problem) {
    visiting?.page.showForm("", problem);
    byId("door-ask").setAttribute("disabled", "");
  }
  void prejoin.start(false).then(() => visiting?.page.focus());
} else if (mode === "host") {
  byId("prejoin").hidden = true;
  void hosting?.open();
} else {
  void prejoin.start();
}

keepShell();
