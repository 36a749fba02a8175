// signaling.js at the front door, with a fake WebSocket: a visitor knocks, waits, is answered,
// declined or cancels; a host's desk opens, hears who comes and goes, and answers; and what each
// does when the socket drops (PROTOCOL.md "The front door").

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { doorKey, open, roomAad, seal } from "../../parlour/static/crypto.js";
import { SignalingError } from "../../parlour/static/signaling.js";
import { next, record } from "./fakes.js";
import { closeOpened, joinedMessage, welcomed } from "./welcomed.js";
import { documented } from "./protocol.js";

const server = documented("Messages from server to client");
const [WELCOME] = server.get("welcome") ?? [];
const [DESK] = server.get("desk") ?? [];
const [VISITOR] = server.get("visitor") ?? [];
const [GONE] = server.get("visitor-gone") ?? [];
const [AUDIT] = server.get("audit") ?? [];
const SECRET = "q0mCZw4w3d2m3sVb8yJq2mVnZk0n6C1a5Tt2WcE9XhM";

/** A visitor's `joined`. @param {object} [fields] */
const joinedVisitor = (fields = {}) => joinedMessage({ id: "VVVVVVVV", peers: ["HHHHHHHH"], ...fields });

afterEach(closeOpened);

/** A visitor the fake server has told to wait. */
async function waiting(name = "Ada", to = "Grandma") {
  const { signaling, socket, env } = await welcomed();
  const knocking = signaling.knock(name, to);
  assert.deepEqual(await sent(socket, 1), { type: "knock", name, to });
  socket.deliver({ type: "waiting" });
  await knocking;
  return { signaling, socket, env };
}

/** A host's page whose desk the fake server opened. */
async function atDesk() {
  const { signaling, socket, env } = await welcomed();
  const opening = signaling.openDesk(SECRET);
  assert.deepEqual(await sent(socket, 1), { type: "desk", secret: SECRET });
  socket.deliver(DESK);
  const desk = await opening;
  return { signaling, socket, env, desk };
}

/** Every promise that can settle now has: what the page does at once is done. */
const settled = () => new Promise((resolve) => setTimeout(resolve));

