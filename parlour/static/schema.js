// @ts-check
/**
 * Every message the page reads, as data: what the server sends (PROTOCOL.md "Messages from
 * server to client") and what other members seal (PROTOCOL.md "Sealed messages"). The client's
 * mirror of parlour/protocol.py. No DOM and no sockets: tests load it under Node, and a test
 * compares these tables with PROTOCOL.md.
 *
 * Every message kind is held to the same rule: exactly the fields listed, each of its type and
 * size; anything else is dropped and reported, never half-used.
 */

/** @typedef {(value: unknown) => boolean} Check */
/** @typedef {Record<string, Check>} Fields */
/** @typedef {{fields: Fields, optional?: Fields}} Shape */

/** @param {number} min @param {number} max @returns {Check} */
const text = (min, max) => (v) => typeof v === "string" && v.length >= min && v.length <= max;
/** @param {RegExp} pattern @returns {Check} */
const matching = (pattern) => (v) => typeof v === "string" && pattern.test(v);
/** @param {number} min @param {number} max @returns {Check} */
const integer = (min, max) => (v) => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
/** @type {Check} */
const boolean = (v) => typeof v === "boolean";
/** @param {Check} check @returns {Check} */
const orNull = (check) => (v) => v === null || check(v);
/** @param {Check} check @param {number} min @param {number} max @returns {Check} */
const listOf = (check, min, max) => (v) => Array.isArray(v) && v.length >= min && v.length <= max && v.every(check);
/** @param {Shape} shape @returns {Check} */
const object = (shape) => (v) => conforms(v, shape, null);

const B64URL = "[A-Za-z0-9_-]";
const peerId = matching(new RegExp(`^${B64URL}{8}$`));
/** 16 random bytes: a page's session id. */
const session = matching(new RegExp(`^${B64URL}{22}$`));
/** SHA-256 in base64url: a commitment. */
const digest = matching(new RegExp(`^${B64URL}{43}$`));
/** A P-256 public key, uncompressed (65 bytes), in base64url. */
const publicKey = matching(new RegExp(`^${B64URL}{87}$`));
/** A DTLS certificate fingerprint as "hash UPPER:HEX", 16 to 64 bytes of digest. */
const fingerprint = matching(/^[a-z0-9-]{1,16} [0-9A-F]{2}(:[0-9A-F]{2}){15,63}$/);
const counter = integer(0, Number.MAX_SAFE_INTEGER);

export const MAX_NAME = 64;
export const MAX_CHAT = 2000;
export const MAX_SDP = 48_000;
export const MAX_CANDIDATE = 1_000;
/** How many pairs an introduction may ask to resume: more than a room ever holds. */
export const MAX_RESUME = 64;

/** An RTCIceServer: TURN entries carry credentials made for this connection, STUN ones none. */
const iceServers = listOf(
  object({ fields: { urls: listOf(text(1, 512), 1, 16) }, optional: { username: text(1, 512), credential: text(1, 512) } }),
  0,
  16,
);
/** Seconds the TURN credentials last, or null without TURN. */
const iceTtl = orNull(integer(1, 7 * 86_400));

/** @param {...string} values @returns {Check} */
const oneOf = (...values) => (v) => typeof v === "string" && values.includes(v);

/** Names and whom they asked for, as the server cuts them (PROTOCOL.md "The front door"). */
export const MAX_VISITOR_NAME = 64;
/** A host's list holds 50; the page takes a few more rather than refuse a server's larger list. */
const MAX_VISITORS = 256;
const MAX_AUDIT = 200;
/** An ISO 3166-1 alpha-2 code, or null where the server has no country database. */
const country = orNull(matching(/^[A-Z]{2}$/));
/** Unix milliseconds. */
const instant = integer(0, Number.MAX_SAFE_INTEGER);

/** Someone waiting at the front door, as a host's page is shown them. */
const visitor = object({
  fields: {
    id: peerId,
    name: text(0, MAX_VISITOR_NAME),
    to: text(0, MAX_VISITOR_NAME),
    address: text(1, 64),
    country,
    agent: text(0, 256),
    since: instant,
    expected: boolean,
  },
});

/** An attempt that went wrong, for the super-host. */
const auditEntry = object({
  fields: { at: instant, event: text(1, 64), address: text(0, 64), country, what: text(0, 1_000) },
});

