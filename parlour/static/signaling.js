// @ts-check
/**
 * The client half of PROTOCOL.md's transport: one WebSocket, one room, the server's messages
 * checked against schema.js before anything uses them. It never touches the page, and it does
 * not seal or open envelopes: pairing.js does, with the room key this module keeps.
 *
 * Once in a room it stays there: a dropped socket (the server restarting, a network change)
 * reconnects with backoff and joins again with the same keys, without a new key stretch.
 *
 * The front door (PROTOCOL.md "The front door") uses the same socket: a visitor knocks and
 * waits, a host's page opens its desk; when a host answers, both are in a call sealed with the
 * door key instead of a passphrase's. After a reconnect a waiting visitor knocks again and a
 * desk opens again (a restarted server has forgotten both); a front-door call cannot be joined
 * again (the server keeps it only in memory, and no message names it), so its media goes on
 * peer to peer and `call-lost` says nobody new can come in.
 *
 * Events (CustomEvent, payload in `detail`):
 *   state        {state}              every change of `state`
 *   joined       {id, peers, iceServers, uploadKbps, locked, iceTtl, relayOnly, door}  every successful join,
 *                rejoins included; door: a front-door call a host answered (this page as host or visitor)
 *   room-state   {locked, restored}   the server says the room was locked or unlocked (restored:
 *                this page put back a lock the server had lost, see "Locking a room")
 *   ice-servers  {iceServers, iceTtl}  fresh TURN credentials, the answer to refresh()
 *   peer-joined  {peer}
 *   peer-left    {peer}
 *   envelope     {from, seq, iv, ct}  a sealed envelope, in the order it arrived
 *   server-error {code, message, about, retryAfter?}  an error not answering a pending connect or join
 *   malformed    {type}               the server sent something that is not as PROTOCOL.md says
 *   declined     {}                   the host declined this visitor's knock; the page may knock again
 *   desk         {host, super, visitors, audit}  the desk opened, or opened again after a reconnect
 *                (the list replaces whatever the page showed)
 *   visitor      {visitor}            someone began waiting for this desk's host
 *   visitor-gone {visitor, reason}    someone stopped waiting (visitor: their id)
 *   audit        {entry}              an attempt that went wrong (super-host only)
 *   call-lost    {}                   the socket of a front-door call dropped: the call goes on peer
 *                                     to peer, but the server no longer knows it
 *   closed       {code, reason}       the end: no more reconnecting
 */

import { b64url, deriveRoomKeys, doorKey, unb64url, weakParameters } from "./crypto.js";
import { t } from "./i18n.js";
import { classify, SERVER } from "./schema.js";

/** The protocol this page speaks; a welcome with another version is refused. */
export const PROTOCOL_VERSION = 2;

/**
 * knocking: a knock is sent and its `waiting` not yet back; waiting: at the front door until a
 * host answers (then joined) or declines (then ready).
 * @typedef {"idle" | "connecting" | "ready" | "joining" | "knocking" | "waiting" | "joined" | "reconnecting" | "closed"} State
 */

/**
 * @typedef {object} Welcome
 * @property {number} protocol
 * @property {string} salt
 * @property {number} iterations
 * @property {number} max_frame
 */

/**
 * @typedef {object} Joined
 * @property {string} id
 * @property {string[]} peers
 * @property {number} capacity
 * @property {RTCIceServer[]} ice_servers
 * @property {number} upload_kbps
 * @property {boolean} locked
 * @property {number | null} ice_ttl  how long the TURN credentials in ice_servers last, seconds
 * @property {boolean} relay_only  the room asks for relayed connections only (privacy mode)
 */

/**
 * @typedef {object} Visitor  someone waiting at the front door, as a host's page sees them
 * @property {string} id
 * @property {string} name
 * @property {string} to
 * @property {string} address
 * @property {string | null} country
 * @property {string} agent
 * @property {number} since  Unix milliseconds
 * @property {boolean} expected
 */

/**
 * @typedef {object} AuditEntry
 * @property {number} at  Unix milliseconds
 * @property {string} event
 * @property {string} address
 * @property {string | null} country
 * @property {string} what
 */

/**
 * @typedef {object} Desk
 * @property {string} host
 * @property {boolean} super
 * @property {Visitor[]} visitors  newest first
 * @property {AuditEntry[]} audit  newest first
 */

