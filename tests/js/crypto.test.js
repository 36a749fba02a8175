// crypto.js against PROTOCOL.md's test vectors, under Node's WebCrypto.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as c from "../../parlour/static/crypto.js";
import { vectors } from "./protocol.js";

const v = vectors();
const ECDH = { name: "ECDH", namedCurve: "P-256" };

/** A vector side's key pair, imported through JWK (WebCrypto takes a private scalar no other way). */
async function keyPair(side) {
  const raw = c.unb64url(side.key);
  const jwk = { kty: "EC", crv: "P-256", x: c.b64url(raw.slice(1, 33)), y: c.b64url(raw.slice(33)), d: side.private };
  const privateKey = await crypto.subtle.importKey("jwk", jwk, ECDH, false, ["deriveBits"]);
  const { d, ...pub } = jwk;
  const publicKey = await crypto.subtle.importKey("jwk", pub, ECDH, true, []);
  return { privateKey, publicKey };
}

/** Two AES-GCM keys are the same key when they seal the same thing alike. */
async function sameKey(a, b) {
  const aad = c.roomAad("AAAAAAAA", "BBBBBBBB", 9);
  const iv = c.unb64url(v.room_envelope.iv);
  const one = await c.seal(a, aad, { probe: true }, iv);
  const two = await c.seal(b, aad, { probe: true }, iv);
  return one.ct === two.ct;
}

test("each vector passphrase normalizes and stretches to its documented locator and signalling key", async () => {
  const salt = c.unb64url(v.salt);
  for (const room of v.rooms) {
    assert.equal(c.normalizePassphrase(room.passphrase), room.normalized);
    const derived = await c.deriveRoomKeys(room.passphrase, salt, v.iterations);
    assert.equal(derived.locator, room.locator);
    const given = await c.importSignallingKey(c.unb64url(room.signalling_key));
    assert.ok(await sameKey(derived.key, given), `signalling key of ${JSON.stringify(room.passphrase)}`);
  }
});

test("the room envelope vector seals to its ciphertext, opens, and refuses another recipient", async () => {
  const e = v.room_envelope;
  const key = await c.importSignallingKey(c.unb64url(e.signalling_key));
  const aad = c.roomAad(e.from, e.to, e.seq);
  const sealed = await c.seal(key, aad, JSON.parse(e.plaintext), c.unb64url(e.iv));
  assert.deepEqual(sealed, { iv: e.iv, ct: e.ct });
  assert.deepEqual(await c.open(key, aad, e), JSON.parse(e.plaintext));
  await assert.rejects(c.open(key, c.roomAad(e.from, "CCCCCCCC", e.seq), e));
  await assert.rejects(c.open(key, c.roomAad(e.from, e.to, e.seq + 1), e));
});

test("both pair vector sides have their documented identity, commitment, pair key, code and envelope", async () => {
  const p = v.pair;
  const [committer, responder] = await Promise.all(
    [p.committer, p.responder].map(async (side) => c.newShare(side.session, side.fingerprints, await keyPair(side))),
  );
  for (const [share, side] of [
    [committer, p.committer],
    [responder, p.responder],
  ]) {
    assert.equal(share.key, side.key);
    assert.equal(share.identity, side.identity);
    assert.equal(share.commit, side.commit);
  }
  const commits = [committer.commit, responder.commit];
  const mine = await c.pairKey(committer.privateKey, responder.key, ...commits);
  const theirs = await c.pairKey(responder.privateKey, committer.key, ...commits);
  const documented = await c.importSignallingKey(c.unb64url(p.pair_key));
  assert.ok(await sameKey(mine, documented), "the committer's pair key");
  assert.ok(await sameKey(theirs, documented), "the responder's pair key");

  const e = p.envelope;
  const aad = c.pairAad(e.from, e.to, e.seq);
  assert.deepEqual(await c.seal(mine, aad, JSON.parse(e.plaintext), c.unb64url(e.iv)), { iv: e.iv, ct: e.ct });
  assert.deepEqual(await c.open(theirs, aad, e), JSON.parse(e.plaintext));
  await assert.rejects(c.open(theirs, c.pairAad(e.to, e.from, e.seq), e), "the same envelope the other way round");

  assert.equal(await c.safetyCode(committer.identity, responder.identity), p.safety_code);
  assert.equal(await c.safetyCode(responder.identity, committer.identity), p.safety_code);
});

