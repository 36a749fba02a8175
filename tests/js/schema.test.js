// schema.js against PROTOCOL.md: every documented example passes, and each way of being wrong
// (a field missing, one too many, one of the wrong type, a string too long) is refused.

import assert from "node:assert/strict";
import { test } from "node:test";

import { classify, INTRODUCTIONS, MAX_CANDIDATE, MAX_CHAT, MAX_NAME, MAX_SDP, PAIR, SERVER } from "../../parlour/static/schema.js";
import { documented } from "./protocol.js";

const TABLES = [
  { name: "server", table: SERVER, tag: "type", section: "Messages from server to client" },
  { name: "introductions", table: INTRODUCTIONS, tag: "kind", section: "Introductions" },
  { name: "pair", table: PAIR, tag: "kind", section: "Sealed messages" },
];

/** A value of another JSON type than `value`, which no field's check should take for it. */
function wrongType(value) {
  if (typeof value === "string") return 12345;
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return Number(value);
  if (value === null) return 0;
  if (Array.isArray(value)) return "list";
  return ["an object"];
}

for (const { name, table, tag, section } of TABLES) {
  const examples = documented(section);

  test(`${name}: schema.js and PROTOCOL.md "${section}" know the same kinds`, () => {
    assert.deepEqual(Object.keys(table).sort(), [...examples.keys()].sort());
  });

  for (const [kind, list] of examples) {
    test(`${name} ${kind}: each documented example passes`, () => {
      assert.ok(list.length > 0, `PROTOCOL.md has no example of ${kind}`);
      for (const example of list) assert.equal(classify(table, tag, example), "ok", JSON.stringify(example));
    });

    test(`${name} ${kind}: a missing field, an extra field or a field of the wrong type is malformed`, () => {
      const [example] = list;
      for (const field of Object.keys(example)) {
        if (field === tag) continue;
        const { [field]: _, ...without } = example;
        assert.equal(classify(table, tag, without), "malformed", `${kind} without ${field}`);
        assert.equal(classify(table, tag, { ...example, [field]: wrongType(example[field]) }), "malformed", `${kind}.${field} retyped`);
      }
      assert.equal(classify(table, tag, { ...example, extra: 1 }), "malformed", `${kind} with a field too many`);
    });
  }

  test(`${name}: a kind schema.js does not know is unknown, not malformed`, () => {
    assert.equal(classify(table, tag, { [tag]: "from-a-newer-version", anything: [1, 2] }), "unknown");
  });

  test(`${name}: what is not an object with a string ${tag} is malformed`, () => {
    for (const value of [null, "text", 7, [], [{ [tag]: Object.keys(table)[0] }], {}, { [tag]: 3 }]) {
      assert.equal(classify(table, tag, value), "malformed", JSON.stringify(value));
    }
  });
}

/**
 * A message whose string is `max` characters long passes, one character more does not.
 * @param {Record<string, any>} table @param {string} tag
 * @param {(length: number) => object} build  the message with a string of that length
 * @param {number} max
 */
function assertLongest(table, tag, build, max) {
  assert.equal(classify(table, tag, build(max)), "ok", `${max} characters`);
  assert.equal(classify(table, tag, build(max + 1)), "malformed", `${max + 1} characters`);
}

test("strings are held to their documented length: names, chat lines, descriptions, candidates, errors", () => {
  assertLongest(PAIR, "kind", (n) => ({ kind: "hello", name: "n".repeat(n), audio: true, video: false, reply: false }), MAX_NAME);
  assertLongest(PAIR, "kind", (n) => ({ kind: "chat", text: "t".repeat(n) }), MAX_CHAT);
  assertLongest(PAIR, "kind", (n) => ({ kind: "sdp", description: { type: "offer", sdp: "s".repeat(n) } }), MAX_SDP);
  assertLongest(PAIR, "kind", (n) => ({ kind: "ice", candidate: { candidate: "c".repeat(n) } }), MAX_CANDIDATE);
  assertLongest(SERVER, "type", (n) => ({ type: "error", code: "c".repeat(n), message: "", about: null }), 64);
  assertLongest(SERVER, "type", (n) => ({ type: "error", code: "room-full", message: "m".repeat(n), about: null }), 1000);
  assert.equal(MAX_NAME, 64);
  assert.equal(MAX_CHAT, 2000);
  assert.equal(MAX_SDP, 48_000);
  assert.equal(MAX_CANDIDATE, 1_000);
});

