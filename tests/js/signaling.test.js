// signaling.js with a fake WebSocket and a fake tab storage: what it takes from a server, what
// it refuses, its states, and how it finds its way back into the room after a drop.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { b64url, importSignallingKey, unb64url } from "../../parlour/static/crypto.js";
import { SignalingError } from "../../parlour/static/signaling.js";
import { fakeStorage, next, record } from "./fakes.js";
import { documented, vectors } from "./protocol.js";
import { closeOpened, environment, joinedMessage, made, welcomed } from "./welcomed.js";

const v = vectors();
const ROOM = v.rooms[0];
const [WELCOME] = documented("Messages from server to client").get("welcome") ?? [];
const TICKET = "BblXi1ApjCA-4_jIAAABmraX6ACqK1-oUP9o1fWeI0IAfBGq";
const IV = "ZGVmZ2hpamtsbW5v";
const CT = "m5eIpdXa4gnJy-ubyPmNYxN6mez-PSqIqLWlM7DjYPeo2MyhfMSRkI4XEkbkNJk_0cnCM5YX7iFa";

afterEach(closeOpened);

/** The room keys of the vectors' first room, without the slow stretch. */
async function roomKeys() {
  return { locator: ROOM.locator, key: await importSignallingKey(unb64url(ROOM.signalling_key)) };
}

/** Into the room: the join the page sent, once the fake server has answered it. */
async function inRoom(env = environment(), joined = joinedMessage()) {
  const { signaling, socket } = await welcomed(env);
  const { locator, key } = await roomKeys();
  const entering = signaling.enter(locator, key);
  await next(signaling, "state", (d) => d.state === "joining");
  const join = socket.sent.at(-1);
  socket.deliver(joined);
  await entering;
  return { signaling, socket, join, env };
}

for (const [what, change, reason] of [
  ["iterations below 600000", { iterations: 599_999 }, /below the 600000/],
  ["iterations above 6000000", { iterations: 6_000_001 }, /more than the 6000000/],
  ["a salt shorter than 32 bytes", { salt: v.salt.slice(0, 40) }, /salt/],
  ["protocol 1", { protocol: 1 }, /protocol 1/],
  ["protocol 3", { protocol: 3 }, /protocol 3/],
]) {
  test(`a welcome with ${what} is refused, the socket closed, and nothing stretched`, async () => {
    const env = environment();
    const signaling = made(env);
    const connecting = signaling.connect();
    const [socket] = env.WebSocket.made;
    socket.deliver({ ...WELCOME, ...change });
    await assert.rejects(connecting, (error) => error instanceof SignalingError && error.code === "weak-welcome" && reason.test(error.message));
    assert.equal(signaling.state, "closed");
    assert.equal(socket.closedWith, 1000);
    assert.equal(signaling.welcome, null);
    assert.throws(() => signaling.stretch("correct horse battery staple"), /no salt before the welcome/);
    assert.equal(env.WebSocket.made.length, 1, "no second socket");
  });
}

test("the documented welcome is taken, and join sends only the locator of the stretched passphrase", async () => {
  const { signaling, socket } = await welcomed();
  assert.equal(signaling.state, "ready");
  assert.deepEqual(signaling.welcome, WELCOME);
  const joining = signaling.join(ROOM.passphrase);
  await next(signaling, "state", (d) => d.state === "joining");
  assert.deepEqual(socket.sent.at(-1), { type: "join", room: ROOM.locator });
  socket.deliver(joinedMessage());
  const joined = await joining;
  assert.equal(joined.id, "AAAAAAAA");
  assert.equal(signaling.room?.locator, ROOM.locator);
  assert.equal(JSON.stringify(socket.sent).includes("horse"), false);
});

test("states follow the documented path, and a transition off it throws naming it", async () => {
  const env = environment();
  const fresh = made(env);
  assert.throws(() => fresh.setState("joined"), /no transition from idle to joined/);
  await assert.rejects(fresh.join("words"), /cannot join while idle/);

  const states = [];
  const signaling = made(env);
  signaling.addEventListener("state", (event) => states.push(/** @type {CustomEvent} */ (event).detail.state));
  const connecting = signaling.connect();
  env.WebSocket.made.at(-1).deliver(WELCOME);
  await connecting;
  const { locator, key } = await roomKeys();
  const entering = signaling.enter(locator, key);
  await next(signaling, "state", (d) => d.state === "joining");
  env.WebSocket.made.at(-1).deliver(joinedMessage());
  await entering;
  signaling.leave();
  signaling.close();
  assert.deepEqual(states, ["connecting", "ready", "joining", "joined", "ready", "closed"]);
  assert.throws(() => signaling.setState("connecting"), /no transition from closed to connecting/);
});

