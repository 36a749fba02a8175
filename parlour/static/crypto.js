// @ts-check
/**
 * Room keys, pairwise keys and sealed envelopes with WebCrypto, exactly as PROTOCOL.md "Keys"
 * describes. No DOM here: this module is loaded by the page and by tests alike.
 *
 * The constants that decide how strong the protection is live here, in the page, and not in
 * anything the server says: a server that asks for a weaker stretch is refused.
 */

import { t } from "./i18n.js";

const LOCATOR_INFO = "parlour/v1 room locator";
const SIGNALLING_INFO = "parlour/v1 signalling key";
const ROOM_LABEL = "parlour/v2 room";
const PAIR_LABEL = "parlour/v2 pair";
const IDENTITY_LABEL = "parlour/v2 identity";
const PAIR_KEY_INFO = "parlour/v2 pair key";
const SAFETY_LABEL = "parlour/v2 safety code";

/** The protocol's floor: a welcome asking for fewer iterations is refused. */
export const MIN_ITERATIONS = 600_000;
/** Ten times the floor: more would let a server stall a phone for minutes. */
export const MAX_ITERATIONS = 6_000_000;
export const SALT_BYTES = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const ECDH = /** @type {const} */ ({ name: "ECDH", namedCurve: "P-256" });

// Unicode White_Space, the same set parlour/keys.py splits on.
const WHITE_SPACE = /[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/**
 * @typedef {object} RoomKeys
 * @property {string} locator  base64url; the only thing the server is shown
 * @property {CryptoKey} key   AES-256-GCM, not extractable: it never leaves this page
 */

/**
 * @typedef {object} Sealed
 * @property {string} iv
 * @property {string} ct
 */

/**
 * One side of a pairwise key agreement: an ephemeral ECDH key pair made for one other person,
 * and the identity it stands for (PROTOCOL.md "Pairwise keys").
 * @typedef {object} Share
 * @property {CryptoKey} privateKey  not extractable, gone with the page
 * @property {string} key            the public key, raw (65 bytes) in base64url
 * @property {string} identity       identityText() of this side
 * @property {string} commit         SHA-256 of the identity text, base64url
 */

/** @param {Uint8Array | ArrayBuffer} bytes */
export function b64url(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = "";
  for (const byte of view) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** @param {string} text @returns {Uint8Array<ArrayBuffer>} */
export function unb64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new Error("not unpadded base64url");
  }
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const raw = atob(padded);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** @param {string} passphrase */
export function normalizePassphrase(passphrase) {
  return passphrase
    .normalize("NFKC")
    .split(WHITE_SPACE)
    .filter((part) => part.length > 0)
    .join(" ");
}

/**
 * Why the key parameters a server sent cannot be used, or null when they can. The page never
 * stretches a passphrase with less than the protocol's floor, whatever the server says.
 * @param {unknown} salt @param {unknown} iterations
 */
export function weakParameters(salt, iterations) {
  if (typeof iterations !== "number" || !Number.isInteger(iterations) || iterations < MIN_ITERATIONS) {
    // Figures as digits, as an operator finds them in the configuration.
    return t("welcome.fewRounds", { rounds: String(iterations), floor: String(MIN_ITERATIONS) });
  }
  if (iterations > MAX_ITERATIONS) {
    return t("welcome.manyRounds", { rounds: String(iterations), ceiling: String(MAX_ITERATIONS) });
  }
  let bytes = null;
  try {
    bytes = typeof salt === "string" ? unb64url(salt) : null;
  } catch {
    bytes = null;
  }
  if (!bytes || bytes.length !== SALT_BYTES || b64url(bytes) !== salt) {
    return t("welcome.salt", { bytes: SALT_BYTES });
  }
  return null;
}

/**
 * Stretch a passphrase and derive the room locator and the signalling key.
 * The slow part is one PBKDF2 call, which WebCrypto runs off the main thread.
 * @param {string} passphrase
 * @param {Uint8Array<ArrayBuffer>} salt
 * @param {number} iterations
 * @returns {Promise<RoomKeys>}
 */
export async function deriveRoomKeys(passphrase, salt, iterations) {
  // The last line of defence: callers check the welcome, and this refuses all the same.
  const weak = weakParameters(b64url(salt), iterations);
  if (weak) throw new Error(weak);
  const secret = encoder.encode(normalizePassphrase(passphrase));
  const base = await crypto.subtle.importKey("raw", secret, "PBKDF2", false, ["deriveBits"]);
  const master = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    base,
    256,
  );
  const hkdf = await crypto.subtle.importKey("raw", master, "HKDF", false, ["deriveBits", "deriveKey"]);
  const locator = await crypto.subtle.deriveBits(hkdfParams(new Uint8Array(0), LOCATOR_INFO), hkdf, 256);
  const key = await crypto.subtle.deriveKey(
    hkdfParams(new Uint8Array(0), SIGNALLING_INFO),
    hkdf,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  return { locator: b64url(locator), key };
}

/** @param {Uint8Array<ArrayBuffer>} salt @param {string} info */
function hkdfParams(salt, info) {
  return { name: "HKDF", hash: "SHA-256", salt, info: encoder.encode(info) };
}

const DOOR_IKM = "parlour/v2 front door";
const DOOR_INFO = "parlour/v2 signalling key";

/**
 * The door key: what a front-door call seals its introductions with where a room uses the key
 * from its passphrase (PROTOCOL.md "The front door"). Everyone can compute it, the server
 * included, so it authenticates nothing; the pair keys and the safety code keep the call
 * private. No stretch: there is no secret to protect against guessing.
 * @returns {Promise<CryptoKey>}
 */
export async function doorKey() {
  const hkdf = await crypto.subtle.importKey("raw", encoder.encode(DOOR_IKM), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(hkdfParams(new Uint8Array(0), DOOR_INFO), hkdf, { name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
}

/**
 * Associated data of a room envelope (sealed with the room's signalling key): it opens only
 * between these two peer ids, at this place in the sender's count.
 * @param {string} from @param {string} to @param {number} seq
 */
export function roomAad(from, to, seq) {
  return encoder.encode(`${ROOM_LABEL}\n${from}\n${to}\n${seq}`);
}

/**
 * Associated data of a pair envelope (sealed with the key two people agreed): it opens only
 * from this session to that one, at this place in the sender's count. Peer ids, which the
 * server chooses, are not in it.
 * @param {string} from @param {string} to @param {number} seq
 */
export function pairAad(from, to, seq) {
  return encoder.encode(`${PAIR_LABEL}\n${from}\n${to}\n${seq}`);
}

/**
 * @param {CryptoKey} key
 * @param {Uint8Array<ArrayBuffer>} aad  roomAad() or pairAad()
 * @param {unknown} message  any JSON value; sealed as UTF-8 JSON
 * @param {Uint8Array<ArrayBuffer>} [iv]  only tests pass one; otherwise 12 fresh random bytes
 * @returns {Promise<Sealed>}
 */
export async function seal(key, aad, message, iv = crypto.getRandomValues(new Uint8Array(12))) {
  const plaintext = encoder.encode(JSON.stringify(message));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, plaintext);
  return { iv: b64url(iv), ct: b64url(ct) };
}

/**
 * Open an envelope; rejects if it was forged, altered, redirected or re-stamped.
 * @param {CryptoKey} key
 * @param {Uint8Array<ArrayBuffer>} aad
 * @param {Sealed} sealed
 * @returns {Promise<unknown>}
 */
export async function open(key, aad, sealed) {
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: unb64url(sealed.iv), additionalData: aad },
    key,
    unb64url(sealed.ct),
  );
  return JSON.parse(decoder.decode(plaintext));
}

/**
 * Import raw key bytes; for tests checking a derived key against the vectors.
 * @param {Uint8Array<ArrayBuffer>} raw
 */
export function importSignallingKey(raw) {
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/**
 * What one side of a pair stands for: its session, its public key, and the fingerprints of the
 * DTLS certificate its media will use, in one canonical text.
 * @param {string} session @param {string} key @param {string[]} fingerprints
 */
export function identityText(session, key, fingerprints) {
  return [IDENTITY_LABEL, session, key, ...[...fingerprints].sort()].join("\n");
}

/** @param {string} text */
export async function sha256(text) {
  return b64url(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/**
 * A fresh ephemeral key pair for one other person, and the commitment to it.
 * @param {string} session @param {string[]} fingerprints
 * @param {CryptoKeyPair} [pair]  only tests pass one
 * @returns {Promise<Share>}
 */
export async function newShare(session, fingerprints, pair) {
  const keys = pair ?? /** @type {CryptoKeyPair} */ (await crypto.subtle.generateKey(ECDH, false, ["deriveBits"]));
  const key = b64url(await crypto.subtle.exportKey("raw", keys.publicKey));
  const identity = identityText(session, key, fingerprints);
  return { privateKey: keys.privateKey, key, identity, commit: await sha256(identity) };
}

/**
 * The key two people share: ECDH between one's private key and the other's public key,
 * expanded with HKDF over both commitments, the committing side's first.
 * @param {CryptoKey} privateKey
 * @param {string} theirKey  raw public key, base64url; rejects when it is not a point on P-256
 * @param {string} committerCommit @param {string} responderCommit
 */
export async function pairKey(privateKey, theirKey, committerCommit, responderCommit) {
  const theirs = await crypto.subtle.importKey("raw", unb64url(theirKey), ECDH, false, []);
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: theirs }, privateKey, 256);
  const transcript = `${PAIR_LABEL}\n${committerCommit}\n${responderCommit}`;
  const salt = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(transcript)));
  const hkdf = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(hkdfParams(salt, PAIR_KEY_INFO), hkdf, { name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
}

/**
 * Six digits both people see when nobody stands between them: from the two identity texts,
 * sorted. The committing side reveals its identity only after the other side has revealed
 * theirs, and the code needs both identities, not just a commitment: so whoever stands in the
 * middle has to fix their own identity on each side before they can know that side's code, and
 * gets one try in a million, each of them a connection people see.
 * @param {string} a @param {string} b  identityText() of each side
 */
export async function safetyCode(a, b) {
  const text = [SAFETY_LABEL, ...[a, b].sort()].join("\n");
  const digest = new DataView(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  const digits = String(digest.getUint32(0) % 1_000_000).padStart(6, "0");
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

/**
 * Every DTLS fingerprint a session description names, as "hash UPPER:HEX" (each line, session
 * level and media level alike), without repeats.
 * @param {string} sdp
 */
export function sdpFingerprints(sdp) {
  const found = new Set();
  for (const match of sdp.matchAll(/^a=fingerprint:(\S+) (\S+?)\r?$/gim)) {
    found.add(`${match[1].toLowerCase()} ${match[2].toUpperCase()}`);
  }
  return [...found];
}
