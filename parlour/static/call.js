// @ts-check
/**
 * The call: everyone else in the room, each with a PeerLink, kept together across signalling
 * reconnects. No DOM; the page renders what this reports.
 *
 * People are known by the session id their page chose, with whom pairing.js agreed a key; not
 * by the peer id the server hands out: when the server restarts, peer ids change but the
 * sessions, and the media connections between them, carry on.
 *
 * What the server says (someone left) never ends a connection that still carries media: only
 * the person's own sealed goodbye, or the media connection itself closing or failing, does.
 *
 * The call itself understands only the sealed kinds that make a call: hello, state, sdp, ice,
 * screen (which of a connection's transceivers carries a shared screen) and bye. Every other kind (chat, the lock, and later files or a shared screen) belongs to a
 * feature module that registers a handler for it with handle(), so a feature comes without
 * editing this file. schema.js still says which kinds exist and what is in them.
 *
 * Events (CustomEvent):
 *   participant-added | participant-updated | participant-removed  {participant}
 *   channel     {participant, channel}  the connection to them has its files channel (mesh.js)
 *   levels      {}        speaking levels were refreshed (about 5 times a second)
 *   signaling   {state: "connected" | "reconnecting" | "closed"}
 *   warning     {message}
 */

import { t } from "./i18n.js";
import { PeerLink, videoShare } from "./mesh.js";
import { PAIR } from "./schema.js";

/** @typedef {import("./media.js").LocalMedia} LocalMedia */
/** @typedef {import("./i18n.js").Key} Key */
/** @typedef {import("./signaling.js").Signaling} Signaling */
/** @typedef {import("./pairing.js").Pairing} Pairing */
/** @typedef {import("./mesh.js").Quality} Quality */

/**
 * @typedef {object} Participant
 * @property {string} id      their session id
 * @property {string} name
 * @property {MediaStream} stream
 * @property {boolean} audio  microphone on
 * @property {boolean} video  camera on
 * @property {MediaStream | null} screen  the screen they share, while its frames come
 * @property {"connecting" | "connected" | "reconnecting" | "failed" | "unreachable"} connection
 *   unreachable: not connected within the bound; retries go on in the background
 * @property {number} level   0..1
 * @property {Quality | null} quality
 * @property {string} safetyCode
 */

/**
 * What a feature does with a sealed message of its kind, from someone who has said hello.
 * The message has passed schema.js: exactly the fields PROTOCOL.md lists for that kind.
 * @typedef {(participant: Participant, message: any) => void} Handler
 */

/** The kinds the call handles itself; no feature may take them over. */
const CORE = new Set(["hello", "state", "sdp", "ice", "screen", "bye"]);

const STATS_MS = 2_000;
const LEVELS_MS = 200;

/** What a person reads when a message is refused, by the reason. @type {Record<string, Key>} */
const REJECTED = {
  unopenable: "warning.unopenable",
  replay: "warning.replay",
  malformed: "warning.malformed",
  mismatch: "warning.mismatch",
  server: "warning.server",
  certificate: "warning.certificate",
};

export class Call extends EventTarget {
  /**
   * @param {object} options
   * @param {Signaling} options.signaling  already joined
   * @param {Pairing} options.pairing  this page's session and keys, on that signalling
   * @param {RTCCertificate} options.certificate  the DTLS certificate the pairing announces
   * @param {LocalMedia} options.media
   * @param {string} options.name
   * @param {number} options.uploadKbps
   * @param {RTCIceServer[]} options.iceServers
   * @param {number | null} [options.iceTtl]  how long their TURN credentials last, seconds
   * @param {boolean} [options.relayOnly]  relayed connections only: nobody learns anybody's address
   */
  constructor({ signaling, pairing, certificate, media, name, uploadKbps, iceServers, iceTtl = null, relayOnly = false }) {
    super();
    this.signaling = signaling;
    this.pairing = pairing;
    this.certificate = certificate;
    this.media = media;
    this.name = name;
    this.uploadKbps = uploadKbps;
    this.iceServers = iceServers;
    this.relayOnly = relayOnly;
    this.iceTtl = iceTtl;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.refreshTimer = undefined;
    this.session = pairing.session;
    /** @type {Map<string, Participant>} */
    this.participants = new Map();
    /** @type {Map<string, PeerLink>} */
    this.links = new Map();
    /** Sessions whose signalling the server says is gone while their media still flows. */
    /** @type {Set<string>} */
    this.detached = new Set();
    /** @type {ReturnType<typeof setInterval>[]} */
    this.timers = [];
    this.abort = new AbortController();
    /** What the others were last told about this person's microphone and camera. */
    this.sentState = this.ownState();
    /** @type {Map<string, Handler>} each feature's kinds */
    this.handlers = new Map();
  }

