// @ts-check
/**
 * Room keys and sealed envelopes with WebCrypto, exactly as PROTOCOL.md "Keys" describes.
 * No DOM here: this module is loaded by the page and by tests alike.
 */

const LOCATOR_INFO = "parlour/v1 room locator";
const SIGNALLING_INFO = "parlour/v1 signalling key";
const ENVELOPE_LABEL = "parlour/v1 signal";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

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
 * Stretch a passphrase and derive the room locator and the signalling key.
 * The slow part is one PBKDF2 call, which WebCrypto runs off the main thread.
 * @param {string} passphrase
 * @param {Uint8Array<ArrayBuffer>} salt
 * @param {number} iterations
 * @returns {Promise<RoomKeys>}
 */
export async function deriveRoomKeys(passphrase, salt, iterations) {
  const secret = encoder.encode(normalizePassphrase(passphrase));
  const base = await crypto.subtle.importKey("raw", secret, "PBKDF2", false, ["deriveBits"]);
  const master = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    base,
    256,
  );
  const hkdf = await crypto.subtle.importKey("raw", master, "HKDF", false, [
    "deriveBits",
    "deriveKey",
  ]);
  /** @param {string} info */
  const params = (info) => ({
    name: "HKDF",
    hash: "SHA-256",
    salt: new Uint8Array(0),
    info: encoder.encode(info),
  });
  const locator = await crypto.subtle.deriveBits(params(LOCATOR_INFO), hkdf, 256);
  const key = await crypto.subtle.deriveKey(
    params(SIGNALLING_INFO),
    hkdf,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  return { locator: b64url(locator), key };
}

/**
 * Associated data: the envelope opens only for this sender, this recipient, this counter.
 * @param {string} from @param {string} to @param {number} seq
 */
function aad(from, to, seq) {
  return encoder.encode(`${ENVELOPE_LABEL}\n${from}\n${to}\n${seq}`);
}

/**
 * @param {CryptoKey} key
 * @param {string} from
 * @param {string} to
 * @param {number} seq
 * @param {unknown} message  any JSON value; sealed as UTF-8 JSON
 * @param {Uint8Array<ArrayBuffer>} [iv]  only tests pass one; otherwise 12 fresh random bytes
 * @returns {Promise<Sealed>}
 */
export async function seal(key, from, to, seq, message, iv = crypto.getRandomValues(new Uint8Array(12))) {
  const plaintext = encoder.encode(JSON.stringify(message));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad(from, to, seq) },
    key,
    plaintext,
  );
  return { iv: b64url(iv), ct: b64url(ct) };
}

/**
 * Open an envelope; rejects if it was forged, altered, redirected or re-stamped.
 * @param {CryptoKey} key
 * @param {string} from
 * @param {string} to
 * @param {number} seq
 * @param {Sealed} sealed
 * @returns {Promise<unknown>}
 */
export async function open(key, from, to, seq, sealed) {
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: unb64url(sealed.iv), additionalData: aad(from, to, seq) },
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