test("server messages that are not as PROTOCOL.md says are reported as malformed and not acted on", async () => {
  const { signaling, socket } = await inRoom();
  const seen = record(signaling, ["malformed", "peer-joined", "peer-left", "envelope", "room-state", "state"]);
  const bad = [
    ["not json at all", null],
    [{ type: "peer-joined", peer: 5 }, "peer-joined"],
    [{ type: "peer-joined", peer: "DDDDDDDD", extra: true }, "peer-joined"],
    [{ type: "peer-left" }, "peer-left"],
    [{ type: "signal", from: ["BBBBBBBB"], seq: 1, iv: IV, ct: CT }, "signal"],
    [{ type: "signal", from: "BBBBBBBB", seq: 0, iv: IV, ct: CT }, "signal"],
    [{ type: "room-state", locked: "yes", by: null, ticket: null }, "room-state"],
    [{ type: "room-state", locked: true, by: null, ticket: "short" }, "room-state"],
    [[{ type: "peer-left", peer: "BBBBBBBB" }], null],
  ];
  for (const [frame] of bad) socket.deliver(frame);
  assert.deepEqual(
    seen,
    bad.map(([, type]) => ({ type: "malformed", detail: { type } })),
  );
  assert.deepEqual([...signaling.peers], ["BBBBBBBB"]);
  assert.equal(signaling.locked, false);
  assert.equal(signaling.state, "joined");

  // A type this page does not know is a newer server's: ignored, not reported.
  socket.deliver({ type: "from-the-future", anything: 1 });
  assert.equal(seen.length, bad.length);
  // The same messages, well formed, are acted on: the test above could fail.
  socket.deliver({ type: "peer-joined", peer: "DDDDDDDD" });
  socket.deliver({ type: "signal", from: "BBBBBBBB", seq: 1, iv: IV, ct: CT });
  assert.deepEqual(
    seen.slice(bad.length).map((e) => e.type),
    ["peer-joined", "envelope"],
  );
});

test("a dropped socket in a room reconnects, joins again with the same keys, and reports the new id", async () => {
  const { signaling, socket, join, env } = await inRoom();
  const closed = record(signaling, ["closed"]);
  const stretched = signaling.stretched;
  socket.drop(1006);
  assert.equal(signaling.state, "reconnecting");
  assert.deepEqual([...signaling.peers], []);

  await next(signaling, "state", (d) => d.state === "connecting");
  assert.equal(env.WebSocket.made.length, 2);
  const again = env.WebSocket.made[1];
  const rejoined = next(signaling, "joined");
  again.deliver(WELCOME);
  await next(signaling, "state", (d) => d.state === "joining");
  assert.deepEqual(again.sent.at(-1), join, "the same join, with no new stretch");
  assert.equal(signaling.stretched, stretched);
  again.deliver(joinedMessage({ id: "CCCCCCCC", peers: ["BBBBBBBB", "DDDDDDDD"] }));
  const detail = await rejoined;
  assert.equal(detail.id, "CCCCCCCC");
  assert.deepEqual(detail.peers, ["BBBBBBBB", "DDDDDDDD"]);
  assert.equal(signaling.state, "joined");
  assert.deepEqual(closed, []);
});

test("a server that refuses the rejoin ends the signalling and says why", async () => {
  const { signaling, socket, env } = await inRoom();
  const errors = record(signaling, ["server-error", "closed"]);
  socket.drop(1001);
  await next(signaling, "state", (d) => d.state === "connecting");
  const again = env.WebSocket.made[1];
  again.deliver(WELCOME);
  await next(signaling, "state", (d) => d.state === "joining");
  const closed = next(signaling, "closed");
  again.deliver({ type: "error", code: "no-such-room", message: "No such room.", about: "join" });
  await closed;
  assert.deepEqual(errors.map((e) => e.type), ["server-error", "closed"]);
  assert.equal(errors[0].detail.code, "no-such-room");
  assert.equal(signaling.state, "closed");
  assert.equal(signaling.room, null);
});

test("a socket that drops before any join ends the signalling: there is no room to go back to", async () => {
  const { signaling, socket, env } = await welcomed();
  const closed = next(signaling, "closed");
  socket.drop(1006);
  assert.deepEqual(await closed, { code: 1006, reason: "" });
  assert.equal(signaling.state, "closed");
  assert.equal(env.WebSocket.made.length, 1);
});

