// @ts-check
/**
 * Who is who in the room, and the keys between each two people (PROTOCOL.md "Pairwise keys").
 * No DOM and no socket of its own: it seals and opens envelopes that signaling.js carries.
 *
 * The room key only introduces people. Each pair then agrees a key of its own (ephemeral ECDH,
 * authenticated by the room key, with a commitment so that nobody in the middle can steer the
 * safety code) and everything they say afterwards is sealed under it: a passphrase that leaks
 * later opens no recorded conversation.
 *
 * Replays are refused on values the server does not choose: each page has a random session id
 * and one counter that never restarts, sealed into every envelope, and the highest count seen
 * from each session is remembered for as long as this page lives.
 *
 * Events (CustomEvent, payload in `detail`):
 *   paired    {session, role, safetyCode, fingerprints}  a key was agreed with someone (role:
 *             "committer" when this page introduced itself, "responder" when it answered)
 *   resumed   {session, peer}   someone this page shares a key with is back under a new peer id
 *             (not yet proven: send them something sealed, and their answer proves it)
 *   message   {session, message}  a pair envelope that opened, of a known kind, checked
 *   rejected  {reason}          an envelope dropped: "unopenable" | "replay" | "malformed" | "mismatch"
 */

import {
  b64url,
  identityText,
  newShare,
  open,
  pairAad,
  pairKey,
  roomAad,
  safetyCode,
  seal,
  sha256,
} from "./crypto.js";
import { classify, INTRODUCTIONS, MAX_RESUME, PAIR } from "./schema.js";

/** @typedef {import("./signaling.js").Signaling} Signaling */
/** @typedef {import("./crypto.js").Share} Share */

/**
 * @typedef {object} Pair
 * @property {string} session  theirs
 * @property {string} peer     where their envelopes come from now; moves only on proof
 * @property {CryptoKey} key
 * @property {string[]} fingerprints  of their DTLS certificate: their media must use no other
 * @property {string} safetyCode
 */

/** Introductions waiting for an answer: bounded, so that a flood of them costs nothing. */
const MAX_PENDING = 32;

/**
 * @template V
 * @param {Map<string, V>} map @param {string} key @param {V} value
 */
function remember(map, key, value) {
  map.delete(key);
  map.set(key, value);
  while (map.size > MAX_PENDING) map.delete(/** @type {string} */ (map.keys().next().value));
}

export class Pairing extends EventTarget {
  /**
   * @param {object} options
   * @param {Signaling} options.signaling  carries the envelopes and holds the room key
   * @param {string[]} options.fingerprints  this page's DTLS certificate, as "hash UPPER:HEX"
   * @param {string} [options.session]  only tests pass one; otherwise 16 fresh random bytes
   */
  constructor({ signaling, fingerprints, session = b64url(crypto.getRandomValues(new Uint8Array(16))) }) {
    super();
    this.signaling = signaling;
    this.fingerprints = fingerprints;
    this.session = session;
    /** One counter for every envelope this page sends, whoever to; it never restarts. */
    this.seq = 0;
    /** @type {Map<string, number>} the highest count opened from each session, for the page's life */
    this.lastSeq = new Map();
    /** @type {Map<string, Pair>} by their session */
    this.pairs = new Map();
    /** @type {Map<string, Share>} intros this page sent, by the peer id they went to */
    this.committed = new Map();
    /** @type {Map<string, {share: Share, commit: string, peer: string}>} accepts sent, by their session */
    this.accepted = new Map();
    /** Opening is asynchronous; a chain keeps envelopes in the order they arrived. */
    this.inbox = Promise.resolve();
    /** Sealing too: the count must reach the wire in the order it was given out. */
    this.outbox = Promise.resolve();
    this.abort = new AbortController();
    signaling.addEventListener(
      "envelope",
      (event) => {
        const envelope = /** @type {CustomEvent} */ (event).detail;
        this.inbox = this.inbox.then(() => this.receive(envelope));
      },
      { signal: this.abort.signal },
    );
  }

  /** @param {string} type @param {object} detail */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  stop() {
    this.abort.abort();
  }

