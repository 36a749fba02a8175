// pairing.js between two or three pages, wired through a fake server that relays envelopes as
// the real one does (stamping the sender) and, when told to, misbehaves: replays, forgets, lies.

import assert from "node:assert/strict";
import { test } from "node:test";

import { identityText, importSignallingKey, newShare, open, roomAad, seal, unb64url } from "../../parlour/static/crypto.js";
import { Pairing } from "../../parlour/static/pairing.js";
import { record } from "./fakes.js";
import { vectors } from "./protocol.js";

const ROOM = vectors().rooms[0];
const EVENTS = ["paired", "resumed", "message", "rejected"];

/** Sessions in the order they sort: A < B < C, which decides who yields when intros cross. */
const SESSIONS = { A: "AAAAAAAAAAAAAAAAAAAAAA", B: "BBBBBBBBBBBBBBBBBBBBBA", C: "CCCCCCCCCCCCCCCCCCCCCA", M: "MMMMMMMMMMMMMMMMMMMMMA" };

/** @param {number} n */
const fingerprint = (n) => `sha-256 ${Array.from({ length: 32 }, (_, i) => ((i * 7 + n) % 256).toString(16).padStart(2, "0").toUpperCase()).join(":")}`;

/** What pairing.js needs of signaling.js, on a server that relays between members of one room. */
class Member extends EventTarget {
  /** @param {Relay} relay @param {string} id */
  constructor(relay, id) {
    super();
    this.relay = relay;
    /** @type {string | null} */
    this.id = id;
    this.room = relay.room;
  }

  /** @param {string} to @param {number} seq @param {{iv: string, ct: string}} sealed */
  transmitSignal(to, seq, sealed) {
    if (!this.id) return false;
    const envelope = { from: this.id, seq, iv: sealed.iv, ct: sealed.ct };
    this.relay.log.push({ to, ...envelope });
    this.relay.deliver(to, envelope);
    return true;
  }
}

class Relay {
  /** @param {CryptoKey} key */
  constructor(key) {
    this.room = { locator: ROOM.locator, key };
    /** @type {Map<string, Member>} */
    this.members = new Map();
    /** @type {{to: string, from: string, seq: number, iv: string, ct: string}[]} */
    this.log = [];
  }

  /** @param {string} id */
  admit(id) {
    const member = new Member(this, id);
    this.members.set(id, member);
    return member;
  }

  /** A member's socket comes back under another peer id. @param {string} from @param {string} to */
  readmit(from, to) {
    const member = /** @type {Member} */ (this.members.get(from));
    this.members.delete(from);
    member.id = to;
    this.members.set(to, member);
  }

  /** @param {string} to @param {{from: string, seq: number, iv: string, ct: string}} envelope */
  deliver(to, envelope) {
    this.members.get(to)?.dispatchEvent(new CustomEvent("envelope", { detail: envelope }));
  }
}

async function room() {
  return new Relay(await importSignallingKey(unb64url(ROOM.signalling_key)));
}

/** A page in the room: its pairing, under peer id = its letter, and everything it reported. */
function page(relay, letter, n = letter.charCodeAt(0)) {
  const signaling = relay.admit(letter);
  const pairing = new Pairing({ signaling: /** @type {any} */ (signaling), fingerprints: [fingerprint(n)], session: SESSIONS[letter] });
  return { pairing, signaling, seen: record(pairing, EVENTS), session: SESSIONS[letter] };
}

/**
 * Wait until nothing is left to open or send anywhere: each delivery may start another, so the
 * chains are awaited until none of them grew.
 * @param {Pairing[]} pairings
 */
async function settle(...pairings) {
  for (;;) {
    const chains = pairings.flatMap((p) => [p.inbox, p.outbox]);
    await Promise.all(chains);
    if (pairings.flatMap((p) => [p.inbox, p.outbox]).every((chain, i) => chain === chains[i])) return;
  }
}

/** @param {{type: string}[]} seen @param {string} type */
const only = (seen, type) => seen.filter((e) => e.type === type).map((e) => e.detail);