  /**
   * Let a feature handle one sealed kind. The kind must be one schema.js knows (so its fields
   * are checked before the handler sees it), not one of the call's own, and not taken.
   * @param {string} kind @param {Handler} handler
   */
  handle(kind, handler) {
    if (!Object.hasOwn(PAIR, kind)) throw new Error(`call: ${kind} is not a sealed kind schema.js knows`);
    if (CORE.has(kind)) throw new Error(`call: ${kind} is the call's own`);
    if (this.handlers.has(kind)) throw new Error(`call: ${kind} is handled already`);
    this.handlers.set(kind, handler);
  }

  /**
   * Seal a message for everyone in the call, each under the key shared with them.
   * @param {import("./mesh.js").SealedMessage} message  a kind from schema.js PAIR
   */
  broadcast(message) {
    return this.pairing.broadcast(message);
  }

  /** Introduce this page to everyone already in the room; from then on, follow the room. */
  start() {
    const options = { signal: this.abort.signal };
    const s = this.signaling;
    const p = this.pairing;
    /** @param {(detail: any) => void} handler @returns {(event: Event) => void} */
    const on = (handler) => (event) => handler(/** @type {CustomEvent} */ (event).detail);
    p.addEventListener("paired", on((d) => this.onPaired(d)), options);
    p.addEventListener("resumed", on((d) => void this.hello(d.session, false, d.peer)), options);
    p.addEventListener("message", on((d) => this.onMessage(d)), options);
    p.addEventListener("rejected", on((d) => this.warn(d.reason)), options);
    s.addEventListener("malformed", () => this.warn("server"), options);
    s.addEventListener("peer-left", on((d) => this.onPeerLeft(d.peer)), options);
    s.addEventListener("joined", on((d) => this.onRejoined(d)), options);
    s.addEventListener("ice-servers", on((d) => this.takeIceServers(d.iceServers, d.iceTtl, true)), options);
    s.addEventListener("state", () => this.onSignalingState(), options);
    this.media.addEventListener("tracks", on((d) => this.onTracks(d)), options);
    this.media.addEventListener("change", () => this.onMediaChange(), options);
    for (const peer of s.peers) void p.introduce(peer);
    this.scheduleRefresh(this.iceTtl);
    this.timers.push(setInterval(() => void this.sampleQuality(), STATS_MS));
    this.timers.push(setInterval(() => this.sampleLevels(), LEVELS_MS));
  }

  /** @param {string} type @param {object} detail */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** @param {string} reason */
  warn(reason) {
    this.emit("warning", { message: t(REJECTED[reason] ?? REJECTED.malformed) });
  }

  ownState() {
    return { audio: this.media.hasMic && !this.media.micMuted, video: this.media.cameraOn };
  }

  /** @param {string} session @param {boolean} reply @param {string} [peer] */
  hello(session, reply, peer) {
    return this.pairing.send(session, { kind: "hello", name: this.name, ...this.ownState(), reply }, peer);
  }

  /**
   * A key was agreed. Someone met before under this session lost theirs (their page gave up on
   * this one): the old connection goes, and the call starts afresh. The side that introduced
   * itself greets first; the other side answers and makes the offer.
   * @param {{session: string, role: "committer" | "responder"}} detail
   */
  onPaired({ session, role }) {
    if (this.participants.has(session)) this.remove(session, false);
    if (role === "committer") void this.hello(session, false);
  }