  /** @param {string} peer */
  sessionOf(peer) {
    for (const pair of this.pairs.values()) if (pair.peer === peer) return pair.session;
    return null;
  }

  /**
   * Introduce this page to a member the server listed: a commitment to a fresh key, and the
   * sessions this page already shares a key with, so that those need no new one.
   * @param {string} peer
   */
  async introduce(peer) {
    const share = await newShare(this.session, this.fingerprints);
    remember(this.committed, peer, share);
    const resume = [...this.pairs.keys()].slice(-MAX_RESUME);
    return this.sendRoom(peer, { kind: "intro", session: this.session, commit: share.commit, resume });
  }

  /**
   * Seal `message` for one person under the key this page shares with them, and send it.
   * Resolves false when that cannot be done now (not in the room, or no key with them).
   * @param {string} session
   * @param {object} message  a kind from schema.js PAIR
   * @param {string} [peer]  where to send it when it is not their known peer id (a resume)
   */
  send(session, message, peer) {
    const pair = this.pairs.get(session);
    if (!pair) return Promise.resolve(false);
    const to = peer ?? pair.peer;
    return this.queue(pair.key, to, message, (seq) => pairAad(this.session, session, seq));
  }

  /** @param {object} message */
  broadcast(message) {
    return Promise.all([...this.pairs.keys()].map((session) => this.send(session, message)));
  }

  /** @param {string} peer @param {object} message */
  sendRoom(peer, message) {
    const room = this.signaling.room;
    const self = this.signaling.id;
    if (!room || !self) return Promise.resolve(false);
    return this.queue(room.key, peer, message, (seq) => roomAad(self, peer, seq));
  }

  /**
   * Give the message the next count, seal it, send it: in order, one after another.
   * @param {CryptoKey} key @param {string} to @param {object} message
   * @param {(seq: number) => Uint8Array<ArrayBuffer>} aad
   * @returns {Promise<boolean>}
   */
  queue(key, to, message, aad) {
    const seq = ++this.seq;
    const id = this.signaling.id;
    const sent = this.outbox.then(async () => {
      const sealed = await seal(key, aad(seq), message);
      if (this.signaling.id !== id) return false; // the socket was replaced meanwhile
      return this.signaling.transmitSignal(to, seq, sealed);
    });
    this.outbox = sent.then(() => undefined);
    return sent;
  }

  /** Forget the key with someone who has gone: if they come back, they are met afresh. @param {string} session */
  forget(session) {
    this.pairs.delete(session);
    this.accepted.delete(session);
  }

  /**
   * Accept `seq` from `session` only if it is beyond everything seen from that session.
   * @param {string} session @param {number} seq
   */
  fresh(session, seq) {
    if (seq <= (this.lastSeq.get(session) ?? 0)) {
      this.emit("rejected", { reason: "replay" });
      return false;
    }
    this.lastSeq.set(session, seq);
    return true;
  }

  /** @param {{from: string, seq: number, iv: string, ct: string}} envelope */
  async receive(envelope) {
    const { from, seq } = envelope;
    // The pair whose envelopes came from this peer id last is the likely one; the others are
    // tried too, because a peer id changes when someone's connection comes back.
    const pairs = [...this.pairs.values()].sort((a, b) => Number(b.peer === from) - Number(a.peer === from));
    for (const pair of pairs) {
      let message;
      try {
        message = await open(pair.key, pairAad(pair.session, this.session, seq), envelope);
      } catch {
        continue;
      }
      if (this.pairs.get(pair.session) !== pair || !this.fresh(pair.session, seq)) return;
      // Sealed under their key: this proves where they are now.
      pair.peer = from;
      this.onPair(pair, message);
      return;
    }
    const room = this.signaling.room;
    const self = this.signaling.id;
    if (!room || !self) return;
    let message;
    try {
      message = await open(room.key, roomAad(from, self, seq), envelope);
    } catch {
      this.emit("rejected", { reason: "unopenable" });
      return;
    }
    if (classify(INTRODUCTIONS, "kind", message) !== "ok") {
      this.emit("rejected", { reason: "malformed" });
      return;
    }
    const intro = /** @type {any} */ (message);
    if (intro.session === this.session || !this.fresh(intro.session, seq)) return;
    if (intro.kind === "intro") await this.onIntro(from, intro);
    else if (intro.kind === "accept") await this.onAccept(from, intro);
    else await this.onReveal(from, intro);
  }

