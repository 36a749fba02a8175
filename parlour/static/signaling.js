// @ts-check
/**
 * The client half of PROTOCOL.md: one WebSocket, one room, sealed envelopes in and out.
 * It never touches the page; the UI listens to its events.
 *
 * Events (CustomEvent, payload in `detail`):
 *   state        {state}              every change of `state`
 *   peer-joined  {peer}
 *   peer-left    {peer}
 *   message      {from, message}      an envelope that opened, with a known sealed kind
 *   rejected     {from, reason}       an envelope dropped: "unopenable" | "replay" | "malformed"
 *   server-error {code, message, about}  an error not answering a pending join
 *   closed       {code, reason}
 */

import { deriveRoomKeys, open, seal, unb64url } from "./crypto.js";

/** @typedef {"idle" | "connecting" | "ready" | "joining" | "joined" | "closed"} State */

/**
 * @typedef {object} Welcome
 * @property {number} protocol
 * @property {string} salt
 * @property {number} iterations
 * @property {number} max_frame
 */

/**
 * @typedef {{kind: "hello", name: string} | {kind: "chat", text: string}} SealedMessage
 */

/** Which states may follow which; anything else is a bug and throws, naming the step. */
const TRANSITIONS = /** @type {const} */ ({
  idle: ["connecting", "closed"],
  connecting: ["ready", "closed"],
  ready: ["joining", "closed"],
  joining: ["joined", "ready", "closed"],
  joined: ["ready", "closed"],
  closed: [],
});

export const MAX_NAME = 64;
export const MAX_CHAT = 2000;

/** Sealed kinds this client understands, with their checks (PROTOCOL.md "Sealed messages"). */
export const SEALED_KINDS = /** @type {const} */ ({
  hello: (/** @type {any} */ m) => isText(m.name, MAX_NAME) && Object.keys(m).length === 2,
  chat: (/** @type {any} */ m) => isText(m.text, MAX_CHAT) && Object.keys(m).length === 2,
});

/** @param {unknown} value @param {number} max */
function isText(value, max) {
  return typeof value === "string" && value.length >= 1 && value.length <= max;
}

export class SignalingError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = "SignalingError";
    this.code = code;
  }
}

export class Signaling extends EventTarget {
  /** @param {string} url  ws: or wss: address of the server's socket */
  constructor(url) {
    super();
    this.url = url;
    /** @type {State} */
    this.state = "idle";
    /** @type {Welcome | null} */
    this.welcome = null;
    /** @type {string | null} */
    this.id = null;
    /** @type {Set<string>} */
    this.peers = new Set();
    /** @type {WebSocket | null} */
    this.socket = null;
    /** @type {CryptoKey | null} */
    this.key = null;
    this.seq = 0;
    /** Highest seq opened from each sender: anything not above it is a replay. */
    /** @type {Map<string, number>} */
    this.lastSeq = new Map();
    /** Opening is asynchronous; a chain keeps envelopes in the order they arrived. */
    this.inbox = Promise.resolve();
    /** Sealing too: seq must reach the wire in the order it was assigned. */
    this.outbox = Promise.resolve();
    /** @type {{resolve: (v: any) => void, reject: (e: Error) => void, type: string} | null} */
    this.pending = null;
  }

  /** @param {State} next */
  setState(next) {
    const allowed = /** @type {readonly State[]} */ (TRANSITIONS[this.state]);
    if (!allowed.includes(next)) {
      throw new Error(`signalling: no transition from ${this.state} to ${next}`);
    }
    this.state = next;
    this.emit("state", { state: next });
  }

