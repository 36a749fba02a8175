// @ts-check
/**
 * Files sent browser to browser over each connection's data channel (PROTOCOL.md, "Files
 * between browsers"): offers, answers, chunks, the check. No DOM: filepanel.js shows what this
 * reports.
 *
 * One ordered, reliable data channel per connection carries every transfer both ways: control
 * messages as JSON text, chunks as binary frames that start with the sender's transfer id. One
 * channel rather than one per transfer because all channels of a connection share one SCTP
 * association and its congestion control anyway: one send queue to watch (bufferedAmount) is
 * the whole of the backpressure, an offer flood cannot use up stream ids or cost a handshake
 * each, and a `cancel` or `done` arrives in order after the chunks it follows.
 *
 * Each transfer is one file to one person, in one direction, with an explicit state:
 *   hashing -> offered -> transferring -> checking -> verified | corrupt
 * and, from any state before the end, declined (offered only), cancelled, interrupted, failed.
 * A move the table does not list is a bug and throws, naming it; what a peer says is checked
 * against the table first, so a peer's nonsense is reported, never thrown.
 *
 * Memory: the sender reads the file in slices (Blob.slice), the receiver keeps what arrives as
 * Blobs (Chromium moves large ones out of the JS heap, to disk when big) and builds the file
 * from them once; neither holds the file twice. SHA-256 comes from @noble/hashes (vendored,
 * loaded on the first transfer), fed incrementally on both sides.
 *
 * Test hook: when `globalThis.__parlourTest?.corruptFiles` is true, the sender flips one bit of
 * each transfer's first chunk after hashing, as a fault in transit would; the receiver's check
 * must then mark the file corrupt. When `globalThis.__parlourTest?.holdFiles` is a promise, the
 * sender pauses after each transfer's first slice until it settles, so that a test can act in the
 * middle of a transfer on a machine of any speed. Nothing else reads that global.
 *
 * Events (CustomEvent):
 *   change   {transfer}  a transfer was added, moved state, or made progress (progress at most
 *                        every PROGRESS_MS)
 *   problem  {peer, name, code, message}  a peer sent something wrong; it was ignored (message:
 *                        a whole sentence naming them, in the page's language)
 *
 * Words: every reason and report is a whole sentence from the catalogues (i18n.js), worded when
 * it happens, in the page's language.
 */

import { formatNumber, t } from "./i18n.js";

/** @typedef {import("./i18n.js").Key} Key */
/** @typedef {import("./i18n.js").Params} Params */

/** The label of the files channel, which the offering side of a connection opens. */
export const CHANNEL = "files";
/** Payload bytes per chunk: 64 KiB passes every browser's SCTP message limit. */
export const CHUNK = 64 * 1024;
/** The most a chunk may carry; a larger one fails its transfer. */
export const MAX_CHUNK = 256 * 1024;
/**
 * Stop queueing above this many bytes in the channel, and go on when it falls to a quarter of
 * that. The mark follows the rate, about a second of sending between MIN_WATER and HIGH_WATER:
 * enough queued to keep a fast connection busy, little enough that a `cancel` behind the queue
 * arrives within about a second on a slow one.
 */
export const HIGH_WATER = 4 * 1024 * 1024;
export const MIN_WATER = 256 * 1024;
/** Bytes read from the file at a time. */
export const READ = 1024 * 1024;
/** The longest control message, in characters. */
export const MAX_TEXT = 2000;
/** The longest file name an offer may carry, in characters. */
export const MAX_NAME = 255;
/** What a name is cut to for saving. */
export const SAVE_NAME = 120;
/** Offers from one person that may wait for an answer at once; more are refused. */
export const MAX_WAITING = 16;
/** Transfers kept per person, finished ones included; the oldest finished go first. */
const MAX_KEPT = 64;
const PROGRESS_MS = 250;
/** Reports of one kind of problem from one person: at most one per this long. */
const REPORT_MS = 5_000;
const RATE_WINDOW_MS = 3_000;
const HASH_MODULE = "./vendor/noble-hashes/sha2.js";

/**
 * @typedef {"hashing" | "offered" | "transferring" | "checking" | "verified" | "corrupt" |
 *   "declined" | "cancelled" | "interrupted" | "failed"} State
 */