  /** @param {{session: string, message: any}} detail */
  onMessage({ session, message }) {
    if (message.kind === "hello") {
      this.onHello(session, message);
      return;
    }
    const participant = this.participants.get(session);
    if (!participant) return; // nothing before hello: we do not know who it is
    switch (message.kind) {
      case "state":
        participant.audio = message.audio;
        participant.video = message.video;
        this.updated(participant);
        return;
      case "sdp":
      case "ice":
      case "screen": // names a transceiver: in order with the descriptions that made it
        void this.links.get(session)?.receive(message);
        return;
      case "bye":
        this.remove(session);
        return;
      default:
        // A kind no feature of this page handles is ignored, like one schema.js does not know.
        this.handlers.get(message.kind)?.(participant, message);
    }
  }

  /**
   * The first hello (reply false) comes from whoever introduced themselves; the other side
   * answers (reply true) and makes the first offer (PROTOCOL.md, "Starting a call"). A known
   * session is someone whose signalling reconnected: the media connection stays.
   * @param {string} session
   * @param {{name: string, audio: boolean, video: boolean, reply: boolean}} hello
   */
  onHello(session, hello) {
    const pair = this.pairing.pairs.get(session);
    if (!pair) return;
    this.detached.delete(session);
    if (!hello.reply) void this.hello(session, true);
    let participant = this.participants.get(session);
    if (participant) {
      Object.assign(participant, { name: hello.name, audio: hello.audio, video: hello.video });
      this.links.get(session)?.resume();
      this.updated(participant);
      return;
    }
    const link = new PeerLink({
      polite: this.session > session,
      iceServers: this.iceServers,
      relayOnly: this.relayOnly,
      certificate: this.certificate,
      remoteFingerprints: pair.fingerprints,
      media: this.media,
      send: (message) => this.pairing.send(session, message),
    });
    participant = {
      id: session,
      name: hello.name,
      stream: link.remote,
      audio: hello.audio,
      video: hello.video,
      screen: null,
      connection: "connecting",
      level: 0,
      quality: null,
      safetyCode: pair.safetyCode,
    };
    this.participants.set(session, participant);
    this.links.set(session, link);
    this.follow(session, link, participant);
    // A screen shared already goes to the newcomer too, in the first offer or right after it.
    void link.setScreen(this.media.track("screen"), this.media.screenSound);
    if (!hello.reply) link.offer();
    this.rebudget();
    this.emit("participant-added", { participant });
  }

  /** @param {string} session @param {PeerLink} link @param {Participant} participant */
  follow(session, link, participant) {
    link.addEventListener("media", () => {
      participant.screen = link.screen.getVideoTracks().length ? link.screen : null;
      this.updated(participant);
    });
    link.addEventListener("ended", () => this.remove(session));
    link.addEventListener("channel", () => this.emit("channel", { participant, channel: link.fileChannel }));
    link.addEventListener("refused", () => this.warn("certificate"));
    link.addEventListener("state", () => {
      const state = link.pc.connectionState;
      participant.connection =
        state === "connected"
          ? "connected"
          : link.unreachable
            ? "unreachable"
            : state === "failed"
            ? "failed"
            : state === "disconnected"
              ? "reconnecting"
              : participant.connection === "connected"
                ? "reconnecting"
                : "connecting";
      if (state === "failed" && this.detached.has(session)) this.remove(session);
      this.updated(participant);
    });
  }

  /**
   * A closing link still reports its last state changes: only people still here are news.
   * @param {Participant} participant
   */
  updated(participant) {
    if (this.participants.get(participant.id) !== participant) return;
    this.emit("participant-updated", { participant });
  }

  /**
   * The server says someone's signalling went away. That is only the server's word: while the
   * media connection to them still works, they stay (their socket may merely have dropped),
   * until they say goodbye themselves or the media connection closes or fails.
   * @param {string} peer
   */
  onPeerLeft(peer) {
    const session = this.pairing.sessionOf(peer);
    const link = session ? this.links.get(session) : undefined;
    if (!session) return;
    if (!link || link.pc.connectionState !== "connected") {
      this.remove(session);
      return;
    }
    this.detached.add(session);
  }

