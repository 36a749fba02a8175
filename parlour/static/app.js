// @ts-check
/**
 * The room page: join with a name and a passphrase (or a link carrying it after "#"), see who
 * is in the room, and talk through sealed messages. The call itself builds on this.
 */

import { MAX_NAME, Signaling, SignalingError } from "./signaling.js";

const NAME_KEY = "parlour.name";

/** What a person should read for each reason a join can fail. */
const JOIN_ERRORS = /** @type {Record<string, string>} */ ({
  "no-such-room": "That passphrase does not open a room here. Check it and try again.",
  "room-full": "The room is full. Try again when someone has left.",
  "locked-out": "Too many wrong passphrases from your network. Wait a while, then try again.",
  "rate-limited": "Too many attempts at once. Wait a moment, then try again.",
  closed: "The connection to the server closed. Check your network and try again.",
});

const REJECTED = /** @type {Record<string, string>} */ ({
  unopenable:
    "A message that could not be opened was ignored. Someone may be tampering with the connection.",
  replay: "A message that arrived twice was ignored. Someone may be replaying old messages.",
  malformed: "A message that made no sense was ignored.",
});

/** @param {string} id */
function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`page is missing #${id}`);
  return found;
}

/** @param {string} id */
function input(id) {
  return /** @type {HTMLInputElement} */ (element(id));
}

const ui = {
  joinForm: /** @type {HTMLFormElement} */ (element("join-form")),
  name: input("name"),
  passphrase: input("passphrase"),
  passphraseField: element("passphrase-field"),
  linkNote: element("link-note"),
  join: /** @type {HTMLButtonElement} */ (element("join")),
  joinStatus: element("join-status"),
  joinError: element("join-error"),
  room: element("room"),
  people: element("people"),
  chatForm: /** @type {HTMLFormElement} */ (element("chat-form")),
  chatText: input("chat-text"),
  chatLog: element("chat-log"),
  roomAlert: element("room-alert"),
  leave: element("leave"),
};

/** Display names by peer id; a peer stays "Someone joining…" until its hello opens. */
/** @type {Map<string, string>} */
const names = new Map();
/** Peers we have sent our hello to, so a greeting is answered exactly once. */
/** @type {Set<string>} */
const greeted = new Set();
/** @type {Signaling | null} */
let signaling = null;

function linkPassphrase() {
  const hash = location.hash.slice(1);
  if (!hash) return "";
  try {
    return decodeURIComponent(hash);
  } catch {
    return hash;
  }
}

function socketUrl() {
  const url = new URL("ws", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.hash = "";
  return url.href;
}

function renderPeople() {
  ui.people.replaceChildren();
  if (!signaling?.id) return;
  const me = document.createElement("li");
  me.textContent = `${ui.name.value.trim()} (you)`;
  me.className = "you";
  ui.people.append(me);
  for (const peer of signaling.peers) {
    const item = document.createElement("li");
    item.textContent = names.get(peer) ?? "Someone joining…";
    ui.people.append(item);
  }
}

/** @param {string} who @param {string} text */
function addChat(who, text) {
  const line = document.createElement("li");
  const speaker = document.createElement("strong");
  speaker.textContent = `${who}: `;
  line.append(speaker, text);
  ui.chatLog.append(line);
  line.scrollIntoView({ block: "end" });
}

/** @param {string} peer */
function greet(peer) {
  if (!signaling || greeted.has(peer)) return;
  greeted.add(peer);
  void signaling.send(peer, { kind: "hello", name: ui.name.value.trim() });
}

/** @param {Signaling} s */
function listen(s) {
  s.addEventListener("peer-joined", () => renderPeople());
  s.addEventListener("peer-left", (event) => {
    const { peer } = /** @type {CustomEvent} */ (event).detail;
    names.delete(peer);
    greeted.delete(peer);
    renderPeople();
  });
  s.addEventListener("message", (event) => {
    const { from, message } = /** @type {CustomEvent} */ (event).detail;
    if (message.kind === "hello") {
      names.set(from, message.name);
      greet(from);
      renderPeople();
    } else if (message.kind === "chat") {
      addChat(names.get(from) ?? "Someone", message.text);
    }
  });
  s.addEventListener("rejected", (event) => {
    const { reason } = /** @type {CustomEvent} */ (event).detail;
    ui.roomAlert.textContent = REJECTED[reason] ?? REJECTED.malformed;
  });
  s.addEventListener("closed", () => {
    if (!ui.room.hidden) {
      ui.roomAlert.textContent = "The connection to the server closed.";
    }
  });
}

async function join() {
  const name = ui.name.value.trim();
  const passphrase = ui.passphrase.value;
  ui.joinError.textContent = "";
  if (!name) {
    ui.joinError.textContent = "Please type your name.";
    ui.name.focus();
    return;
  }
  if (!passphrase.trim()) {
    ui.joinError.textContent = "Please type the passphrase.";
    ui.passphrase.focus();
    return;
  }
  localStorage.setItem(NAME_KEY, name);
  ui.join.disabled = true;
  try {
    if (!signaling || signaling.state === "closed") {
      ui.joinStatus.textContent = "Connecting…";
      signaling = new Signaling(socketUrl());
      listen(signaling);
      await signaling.connect();
    }
    ui.joinStatus.textContent = "Opening the room…";
    const joined = await signaling.join(passphrase);
    for (const peer of joined.peers) greet(peer);
    ui.joinForm.hidden = true;
    ui.room.hidden = false;
    renderPeople();
    ui.chatText.focus();
  } catch (error) {
    const code = error instanceof SignalingError ? error.code : "closed";
    ui.joinError.textContent = JOIN_ERRORS[code] ?? `The server refused: ${String(error)}`;
  } finally {
    ui.join.disabled = false;
    ui.joinStatus.textContent = "";
  }
}

function leave() {
  signaling?.leave();
  names.clear();
  greeted.clear();
  ui.chatLog.replaceChildren();
  ui.roomAlert.textContent = "";
  ui.room.hidden = true;
  ui.joinForm.hidden = false;
  ui.join.focus();
}

function sendChat() {
  const text = ui.chatText.value.trim();
  if (!text || !signaling || signaling.state !== "joined") return;
  void signaling.broadcast({ kind: "chat", text });
  addChat(`${ui.name.value.trim()} (you)`, text);
  ui.chatText.value = "";
}

function start() {
  ui.name.maxLength = MAX_NAME;
  ui.name.value = localStorage.getItem(NAME_KEY) ?? "";
  const fromLink = linkPassphrase();
  if (fromLink) {
    ui.passphrase.value = fromLink;
    ui.passphraseField.hidden = true;
    ui.linkNote.hidden = false;
  }
  ui.joinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void join();
  });
  ui.chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendChat();
  });
  ui.leave.addEventListener("click", leave);
  (ui.name.value ? ui.join : ui.name).focus();
}

start();