/** @type {Record<State, State[]>} */
const NEXT = {
  hashing: ["offered", "cancelled", "interrupted", "failed"],
  offered: ["transferring", "declined", "cancelled", "interrupted", "failed"],
  transferring: ["checking", "cancelled", "interrupted", "failed"],
  // A receiver's stop may cross the sender's last chunk: the sender is checking by then.
  checking: ["verified", "corrupt", "cancelled", "interrupted", "failed"],
  verified: [],
  corrupt: [],
  declined: [],
  cancelled: [],
  interrupted: [],
  failed: [],
};

/** @param {State} state */
export const finished = (state) => NEXT[state].length === 0;

/**
 * @typedef {object} Hasher
 * @property {(data: Uint8Array) => unknown} update
 * @property {() => Uint8Array} digest
 */

/** @type {Promise<() => Hasher> | null} */
let hashing = null;

/** SHA-256, incremental; the library is fetched the first time a transfer needs it. */
export function loadSha256() {
  hashing ??= import(HASH_MODULE).then((module) => () => module.sha256.create());
  return hashing;
}

/** @param {Uint8Array} bytes */
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// Control and format characters, bidi overrides and isolates included: a name with them can
// show "evil‮fdp.exe" as "evilexe.pdf".
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb]/gu;
const SEPARATORS = /[/\\:*?"<>|]/g;
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;

/**
 * A name that is safe to save a file under and shows what it is: no folders, no control or
 * direction characters, no leading dots (hidden, or "..") and not too long, keeping the
 * extension. `changed` says whether anything but the length had to go.
 * @param {string} raw
 * @returns {{name: string, changed: boolean}}
 */
export function safeName(raw) {
  const normal = raw.normalize("NFC");
  let name = normal.replace(UNSAFE, "").replace(SEPARATORS, "_").trim().replace(/^[.\s]+/, "").replace(/[.\s]+$/, "");
  const changed = name !== normal;
  if (RESERVED.test(name)) name = `_${name}`;
  const chars = [...name];
  if (chars.length > SAVE_NAME) {
    const dot = name.lastIndexOf(".");
    const extension = dot > 0 && name.length - dot <= 16 ? [...name.slice(dot)] : [];
    name = chars.slice(0, SAVE_NAME - extension.length - 1).join("") + "…" + extension.join("");
  }
  return { name: name || "file", changed };
}

/** Units above the byte, each a thousand of the one before (Intl's names, so each language says them). */
const UNITS = ["kilobyte", "megabyte", "gigabyte", "terabyte"];

/**
 * A file size in the page's language, through Intl: "0 bytes", "1 byte", "2.1 MB" ("1 Byte",
 * "2,1 MB" in German; "1 octet", "2,1 Mo" in French).
 * @param {number} bytes
 */
export function formatSize(bytes) {
  if (bytes < 1000) return formatNumber(Math.round(bytes), { style: "unit", unit: "byte", unitDisplay: "long" });
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = value < 10 ? 1 : 0;
  return formatNumber(value, { style: "unit", unit: UNITS[unit], minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A MIME type as announced, if it looks like one; otherwise "". @param {unknown} type */
function cleanType(type) {
  return typeof type === "string" && type.length <= 100 && /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type.toLowerCase() : "";
}

/**
 * What a data channel must do here: a browser's RTCDataChannel, or a test's fake.
 * @typedef {object} Channel
 * @property {string} readyState
 * @property {number} bufferedAmount
 * @property {number} bufferedAmountLowThreshold
 * @property {string} binaryType
 * @property {(data: any) => void} send  a string, or a chunk's bytes
 * @property {EventTarget["addEventListener"]} addEventListener
 * @property {EventTarget["removeEventListener"]} removeEventListener
 */

/** @typedef {{id: string, name: string}} Person */

export class Transfer {
  /**
   * @param {object} init
   * @param {number} init.id  the sender's number for it, unique per sender and connection
   * @param {"in" | "out"} init.direction
   * @param {Person} init.peer
   * @param {string} init.name  safe to show and save under
   * @param {number} init.size
   * @param {string} init.type  "" when unknown
   * @param {State} init.state
   */
  constructor({ id, direction, peer, name, size, type, state }) {
    this.id = id;
    this.direction = direction;
    this.peer = peer;
    this.name = name;
    this.size = size;
    this.type = type;
    /** @type {State} */
    this.state = state;
    /** The name was cleaned of separators or control characters (an incoming file). */
    this.renamed = false;
    /** Bytes through so far. */
    this.bytes = 0;
    /** Bytes a second lately, and seconds left at that rate (null: not known). */
    this.rate = 0;
    /** @type {number | null} */
    this.left = null;
    /** Who ended it (you, them) or why: a whole sentence in the page's language, for the person. */
    this.reason = "";
    /** The sender's SHA-256, hex. */
    this.sha256 = "";
    /** Outgoing: the file. Incoming, once verified: the file received. @type {Blob | null} */
    this.blob = null;
    /** @type {[number, number][]} (time, bytes) lately, for the rate */
    this.samples = [];
    this.shownAt = 0;
    /** Progress held back by PROGRESS_MS, shown when its window ends. @type {ReturnType<typeof setTimeout> | undefined} */
    this.trailing = undefined;
  }

  /** @param {State} to */
  move(to) {
    if (!NEXT[this.state].includes(to)) throw new Error(`files: transfer ${this.id} cannot go from ${this.state} to ${to}`);
    this.state = to;
  }

  /** @param {State} to */
  can(to) {
    return NEXT[this.state].includes(to);
  }

  /** @param {number} bytes @param {number} now */
  progress(bytes, now) {
    this.bytes = bytes;
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - this.samples[0][0] > RATE_WINDOW_MS) this.samples.shift();
    const [t0, b0] = this.samples[0];
    const seconds = (now - t0) / 1000;
    this.rate = seconds > 0.2 ? (bytes - b0) / seconds : this.rate;
    this.left = this.rate > 0 ? (this.size - bytes) / this.rate : null;
  }
}

class Peer {
  /** @param {Person} person @param {Channel} channel */
  constructor(person, channel) {
    this.person = person;
    this.channel = channel;
    /** Transfers this page sends them, by its id. @type {Map<number, Transfer>} */
    this.outgoing = new Map();
    /** Transfers they send this page, by their id. @type {Map<number, Transfer>} */
    this.incoming = new Map();
    /** Accepted outgoing transfers, sent one after another. @type {Transfer[]} */
    this.queue = [];
    this.pumping = false;
    /** @type {Map<number, {hasher: Hasher, parts: Blob[], pending: Uint8Array<ArrayBuffer>[], pendingBytes: number}>} */
    this.receiving = new Map();
    /** @type {Map<string, number>} code -> when last reported */
    this.reported = new Map();
    /** @type {Map<string, number>} code -> reports held back since */
    this.held = new Map();
    this.abort = new AbortController();
  }
}

let nextId = 1;

export class Files extends EventTarget {
  constructor() {
    super();
    /** @type {Map<string, Peer>} by the person's session id */
    this.peers = new Map();
    /** Outgoing transfers waiting for a channel to open. @type {Transfer[]} */
    this.waiting = [];
  }

  /** Every transfer, oldest first. */
  transfers() {
    return [...this.peers.values()].flatMap((p) => [...p.outgoing.values(), ...p.incoming.values()]).concat(this.waiting);
  }

  /**
   * A person's files channel, whenever their connection has one (a new connection, a new one).
   * Transfers on a channel it replaces are interrupted.
   * @param {Person} person @param {Channel} channel
   */
  attach(person, channel) {
    const old = this.peers.get(person.id);
    if (old?.channel === channel) return;
    if (old) this.detach(person.id);
    const peer = new Peer(person, channel);
    this.peers.set(person.id, peer);
    channel.binaryType = "arraybuffer";
    channel.bufferedAmountLowThreshold = MIN_WATER / 4;
    const signal = peer.abort.signal;
    channel.addEventListener("message", (event) => this.receive(peer, /** @type {MessageEvent} */ (event).data), { signal });
    channel.addEventListener("close", () => this.detach(person.id, peer), { signal });
    channel.addEventListener("open", () => this.offerWaiting(), { signal });
    this.offerWaiting();
  }

  /**
   * The person left, or their connection or channel closed: whatever was under way with them
   * is interrupted at both ends (the other end sees its channel close), nothing half-received
   * is kept. Finished transfers stay listed.
   * @param {string} id @param {Peer} [only]  only if that is still their channel
   */
  detach(id, only) {
    const peer = this.peers.get(id);
    if (only && peer !== only) return;
    for (const transfer of this.waiting.filter((t) => t.peer.id === id && t.can("interrupted"))) {
      this.end(transfer, "interrupted", t("fileEnd.leftBeforeOffer", { name: transfer.peer.name }));
    }
    if (!peer) return;
    peer.abort.abort();
    this.peers.delete(id);
    // Listed still, under a channel nobody sends on, so that their ends can be read.
    const gone = new Peer(peer.person, peer.channel);
    gone.abort.abort();
    for (const transfer of [...peer.outgoing.values(), ...peer.incoming.values()]) {
      if (transfer.can("interrupted")) this.end(transfer, "interrupted", t("fileEnd.connectionEnded"));
      (transfer.direction === "out" ? gone.outgoing : gone.incoming).set(transfer.id, transfer);
    }
    peer.receiving.clear();
    this.peers.set(`gone:${id}:${nextId++}`, gone);
  }

  /** The call is over: everything under way is interrupted. */
  stop() {
    for (const [id, peer] of [...this.peers]) if (!id.startsWith("gone:")) this.detach(id, peer);
  }

  /** Forget every transfer (the call is left, the list cleared). */
  clear() {
    this.stop();
    this.peers.clear();
    this.waiting = [];
  }

  /**
   * Offer files to people: hashed first (once per file), then one offer each.
   * @param {Blob[]} files  File objects (their names), or Blobs with a name given
   * @param {Person[]} people
   * @returns {Transfer[]}
   */
  send(files, people) {
    /** @type {Transfer[]} */
    const made = [];
    for (const file of files) {
      const name = safeName(/** @type {File} */ (file).name ?? "file").name;
      const group = people.map(
        (person) =>
          new Transfer({ id: nextId++, direction: "out", peer: person, name, size: file.size, type: cleanType(file.type), state: "hashing" }),
      );
      for (const transfer of group) {
        transfer.blob = file;
        this.waiting.push(transfer);
        this.changed(transfer);
      }
      made.push(...group);
      void this.hashAndOffer(file, group);
    }
    return made;
  }

  /** @param {Blob} file @param {Transfer[]} group */
  async hashAndOffer(file, group) {
    try {
      const hasher = (await loadSha256())();
      for (let at = 0; at < file.size; at += 4 * READ) {
        if (group.every((t) => t.state !== "hashing")) return; // all cancelled meanwhile
        hasher.update(new Uint8Array(await file.slice(at, at + 4 * READ).arrayBuffer()));
      }
      const digest = hex(hasher.digest());
      for (const transfer of group) transfer.sha256 = digest;
      this.offerWaiting();
    } catch (error) {
      for (const transfer of group) if (transfer.can("failed")) this.end(transfer, "failed", t("fileEnd.unreadable"));
      console.warn("parlour: a file could not be read:", error);
    }
  }

  /** Offers that are hashed and whose person's channel is open go out. */
  offerWaiting() {
    this.waiting = this.waiting.filter((transfer) => {
      if (transfer.state !== "hashing") return false;
      const peer = this.peers.get(transfer.peer.id);
      if (!transfer.sha256 || peer?.channel.readyState !== "open") return true;
      peer.outgoing.set(transfer.id, transfer);
      this.prune(peer);
      this.say(peer, {
        kind: "offer",
        id: transfer.id,
        name: transfer.name,
        size: transfer.size,
        type: transfer.type,
        sha256: transfer.sha256,
      });
      transfer.move("offered");
      this.changed(transfer);
      return false;
    });
  }

  /** Receive an offered file. @param {Transfer} transfer */
  async accept(transfer) {
    const peer = this.peerOf(transfer);
    if (!peer || transfer.direction !== "in" || transfer.state !== "offered") return;
    const hasher = (await loadSha256())();
    if (transfer.state !== "offered" || this.peerOf(transfer) !== peer) return; // cancelled while loading
    peer.receiving.set(transfer.id, { hasher, parts: [], pending: [], pendingBytes: 0 });
    transfer.move("transferring");
    transfer.progress(0, performance.now());
    this.changed(transfer);
    this.say(peer, { kind: "accept", id: transfer.id });
  }

  /** @param {Transfer} transfer */
  decline(transfer) {
    const peer = this.peerOf(transfer);
    if (!peer || transfer.direction !== "in" || transfer.state !== "offered") return;
    this.say(peer, { kind: "decline", id: transfer.id });
    this.end(transfer, "declined", t("fileEnd.youDeclined"));
  }

  /** Stop a transfer from this end, whichever way it goes; the other end is told. @param {Transfer} transfer */
  cancel(transfer) {
    if (!transfer.can("cancelled") || transfer.state === "checking") return; // all sent: too late
    const peer = this.peerOf(transfer);
    if (peer && transfer.state !== "hashing") this.say(peer, { kind: transfer.direction === "out" ? "cancel" : "stop", id: transfer.id });
    this.end(transfer, "cancelled", t("fileEnd.youCancelled"));
  }

  /** Take a finished transfer off the list. @param {Transfer} transfer */
  dismiss(transfer) {
    if (!finished(transfer.state)) return;
    this.waiting = this.waiting.filter((t) => t !== transfer);
    for (const peer of this.peers.values()) {
      const list = transfer.direction === "out" ? peer.outgoing : peer.incoming;
      if (list.get(transfer.id) === transfer) list.delete(transfer.id); // ids are per sender
    }
    transfer.blob = null;
  }

  /** @param {Transfer} transfer */
  peerOf(transfer) {
    const peer = this.peers.get(transfer.peer.id);
    const mine = peer && (transfer.direction === "out" ? peer.outgoing : peer.incoming).get(transfer.id) === transfer;
    return mine ? peer : undefined;
  }

  /** @param {Transfer} transfer @param {State} state @param {string} reason */
  end(transfer, state, reason) {
    transfer.move(state);
    transfer.reason = reason;
    transfer.left = null;
    if (transfer.direction === "in" && state !== "verified") transfer.blob = null;
    if (transfer.direction === "out") transfer.blob = null; // the person's file, no longer needed
    for (const peer of this.peers.values()) if (peer.person.id === transfer.peer.id) peer.receiving.delete(transfer.id);
    this.changed(transfer);
  }

  /** @param {Transfer} transfer @param {boolean} [progressOnly] */
  changed(transfer, progressOnly = false) {
    const now = performance.now();
    if (progressOnly && now - transfer.shownAt < PROGRESS_MS) {
      // Shown when the window ends, so that progress which then stops (a sender waiting on a
      // slow link) is not left showing what it was a window earlier.
      transfer.trailing ??= setTimeout(() => {
        transfer.trailing = undefined;
        this.changed(transfer);
      }, PROGRESS_MS - (now - transfer.shownAt));
      return;
    }
    clearTimeout(transfer.trailing);
    transfer.trailing = undefined;
    transfer.shownAt = now;
    this.dispatchEvent(new CustomEvent("change", { detail: { transfer } }));
  }

  /** Keep at most MAX_KEPT transfers with one person: the oldest finished ones go. @param {Peer} peer */
  prune(peer) {
    for (const list of [peer.outgoing, peer.incoming]) {
      for (const [id, transfer] of list) {
        if (list.size <= MAX_KEPT) break;
        if (finished(transfer.state)) list.delete(id);
      }
    }
  }

  /** @param {Peer} peer @param {object} message */
  say(peer, message) {
    if (peer.channel.readyState !== "open" || peer.abort.signal.aborted) return;
    try {
      peer.channel.send(JSON.stringify(message));
    } catch (error) {
      console.warn("parlour: a file message could not be sent:", error);
    }
  }

  /**
   * Tell the person that a peer sent something wrong (and, with an id, the peer too, in the
   * words this page uses). One report per kind of problem per person every REPORT_MS, saying
   * how many were held back.
   * @param {Peer} peer @param {string} code
   * @param {string} text  a whole sentence naming the peer (a fileProblem.* message)
   * @param {number | null} [id]  their transfer it ended
   */
  report(peer, code, text, id = null) {
    if (id !== null) this.say(peer, { kind: "error", id, code, message: text.slice(0, 200) });
    const now = performance.now();
    const last = peer.reported.get(code);
    if (last !== undefined && now - last < REPORT_MS) {
      peer.held.set(code, (peer.held.get(code) ?? 0) + 1);
      return;
    }
    const held = peer.held.get(code) ?? 0;
    peer.reported.set(code, now);
    peer.held.delete(code);
    const message = held ? t("fileProblem.andHeld", { report: text, count: held }) : text;
    this.dispatchEvent(new CustomEvent("problem", { detail: { peer: peer.person.id, name: peer.person.name, code, message } }));
  }

  /**
   * A sentence about what a peer's page did, naming them.
   * @param {Peer} peer @param {Key} key @param {Params} [params]
   */
  about(peer, key, params = {}) {
    return t(key, { ...params, name: peer.person.name });
  }

  /** @param {Peer} peer @param {unknown} data */
  receive(peer, data) {
    if (peer.abort.signal.aborted) return;
    if (data instanceof ArrayBuffer) this.chunk(peer, data);
    else if (typeof data === "string") this.control(peer, data);
    else this.report(peer, "malformed", this.about(peer, "fileProblem.noForm"));
  }

  /** @param {Peer} peer @param {string} text */
  control(peer, text) {
    if (text.length > MAX_TEXT) {
      this.report(peer, "too-large", this.about(peer, "fileProblem.tooLong", { length: text.length }));
      return;
    }
    /** @type {any} */
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      message = null;
    }
    if (!message || typeof message !== "object" || Array.isArray(message) || typeof message.kind !== "string") {
      this.report(peer, "malformed", this.about(peer, "fileProblem.nonsense"));
      return;
    }
    const id = message.id;
    const known = ["offer", "accept", "decline", "stop", "cancel", "done", "result", "error"];
    if (!known.includes(message.kind)) {
      this.report(peer, "unknown-kind", this.about(peer, "fileProblem.unknownKind", { kind: String(message.kind).slice(0, 24) }));
      return;
    }
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      if (message.kind !== "error") this.report(peer, "malformed", this.about(peer, "fileProblem.noNumber"));
      else this.theirError(peer, null, message);
      return;
    }
    if (message.kind === "offer") this.offered(peer, message);
    else if (message.kind === "error") this.theirError(peer, id, message);
    else if (["accept", "decline", "stop", "result"].includes(message.kind)) this.answered(peer, peer.outgoing.get(id), message);
    else this.senderSaid(peer, peer.incoming.get(id), message);
  }

  /** @param {Peer} peer @param {any} offer */
  offered(peer, offer) {
    const { id, name, size, sha256 } = offer;
    if (peer.incoming.has(id)) {
      this.report(peer, "duplicate", this.about(peer, "fileProblem.duplicate"));
      return;
    }
    if ([...peer.incoming.values()].filter((t) => t.state === "offered").length >= MAX_WAITING) {
      this.report(peer, "too-many", this.about(peer, "fileProblem.tooMany", { max: MAX_WAITING }), id);
      return;
    }
    if (typeof name !== "string" || !name.length || name.length > MAX_NAME) {
      const long = typeof name === "string" && name.length > MAX_NAME;
      const text = long ? this.about(peer, "fileProblem.longName", { length: name.length }) : this.about(peer, "fileProblem.noName");
      this.report(peer, "bad-name", text, id);
      return;
    }
    if (!Number.isSafeInteger(size) || size < 0 || typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) {
      this.report(peer, "bad-offer", this.about(peer, "fileProblem.badOffer"), id);
      return;
    }
    const safe = safeName(name);
    const transfer = new Transfer({ id, direction: "in", peer: peer.person, name: safe.name, size, type: cleanType(offer.type), state: "offered" });
    transfer.sha256 = sha256;
    transfer.renamed = safe.changed;
    peer.incoming.set(id, transfer);
    this.prune(peer);
    if (safe.changed) {
      this.report(peer, "unsafe-name", this.about(peer, "fileProblem.unsafeName", { file: safe.name }));
    }
    this.changed(transfer);
  }

  /**
   * The receiver's word on a file this page sends.
   * @param {Peer} peer @param {Transfer | undefined} transfer @param {any} message
   */
  answered(peer, transfer, message) {
    const next = /** @type {Record<string, State>} */ ({ accept: "transferring", decline: "declined", stop: "cancelled" })[message.kind];
    const verdict = message.kind === "result" ? (message.ok === true ? "verified" : message.ok === false ? "corrupt" : null) : null;
    const to = next ?? verdict;
    if (transfer && finished(transfer.state)) return; // crossed this end's own cancel on the way
    if (!transfer || !to || !transfer.can(to) || (message.kind === "accept" && transfer.state !== "offered")) {
      this.report(peer, "unexpected", this.about(peer, "fileProblem.unexpected", { kind: message.kind }));
      return;
    }
    if (to === "transferring") {
      transfer.move("transferring");
      transfer.progress(0, performance.now());
      this.changed(transfer);
      peer.queue.push(transfer);
      void this.pump(peer);
    } else if (to === "declined") this.end(transfer, to, this.about(peer, "fileEnd.theyDeclined"));
    else if (to === "cancelled") this.end(transfer, to, this.about(peer, "fileEnd.theyCancelled"));
    else if (to === "verified") this.end(transfer, to, this.about(peer, "fileEnd.theyVerified"));
    else this.end(transfer, to, this.about(peer, "fileEnd.theyCorrupt"));
  }

  /**
   * The sender's word on a file this page receives.
   * @param {Peer} peer @param {Transfer | undefined} transfer @param {any} message
   */
  senderSaid(peer, transfer, message) {
    if (transfer && finished(transfer.state)) return; // crossed this end's own cancel on the way
    if (!transfer || (message.kind === "done" && transfer.state !== "transferring") || !transfer.can("cancelled")) {
      this.report(peer, "unexpected", this.about(peer, "fileProblem.unexpected", { kind: message.kind }));
      return;
    }
    if (message.kind === "cancel") {
      this.end(transfer, "cancelled", this.about(peer, "fileEnd.theyCancelled"));
      return;
    }
    const receiving = peer.receiving.get(transfer.id);
    if (!receiving) return;
    if (transfer.bytes !== transfer.size) {
      this.fail(peer, transfer, "short", this.about(peer, "fileProblem.short", { file: transfer.name, done: formatSize(transfer.bytes), size: formatSize(transfer.size) }));
      return;
    }
    this.flush(receiving);
    transfer.move("checking");
    const ok = hex(receiving.hasher.digest()) === transfer.sha256;
    if (ok) transfer.blob = new Blob(receiving.parts, { type: "application/octet-stream" });
    this.say(peer, { kind: "result", id: transfer.id, ok });
    if (ok) this.end(transfer, "verified", t("fileEnd.verified"));
    else this.end(transfer, "corrupt", t("fileEnd.corrupt"));
  }

  /** @param {Peer} peer @param {number | null} id @param {any} message */
  theirError(peer, id, message) {
    const code = typeof message.code === "string" ? message.code.slice(0, 32) : "?";
    const transfer = id === null ? undefined : peer.outgoing.get(id);
    if (transfer?.can("failed")) this.end(transfer, "failed", this.about(peer, "fileEnd.refused", { code }));
    this.report(peer, "their-error", this.about(peer, "fileProblem.theirError", { code }));
  }

  /** @param {Peer} peer @param {Transfer} transfer @param {string} code @param {string} text  a whole sentence naming the peer */
  fail(peer, transfer, code, text) {
    this.end(transfer, "failed", text);
    this.report(peer, code, text, transfer.id);
  }

  /** @param {Peer} peer @param {ArrayBuffer} data */
  chunk(peer, data) {
    if (data.byteLength < 4) {
      this.report(peer, "malformed", this.about(peer, "fileProblem.shortChunk"));
      return;
    }
    const id = new DataView(data).getUint32(0);
    const transfer = peer.incoming.get(id);
    const receiving = peer.receiving.get(id);
    if (!transfer || !receiving || transfer.state !== "transferring") {
      // Chunks in flight when this end ended it are expected: only unasked-for ones are news.
      if (!transfer || !finished(transfer.state)) this.report(peer, "unexpected-chunk", this.about(peer, "fileProblem.unexpectedChunk"));
      return;
    }
    const length = data.byteLength - 4;
    if (length > MAX_CHUNK) {
      this.fail(peer, transfer, "too-large", this.about(peer, "fileProblem.chunkTooLarge", { chunk: formatSize(length), file: transfer.name }));
      return;
    }
    if (transfer.bytes + length > transfer.size) {
      this.fail(peer, transfer, "overrun", this.about(peer, "fileProblem.overrun", { file: transfer.name, size: formatSize(transfer.size) }));
      return;
    }
    const payload = new Uint8Array(data, 4);
    receiving.hasher.update(payload);
    receiving.pending.push(payload);
    receiving.pendingBytes += length;
    // Chunks gathered into a Blob every few MB: few objects, and out of the JS heap.
    if (receiving.pendingBytes >= HIGH_WATER) this.flush(receiving);
    transfer.progress(transfer.bytes + length, performance.now());
    this.changed(transfer, true);
  }

  /** @param {{parts: Blob[], pending: Uint8Array<ArrayBuffer>[], pendingBytes: number}} receiving */
  flush(receiving) {
    if (receiving.pending.length) receiving.parts.push(new Blob(receiving.pending));
    receiving.pending = [];
    receiving.pendingBytes = 0;
  }

  /** Send accepted files to one person, one after another. @param {Peer} peer */
  async pump(peer) {
    if (peer.pumping) return;
    peer.pumping = true;
    try {
      while (peer.queue.length) {
        const transfer = /** @type {Transfer} */ (peer.queue.shift());
        if (transfer.state === "transferring") await this.sendFile(peer, transfer);
      }
    } catch (error) {
      console.warn("parlour: sending a file failed:", error);
    } finally {
      peer.pumping = false;
    }
  }

  /** @param {Peer} peer @param {Transfer} transfer */
  async sendFile(peer, transfer) {
    const channel = peer.channel;
    const file = transfer.blob;
    const going = () => transfer.state === "transferring" && !peer.abort.signal.aborted && channel.readyState === "open";
    if (!file) return;
    let queued = 0;
    for (let at = 0; at < transfer.size; at += READ) {
      let slice;
      try {
        slice = new Uint8Array(await file.slice(at, at + READ).arrayBuffer());
      } catch {
        if (going()) this.say(peer, { kind: "cancel", id: transfer.id });
        if (transfer.can("failed")) this.end(transfer, "failed", t("fileEnd.unreadableLater"));
        return;
      }
      for (let from = 0; from < slice.length; from += CHUNK) {
        const mark = Math.min(HIGH_WATER, Math.max(MIN_WATER, transfer.rate));
        if (channel.bufferedAmount > mark) {
          channel.bufferedAmountLowThreshold = Math.floor(mark / 4);
          await this.drained(peer);
        }
        if (!going()) return;
        const part = slice.subarray(from, from + CHUNK);
        const frame = new Uint8Array(4 + part.length);
        new DataView(frame.buffer).setUint32(0, transfer.id);
        frame.set(part, 4);
        if (queued === 0 && part.length && /** @type {any} */ (globalThis).__parlourTest?.corruptFiles) frame[4] ^= 1;
        channel.send(frame);
        queued += part.length;
        transfer.progress(Math.max(0, queued - channel.bufferedAmount), performance.now());
        this.changed(transfer, true);
      }
      const hold = /** @type {any} */ (globalThis).__parlourTest?.holdFiles;
      if (at === 0 && hold) await hold;
    }
    if (!going()) return;
    this.say(peer, { kind: "done", id: transfer.id });
    transfer.move("checking");
    transfer.progress(transfer.size, performance.now());
    transfer.left = null;
    this.changed(transfer);
  }

  /** Until the channel's queue falls to its threshold, or it closes: an event, never a poll. @param {Peer} peer */
  drained(peer) {
    return new Promise((resolve) => {
      const done = new AbortController();
      const finish = () => {
        done.abort();
        resolve(undefined);
      };
      const options = { signal: done.signal };
      peer.channel.addEventListener("bufferedamountlow", finish, options);
      peer.channel.addEventListener("close", finish, options);
      peer.abort.signal.addEventListener("abort", finish, options);
    });
  }
}