test("an empty name, chat line or description is malformed", () => {
  assert.equal(classify(PAIR, "kind", { kind: "hello", name: "", audio: true, video: true, reply: false }), "malformed");
  assert.equal(classify(PAIR, "kind", { kind: "chat", text: "" }), "malformed");
  assert.equal(classify(PAIR, "kind", { kind: "sdp", description: { type: "offer", sdp: "" } }), "malformed");
  assert.equal(classify(PAIR, "kind", { kind: "sdp", description: { type: "pranswer", sdp: "v=0" } }), "malformed");
});

test("an ice candidate may leave out or null its three optional members, and nothing else", () => {
  const ice = (candidate) => classify(PAIR, "kind", { kind: "ice", candidate });
  assert.equal(ice(null), "ok");
  assert.equal(ice({ candidate: "" }), "ok");
  assert.equal(ice({ candidate: "candidate:1 1 udp 1 192.0.2.1 9 typ host", sdpMid: null, sdpMLineIndex: null, usernameFragment: null }), "ok");
  assert.equal(ice({ candidate: "x", sdpMid: "0" }), "ok");
  assert.equal(ice({ candidate: "x", sdpMLineIndex: 65_535 }), "ok");
  assert.equal(ice({ candidate: "x", usernameFragment: "u".repeat(256) }), "ok");

  assert.equal(ice({ sdpMid: "0" }), "malformed", "no candidate member");
  assert.equal(ice({ candidate: null }), "malformed", "the candidate member itself may not be null");
  assert.equal(ice({ candidate: "x", sdpMid: "m".repeat(65) }), "malformed");
  assert.equal(ice({ candidate: "x", sdpMLineIndex: 65_536 }), "malformed");
  assert.equal(ice({ candidate: "x", sdpMLineIndex: 0.5 }), "malformed");
  assert.equal(ice({ candidate: "x", sdpMLineIndex: "0" }), "malformed");
  assert.equal(ice({ candidate: "x", usernameFragment: "u".repeat(257) }), "malformed");
  assert.equal(ice({ candidate: "x", relayProtocol: "udp" }), "malformed", "a member toJSON() does not write");
  assert.equal(ice("candidate:1"), "malformed");
});

test("peer ids, sessions, keys and fingerprints are held to their exact form", () => {
  const [peerJoined] = documented("Messages from server to client").get("peer-joined") ?? [];
  assert.equal(classify(SERVER, "type", { ...peerJoined, peer: "AAAAAAA" }), "malformed", "7 characters");
  assert.equal(classify(SERVER, "type", { ...peerJoined, peer: "AAAA+AAA" }), "malformed", "not base64url");
  const [accept] = documented("Introductions").get("accept") ?? [];
  assert.equal(classify(INTRODUCTIONS, "kind", { ...accept, session: `${accept.session}A` }), "malformed");
  assert.equal(classify(INTRODUCTIONS, "kind", { ...accept, key: accept.key.slice(1) }), "malformed");
  assert.equal(classify(INTRODUCTIONS, "kind", { ...accept, fingerprints: [] }), "malformed", "no fingerprint");
  assert.equal(classify(INTRODUCTIONS, "kind", { ...accept, fingerprints: Array(5).fill(accept.fingerprints[0]) }), "malformed");
  assert.equal(classify(INTRODUCTIONS, "kind", { ...accept, fingerprints: [accept.fingerprints[0].toLowerCase()] }), "malformed");
  const [intro] = documented("Introductions").get("intro") ?? [];
  assert.equal(classify(INTRODUCTIONS, "kind", { ...intro, resume: Array(64).fill(intro.session) }), "ok");
  assert.equal(classify(INTRODUCTIONS, "kind", { ...intro, resume: Array(65).fill(intro.session) }), "malformed");
});

test("an ice server may carry username and credential, and no other member", () => {
  const refreshed = (server) => classify(SERVER, "type", { type: "ice-servers", ice_servers: [server], ice_ttl: 3600 });
  assert.equal(refreshed({ urls: ["stun:stun.example.org:3478"] }), "ok");
  assert.equal(refreshed({ urls: ["turn:turn.example.org:3478"], username: "1767225600:AAAAAAAA", credential: "qm3k=" }), "ok");
  assert.equal(refreshed({ urls: ["turn:turn.example.org:3478"], username: 1767225600, credential: "qm3k=" }), "malformed");
  assert.equal(refreshed({ urls: ["turn:turn.example.org:3478"], username: "u", credential: "c", credentialType: "password" }), "malformed");
  assert.equal(classify(SERVER, "type", { type: "ice-servers", ice_servers: [], ice_ttl: 0 }), "malformed", "a ttl of no seconds");
});