/** Which states may follow which; anything else is a bug and throws, naming the step. */
const TRANSITIONS = /** @type {const} */ ({
  idle: ["connecting", "closed"],
  connecting: ["ready", "reconnecting", "closed"],
  // ready -> joined: a host's desk answered a visitor, and the server put the host in the call.
  ready: ["joining", "knocking", "joined", "reconnecting", "closed"],
  joining: ["joined", "ready", "reconnecting", "closed"],
  knocking: ["waiting", "ready", "reconnecting", "closed"],
  waiting: ["joined", "ready", "reconnecting", "closed"],
  joined: ["ready", "reconnecting", "closed"],
  reconnecting: ["connecting", "closed"],
  closed: [],
});

const KEEPALIVE_MS = 15_000;
const PONG_WAIT_MS = 10_000;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10_000;

// Tickets are the server's to make; the page only checks that one looks like one before keeping it.
const TICKET = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Refusals that pass on their own, so a page on its way back into a room keeps trying: the
 * socket dropped again, or this network held too many sockets for a moment (other tabs, or
 * sockets the server has not seen close yet).
 */
const TRANSIENT = new Set(["closed", "too-many-connections"]);

/** What answers each request that waits for an answer; an error about it answers it too. */
const ANSWERS = /** @type {Record<string, string>} */ ({ join: "joined", knock: "waiting", desk: "desk" });

/**
 * Where this tab keeps a room's ticket, so that a reload comes back into a locked room: under
 * the locator's SHA-256, so that the storage alone opens nothing.
 * @param {string} locator
 */
async function ticketSlot(locator) {
  const digest = await crypto.subtle.digest("SHA-256", unb64url(locator));
  return `parlour.ticket.${b64url(digest)}`;
}