/** Two pages that have agreed a key: B was there first, A introduced itself. */
async function paired() {
  const relay = await room();
  const a = page(relay, "A");
  const b = page(relay, "B");
  await a.pairing.introduce("B");
  await settle(a.pairing, b.pairing);
  return { relay, a, b };
}

test("an intro, accept and reveal give both sides one pair, the same safety code and each other's certificate", async () => {
  const { relay, a, b } = await paired();
  const [fromA] = only(a.seen, "paired");
  const [fromB] = only(b.seen, "paired");
  assert.equal(only(a.seen, "paired").length, 1);
  assert.equal(only(b.seen, "paired").length, 1);
  assert.equal(fromA.role, "committer");
  assert.equal(fromB.role, "responder");
  assert.equal(fromA.session, b.session);
  assert.equal(fromB.session, a.session);
  assert.match(fromA.safetyCode, /^\d{3} \d{3}$/);
  assert.equal(fromA.safetyCode, fromB.safetyCode);
  assert.deepEqual(fromA.fingerprints, b.pairing.fingerprints);
  assert.deepEqual(fromB.fingerprints, a.pairing.fingerprints);
  assert.deepEqual(
    relay.log.map((e) => `${e.from}>${e.to} ${e.seq}`),
    ["A>B 1", "B>A 1", "A>B 2"],
    "intro, accept, reveal: one count per page",
  );
  assert.deepEqual(only(a.seen, "rejected"), []);
  assert.deepEqual(only(b.seen, "rejected"), []);
});

test("the agreed key carries messages both ways, and not under the room key", async () => {
  const { relay, a, b } = await paired();
  await a.pairing.send(b.session, { kind: "chat", text: "Can you hear me?" });
  await b.pairing.send(a.session, { kind: "chat", text: "Loud and clear." });
  await settle(a.pairing, b.pairing);
  assert.deepEqual(only(b.seen, "message"), [{ session: a.session, message: { kind: "chat", text: "Can you hear me?" } }]);
  assert.deepEqual(only(a.seen, "message"), [{ session: b.session, message: { kind: "chat", text: "Loud and clear." } }]);
  const last = /** @type {any} */ (relay.log.at(-1));
  await assert.rejects(open(relay.room.key, roomAad(last.from, last.to, last.seq), last));
});

test("the same envelope twice is refused as a replay, and acted on once", async () => {
  const { relay, a, b } = await paired();
  await a.pairing.send(b.session, { kind: "chat", text: "once" });
  await settle(a.pairing, b.pairing);
  const { to, ...envelope } = /** @type {any} */ (relay.log.at(-1));
  relay.deliver(to, envelope);
  await settle(a.pairing, b.pairing);
  assert.equal(only(b.seen, "message").length, 1);
  assert.deepEqual(only(b.seen, "rejected"), [{ reason: "replay" }]);
});

test("old envelopes replayed after the server forgot everything are still refused: counts are kept per session", async () => {
  const { relay, a, b } = await paired();
  await a.pairing.send(b.session, { kind: "chat", text: "before" });
  await settle(a.pairing, b.pairing);
  const old = relay.log.filter((e) => e.to === "B").map(({ to, ...envelope }) => envelope);
  // The server restarts, hands out the same peer ids, and B has given up on A's key meanwhile.
  relay.readmit("A", "A");
  relay.readmit("B", "B");
  b.pairing.forget(a.session);
  const sentBefore = relay.log.length;
  for (const envelope of old) relay.deliver("B", envelope);
  await settle(a.pairing, b.pairing);
  assert.equal(relay.log.length, sentBefore, "B answered no replayed intro");
  assert.equal(only(b.seen, "paired").length, 1);
  assert.equal(only(b.seen, "message").length, 1);
  const reasons = only(b.seen, "rejected").map((r) => r.reason);
  // The intro and reveal open under the room key and are replays; the chat, its key gone, opens not at all.
  assert.deepEqual(reasons, ["replay", "replay", "unopenable"]);
});

/**
 * Mallory, a member with the room key, introduces herself to A with a commitment to a key of
 * her own; A answers. What she promised, and A's answer, for a test to go on with.
 */
