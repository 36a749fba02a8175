// @ts-check
/**
 * The call: everyone else in the room, each with a PeerLink, kept together across signalling
 * reconnects. No DOM; the page renders what this reports.
 *
 * People are known by a session id they choose per page load and send sealed in `hello`,
 * not by the peer id the server hands out: when the server restarts, peer ids change but the
 * sessions, and the media connections between them, carry on.
 *
 * Events (CustomEvent):
 *   participant-added | participant-updated | participant-removed  {participant}
 *   levels      {}        speaking levels were refreshed (about 5 times a second)
 *   chat        {participant, text}
 *   signaling   {state: "connected" | "reconnecting" | "closed"}
 *   warning     {message}
 */

import { b64url } from "./crypto.js";
import { PeerLink, videoShare } from "./mesh.js";

/** @typedef {import("./media.js").LocalMedia} LocalMedia */
/** @typedef {import("./signaling.js").Signaling} Signaling */
/** @typedef {import("./signaling.js").SealedMessage} SealedMessage */
/** @typedef {import("./mesh.js").Quality} Quality */

/**
 * @typedef {object} Participant
 * @property {string} id      their session id
 * @property {string} name
 * @property {MediaStream} stream
 * @property {boolean} audio  microphone on
 * @property {boolean} video  camera on
 * @property {"connecting" | "connected" | "reconnecting" | "failed"} connection
 * @property {number} level   0..1
 * @property {Quality | null} quality
 * @property {string | null} safetyCode
 */

/** How long someone whose signalling vanished keeps their tile while media still flows. */
const DETACHED_GRACE_MS = 20_000;
const STATS_MS = 2_000;
const LEVELS_MS = 200;

const REJECTED = /** @type {Record<string, string>} */ ({
  unopenable: "A message that could not be opened was ignored. Someone may be tampering with the connection.",
  replay: "A message that arrived twice was ignored. Someone may be replaying old messages.",
  malformed: "A message that made no sense was ignored.",
});

export class Call extends EventTarget {
  /**
   * @param {object} options
   * @param {Signaling} options.signaling  already joined
   * @param {LocalMedia} options.media
   * @param {string} options.name
   * @param {number} options.uploadKbps
   * @param {RTCIceServer[]} options.iceServers
   */
  constructor({ signaling, media, name, uploadKbps, iceServers }) {
    super();
    this.signaling = signaling;
    this.media = media;
    this.name = name;
    this.uploadKbps = uploadKbps;
    this.iceServers = iceServers;
    this.session = b64url(crypto.getRandomValues(new Uint8Array(16)));
    /** @type {Map<string, Participant>} */
    this.participants = new Map();
    /** @type {Map<string, PeerLink>} */
    this.links = new Map();
    /** @type {Map<string, string>} peer id -> session id */
    this.sessions = new Map();
    /** @type {Map<string, ReturnType<typeof setTimeout>>} */
    this.detached = new Map();
    /** @type {ReturnType<typeof setInterval>[]} */
    this.timers = [];
    this.abort = new AbortController();
    /** What the others were last told about this person's microphone and camera. */
    this.sentState = this.ownState();
  }

  /** Greet everyone already in the room; from then on, follow the room. */
  start() {
    const options = { signal: this.abort.signal };
    const s = this.signaling;
    s.addEventListener("message", (event) => this.onMessage(/** @type {CustomEvent} */ (event).detail), options);
    s.addEventListener("peer-left", (event) => this.onPeerLeft(/** @type {CustomEvent} */ (event).detail.peer), options);
    s.addEventListener("joined", (event) => this.onRejoined(/** @type {CustomEvent} */ (event).detail), options);
    s.addEventListener("state", () => this.onSignalingState(), options);
    s.addEventListener(
      "rejected",
      (event) => this.emit("warning", { message: REJECTED[/** @type {CustomEvent} */ (event).detail.reason] }),
      options,
    );
    this.media.addEventListener("tracks", (event) => this.onTracks(/** @type {CustomEvent} */ (event).detail), options);
    this.media.addEventListener("change", () => this.onMediaChange(), options);
    for (const peer of s.peers) void this.hello(peer, false);
    this.timers.push(setInterval(() => void this.sampleQuality(), STATS_MS));
    this.timers.push(setInterval(() => this.sampleLevels(), LEVELS_MS));
  }

  /** @param {string} type @param {object} detail */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  ownState() {
    return { audio: this.media.hasMic && !this.media.micMuted, video: this.media.cameraOn };
  }

  /** @param {string} peer @param {boolean} reply */
  hello(peer, reply) {
    return this.signaling.send(peer, { kind: "hello", name: this.name, session: this.session, ...this.ownState(), reply });
  }

  /** @param {{from: string, message: SealedMessage}} detail */
  onMessage({ from, message }) {
    if (message.kind === "hello") {
      this.onHello(from, message);
      return;
    }
    const session = this.sessions.get(from);
    const participant = session ? this.participants.get(session) : undefined;
    if (!session || !participant) return; // nothing before hello: we do not know who it is
    switch (message.kind) {
      case "state":
        participant.audio = message.audio;
        participant.video = message.video;
        this.updated(participant);
        return;
      case "sdp":
      case "ice":
        void this.links.get(session)?.receive(message);
        return;
      case "bye":
        this.remove(session);
        return;
      case "chat":
        this.emit("chat", { participant, text: message.text });
        return;
    }
  }