export class SignalingError extends Error {
  /**
   * @param {string} code @param {string} message
   * @param {number | null} [retryAfter]  seconds until trying again can help, when the server said
   */
  constructor(code, message, retryAfter = null) {
    super(message);
    this.name = "SignalingError";
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/**
 * Why a welcome cannot be used, or null when it can: the page speaks one protocol version and
 * never stretches a passphrase with parameters weaker than the protocol's own.
 * @param {Welcome} welcome
 */
export function refuseWelcome(welcome) {
  if (welcome.protocol !== PROTOCOL_VERSION) {
    return t("welcome.protocol", { server: String(welcome.protocol), page: String(PROTOCOL_VERSION) });
  }
  return weakParameters(welcome.salt, welcome.iterations);
}

/**
 * @typedef {object} Environment  what the browser provides, replaceable in tests
 * @property {typeof WebSocket} WebSocket
 * @property {Pick<Storage, "getItem" | "setItem" | "removeItem"> | null} storage  where a tab keeps tickets
 */

/** @returns {Environment} */
function browserEnvironment() {
  let storage = null;
  try {
    storage = globalThis.sessionStorage ?? null;
  } catch {
    storage = null; // refused (a sandboxed frame, privacy settings): tickets live in memory only
  }
  return { WebSocket: globalThis.WebSocket, storage };
}

export class Signaling extends EventTarget {
  /**
   * @param {string} url  ws: or wss: address of the server's socket
   * @param {Environment} [environment]
   */
  constructor(url, environment = browserEnvironment()) {
    super();
    this.url = url;
    this.env = environment;
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
    /**
     * The room this page is in, kept across reconnects; null when not in one. A front-door call
     * has no locator: nothing can join it again.
     * @type {{locator: string | null, key: CryptoKey} | null}
     */
    this.room = null;
    /** What this visitor knocked with, once the server took it: to knock again after a reconnect. */
    /** @type {{name: string, to: string} | null} */
    this.knocked = null;
    /** The host page's secret while its desk is open, to open it again after a reconnect. */
    /** @type {{secret: string} | null} */
    this.desk = null;
    /** The front door's key, derived before a knock or a desk so that an answer finds it ready. */
    /** @type {CryptoKey | null} */
    this.doorKey = null;
    /** The key stretch for the passphrase about to be used, started as early as it is known. */
    /** @type {{passphrase: string, keys: Promise<import("./crypto.js").RoomKeys>} | null} */
    this.stretched = null;
    /** @type {{resolve: (v: any) => void, reject: (e: Error) => void, type: string} | null} */
    this.pending = null;
    this.attempt = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.pings = 0;
    this.lastHeard = 0;
    /** The room's lock as the server last told it (PROTOCOL.md "Locking a room"). */
    this.locked = false;
    /** The lock's ticket, for the room being entered or in; with where the tab keeps it. */
    /** @type {string | null} */
    this.ticket = null;
    /** @type {{locator: string, slot: string} | null} */
    this.ticketSlot = null;
    this.restoring = false;
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

  /**
   * Open the socket; resolves with the server's welcome. Rejects with a SignalingError:
   * "closed" when the socket closes first, "weak-welcome" when the welcome asks for less than
   * the protocol allows, or the server's code when it refuses the socket (too-many-connections).
   * @returns {Promise<Welcome>}
   */
  connect() {
    this.setState("connecting");
    const socket = new this.env.WebSocket(this.url);
    this.socket = socket;
    const welcomed = this.expect("welcome");
    socket.addEventListener("message", (event) => {
      if (socket !== this.socket) return;
      this.lastHeard = Date.now();
      this.receive(String(event.data));
    });
    socket.addEventListener("close", (event) => {
      if (socket === this.socket) this.dropped(event.code, event.reason);
    });
    return welcomed;
  }

  /**
   * Derive the room keys (the slow step) and join. Rejects with a SignalingError whose code is
   * the server's (no-such-room, room-full, locked-out, ...).
   * @param {string} passphrase
   * @returns {Promise<Joined>}
   */
  async join(passphrase) {
    if (this.state !== "ready") throw new Error(`signalling: cannot join while ${this.state}`);
    const keys = await this.stretch(passphrase);
    this.stretched = null; // from here on the room holds the keys; the passphrase goes
    return this.enter(keys.locator, keys.key);
  }

  /**
   * Start the key stretch (a slow step, seconds on a phone) before join() is called, for a
   * passphrase known early, as when a link carries it: Join then waits only for the server.
   * @param {string} passphrase
   */
  prepare(passphrase) {
    this.stretch(passphrase).catch(() => {}); // join() meets the same failure, and reports it
  }

  /**
   * The room keys for `passphrase` with this server's salt, stretched once however often asked.
   * Only a welcome that passed refuseWelcome() gets here.
   * @param {string} passphrase
   */
  stretch(passphrase) {
    const welcome = this.welcome;
    if (!welcome) throw new Error(`signalling: no salt before the welcome (${this.state})`);
    if (this.stretched?.passphrase !== passphrase) {
      const keys = deriveRoomKeys(passphrase, unb64url(welcome.salt), welcome.iterations);
      this.stretched = { passphrase, keys };
    }
    return this.stretched.keys;
  }

  /** @param {string} locator @param {CryptoKey} key @returns {Promise<Joined>} */
  async enter(locator, key) {
    if (this.ticketSlot?.locator !== locator) {
      const slot = await ticketSlot(locator);
      this.ticketSlot = { locator, slot };
      this.ticket = this.loadTicket(slot);
    }
    this.setState("joining");
    const joined = this.expect("joined");
    const ticket = this.ticket;
    this.transmit(ticket ? { type: "join", room: locator, ticket } : { type: "join", room: locator });
    try {
      /** @type {Joined} */
      const reply = await joined;
      this.room = { locator, key };
      this.id = reply.id;
      this.peers = new Set(reply.peers);
      this.locked = reply.locked;
      if (ticket && !this.locked) {
        // Nobody else here: the server lost the room (a restart), so put the lock back for
        // the others still on their way. Someone here: they unlocked it while this page was away.
        if (reply.peers.length === 0) this.restoring = this.transmit({ type: "lock", ticket });
        else this.setTicket(null);
      }
      this.admitted(reply, false);
      return reply;
    } catch (error) {
      if (error instanceof SignalingError && error.code === "room-locked") this.setTicket(null);
      if (this.state === "joining") this.setState("ready");
      throw error;
    }
  }

  /** In: say so. @param {Joined} reply @param {boolean} door */
  admitted(reply, door) {
    this.setState("joined");
    this.emit("joined", {
      id: reply.id,
      peers: reply.peers,
      iceServers: reply.ice_servers,
      uploadKbps: reply.upload_kbps,
      locked: this.locked,
      iceTtl: reply.ice_ttl,
      relayOnly: reply.relay_only,
      door,
    });
  }

  /**
   * A host answered: this page (the visitor, or the host's own page) is in a front-door call,
   * whose introductions are sealed with the door key. Nothing to rejoin later: no locator.
   * @param {Joined} reply
   */
  enterDoor(reply) {
    if (!this.doorKey) throw new Error("signalling: a front-door call before the door key");
    this.knocked = null;
    this.room = { locator: null, key: this.doorKey };
    this.id = reply.id;
    this.peers = new Set(reply.peers);
    this.locked = reply.locked;
    this.admitted(reply, true);
  }

  /**
   * Knock at the front door. Resolves once the server says this visitor waits, which it says
   * to everyone, whoever they named. What follows are events: `joined` (door: true) when a host
   * answers, `declined` when one declines; for a visitor nobody will see, nothing ever.
   * @param {string} name  as typed @param {string} to  whom, as typed; "" where nobody is asked for
   */
  async knock(name, to) {
    if (this.state !== "ready") throw new Error(`signalling: cannot knock while ${this.state}`);
    this.doorKey ??= await doorKey();
    await this.sendKnock({ name, to });
  }

  /** @param {{name: string, to: string}} knock */
  async sendKnock(knock) {
    this.setState("knocking");
    const waiting = this.expect("waiting");
    this.transmit({ type: "knock", name: knock.name, to: knock.to });
    try {
      await waiting;
    } catch (error) {
      if (this.state === "knocking") this.setState("ready");
      throw error;
    }
    this.knocked = knock;
    this.setState("waiting");
  }

  /** Stop waiting at the front door (the knock is cancelled); the socket stays for another. */
  cancel() {
    const was = this.state;
    this.knocked = null;
    if (was === "reconnecting" && !this.desk && !this.room) {
      this.close(); // nothing left to come back for
    } else if (was === "waiting" || was === "knocking") {
      this.transmit({ type: "leave" });
      this.fail("cancelled", "The knock was cancelled.");
      this.setState("ready");
    }
  }

  /**
   * Open a host's desk with the secret of the page's address. Resolves with the desk (who waits
   * now), which also comes as a `desk` event, as it does again after every reconnect. Rejects
   * with not-a-host, locked-out, or closed.
   * @param {string} secret
   * @returns {Promise<Desk>}
   */
  async openDesk(secret) {
    if (this.state !== "ready") throw new Error(`signalling: cannot open a desk while ${this.state}`);
    this.doorKey ??= await doorKey();
    return this.sendDesk(secret);
  }

  /** @param {string} secret @returns {Promise<Desk>} */
  async sendDesk(secret) {
    const opened = this.expect("desk");
    this.transmit({ type: "desk", secret });
    /** @type {Desk & {type: string}} */
    const { type, ...desk } = await opened;
    this.desk = { secret };
    this.emit("desk", desk);
    return desk;
  }

  /**
   * A host's answers to a visitor: call them into this host's call, decline them (they are told),
   * or dismiss them (taken off the list, told nothing). False when no desk is open or the socket
   * is down; the server's refusals come as server-error events (about: the message's type).
   * @param {"answer" | "decline" | "dismiss"} type @param {string} visitor  their id
   */
  respond(type, visitor) {
    if (!this.desk || this.state === "reconnecting" || this.state === "closed") return false;
    return this.transmit({ type, visitor });
  }

  /** @param {string} visitor */
  answer(visitor) {
    return this.respond("answer", visitor);
  }

  /** @param {string} visitor */
  decline(visitor) {
    return this.respond("decline", visitor);
  }

  /** @param {string} visitor */
  dismiss(visitor) {
    return this.respond("dismiss", visitor);
  }

  /**
   * Lock the room to newcomers, or unlock it. The answer comes as a room-state event, to every
   * member; false when not in a room (for example while reconnecting).
   * @param {boolean} locked
   */
  lock(locked) {
    if (this.state !== "joined") return false;
    return this.transmit({ type: locked ? "lock" : "unlock" });
  }

  /** A tab's storage may be refused: then the ticket lives in memory only. @param {string} slot */
  loadTicket(slot) {
    try {
      const ticket = this.env.storage?.getItem(slot);
      return ticket && TICKET.test(ticket) ? ticket : null;
    } catch {
      return null;
    }
  }

  /** @param {string | null} ticket */
  setTicket(ticket) {
    this.ticket = ticket;
    const slot = this.ticketSlot?.slot;
    if (!slot) return;
    try {
      if (ticket) this.env.storage?.setItem(slot, ticket);
      else this.env.storage?.removeItem(slot);
    } catch {
      // kept in memory only: a reload will not come back into a locked room
    }
  }

  /**
   * Send one sealed envelope to a member of the room. False when not in a room (for example
   * while reconnecting): what matters is resent once the room is back.
   * @param {string} to @param {number} seq @param {{iv: string, ct: string}} sealed
   */
  transmitSignal(to, seq, sealed) {
    if (this.state !== "joined") return false;
    return this.transmit({ type: "signal", to, seq, iv: sealed.iv, ct: sealed.ct });
  }

  /** Ask for fresh TURN credentials; they come as an ice-servers event. False when not in a room. */
  refresh() {
    if (this.state !== "joined") return false;
    return this.transmit({ type: "refresh" });
  }

  leave() {
    if (this.state !== "joined") return;
    this.transmit({ type: "leave" });
    this.setTicket(null); // leaving on purpose: coming back into a locked room is the others' call
    this.forgetRoom();
    this.setState("ready");
  }

  /** The end: close the socket and stop reconnecting. */
  close() {
    if (this.state === "closed") return;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
    this.finish(1000, "closed by the page");
  }

  forgetRoom() {
    this.stretched = null;
    this.room = null;
    this.id = null;
    this.peers = new Set();
    // Memory only: a page that closes keeps the ticket in the tab, for the reload.
    this.ticket = this.ticketSlot = null;
    this.locked = this.restoring = false;
  }

  /** @param {object} message */
  transmit(message) {
    const socket = this.socket;
    if (!socket || socket.readyState !== this.env.WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  /** @param {string} type @returns {Promise<any>} */
  expect(type) {
    return new Promise((resolve, reject) => {
      this.pending = { type, resolve, reject };
    });
  }

  /** @param {string} code @param {string} message @param {number} [retryAfter] */
  fail(code, message, retryAfter) {
    const pending = this.pending;
    this.pending = null;
    pending?.reject(new SignalingError(code, message, retryAfter ?? null));
  }

  /**
   * The socket closed without the page asking. In a room, or on the way back to one, try
   * again with backoff; before ever joining, give up and let the page say so.
   * @param {number} code @param {string} reason
   */
  dropped(code, reason) {
    clearTimeout(this.timer);
    this.socket = null;
    this.fail("closed", "The connection to the server closed.");
    if (this.room && this.room.locator === null) {
      // A front-door call is known to the server only through the sockets in it: no join brings
      // this page back into it. The media, peer to peer, goes on without the server.
      this.forgetRoom();
      this.emit("call-lost", {});
    }
    if (!this.room && !this.knocked && !this.desk) {
      this.finish(code, reason);
      return;
    }
    this.id = null;
    this.peers = new Set();
    this.setState("reconnecting");
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => this.reconnect(), delay * (0.8 + 0.4 * Math.random()));
  }

  async reconnect() {
    const { room, knocked, desk } = this;
    if (this.state !== "reconnecting" || (!room && !knocked && !desk)) return;
    let step = "connect";
    try {
      await this.connect();
      // A restarted server has forgotten desks and knocks alike: both are made again.
      if (desk) {
        step = "desk";
        await this.sendDesk(desk.secret);
      }
      if (room?.locator) {
        step = "join";
        await this.enter(room.locator, room.key);
      } else if (this.knocked) {
        step = "knock";
        await this.sendKnock(this.knocked);
      }
      this.attempt = 0;
    } catch (error) {
      if (error instanceof SignalingError && !TRANSIENT.has(error.code) && error.code !== "cancelled") {
        // Back on the server but refused (the room was removed, this address is locked out,
        // or the server now asks for weaker keys): retrying would not help. The page hears why.
        this.room = this.knocked = this.desk = null;
        const about = step === "connect" ? "join" : step;
        this.emit("server-error", { code: error.code, message: error.message, about, retryAfter: error.retryAfter });
        this.close();
      }
      // Transient: the socket dropped (or, refused, is being closed by the server), and
      // dropped() schedules the next try, with a longer backoff.
    }
  }

  /** @param {number} code @param {string} reason */
  finish(code, reason) {
    clearTimeout(this.timer);
    this.fail("closed", "The connection to the server closed.");
    this.forgetRoom();
    if (this.state !== "closed") this.setState("closed");
    this.emit("closed", { code, reason });
  }

  /** Browsers cannot see WebSocket pings, so ask the server now and then, and notice silence. */
  keepalive() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.state !== "joined" && this.state !== "ready" && this.state !== "waiting") return;
      const asked = Date.now();
      this.transmit({ type: "ping", id: ++this.pings });
      this.timer = setTimeout(() => {
        if (this.lastHeard < asked) this.socket?.close(4000, "no answer from the server");
        else this.keepalive();
      }, PONG_WAIT_MS);
    }, KEEPALIVE_MS);
  }