async function malloryIntroduced() {
  const relay = await room();
  const a = page(relay, "A");
  const mallory = relay.admit("M");
  /** @type {any[]} */
  const toMallory = [];
  mallory.addEventListener("envelope", (event) => toMallory.push(/** @type {CustomEvent} */ (event).detail));
  const fingerprints = [fingerprint(77)];
  const promised = await newShare(SESSIONS.M, fingerprints);
  const intro = { kind: "intro", session: SESSIONS.M, commit: promised.commit, resume: [] };
  mallory.transmitSignal("A", 1, await seal(relay.room.key, roomAad("M", "A", 1), intro));
  await settle(a.pairing);
  /** @param {number} seq @param {string} key */
  const reveal = async (seq, key) => {
    const message = { kind: "reveal", session: SESSIONS.M, to: a.session, key, fingerprints };
    mallory.transmitSignal("A", seq, await seal(relay.room.key, roomAad("M", "A", seq), message));
    await settle(a.pairing);
  };
  return { relay, a, toMallory, fingerprints, promised, reveal };
}

test("a reveal that does not hash to its commitment is refused with mismatch, and no key is agreed", async () => {
  const { relay, a, toMallory, fingerprints, promised, reveal } = await malloryIntroduced();
  assert.equal(toMallory.length, 1);
  const accept = /** @type {any} */ (await open(relay.room.key, roomAad("A", "M", toMallory[0].seq), toMallory[0]));
  assert.equal(accept.kind, "accept");
  assert.equal(accept.to, SESSIONS.M);

  // Having seen A's key, Mallory reveals another key than the one promised.
  const other = await newShare(SESSIONS.M, fingerprints);
  assert.notEqual(identityText(SESSIONS.M, other.key, fingerprints), promised.identity);
  await reveal(2, other.key);
  assert.deepEqual(only(a.seen, "rejected"), [{ reason: "mismatch" }]);
  assert.deepEqual(only(a.seen, "paired"), []);
  assert.equal(a.pairing.pairs.size, 0);

  // The promised key, revealed late, finds nothing waiting: the commitment was spent.
  await reveal(3, promised.key);
  assert.deepEqual(only(a.seen, "paired"), []);
});

test("the promised key, revealed, is agreed: the mismatch test above is not refusing everything", async () => {
  const { a, promised, reveal } = await malloryIntroduced();
  await reveal(2, promised.key);
  assert.deepEqual(only(a.seen, "rejected"), []);
  assert.equal(only(a.seen, "paired").length, 1);
});

test("intros that cross resolve to one pair: the higher session commits, the lower answers", async () => {
  const relay = await room();
  const a = page(relay, "A");
  const b = page(relay, "B");
  await Promise.all([a.pairing.introduce("B"), b.pairing.introduce("A")]);
  await settle(a.pairing, b.pairing);
  assert.deepEqual(
    only(a.seen, "paired").map((d) => d.role),
    ["responder"],
  );
  assert.deepEqual(
    only(b.seen, "paired").map((d) => d.role),
    ["committer"],
  );
  assert.equal(only(a.seen, "paired")[0].safetyCode, only(b.seen, "paired")[0].safetyCode);
  assert.equal(a.pairing.pairs.size, 1);
  assert.equal(b.pairing.pairs.size, 1);
  await a.pairing.send(b.session, { kind: "chat", text: "one key" });
  await settle(a.pairing, b.pairing);
  assert.equal(only(b.seen, "message").length, 1);
});

test("an intro from a known session that still holds its key is a resume, not a new key", async () => {
  const { relay, a, b } = await paired();
  // A's signalling reconnects under a new peer id and introduces itself again, naming B.
  relay.readmit("A", "A2");
  await a.pairing.introduce("B");
  await settle(a.pairing, b.pairing);
  assert.deepEqual(only(b.seen, "resumed"), [{ session: a.session, peer: "A2" }]);
  assert.equal(only(b.seen, "paired").length, 1, "no new key");
  // B greets A at its new peer id under the key they share; A's answer moves B's idea of A.
  await b.pairing.send(a.session, { kind: "chat", text: "welcome back" }, "A2");
  await a.pairing.send(b.session, { kind: "chat", text: "thanks" });
  await settle(a.pairing, b.pairing);
  assert.deepEqual(
    only(a.seen, "message").map((d) => d.message.text),
    ["welcome back"],
  );
  assert.equal(b.pairing.pairs.get(a.session)?.peer, "A2");
  assert.equal(b.pairing.sessionOf("A2"), a.session);
});