  /**
   * Back in the room after a reconnect, with a new peer id: introduce this page to everyone
   * listed; those who still share a key with it answer under that key.
   * @param {{peers: string[], iceServers: RTCIceServer[], uploadKbps: number, iceTtl: number | null}} detail
   */
  onRejoined({ peers, iceServers, uploadKbps, iceTtl }) {
    this.takeIceServers(iceServers, iceTtl, false);
    this.uploadKbps = uploadKbps;
    for (const peer of peers) void this.pairing.introduce(peer);
  }

  /**
   * The ICE servers to use from now on. TURN credentials are made per join and expire: the
   * connections that exist take the new ones, a relayed one restarts ICE with them (a relay
   * ends an allocation whose credentials expired), and fresh ones are asked for when three
   * quarters of their life has passed.
   * @param {RTCIceServer[]} iceServers @param {number | null} iceTtl @param {boolean} restartRelayed
   */
  takeIceServers(iceServers, iceTtl, restartRelayed) {
    this.iceServers = iceServers;
    for (const link of this.links.values()) {
      link.useIceServers(iceServers);
      if (restartRelayed && link.relayed()) link.pc.restartIce();
    }
    this.scheduleRefresh(iceTtl);
  }

  /** @param {number | null} iceTtl */
  scheduleRefresh(iceTtl) {
    clearTimeout(this.refreshTimer);
    if (!iceTtl) return;
    this.refreshTimer = setTimeout(() => this.signaling.refresh(), iceTtl * 750);
  }

  onSignalingState() {
    const state = this.signaling.state;
    if (state === "joined") this.emit("signaling", { state: "connected" });
    else if (state === "reconnecting") this.emit("signaling", { state: "reconnecting" });
    else if (state === "closed") this.emit("signaling", { state: "closed" });
  }

  /** @param {{role: import("./roles.js").Role, track: MediaStreamTrack | null}} detail */
  onTracks({ role, track }) {
    for (const link of this.links.values()) {
      void (role === "screen" ? link.setScreen(track, this.media.screenSound) : link.replaceTrack(role, track));
    }
  }

  onMediaChange() {
    const state = this.ownState();
    if (state.audio === this.sentState.audio && state.video === this.sentState.video) return;
    this.sentState = state;
    void this.pairing.broadcast({ kind: "state", ...state });
  }

  /**
   * @param {string} session
   * @param {boolean} [forgetKey]  false when a fresh key with them has just been agreed
   */
  remove(session, forgetKey = true) {
    const participant = this.participants.get(session);
    if (forgetKey) this.pairing.forget(session);
    if (!participant) return;
    this.detached.delete(session);
    this.links.get(session)?.close();
    this.links.delete(session);
    this.participants.delete(session);
    this.rebudget();
    this.emit("participant-removed", { participant });
  }

  /** More people, smaller shares: every sender stays within its upload budget. */
  rebudget() {
    const share = videoShare(this.uploadKbps, this.links.size);
    for (const link of this.links.values()) void link.setBudget(share);
  }

  async sampleQuality() {
    for (const [session, link] of this.links) {
      const quality = await link.quality();
      // Sampling waits on the browser: someone may have left meanwhile, and stays gone.
      const participant = this.participants.get(session);
      if (!participant || this.links.get(session) !== link) continue;
      participant.quality = quality;
      this.updated(participant);
    }
  }

  sampleLevels() {
    for (const [session, link] of this.links) {
      const participant = this.participants.get(session);
      if (participant) participant.level = participant.audio ? link.level() : 0;
    }
    this.emit("levels", {});
  }

  /** This person's own speaking level, 0..1. */
  selfLevel() {
    return this.media.level();
  }

  /** Say goodbye to everyone, close every connection, leave the room. */
  async leave() {
    await this.pairing.broadcast({ kind: "bye" });
    this.stop();
    this.signaling.leave();
  }

  /** Stop without a goodbye (the page is going away). */
  stop() {
    this.abort.abort();
    this.pairing.stop();
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.refreshTimer);
    for (const session of [...this.participants.keys()]) this.remove(session);
  }
}