/** Once the page has sent `count` messages on `socket` (the door key is derived first, off the loop). */
async function sent(socket, count) {
  for (let i = 0; socket.sent.length < count; i++) {
    if (i > 2000) throw new Error(`the page sent ${socket.sent.length} messages, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return socket.sent.at(count - 1);
}

/** A reconnect after a drop: the next socket, once its welcome is in. @param {any} env */
async function nextSocket(signaling, env) {
  await next(signaling, "state", (d) => d.state === "connecting");
  const socket = env.WebSocket.made.at(-1);
  socket.deliver(WELCOME);
  return socket;
}

test("a knock is answered by waiting, and a host's answer puts the visitor in a call sealed with the door key", async () => {
  const states = [];
  const { signaling, socket } = await waiting();
  assert.equal(signaling.state, "waiting");
  signaling.addEventListener("state", (event) => states.push(/** @type {CustomEvent} */ (event).detail.state));
  const joined = next(signaling, "joined");
  socket.deliver(joinedVisitor());
  const detail = await joined;
  assert.equal(detail.door, true);
  assert.deepEqual(detail.peers, ["HHHHHHHH"]);
  assert.deepEqual(states, ["joined"]);
  assert.equal(signaling.room?.locator, null, "nothing to join again");
  assert.equal(signaling.knocked, null);
  // The room key of the call is the door key: what it seals, the door key opens.
  const key = /** @type {CryptoKey} */ (signaling.room?.key);
  const sealed = await seal(key, roomAad("VVVVVVVV", "HHHHHHHH", 1), { kind: "probe" });
  assert.deepEqual(await open(await doorKey(), roomAad("VVVVVVVV", "HHHHHHHH", 1), sealed), { kind: "probe" });
});

test("a declined visitor hears so, is ready again, and may knock again", async () => {
  const { signaling, socket } = await waiting();
  const declined = next(signaling, "declined");
  socket.deliver({ type: "declined" });
  await declined;
  assert.equal(signaling.state, "ready");
  assert.equal(signaling.knocked, null);
  const again = signaling.knock("Ada", "Grandma");
  socket.deliver({ type: "waiting" });
  await again;
  assert.equal(signaling.state, "waiting");
});

test("cancel leaves the front door and keeps the socket; a later joined is not taken for an answer", async () => {
  const { signaling, socket } = await waiting();
  signaling.cancel();
  assert.deepEqual(socket.sent.at(-1), { type: "leave" });
  assert.equal(signaling.state, "ready");
  const seen = record(signaling, ["joined"]);
  socket.deliver({ type: "left" });
  socket.deliver(joinedVisitor());
  assert.deepEqual(seen, []);
  assert.equal(signaling.state, "ready");
});

test("a second knock on one connection is refused by the server, and the page is ready again", async () => {
  const { signaling, socket } = await welcomed();
  const knocking = signaling.knock("Ada", "");
  await sent(socket, 1);
  socket.deliver({ type: "error", code: "already-waiting", message: "You are waiting already.", about: "knock" });
  await assert.rejects(knocking, (error) => error instanceof SignalingError && error.code === "already-waiting");
  assert.equal(signaling.state, "ready");
  const first = signaling.knock("Ada", "");
  await assert.rejects(signaling.knock("Ada", ""), /cannot knock while knocking/);
  socket.deliver({ type: "waiting" });
  await first;
});

test("a waiting visitor whose socket drops knocks again with the same words after the reconnect", async () => {
  const { signaling, socket, env } = await waiting("Ada", "Grandma");
  const closed = record(signaling, ["closed"]);
  socket.drop(1001);
  assert.equal(signaling.state, "reconnecting");
  const again = await nextSocket(signaling, env);
  await settled();
  assert.equal(signaling.state, "knocking");
  assert.deepEqual(again.sent.at(-1), { type: "knock", name: "Ada", to: "Grandma" });
  again.deliver({ type: "waiting" });
  await settled();
  assert.equal(signaling.state, "waiting");
  assert.deepEqual(closed, []);
  // ...and is answered there as before.
  const joined = next(signaling, "joined");
  again.deliver(joinedVisitor());
  assert.equal((await joined).door, true);
});

test("a visitor who cancels while reconnecting does not knock again: the signalling ends", async () => {
  const { signaling, socket, env } = await waiting();
  socket.drop(1006);
  signaling.cancel();
  assert.equal(signaling.state, "closed");
  assert.equal(env.WebSocket.made.length, 1);
});

test("a desk opens with the page's secret, hears visitors come and go and the audit, and sends answers", async () => {
  const { signaling, socket, desk } = await atDesk();
  const { type, ...expected } = DESK;
  assert.deepEqual(desk, expected);
  const seen = record(signaling, ["visitor", "visitor-gone", "audit"]);
  socket.deliver(VISITOR);
  socket.deliver(GONE);
  socket.deliver(AUDIT);
  assert.deepEqual(seen, [
    { type: "visitor", detail: { visitor: VISITOR.visitor } },
    { type: "visitor-gone", detail: { visitor: GONE.visitor, reason: GONE.reason } },
    { type: "audit", detail: { entry: AUDIT.entry } },
  ]);
  assert.equal(signaling.answer("VVVVVVVV"), true);
  assert.equal(signaling.decline("WWWWWWWW"), true);
  assert.equal(signaling.dismiss("XXXXXXXX"), true);
  assert.deepEqual(socket.sent.slice(-3), [
    { type: "answer", visitor: "VVVVVVVV" },
    { type: "decline", visitor: "WWWWWWWW" },
    { type: "dismiss", visitor: "XXXXXXXX" },
  ]);
  // The answer brings the host into the call: a joined nobody asked for with join.
  const joined = next(signaling, "joined");
  socket.deliver(joinedVisitor({ id: "HHHHHHHH", peers: [] }));
  assert.equal((await joined).door, true);
  assert.equal(signaling.state, "joined");
  assert.equal(signaling.room?.locator, null);
});

test("visitor messages that are not as PROTOCOL.md says are reported, not shown", async () => {
  const { signaling, socket } = await atDesk();
  const seen = record(signaling, ["visitor", "malformed", "visitor-gone"]);
  socket.deliver({ type: "visitor", visitor: { ...VISITOR.visitor, secret: "x" } });
  socket.deliver({ type: "visitor", visitor: { ...VISITOR.visitor, since: "yesterday" } });
  socket.deliver({ type: "visitor-gone", visitor: "WWWWWWWW", reason: "vanished" });
  assert.deepEqual(
    seen.map((e) => e.type),
    ["malformed", "malformed", "malformed"],
  );
});

test("a page without a desk ignores visitors, and answers nothing", async () => {
  const { signaling, socket } = await welcomed();
  const seen = record(signaling, ["visitor", "joined"]);
  socket.deliver(VISITOR);
  socket.deliver(joinedVisitor());
  assert.deepEqual(seen, []);
  assert.equal(signaling.answer("VVVVVVVV"), false);
  assert.equal(socket.sent.length, 0);
});

test("a wrong secret rejects the desk with not-a-host", async () => {
  const { signaling, socket } = await welcomed();
  const opening = signaling.openDesk(SECRET);
  await sent(socket, 1);
  socket.deliver({ type: "error", code: "not-a-host", message: "No such page.", about: "desk" });
  await assert.rejects(opening, (error) => error instanceof SignalingError && error.code === "not-a-host");
  assert.equal(signaling.desk, null);
  assert.equal(signaling.state, "ready");
});

test("a desk whose socket drops opens again after the reconnect, with the list as the server has it now", async () => {
  const { signaling, socket, env } = await atDesk();
  socket.drop(1001);
  const again = await nextSocket(signaling, env);
  assert.deepEqual(await sent(again, 1), { type: "desk", secret: SECRET });
  const reopened = next(signaling, "desk");
  again.deliver({ ...DESK, visitors: [] });
  assert.deepEqual((await reopened).visitors, []);
  assert.equal(signaling.state, "ready");
});

test("a host in a front-door call whose socket drops loses the call, not the desk: no join is sent", async () => {
  const { signaling, socket, env } = await atDesk();
  signaling.answer("VVVVVVVV");
  socket.deliver(joinedVisitor({ id: "HHHHHHHH", peers: [] }));
  const lost = next(signaling, "call-lost");
  socket.drop(1001);
  await lost;
  assert.equal(signaling.room, null);
  assert.equal(signaling.state, "reconnecting");
  const again = await nextSocket(signaling, env);
  await sent(again, 1);
  again.deliver(DESK);
  await settled();
  assert.deepEqual(
    again.sent.map((m) => m.type),
    ["desk"],
  );
  assert.equal(signaling.state, "ready");
});

test("a visitor in a front-door call whose socket drops loses the call and ends: there is nothing to go back to", async () => {
  const { signaling, socket, env } = await waiting();
  socket.deliver(joinedVisitor());
  assert.equal(signaling.state, "joined");
  const seen = record(signaling, ["call-lost", "closed"]);
  socket.drop(1006);
  assert.deepEqual(
    seen.map((e) => e.type),
    ["call-lost", "closed"],
  );
  assert.equal(env.WebSocket.made.length, 1);
});