  /** @param {string} type @param {object} detail */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Open the socket; resolves with the server's welcome. @returns {Promise<Welcome>} */
  connect() {
    this.setState("connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    const welcomed = this.expect("welcome");
    socket.addEventListener("message", (event) => {
      const frame = String(event.data);
      this.inbox = this.inbox.then(() => this.receive(frame));
    });
    socket.addEventListener("close", (event) => this.closed(event.code, event.reason));
    return welcomed;
  }

  /**
   * Derive the room keys (the slow step) and join. Rejects with a SignalingError whose code is
   * the server's (no-such-room, room-full, locked-out, ...).
   * @param {string} passphrase
   */
  async join(passphrase) {
    const welcome = this.welcome;
    if (!welcome || this.state !== "ready") throw new Error(`signalling: cannot join while ${this.state}`);
    const keys = await deriveRoomKeys(passphrase, unb64url(welcome.salt), welcome.iterations);
    this.setState("joining");
    const joined = this.expect("joined");
    this.transmit({ type: "join", room: keys.locator });
    try {
      const reply = await joined;
      this.key = keys.key;
      this.id = reply.id;
      this.peers = new Set(reply.peers);
      this.setState("joined");
      return reply;
    } catch (error) {
      this.setState("ready");
      throw error;
    }
  }

  /**
   * Seal `message` for one peer and send it.
   * @param {string} to
   * @param {SealedMessage} message
   */
  send(to, message) {
    const key = this.key;
    const from = this.id;
    if (this.state !== "joined" || !key || !from) throw new Error(`signalling: cannot send while ${this.state}`);
    const seq = ++this.seq;
    this.outbox = this.outbox.then(async () => {
      const sealed = await seal(key, from, to, seq, message);
      this.transmit({ type: "signal", to, seq, ...sealed });
    });
    return this.outbox;
  }

  /** @param {SealedMessage} message */
  broadcast(message) {
    return Promise.all([...this.peers].map((peer) => this.send(peer, message)));
  }

  leave() {
    if (this.state !== "joined") return;
    this.transmit({ type: "leave" });
    this.forgetRoom();
    this.setState("ready");
  }

  close() {
    if (this.state === "closed") return;
    this.socket?.close(1000);
    this.closed(1000, "closed by the page");
  }

  forgetRoom() {
    this.key = null;
    this.id = null;
    this.peers = new Set();
  }

  /** @param {object} message */
  transmit(message) {
    this.socket?.send(JSON.stringify(message));
  }

  /** @param {string} type @returns {Promise<any>} */
  expect(type) {
    return new Promise((resolve, reject) => {
      this.pending = { type, resolve, reject };
    });
  }

  /** @param {number} code @param {string} reason */
  closed(code, reason) {
    if (this.state === "closed") return;
    this.pending?.reject(new SignalingError("closed", "The connection to the server closed."));
    this.pending = null;
    this.forgetRoom();
    this.setState("closed");
    this.emit("closed", { code, reason });
  }

  /** @param {string} frame */
  async receive(frame) {
    /** @type {any} */
    let message;
    try {
      message = JSON.parse(frame);
    } catch {
      return; // the server speaks JSON; anything else is noise on the line
    }
    const pending = this.pending;
    switch (message?.type) {
      case "welcome":
        this.welcome = message;
        this.setState("ready");
        this.settle("welcome", message);
        return;
      case "joined":
        this.settle("joined", message);
        return;
      case "peer-joined":
        this.peers.add(message.peer);
        this.emit("peer-joined", { peer: message.peer });
        return;
      case "peer-left":
        this.peers.delete(message.peer);
        this.lastSeq.delete(message.peer);
        this.emit("peer-left", { peer: message.peer });
        return;
      case "signal":
        await this.unseal(message);
        return;
      case "error":
        if (pending && message.about === "join" && pending.type === "joined") {
          this.pending = null;
          pending.reject(new SignalingError(message.code, message.message));
        } else {
          this.emit("server-error", { code: message.code, message: message.message, about: message.about });
        }
        return;
      default:
        return; // left, pong and future types need nothing here
    }
  }

  /** @param {string} type @param {unknown} value */
  settle(type, value) {
    if (this.pending?.type !== type) return;
    const { resolve } = this.pending;
    this.pending = null;
    resolve(value);
  }

  /** @param {{from: string, seq: number, iv: string, ct: string}} envelope */
  async unseal(envelope) {
    const { from, seq } = envelope;
    if (!this.key || !this.id) return;
    if (seq <= (this.lastSeq.get(from) ?? 0)) {
      this.emit("rejected", { from, reason: "replay" });
      return;
    }
    /** @type {any} */
    let message;
    try {
      message = await open(this.key, from, this.id, seq, envelope);
    } catch {
      this.emit("rejected", { from, reason: "unopenable" });
      return;
    }
    this.lastSeq.set(from, seq);
    const kind = message?.kind;
    if (typeof message !== "object" || message === null || typeof kind !== "string") {
      this.emit("rejected", { from, reason: "malformed" });
      return;
    }
    if (!Object.hasOwn(SEALED_KINDS, kind)) return; // from a newer client: ignored, as PROTOCOL.md asks
    if (!SEALED_KINDS[/** @type {keyof typeof SEALED_KINDS} */ (kind)](message)) {
      this.emit("rejected", { from, reason: "malformed" });
      return;
    }
    this.emit("message", { from, message });
  }
}