  /**
   * A newcomer greets with reply=false; whoever was there answers with reply=true and makes
   * the first offer (PROTOCOL.md, "Starting a call"). A known session is someone whose
   * signalling reconnected: the media connection stays, only the peer id changes.
   * @param {string} from
   * @param {{name: string, session: string, audio: boolean, video: boolean, reply: boolean}} hello
   */
  onHello(from, hello) {
    if (hello.session === this.session) return;
    this.sessions.set(from, hello.session);
    clearTimeout(this.detached.get(hello.session));
    this.detached.delete(hello.session);
    let participant = this.participants.get(hello.session);
    if (!hello.reply) void this.hello(from, true);
    if (participant) {
      Object.assign(participant, { name: hello.name, audio: hello.audio, video: hello.video });
      this.links.get(hello.session)?.rebind(from);
      this.updated(participant);
      return;
    }
    const link = new PeerLink({
      peer: from,
      polite: this.session > hello.session,
      iceServers: this.iceServers,
      media: this.media,
      send: (peer, message) => this.signaling.send(peer, message),
    });
    participant = {
      id: hello.session,
      name: hello.name,
      stream: link.remote,
      audio: hello.audio,
      video: hello.video,
      connection: "connecting",
      level: 0,
      quality: null,
      safetyCode: null,
    };
    this.participants.set(hello.session, participant);
    this.links.set(hello.session, link);
    this.follow(hello.session, link, participant);
    if (!hello.reply) link.offer();
    this.rebudget();
    this.emit("participant-added", { participant });
  }

  /** @param {string} session @param {PeerLink} link @param {Participant} participant */
  follow(session, link, participant) {
    link.addEventListener("media", () => this.updated(participant));
    link.addEventListener("ended", () => this.remove(session));
    link.addEventListener("state", () => {
      const state = link.pc.connectionState;
      participant.connection =
        state === "connected"
          ? "connected"
          : state === "failed"
            ? "failed"
            : state === "disconnected"
              ? "reconnecting"
              : participant.connection === "connected"
                ? "reconnecting"
                : "connecting";
      participant.safetyCode = link.safetyCode;
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

  /** @param {string} peer */
  onPeerLeft(peer) {
    const session = this.sessions.get(peer);
    this.sessions.delete(peer);
    const link = session ? this.links.get(session) : undefined;
    if (!session || !link || link.peer !== peer) return;
    if (link.pc.connectionState !== "connected") {
      this.remove(session);
      return;
    }
    // Their signalling went away but the media still flows: maybe only their socket dropped.
    this.detached.set(
      session,
      setTimeout(() => this.remove(session), DETACHED_GRACE_MS),
    );
  }

  /**
   * Back in the room after a reconnect, with a new peer id: greet everyone as a newcomer.
   * Everyone's old peer ids are void; each hello that comes back rebinds its session.
   * @param {{peers: string[], iceServers: RTCIceServer[], uploadKbps: number}} detail
   */
  onRejoined({ peers, iceServers, uploadKbps }) {
    this.iceServers = iceServers;
    this.uploadKbps = uploadKbps;
    this.sessions.clear();
    for (const peer of peers) void this.hello(peer, false);
  }

  onSignalingState() {
    const state = this.signaling.state;
    if (state === "joined") this.emit("signaling", { state: "connected" });
    else if (state === "reconnecting") this.emit("signaling", { state: "reconnecting" });
    else if (state === "closed") this.emit("signaling", { state: "closed" });
  }

  /** @param {{kind: "audio" | "video", track: MediaStreamTrack | null}} detail */
  onTracks({ kind, track }) {
    for (const link of this.links.values()) void link.replaceTrack(kind, track);
  }

  onMediaChange() {
    const state = this.ownState();
    if (state.audio === this.sentState.audio && state.video === this.sentState.video) return;
    this.sentState = state;
    void this.signaling.broadcast({ kind: "state", ...state });
  }

  /** @param {string} session */
  remove(session) {
    const participant = this.participants.get(session);
    if (!participant) return;
    clearTimeout(this.detached.get(session));
    this.detached.delete(session);
    this.links.get(session)?.close();
    this.links.delete(session);
    this.participants.delete(session);
    for (const [peer, known] of this.sessions) if (known === session) this.sessions.delete(peer);
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

  /** The display name of whoever has this peer id now, if they have said hello. @param {string} peer */
  nameOf(peer) {
    return this.participants.get(this.sessions.get(peer) ?? "")?.name ?? null;
  }

  /** This person's own speaking level, 0..1. */
  selfLevel() {
    return this.media.level();
  }

  /** @param {string} text */
  sendChat(text) {
    return this.signaling.broadcast({ kind: "chat", text });
  }

  /** Say goodbye to everyone, close every connection, leave the room. */
  async leave() {
    await this.signaling.broadcast({ kind: "bye" });
    this.stop();
    this.signaling.leave();
  }

  /** Stop without a goodbye (the page is going away). */
  stop() {
    this.abort.abort();
    for (const timer of this.timers) clearInterval(timer);
    for (const session of [...this.participants.keys()]) this.remove(session);
  }
}