test("a lock's ticket is kept in the tab under the locator's hash, sent with the next join, and put back after a restart", async () => {
  const storage = fakeStorage();
  const first = await inRoom(environment(storage));
  first.socket.deliver({ type: "room-state", locked: true, by: "BBBBBBBB", ticket: TICKET });
  const slot = `parlour.ticket.${b64url(await crypto.subtle.digest("SHA-256", unb64url(ROOM.locator)))}`;
  assert.deepEqual([...storage.items], [[slot, TICKET]]);
  assert.equal(JSON.stringify([...storage.items]).includes(ROOM.locator), false);

  // The page reloads; the server restarted meanwhile and has forgotten the room and its lock.
  const second = await inRoom(environment(storage), joinedMessage({ peers: [], locked: false }));
  assert.deepEqual(second.join, { type: "join", room: ROOM.locator, ticket: TICKET });
  assert.deepEqual(second.socket.sent.at(-1), { type: "lock", ticket: TICKET });
  const state = next(second.signaling, "room-state");
  second.socket.deliver({ type: "room-state", locked: true, by: "AAAAAAAA", ticket: TICKET });
  assert.deepEqual(await state, { locked: true, restored: true });

  second.signaling.lock(false);
  assert.deepEqual(second.socket.sent.at(-1), { type: "unlock" });
  second.socket.deliver({ type: "room-state", locked: false, by: "AAAAAAAA", ticket: null });
  assert.deepEqual([...storage.items], []);
});

test("a join refused with room-locked forgets the ticket and goes back to ready", async () => {
  const storage = fakeStorage();
  const { signaling, socket } = await welcomed(environment(storage));
  const { locator, key } = await roomKeys();
  const slot = `parlour.ticket.${b64url(await crypto.subtle.digest("SHA-256", unb64url(locator)))}`;
  storage.setItem(slot, TICKET);
  const entering = signaling.enter(locator, key);
  await next(signaling, "state", (d) => d.state === "joining");
  assert.equal(socket.sent.at(-1).ticket, TICKET);
  socket.deliver({ type: "error", code: "room-locked", message: "The room is locked.", about: "join" });
  await assert.rejects(entering, (error) => error instanceof SignalingError && error.code === "room-locked");
  assert.equal(signaling.state, "ready");
  assert.equal(storage.getItem(slot), null);
});

test("a lock the server will not take back forgets the ticket, and the next room-state is not a restore", async () => {
  const storage = fakeStorage();
  const slot = `parlour.ticket.${b64url(await crypto.subtle.digest("SHA-256", unb64url(ROOM.locator)))}`;
  storage.setItem(slot, TICKET);
  const { signaling, socket } = await inRoom(environment(storage), joinedMessage({ peers: [], locked: false }));
  assert.deepEqual(socket.sent.at(-1), { type: "lock", ticket: TICKET });
  const refused = next(signaling, "server-error");
  socket.deliver({ type: "error", code: "invalid-ticket", message: "Not a ticket of this room.", about: "lock" });
  assert.equal((await refused).code, "invalid-ticket");
  assert.equal(storage.getItem(slot), null);
  assert.equal(signaling.ticket, null);
  const state = next(signaling, "room-state");
  socket.deliver({ type: "room-state", locked: true, by: "BBBBBBBB", ticket: TICKET });
  assert.deepEqual(await state, { locked: true, restored: false });
});

test("a locked-out join carries the server's retry_after as a number of seconds", async () => {
  const { signaling, socket } = await welcomed();
  const { locator, key } = await roomKeys();
  const entering = signaling.enter(locator, key);
  await next(signaling, "state", (d) => d.state === "joining");
  socket.deliver({ type: "error", code: "locked-out", message: "Too many wrong passphrases.", about: "join", retry_after: 900 });
  await assert.rejects(entering, (error) => error instanceof SignalingError && error.code === "locked-out" && error.retryAfter === 900);
});

test("refresh asks for fresh credentials, which come as an ice-servers event with their lifetime", async () => {
  const { signaling, socket } = await inRoom();
  assert.equal(signaling.refresh(), true);
  assert.deepEqual(socket.sent.at(-1), { type: "refresh" });
  const fresh = next(signaling, "ice-servers");
  const servers = [{ urls: ["turn:turn.example.org:3478?transport=udp"], username: "1767229200:AAAAAAAA", credential: "VvZ52LDUaJk4pkBDXEwpvxt73oc=" }];
  socket.deliver({ type: "ice-servers", ice_servers: servers, ice_ttl: 3600 });
  assert.deepEqual(await fresh, { iceServers: servers, iceTtl: 3600 });
});