  /**
   * One frame from the server. Nothing in it is used before schema.js has checked every field:
   * a server that sends a list where a peer id belongs is told off, not obeyed.
   * @param {string} frame
   */
  receive(frame) {
    /** @type {any} */
    let message;
    try {
      message = JSON.parse(frame);
    } catch {
      message = null;
    }
    const verdict = classify(SERVER, "type", message);
    if (verdict === "unknown") return; // a newer server's message: nothing to do with it
    if (verdict === "malformed") {
      this.emit("malformed", { type: typeof message?.type === "string" ? message.type.slice(0, 32) : null });
      return;
    }
    const pending = this.pending;
    switch (message.type) {
      case "welcome": {
        if (this.state !== "connecting") return; // one welcome per socket, at its start
        const refusal = refuseWelcome(message);
        if (refusal) {
          // Before any passphrase is stretched: nothing derived from it ever meets these values.
          this.fail("weak-welcome", refusal);
          this.close();
          return;
        }
        this.welcome = message;
        this.setState("ready");
        this.keepalive();
        this.settle("welcome", message);
        return;
      }
      case "joined":
        if (pending?.type === "joined") this.settle("joined", message);
        else if (this.state === "waiting" || (this.state === "ready" && this.desk)) this.enterDoor(message);
        return;
      case "waiting":
        this.settle("waiting", message);
        return;
      case "declined":
        if (this.state !== "waiting") return;
        this.knocked = null;
        this.setState("ready");
        this.emit("declined", {});
        return;
      case "desk":
        this.settle("desk", message);
        return;
      case "visitor":
        if (this.desk) this.emit("visitor", { visitor: message.visitor });
        return;
      case "visitor-gone":
        if (this.desk) this.emit("visitor-gone", { visitor: message.visitor, reason: message.reason });
        return;
      case "audit":
        if (this.desk) this.emit("audit", { entry: message.entry });
        return;
      case "ice-servers":
        if (this.state !== "joined") return;
        this.emit("ice-servers", { iceServers: message.ice_servers, iceTtl: message.ice_ttl });
        return;
      case "peer-joined":
        if (this.state !== "joined" || message.peer === this.id) return;
        this.peers.add(message.peer);
        this.emit("peer-joined", { peer: message.peer });
        return;
      case "peer-left":
        if (!this.peers.delete(message.peer)) return;
        this.emit("peer-left", { peer: message.peer });
        return;
      case "room-state": {
        if (this.state !== "joined") return;
        const restored = this.restoring;
        this.restoring = false;
        this.locked = message.locked;
        this.setTicket(this.locked ? message.ticket : null);
        // `by` is the server's claim alone: who locked a room is told by that member, sealed.
        this.emit("room-state", { locked: this.locked, restored });
        return;
      }
      case "signal":
        if (this.state !== "joined") return;
        this.emit("envelope", { from: message.from, seq: message.seq, iv: message.iv, ct: message.ct });
        return;
      case "error":
        // Before the welcome, an error refuses the socket itself (too-many-connections).
        if (pending && (pending.type === "welcome" || ANSWERS[message.about] === pending.type)) {
          this.fail(message.code, message.message, message.retry_after);
        } else if (message.about === "lock" && this.restoring) {
          // The server did not take back the lock this page held (not its ticket, or too old):
          // the room stays open, and the ticket is worth nothing any more.
          this.restoring = false;
          this.setTicket(null);
          this.emit("server-error", { code: message.code, message: message.message, about: message.about });
        } else {
          this.emit("server-error", { code: message.code, message: message.message, about: message.about });
        }
        return;
      default:
        return; // left and pong need nothing more than the keepalive saw
    }
  }

  /** @param {string} type @param {unknown} value */
  settle(type, value) {
    if (this.pending?.type !== type) return;
    const { resolve } = this.pending;
    this.pending = null;
    resolve(value);
  }
}