test("a pair key with the commitments swapped is another key", async () => {
  const p = v.pair;
  const committer = await c.newShare(p.committer.session, p.committer.fingerprints, await keyPair(p.committer));
  const swapped = await c.pairKey(committer.privateKey, p.responder.key, p.responder.commit, p.committer.commit);
  const documented = await c.importSignallingKey(c.unb64url(p.pair_key));
  assert.equal(await sameKey(swapped, documented), false);
});

test("a public key that is not a point on P-256 is refused", async () => {
  const share = await c.newShare(v.pair.committer.session, v.pair.committer.fingerprints);
  const bad = c.b64url(new Uint8Array(65).fill(4, 0, 1));
  await assert.rejects(c.pairKey(share.privateKey, bad, share.commit, share.commit));
});

test("the identity text sorts fingerprints, so their order does not change the commitment", async () => {
  const r = v.pair.responder;
  assert.equal(c.identityText(r.session, r.key, [...r.fingerprints].reverse()), r.identity);
  assert.equal(await c.sha256(c.identityText(r.session, r.key, r.fingerprints)), r.commit);
});

test("a welcome's stretch is refused below the floor, above ten times it, or with a salt not 32 bytes", () => {
  assert.equal(c.weakParameters(v.salt, c.MIN_ITERATIONS), null);
  assert.equal(c.weakParameters(v.salt, c.MAX_ITERATIONS), null);
  assert.match(c.weakParameters(v.salt, c.MIN_ITERATIONS - 1) ?? "", /below the 600000/);
  assert.match(c.weakParameters(v.salt, c.MAX_ITERATIONS + 1) ?? "", /more than the 6000000/);
  assert.match(c.weakParameters(v.salt, 600_000.5) ?? "", /below/);
  assert.match(c.weakParameters(v.salt, "600000") ?? "", /below/);
  assert.match(c.weakParameters(v.salt.slice(0, -2), c.MIN_ITERATIONS) ?? "", /salt/);
  assert.match(c.weakParameters(`${v.salt}AA`, c.MIN_ITERATIONS) ?? "", /salt/);
  assert.match(c.weakParameters(`${v.salt}=`, c.MIN_ITERATIONS) ?? "", /salt/);
  // 32 bytes in 43 characters leave 2 spare bits in the last one: only zeros there are canonical.
  assert.ok(v.salt.endsWith("8"));
  assert.match(c.weakParameters(`${v.salt.slice(0, -1)}9`, c.MIN_ITERATIONS) ?? "", /salt/);
  assert.match(c.weakParameters(null, c.MIN_ITERATIONS) ?? "", /salt/);
});

test("deriveRoomKeys itself refuses a weak stretch, whoever calls it", async () => {
  await assert.rejects(c.deriveRoomKeys("words", c.unb64url(v.salt), 1000), /below/);
  await assert.rejects(c.deriveRoomKeys("words", new Uint8Array(16), c.MIN_ITERATIONS), /salt/);
});

test("base64url is unpadded both ways and anything else is refused", () => {
  for (const length of [0, 1, 2, 3, 31, 32, 33]) {
    const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + 251) % 256);
    const text = c.b64url(bytes);
    assert.doesNotMatch(text, /[=+/]/);
    assert.deepEqual(c.unb64url(text), bytes);
  }
  assert.throws(() => c.unb64url("AAA="), /base64url/);
  assert.throws(() => c.unb64url("AA+/"), /base64url/);
  assert.throws(() => c.unb64url("AAAAA"), /base64url/);
});

test("every a=fingerprint line of a description is found, written as hash UPPER:HEX, once", () => {
  const sdp = [
    "v=0",
    "a=fingerprint:SHA-256 ab:cd:ef",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "a=fingerprint:sha-256 AB:CD:EF",
    "a=fingerprint:sha-1 01:02",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "",
  ].join("\r\n");
  assert.deepEqual(c.sdpFingerprints(sdp), ["sha-256 AB:CD:EF", "sha-1 01:02"]);
  assert.deepEqual(c.sdpFingerprints("v=0\r\nm=audio 9 RTP/AVP 0\r\n"), []);
});

test("the door key is HKDF of PROTOCOL.md's front-door labels, as OpenSSL computes it", async () => {
  // The same value tests/test_envelopes.py holds parlour/envelopes.py to.
  const expected = await c.importSignallingKey(c.unb64url("rNARs7Y2DdNnkdrC_84ENHgkxolE-_Jn9EJrKrxt_Go"));
  assert.ok(await sameKey(await c.doorKey(), expected));
  const other = await c.importSignallingKey(c.unb64url(v.rooms[0].signalling_key));
  assert.equal(await sameKey(await c.doorKey(), other), false, "the check can fail");
});