test("an intro from a known session that lost its key gets a fresh key, not a resume", async () => {
  const { a, b } = await paired();
  const before = only(b.seen, "paired")[0].safetyCode;
  a.pairing.forget(b.session); // A's page gave up on B: its intro names nobody to resume
  await a.pairing.introduce("B");
  await settle(a.pairing, b.pairing);
  assert.deepEqual(only(b.seen, "resumed"), []);
  const codes = only(b.seen, "paired").map((d) => d.safetyCode);
  assert.equal(codes.length, 2);
  assert.notEqual(codes[1], before, "a new key pair, a new code");
  assert.equal(only(a.seen, "paired").at(-1).safetyCode, codes[1]);
});

test("three pages each agree a key with each other, and a broadcast reaches each under its own", async () => {
  const relay = await room();
  const a = page(relay, "A");
  const b = page(relay, "B");
  await a.pairing.introduce("B");
  await settle(a.pairing, b.pairing);
  const c = page(relay, "C");
  await Promise.all([c.pairing.introduce("A"), c.pairing.introduce("B")]);
  await settle(a.pairing, b.pairing, c.pairing);
  const code = (/** @type {any} */ of, /** @type {string} */ session) => only(of.seen, "paired").find((d) => d.session === session)?.safetyCode;
  for (const [x, y] of [
    [a, b],
    [a, c],
    [b, c],
  ]) {
    assert.ok(code(x, y.session));
    assert.equal(code(x, y.session), code(y, x.session));
  }
  assert.notEqual(code(a, c.session), code(b, c.session));
  await c.pairing.broadcast({ kind: "chat", text: "hello both" });
  await settle(a.pairing, b.pairing, c.pairing);
  for (const x of [a, b]) assert.deepEqual(only(x.seen, "message"), [{ session: c.session, message: { kind: "chat", text: "hello both" } }]);
});

test("a sealed message of a kind this page does not know is ignored; a known kind with wrong fields is reported", async () => {
  const { a, b } = await paired();
  await a.pairing.send(b.session, { kind: "sketch", strokes: [[0, 0, 1, 1]] });
  await a.pairing.send(b.session, { kind: "chat", text: "" });
  await a.pairing.send(b.session, { kind: "chat", text: "after both" });
  await settle(a.pairing, b.pairing);
  assert.deepEqual(
    b.seen.filter((e) => e.type !== "paired"),
    [
      { type: "rejected", detail: { reason: "malformed" } },
      { type: "message", detail: { session: a.session, message: { kind: "chat", text: "after both" } } },
    ],
  );
});

test("an envelope nobody's key opens is reported as unopenable and not acted on", async () => {
  const { relay, a, b } = await paired();
  const { to, ...envelope } = /** @type {any} */ (relay.log.at(-1));
  const flipped = envelope.ct.startsWith("A") ? `B${envelope.ct.slice(1)}` : `A${envelope.ct.slice(1)}`;
  relay.deliver(to, { ...envelope, seq: 99, ct: flipped });
  await settle(a.pairing, b.pairing);
  assert.deepEqual(only(b.seen, "rejected"), [{ reason: "unopenable" }]);
});

test("a room envelope of a pair kind is refused as malformed: only introductions travel under the room key", async () => {
  const relay = await room();
  const a = page(relay, "A");
  const mallory = relay.admit("M");
  mallory.transmitSignal("A", 1, await seal(relay.room.key, roomAad("M", "A", 1), { kind: "chat", text: "from the room key" }));
  await settle(a.pairing);
  assert.deepEqual(a.seen, [{ type: "rejected", detail: { reason: "malformed" } }]);
});
