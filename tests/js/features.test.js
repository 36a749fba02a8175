// The call's registry of sealed kinds, and the features that register theirs (chat.js,
// roomlock.js), with the call's pairing and signalling faked and WebRTC standing in.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { Call } from "../../parlour/static/call.js";
import { Chat } from "../../parlour/static/chat.js";
import { RoomLock } from "../../parlour/static/roomlock.js";
import { fakeMedia, installFakeWebRTC, next, record } from "./fakes.js";

installFakeWebRTC();

const GRACE = "GGGGGGGGGGGGGGGGGGGGGA";
const FINGERPRINT = `sha-256 ${Array(32).fill("AB").join(":")}`;

/** What the call needs of pairing.js: the keys it holds, and what it was asked to send. */
function fakePairing() {
  /** @type {{to: string, message: any}[]} */
  const sent = [];
  /** @type {any[]} */
  const broadcast = [];
  const pairing = Object.assign(new EventTarget(), {
    session: "AAAAAAAAAAAAAAAAAAAAAA",
    pairs: new Map([[GRACE, { session: GRACE, peer: "GGGGGGGG", fingerprints: [FINGERPRINT], safetyCode: "123 456" }]]),
    sent,
    broadcast: async (/** @type {any} */ message) => void broadcast.push(message),
    broadcasts: broadcast,
    send: async (/** @type {string} */ to, /** @type {any} */ message) => void sent.push({ to, message }),
    introduce: async () => true,
    sessionOf: () => null,
    forget: () => {},
    stop: () => {},
  });
  return pairing;
}

/** @type {Call[]} */
const calls = [];
afterEach(() => {
  for (const call of calls.splice(0)) call.stop();
});

function call() {
  const pairing = fakePairing();
  const signaling = Object.assign(new EventTarget(), { peers: new Set(), state: "joined", lock: (/** @type {boolean} */ _) => true });
  const media = fakeMedia();
  const made = new Call({
    signaling: /** @type {any} */ (signaling),
    pairing: /** @type {any} */ (pairing),
    certificate: /** @type {any} */ ({}),
    media: /** @type {any} */ (media),
    name: "Ada",
    uploadKbps: 2500,
    iceServers: [],
  });
  calls.push(made);
  /** A sealed message from someone, as pairing.js reports one that opened. @param {string} session @param {object} message */
  const says = (session, message) => pairing.dispatchEvent(new CustomEvent("message", { detail: { session, message } }));
  return { call: made, pairing, signaling, media, says };
}

const HELLO = { kind: "hello", name: "Grace", audio: true, video: true, reply: false };

test("a feature may register a kind schema.js knows, once, and never one of the call's own", () => {
  const { call: c } = call();
  c.handle("chat", () => {});
  assert.throws(() => c.handle("chat", () => {}), /chat is handled already/);
  for (const kind of ["hello", "state", "sdp", "ice", "bye"]) assert.throws(() => c.handle(kind, () => {}), /the call's own/);
  assert.throws(() => c.handle("sketch", () => {}), /not a sealed kind schema.js knows/);
});

test("a registered kind reaches its handler with the participant who said it, once they have said hello", async () => {
  const { call: c, says } = call();
  /** @type {[string, any][]} */
  const handled = [];
  c.handle("lock", (participant, message) => handled.push([participant.name, message]));
  c.start();
  says(GRACE, { kind: "lock", locked: true });
  assert.deepEqual(handled, [], "nobody before hello");
  const added = next(c, "participant-added");
  says(GRACE, HELLO);
  assert.equal((await added).participant.name, "Grace");
  says(GRACE, { kind: "lock", locked: false });
  says(GRACE, { kind: "chat", text: "nobody registered chat" });
  says(GRACE, { kind: "state", audio: false, video: true });
  assert.deepEqual(handled, [["Grace", { kind: "lock", locked: false }]]);
  assert.equal(c.participants.get(GRACE)?.audio, false, "the call still handles its own kinds");
});

test("chat.js sends a line to everyone and reports the lines others send", async () => {
  const { call: c, pairing, says } = call();
  const chat = new Chat(c);
  const lines = record(chat, ["line"]);
  c.start();
  says(GRACE, HELLO);
  says(GRACE, { kind: "chat", text: "Can you hear me?" });
  assert.equal(lines.length, 1);
  assert.equal(lines[0].detail.participant.name, "Grace");
  assert.equal(lines[0].detail.text, "Can you hear me?");
  await chat.send("Loud and clear.");
  assert.deepEqual(pairing.broadcasts, [{ kind: "chat", text: "Loud and clear." }]);
});

test("roomlock.js asks the server and tells everyone who locked, but tells nobody when the server cannot be asked", () => {
  const { call: c, pairing, signaling, says } = call();
  const lock = new RoomLock(c, signaling);
  const said = record(lock, ["said"]);
  c.start();
  assert.equal(lock.set(true), true);
  assert.deepEqual(pairing.broadcasts, [{ kind: "lock", locked: true }]);
  signaling.lock = () => false;
  assert.equal(lock.set(false), false);
  assert.equal(pairing.broadcasts.length, 1);
  says(GRACE, HELLO);
  says(GRACE, { kind: "lock", locked: false });
  assert.deepEqual(
    said.map((e) => [e.detail.participant.name, e.detail.locked]),
    [["Grace", false]],
  );
});

test("a device change reaches each connection by role: the camera off empties only the camera's sender", async () => {
  const { call: c, media, says } = call();
  c.start();
  says(GRACE, HELLO);
  const link = /** @type {any} */ (c.links.get(GRACE));
  const microphone = media.track("microphone");
  media.sources.delete("camera");
  media.dispatchEvent(new CustomEvent("tracks", { detail: { role: "camera", track: null } }));
  await link.budgetChain;
  assert.equal(link.transceivers.get("camera").sender.track, null);
  assert.equal(link.transceivers.get("microphone").sender.track, microphone);
});

test("a hello with reply false is answered with a hello and an offer of the call's roles", () => {
  const { call: c, pairing, says } = call();
  c.start();
  says(GRACE, HELLO);
  assert.deepEqual(pairing.sent, [{ to: GRACE, message: { kind: "hello", name: "Ada", audio: true, video: true, reply: true } }]);
  assert.deepEqual([.../** @type {any} */ (c.links.get(GRACE)).transceivers.keys()], ["microphone", "camera"]);
});