  /** @param {Pair} pair @param {unknown} message */
  onPair(pair, message) {
    const verdict = classify(PAIR, "kind", message);
    if (verdict === "unknown") return; // from a newer client: ignored, as PROTOCOL.md asks
    if (verdict === "malformed") {
      this.emit("rejected", { reason: "malformed" });
      return;
    }
    this.emit("message", { session: pair.session, message });
  }

  /**
   * Someone introduces themselves. If this page still shares a key with them and they say they
   * still hold theirs, nothing new is needed; otherwise answer with a fresh key of our own.
   * @param {string} from @param {{session: string, commit: string, resume: string[]}} intro
   */
  async onIntro(from, intro) {
    if (this.pairs.has(intro.session) && intro.resume.includes(this.session)) {
      this.emit("resumed", { session: intro.session, peer: from });
      return;
    }
    // Both introduced themselves to each other at once: the higher session waits for the
    // answer to its own introduction, the lower one answers.
    if (this.committed.has(from) && this.session > intro.session) return;
    this.committed.delete(from);
    const share = await newShare(this.session, this.fingerprints);
    remember(this.accepted, intro.session, { share, commit: intro.commit, peer: from });
    await this.sendRoom(from, {
      kind: "accept",
      session: this.session,
      to: intro.session,
      key: share.key,
      fingerprints: this.fingerprints,
    });
  }

  /**
   * The answer to this page's introduction: now reveal the key committed to, and agree.
   * @param {string} from @param {{session: string, to: string, key: string, fingerprints: string[]}} accept
   */
  async onAccept(from, accept) {
    const share = this.committed.get(from);
    if (!share || accept.to !== this.session) return; // not an answer to anything this page asked
    this.committed.delete(from);
    const theirs = identityText(accept.session, accept.key, accept.fingerprints);
    const pair = await this.agree(from, share, accept, theirs, share.commit, await sha256(theirs));
    if (!pair) return;
    await this.sendRoom(from, {
      kind: "reveal",
      session: this.session,
      to: accept.session,
      key: share.key,
      fingerprints: this.fingerprints,
    });
    this.adopt(pair, "committer");
  }

  /**
   * The other side reveals what it committed to: it must be exactly that.
   * @param {string} from @param {{session: string, to: string, key: string, fingerprints: string[]}} reveal
   */
  async onReveal(from, reveal) {
    const waiting = this.accepted.get(reveal.session);
    if (!waiting || waiting.peer !== from || reveal.to !== this.session) return;
    this.accepted.delete(reveal.session);
    const theirs = identityText(reveal.session, reveal.key, reveal.fingerprints);
    if ((await sha256(theirs)) !== waiting.commit) {
      this.emit("rejected", { reason: "mismatch" });
      return;
    }
    const pair = await this.agree(from, waiting.share, reveal, theirs, waiting.commit, waiting.share.commit);
    if (pair) this.adopt(pair, "responder");
  }

  /**
   * @param {string} from @param {Share} share
   * @param {{session: string, key: string, fingerprints: string[]}} other
   * @param {string} theirIdentity @param {string} committerCommit @param {string} responderCommit
   * @returns {Promise<Pair | null>}
   */
  async agree(from, share, other, theirIdentity, committerCommit, responderCommit) {
    let key;
    try {
      key = await pairKey(share.privateKey, other.key, committerCommit, responderCommit);
    } catch {
      this.emit("rejected", { reason: "malformed" }); // not a point on the curve
      return null;
    }
    return {
      session: other.session,
      peer: from,
      key,
      fingerprints: [...other.fingerprints],
      safetyCode: await safetyCode(share.identity, theirIdentity),
    };
  }

  /** @param {Pair} pair @param {"committer" | "responder"} role */
  adopt(pair, role) {
    this.pairs.set(pair.session, pair);
    this.emit("paired", { session: pair.session, role, safetyCode: pair.safetyCode, fingerprints: pair.fingerprints });
  }
}