/** What the server sends, by `type`. */
export const SERVER = /** @type {Record<string, Shape>} */ ({
  welcome: {
    fields: { protocol: integer(0, 1_000), salt: text(1, 256), iterations: integer(0, Number.MAX_SAFE_INTEGER), max_frame: integer(1, 1 << 30) },
  },
  joined: {
    fields: {
      id: peerId,
      peers: listOf(peerId, 0, 256),
      capacity: integer(1, 1_000),
      ice_servers: iceServers,
      upload_kbps: integer(1, 1_000_000),
      locked: boolean,
      ice_ttl: iceTtl,
      relay_only: boolean,
    },
  },
  "ice-servers": { fields: { ice_servers: iceServers, ice_ttl: iceTtl } },
  "peer-joined": { fields: { peer: peerId } },
  "peer-left": { fields: { peer: peerId } },
  signal: { fields: { from: peerId, seq: integer(1, Number.MAX_SAFE_INTEGER), iv: matching(new RegExp(`^${B64URL}{16}$`)), ct: matching(new RegExp(`^${B64URL}{22,}$`)) } },
  left: { fields: {} },
  pong: { fields: { id: counter } },
  "room-state": { fields: { locked: boolean, by: orNull(peerId), ticket: orNull(matching(new RegExp(`^${B64URL}{16,128}$`))) } },
  waiting: { fields: {} },
  declined: { fields: {} },
  desk: { fields: { host: text(1, 256), super: boolean, visitors: listOf(visitor, 0, MAX_VISITORS), audit: listOf(auditEntry, 0, MAX_AUDIT) } },
  visitor: { fields: { visitor } },
  "visitor-gone": { fields: { visitor: peerId, reason: oneOf("cancelled", "answered", "declined", "dismissed", "dropped") } },
  audit: { fields: { entry: auditEntry } },
  error: {
    fields: { code: text(1, 64), message: text(0, 1_000), about: orNull(text(0, 64)) },
    // Seconds to wait, with locked-out only; left out of every other error.
    optional: { retry_after: integer(1, Number.MAX_SAFE_INTEGER) },
  },
});

/**
 * Sealed with the room's signalling key: how two members introduce themselves and agree a key
 * of their own (PROTOCOL.md "Pairwise keys"). Nothing else travels under the room key.
 */
export const INTRODUCTIONS = /** @type {Record<string, Shape>} */ ({
  intro: { fields: { session, commit: digest, resume: listOf(session, 0, MAX_RESUME) } },
  accept: { fields: { session, to: session, key: publicKey, fingerprints: listOf(fingerprint, 1, 4) } },
  reveal: { fields: { session, to: session, key: publicKey, fingerprints: listOf(fingerprint, 1, 4) } },
});

/** Sealed with the key two members agreed: everything they say to each other. */
export const PAIR = /** @type {Record<string, Shape>} */ ({
  hello: { fields: { name: text(1, MAX_NAME), audio: boolean, video: boolean, reply: boolean } },
  state: { fields: { audio: boolean, video: boolean } },
  sdp: {
    fields: {
      description: object({ fields: { type: (v) => v === "offer" || v === "answer", sdp: text(1, MAX_SDP) } }),
    },
  },
  ice: {
    fields: {
      // RTCIceCandidate.toJSON() writes null for what the browser does not know, and browsers
      // differ in which members they write: so those three may be null or absent, no more.
      candidate: orNull(
        object({
          fields: { candidate: text(0, MAX_CANDIDATE) },
          optional: { sdpMid: orNull(text(0, 64)), sdpMLineIndex: orNull(integer(0, 65_535)), usernameFragment: orNull(text(0, 256)) },
        }),
      ),
    },
  },
  // The mids of the transceivers that carry the sender's shared screen and its sound; null: none.
  screen: { fields: { mid: orNull(text(1, 64)), audio: orNull(text(1, 64)) } },
  bye: { fields: {} },
  chat: { fields: { text: text(1, MAX_CHAT) } },
  lock: { fields: { locked: boolean } },
});

/**
 * Whether `value` is an object with exactly the shape's fields (and perhaps its optional
 * ones), each passing its check. `tag` names the field that told the kind apart, if any.
 * @param {unknown} value @param {Shape} shape @param {string | null} tag
 */
function conforms(value, shape, tag) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const record = /** @type {Record<string, unknown>} */ (value);
  const optional = shape.optional ?? {};
  for (const name of Object.keys(record)) {
    if (name !== tag && !Object.hasOwn(shape.fields, name) && !Object.hasOwn(optional, name)) return false;
  }
  for (const [name, check] of Object.entries(shape.fields)) {
    if (!Object.hasOwn(record, name) || !check(record[name])) return false;
  }
  for (const [name, check] of Object.entries(optional)) {
    if (Object.hasOwn(record, name) && !check(record[name])) return false;
  }
  return true;
}

/**
 * Sort a message against a table: "ok", "unknown" (a kind this client does not know, to be
 * ignored: newer clients may add kinds) or "malformed" (to be dropped and reported).
 * @param {Record<string, Shape>} table @param {string} tag  "type" or "kind" @param {unknown} message
 * @returns {"ok" | "unknown" | "malformed"}
 */
export function classify(table, tag, message) {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return "malformed";
  const kind = /** @type {Record<string, unknown>} */ (message)[tag];
  if (typeof kind !== "string") return "malformed";
  if (!Object.hasOwn(table, kind)) return "unknown";
  return conforms(message, table[kind], tag) ? "ok" : "malformed";
}

/** Each kind's field names, required and optional: for tests that compare with PROTOCOL.md. */
export function fieldNames() {
  /** @param {Record<string, Shape>} table */
  const names = (table) =>
    Object.fromEntries(Object.entries(table).map(([kind, shape]) => [kind, [...Object.keys(shape.fields), ...Object.keys(shape.optional ?? {})]]));
  return { server: names(SERVER), introductions: names(INTRODUCTIONS), pair: names(PAIR) };
}
