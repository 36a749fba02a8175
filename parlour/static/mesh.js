// @ts-check
/**
 * One RTCPeerConnection to one other person, negotiated with the "perfect negotiation"
 * pattern: either side may renegotiate at any time, and when both offer at once the polite
 * side yields. No DOM.
 *
 * Each transceiver has a role (roles.js): the offering side adds the call's roles in a fixed
 * order, the answering side gives the offered transceivers theirs, and from then on a track is
 * sent and shown by what it is for, not by its kind. A shared screen is one more video
 * transceiver (and one more audio transceiver for its sound, when the browser gives some),
 * added by whoever shares, sending only; which ones they are the sharer says in a sealed
 * `screen` message naming their mids, never left to order or guesswork.
 *
 * Files travel on one data channel per connection, labelled FILES_CHANNEL, which the side that
 * makes the first offer opens, so that it rides in that offer and costs no negotiation of its
 * own; files.js speaks on it.
 *
 * Events: media ({role}: what is shown of that role changed; role "screen": the other side's
 * shared screen, in `screen`, came or went), channel (fileChannel is there), state (connection changed),
 * ended (the other side closed its connection for good), refused (a session description named
 * a certificate other than the one announced when the pair's key was agreed).
 */

import { sdpFingerprints } from "./crypto.js";
import { t } from "./i18n.js";
import { CALL_ROLES, KIND, offeredRole } from "./roles.js";

/** @typedef {import("./media.js").LocalMedia} LocalMedia */
/** @typedef {import("./roles.js").Role} Role */
/** @typedef {{kind: string, [field: string]: any}} SealedMessage */

/**
 * @typedef {object} Quality
 * @property {number} rttMs
 * @property {number} lossPct
 * @property {number} recvKbps
 * @property {number} sendKbps
 * @property {string} route  in words: "Direct", "Direct, via STUN", "Relayed over UDP" …
 * @property {string} video  the size of the video arriving ("640×360"), "" when none
 * @property {"good" | "fair" | "poor"} grade
 */

const DISCONNECTED_GRACE_MS = 3_000;
/** The label of the data channel for files (PROTOCOL.md, "Files between browsers"). */
export const FILES_CHANNEL = "files";
/** How long a connection may take to come up before the person is told it could not. */
export const CONNECT_BOUND_MS = 15_000;
/** ICE restarts while a connection is down: after 2 s, then twice as long each time, up to a minute. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 60_000;
const AUDIO_KBPS = 40;
/**
 * While this page shares its screen, the screen takes this part of each connection's video
 * budget and the camera the rest: text on a screen smears long before a face does.
 */
export const SCREEN_PART = 0.6;
/** A screen changes little and needs sharp detail more than motion (PROTOCOL.md, step 8). */
export const SCREEN_FPS = 15;

/**
 * The video send settings for a share of the upload budget: resolution and frame rate step
 * down with the bitrate so that a small share still looks sharp rather than smeared.
 * @param {number} kbps
 */
export function videoEncoding(kbps) {
  const scale = kbps >= 1200 ? 1 : kbps >= 600 ? 1.5 : kbps >= 300 ? 2 : 3;
  return { maxBitrate: kbps * 1000, scaleResolutionDownBy: scale, maxFramerate: kbps >= 300 ? 30 : 15 };
}

/**
 * The send settings of a shared screen: full resolution always (text must stay readable), and
 * fewer frames a second instead when the share is small.
 * @param {number} kbps
 */
export function screenEncoding(kbps) {
  return { maxBitrate: kbps * 1000, scaleResolutionDownBy: 1, maxFramerate: kbps >= 300 ? SCREEN_FPS : 5 };
}

/**
 * One connection's video budget divided between camera and screen.
 * @param {number} kbps @param {boolean} sharing  this page sends a screen on that connection
 */
export function divideVideo(kbps, sharing) {
  const screen = sharing ? Math.round(kbps * SCREEN_PART) : 0;
  return { camera: kbps - screen, screen };
}

/**
 * Each person's upload budget shared among the people they send to.
 * @param {number} uploadKbps @param {number} others
 */
export function videoShare(uploadKbps, others) {
  if (others < 1) return 0;
  return Math.round(Math.max(100, Math.min(2500, (uploadKbps - AUDIO_KBPS * others) / others)));
}

/**
 * Speaking level on one scale for everyone: WebRTC's audioLevel and the local analyser's RMS
 * are both linear amplitude, lifted so that ordinary speech reads around 0.3 to 0.8.
 * @param {number} amplitude
 */
export function scaleLevel(amplitude) {
  return Math.min(1, amplitude * 3);
}

/**
 * The page's DTLS certificate, made once and used for every connection, so that its
 * fingerprints can be announced (and committed to) before any connection exists.
 * @returns {Promise<{certificate: RTCCertificate, fingerprints: string[]}>}
 */
export async function pageCertificate() {
  const certificate = await RTCPeerConnection.generateCertificate(/** @type {any} */ ({ name: "ECDSA", namedCurve: "P-256" }));
  const fingerprints = certificate.getFingerprints().map((f) => `${(f.algorithm ?? "").toLowerCase()} ${(f.value ?? "").toUpperCase()}`);
  return { certificate, fingerprints };
}

/**
 * The path a connection took, in words, from its selected candidate pair: straight between the
 * two devices, straight between the addresses STUN found (behind routers), or through a TURN
 * relay and over what (a relay over TCP or TLS is what gets through networks that block UDP).
 * @param {any} local  the local candidate's stats @param {any} remote  the remote one's
 * @param {boolean} [forPrivacy]  the room asks for relays only, so that nobody learns an address
 */
export function routeOf(local, remote, forPrivacy = false) {
  const over = String(local?.relayProtocol ?? "udp").toUpperCase();
  if (local?.candidateType === "relay") return t(forPrivacy ? "route.relayedForPrivacy" : "route.relayed", { protocol: over });
  if (remote?.candidateType === "relay") return t("route.relayedTheirSide");
  const found = (/** @type {any} */ c) => c?.candidateType === "srflx" || c?.candidateType === "prflx";
  return t(found(local) || found(remote) ? "route.stun" : "route.direct");
}

export class PeerLink extends EventTarget {
  /**
   * @param {object} options
   * @param {boolean} options.polite  yields when both sides offer at once
   * @param {RTCIceServer[]} options.iceServers
   * @param {boolean} [options.relayOnly]  privacy mode: only relayed candidates, so neither side learns the other's address
   * @param {RTCCertificate} options.certificate  this page's, announced when the key was agreed
   * @param {string[]} options.remoteFingerprints  what the other side announced: all it may use
   * @param {LocalMedia} options.media
   * @param {(message: SealedMessage) => Promise<boolean>} options.send  sealed, to the other side
   */
  constructor({ polite, iceServers, relayOnly = false, certificate, remoteFingerprints, media, send }) {
    super();
    this.polite = polite;
    this.media = media;
    this.transmit = send;
    this.remoteFingerprints = new Set(remoteFingerprints);
    this.relayOnly = relayOnly;
    this.pc = new RTCPeerConnection({
      iceServers,
      iceTransportPolicy: relayOnly ? "relay" : "all",
      bundlePolicy: "max-bundle",
      certificates: [certificate],
    });
    /** The route of the last measure, in words ("Relayed over UDP"), or "" before one. */
    this.route = "";
    /** Whether the last measure found the connection going through a relay, at either end. */
    this.throughRelay = false;
    /** The other person as a tile shows them: their microphone, and their camera while it brings frames. */
    this.remote = new MediaStream();
    /** @type {Map<Role, RTCRtpTransceiver>} */
    this.transceivers = new Map();
    /** What is shown of each role the other side sends. @type {Map<Role, MediaStreamTrack>} */
    this.shown = new Map();
    /** The other side's shared screen while its frames come; no track when they share none. */
    this.screen = new MediaStream();
    /** The mid the other side last named as its screen's, or null: they share none. @type {string | null} */
    this.remoteScreenMid = null;
    /** The mid they named as their screen's sound, or null: none. @type {string | null} */
    this.remoteSoundMid = null;
    /** The transceiver this page sends its screen on, sending only. @type {RTCRtpTransceiver | null} */
    this.ownScreen = null;
    /** The one it sends the screen's sound on, if the share has sound. @type {RTCRtpTransceiver | null} */
    this.ownSound = null;
    /** The screen this page shares, to be sent once the call's own transceivers are agreed. @type {MediaStreamTrack | null} */
    this.wantScreen = null;
    /** Its sound (a tab's), or null. @type {MediaStreamTrack | null} */
    this.wantSound = null;
    /** Whether the first negotiation placed the microphone and camera: a screen may follow. */
    this.placed = false;
    /** The mids this page last named in a `screen` message, as "video audio", or null. @type {string | null} */
    this.announcedMid = null;
    /** The data channel for files, once opened or offered. @type {RTCDataChannel | null} */
    this.fileChannel = null;
    this.makingOffer = false;
    this.ignoreOffer = false;
    /** Incoming negotiation messages, handled strictly one after another. */
    this.queue = Promise.resolve();
    this.budgetKbps = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.restartTimer = undefined;
    /** ICE restarts since the connection was last up, for the backoff. */
    this.retries = 0;
    /** Not up within CONNECT_BOUND_MS (of its start, or of its last failure): the tile says so. */
    this.unreachable = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.boundTimer = undefined;
    /** Bitrate changes one at a time: two concurrent setParameters calls refuse each other. */
    this.budgetChain = Promise.resolve();
    /** @type {Map<string, number>} */
    this.previous = new Map();
    this.sampledAt = 0;
    this.closed = false;
    this.listen();
    this.startBound();
  }

  /** From now, the connection has CONNECT_BOUND_MS to come up before it counts as unreachable. */
  startBound() {
    clearTimeout(this.boundTimer);
    this.boundTimer = setTimeout(() => {
      if (this.closed || this.pc.connectionState === "connected") return;
      this.unreachable = true;
      this.retry();
      this.emit("state");
    }, CONNECT_BOUND_MS);
  }

  /**
   * Look for a path again, and again with a growing pause while none is found: a network that
   * blocks calls now may let them through later (a TURN server added, a phone off Wi-Fi).
   */
  retry() {
    clearTimeout(this.restartTimer);
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.retries);
    this.restartTimer = setTimeout(() => {
      if (this.closed || this.pc.connectionState === "connected") return;
      this.retries += 1;
      this.pc.restartIce();
      this.retry();
    }, delay);
  }

  listen() {
    const pc = this.pc;
    pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        await pc.setLocalDescription();
        await this.sendDescription();
      } catch (error) {
        this.warn("could not make an offer", error);
      } finally {
        this.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      void this.send({ kind: "ice", candidate: candidate ? candidate.toJSON() : null });
    };
    pc.ontrack = ({ track, transceiver }) => {
      // The role is asked at every change: a screen's transceiver may be named only after its
      // track arrived, and one not named at all (a newer client's) is shown as nothing.
      const show = () => {
        const role = this.roleOf(transceiver);
        if (role === "screen") this.showScreen();
        else if (role) this.show(role, track);
      };
      track.addEventListener("unmute", show);
      track.addEventListener("mute", show);
      track.addEventListener("ended", () => this.showScreen());
      show();
    };
    pc.onconnectionstatechange = () => this.connectionChanged();
    // The budget is applied again whenever a negotiation is over, on either side: it may have
    // brought a transceiver with no settings yet (a screen's), and Chromium refuses parameters
    // set while one is half done ("modified RTCP parameters", seen during ICE restarts), which
    // would leave that sender at the browser's default bitrate until the next change.
    pc.onsignalingstatechange = () => {
      if (pc.signalingState === "stable") void this.applyBudget();
    };
    pc.ondatachannel = ({ channel }) => {
      // One files channel, opened by the other side; any other channel is not ours to speak on.
      if (channel.label === FILES_CHANNEL && !this.fileChannel && channel.ordered) this.takeChannel(channel);
      else channel.close();
    };
  }

  /** @param {RTCDataChannel} channel */
  takeChannel(channel) {
    this.fileChannel = channel;
    this.emit("channel");
  }

  /** @param {string} type @param {object} [detail] */
  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /**
   * The role of one of this connection's transceivers: the offering side gave each its role
   * when it added it; on the answering side the offered ones get theirs as they appear.
   * @param {RTCRtpTransceiver} transceiver
   * @returns {Role | null}
   */
  roleOf(transceiver) {
    if (transceiver === this.ownScreen || transceiver === this.ownSound) return null; // sends only: nothing comes back
    for (const [role, known] of this.transceivers) if (known === transceiver) return role;
    const mid = transceiver.mid;
    if (mid !== null && (mid === this.remoteScreenMid || mid === this.remoteSoundMid)) return "screen";
    const role = offeredRole(transceiver.receiver.track.kind, (r) => this.transceivers.has(r));
    if (role) this.transceivers.set(role, transceiver);
    return role;
  }

  /**
   * Show what the other side sends in one role. A video track is shown only while its frames
   * come: a <video> holding one that brings none (no camera, or the camera off) never gets past
   * readyState 0, and then does not play the sound beside it either.
   * @param {Role} role @param {MediaStreamTrack} track
   */
  show(role, track) {
    const old = this.shown.get(role);
    if (old) this.remote.removeTrack(old);
    this.shown.delete(role);
    if (KIND[role] === "audio" || !track.muted) {
      this.shown.set(role, track);
      this.remote.addTrack(track);
    }
    this.emit("media", { role });
  }

  /**
   * Show the other side's screen: the track of the transceiver they named, while it is live and
   * brings frames; nothing when they named none.
   */
  showScreen() {
    // A mid naming the microphone's, the camera's or this page's own transceiver names no screen.
    const taken = new Set([this.ownScreen, this.ownSound, ...this.transceivers.values()]);
    /** @param {string | null} mid @param {string} kind */
    const track = (mid, kind) => {
      const transceiver = mid === null ? undefined : this.pc.getTransceivers().find((t) => t.mid === mid && !taken.has(t));
      const found = transceiver?.receiver.track;
      return found?.kind === kind && found.readyState === "live" ? found : null;
    };
    const picture = track(this.remoteScreenMid, "video");
    // Like a camera, the picture only while its frames come; the sound with the picture.
    const video = picture && !picture.muted ? picture : null;
    const audio = video ? track(this.remoteSoundMid, "audio") : null;
    const old = this.screen.getTracks();
    const now = [video, audio].filter((t) => t !== null);
    if (old.length === now.length && old.every((t) => now.includes(t))) return;
    for (const t of old) this.screen.removeTrack(t);
    for (const t of now) this.screen.addTrack(t);
    this.emit("media", { role: "screen" });
  }

  /**
   * Share a screen on this connection, or stop: an extra transceiver, never the camera's.
   * Added only once the first negotiation has placed the microphone and camera, so that the
   * other side cannot take the screen's transceiver for the camera's.
   * @param {MediaStreamTrack | null} track @param {MediaStreamTrack | null} [sound]  a tab's sound with it
   */
  async setScreen(track, sound = null) {
    const same = track === this.wantScreen && sound === this.wantSound;
    this.wantScreen = track;
    this.wantSound = track ? sound : null;
    if (this.closed || same) return;
    if (this.ownScreen) {
      // A new share is new transceivers: its sound may come or go with it.
      this.ownScreen.stop(); // negotiation follows: the other side's tracks end
      this.ownSound?.stop();
      this.ownScreen = null;
      this.ownSound = null;
      this.announcedMid = null;
      if (!track) await this.send({ kind: "screen", mid: null, audio: null });
    }
    this.addScreen();
    await this.applyBudget();
  }

  addScreen() {
    if (!this.wantScreen || this.ownScreen || !this.placed || this.closed) return;
    const { screen } = divideVideo(this.budgetKbps, true);
    const streams = [new MediaStream([this.wantScreen, ...(this.wantSound ? [this.wantSound] : [])])];
    this.ownScreen = this.pc.addTransceiver(this.wantScreen, {
      direction: "sendonly",
      streams,
      sendEncodings: [screen ? screenEncoding(screen) : { maxFramerate: SCREEN_FPS }],
    });
    if (this.wantSound) this.ownSound = this.pc.addTransceiver(this.wantSound, { direction: "sendonly", streams });
  }

  /**
   * Name this page's screen transceiver to the other side once its mid is settled in a
   * description just sent; a rolled-back offer may have named another, so it is said again.
   */
  async announceScreen() {
    const mid = this.ownScreen?.mid ?? null;
    const audio = this.ownSound?.mid ?? null;
    if (mid === null || (this.ownSound && audio === null) || `${mid} ${audio}` === this.announcedMid) return;
    this.announcedMid = `${mid} ${audio}`;
    await this.send({ kind: "screen", mid, audio });
  }

  /** @param {string} what @param {unknown} error */
  warn(what, error) {
    if (!this.closed) console.warn(`parlour: ${what}:`, error);
  }

  /** @param {SealedMessage} message */
  send(message) {
    return this.closed ? Promise.resolve(false) : this.transmit(message);
  }

  async sendDescription() {
    const description = this.pc.localDescription;
    if (!description || (description.type !== "offer" && description.type !== "answer")) return;
    await this.send({ kind: "sdp", description: { type: description.type, sdp: description.sdp } });
    await this.announceScreen();
  }

  /**
   * The side that makes the first offer adds a transceiver for each of the call's roles, in
   * their fixed order, with its track where it has one; the other side attaches its own.
   */
  offer() {
    for (const role of CALL_ROLES) {
      const track = this.media.track(role);
      const transceiver = this.pc.addTransceiver(track ?? KIND[role], { direction: "sendrecv", streams: [this.media.stream] });
      this.transceivers.set(role, transceiver);
    }
    this.placed = true;
    this.takeChannel(this.pc.createDataChannel(FILES_CHANNEL, { ordered: true }));
    this.addScreen();
  }

  /** Answering: send this page's track of each role on the offered transceiver of that role. */
  attachLocal() {
    for (const transceiver of this.pc.getTransceivers()) {
      const role = this.roleOf(transceiver);
      // The other side's screen comes only that way: nothing is sent back on it.
      if (!role || role === "screen" || transceiver.direction === "sendrecv") continue;
      transceiver.direction = "sendrecv";
      void transceiver.sender.replaceTrack(this.media.track(role));
      transceiver.sender.setStreams(this.media.stream);
    }
  }

  /**
   * A negotiation message from the other side.
   * @param {SealedMessage} message
   */
  receive(message) {
    this.queue = this.queue.then(() => this.handle(message)).catch((error) => this.warn("negotiation failed", error));
    return this.queue;
  }

  /** @param {SealedMessage} message */
  async handle(message) {
    const pc = this.pc;
    if (this.closed) return;
    if (message.kind === "sdp") {
      const { description } = message;
      // The safety code covers the certificates announced with the key; media may use no other.
      const named = sdpFingerprints(description.sdp);
      if (!named.length || !named.every((print) => this.remoteFingerprints.has(print))) {
        this.emit("refused");
        return;
      }
      const collision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      await pc.setRemoteDescription(description); // a polite side in collision rolls back implicitly
      if (description.type === "offer") {
        this.attachLocal();
        await pc.setLocalDescription();
        await this.sendDescription();
        if (!this.placed) {
          this.placed = true;
          this.addScreen(); // shared before this connection existed: offered from here
        }
      }
    } else if (message.kind === "screen") {
      this.remoteScreenMid = message.mid;
      this.remoteSoundMid = message.mid === null ? null : message.audio;
      this.showScreen();
    } else if (message.kind === "ice") {
      try {
        await pc.addIceCandidate(message.candidate ?? undefined);
      } catch (error) {
        if (!this.ignoreOffer) this.warn("a network candidate was refused", error);
      }
    }
  }

  connectionChanged() {
    const state = this.pc.connectionState;
    if (state === "connected") {
      clearTimeout(this.restartTimer);
      clearTimeout(this.boundTimer);
      this.unreachable = false;
      this.retries = 0;
      this.watchTransport();
      void this.applyBudget();
    } else if (state === "failed") {
      if (!this.unreachable) this.startBound();
      this.pc.restartIce();
      this.retry();
    } else if (state === "disconnected") {
      // Often a blip that heals by itself; if not, find a new path.
      clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => {
        if (this.pc.connectionState === "disconnected") this.pc.restartIce();
      }, DISCONNECTED_GRACE_MS);
    }
    this.emit("state");
  }

  /** When the other page closes its connection, DTLS says so at once: no waiting for timeouts. */
  watchTransport() {
    const transport = this.pc.getSenders()[0]?.transport;
    if (!transport || transport.onstatechange) return;
    transport.onstatechange = () => {
      if (transport.state === "closed" || transport.state === "failed") this.emit("ended");
    };
  }

  /**
   * After a signalling reconnect: an offer that went out while signalling was down is sent
   * again; a path that broke meanwhile is looked for anew.
   */
  resume() {
    if (this.pc.signalingState === "have-local-offer") void this.sendDescription();
    if (this.pc.connectionState === "failed" || this.pc.connectionState === "disconnected") this.pc.restartIce();
  }

  /**
   * Send another track in a role, or none: no negotiation, the other side sees the change at
   * once. Before this side sends in that role (an answerer still waiting for the offer), the
   * track is picked up when it does.
   * @param {Role} role @param {MediaStreamTrack | null} track
   */
  async replaceTrack(role, track) {
    if (role === "screen") return this.setScreen(track, this.wantSound);
    const transceiver = this.transceivers.get(role);
    if (transceiver?.direction === "sendrecv") await transceiver.sender.replaceTrack(track);
    if (KIND[role] === "video") await this.applyBudget();
  }

  /** Whether the last measure found the connection going through a relay. */
  relayed() {
    return this.throughRelay;
  }

  /** @param {RTCIceServer[]} iceServers */
  useIceServers(iceServers) {
    if (this.closed) return;
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
    } catch (error) {
      this.warn("could not take the new ICE servers", error);
    }
  }

  /** @param {number} videoKbps */
  async setBudget(videoKbps) {
    this.budgetKbps = videoKbps;
    await this.applyBudget();
  }

  applyBudget() {
    this.budgetChain = this.budgetChain.then(() => this.setSendParameters());
    return this.budgetChain;
  }

  async setSendParameters() {
    if (!this.budgetKbps || this.closed) return;
    const share = divideVideo(this.budgetKbps, Boolean(this.ownScreen?.sender.track));
    /** @type {[Role, RTCRtpTransceiver][]} */
    const sending = [...this.transceivers];
    if (this.ownScreen) sending.push(["screen", this.ownScreen]);
    for (const [role, { sender }] of sending) {
      if (!sender.track) continue;
      const parameters = sender.getParameters();
      if (!parameters.encodings?.length) continue; // not negotiated yet; "connected" applies it
      const settings =
        role === "screen"
          ? screenEncoding(share.screen)
          : KIND[role] === "video"
            ? videoEncoding(share.camera)
            : { maxBitrate: AUDIO_KBPS * 1000 };
      for (const encoding of parameters.encodings) Object.assign(encoding, settings);
      try {
        await sender.setParameters(parameters);
      } catch (error) {
        this.warn("could not set the send bitrate", error);
      }
    }
  }

  /** The other side's speaking level now, 0..1, from what the audio receiver hears. */
  level() {
    const receiver = this.transceivers.get("microphone")?.receiver;
    return receiver ? scaleLevel(receiver.getSynchronizationSources()[0]?.audioLevel ?? 0) : 0;
  }

  /** @returns {Promise<Quality | null>} */
  async quality() {
    if (this.pc.connectionState !== "connected") return null;
    const report = await this.pc.getStats();
    const now = performance.now();
    /** @type {Record<string, any>} */
    const byId = {};
    report.forEach((entry) => {
      byId[entry.id] = entry;
    });
    let pair = null;
    let received = 0;
    let sent = 0;
    let lost = 0;
    let packets = 0;
    let video = "";
    for (const entry of Object.values(byId)) {
      if (entry.type === "transport" && entry.selectedCandidatePairId) pair = byId[entry.selectedCandidatePairId];
      if (entry.type === "inbound-rtp") {
        received += entry.bytesReceived ?? 0;
        lost += entry.packetsLost ?? 0;
        packets += entry.packetsReceived ?? 0;
        if (entry.kind === "video" && entry.frameWidth) video = `${entry.frameWidth}×${entry.frameHeight}`;
      }
      if (entry.type === "outbound-rtp") sent += entry.bytesSent ?? 0;
    }
    const seconds = this.sampledAt ? (now - this.sampledAt) / 1000 : 0;
    /** @param {string} name @param {number} value */
    const delta = (name, value) => value - (this.previous.get(name) ?? value);
    const lostNow = delta("lost", lost);
    const packetsNow = delta("packets", packets);
    const quality = {
      rttMs: Math.round((pair?.currentRoundTripTime ?? 0) * 1000),
      lossPct: packetsNow + lostNow > 0 ? (100 * lostNow) / (packetsNow + lostNow) : 0,
      recvKbps: seconds ? Math.round((delta("received", received) * 8) / 1000 / seconds) : 0,
      sendKbps: seconds ? Math.round((delta("sent", sent) * 8) / 1000 / seconds) : 0,
      route: routeOf(byId[pair?.localCandidateId], byId[pair?.remoteCandidateId], this.relayOnly),
      video, // "" when no video arrives: the tile says so
      grade: /** @type {"good" | "fair" | "poor"} */ ("good"),
    };
    quality.grade = quality.lossPct > 5 || quality.rttMs > 400 ? "poor" : quality.lossPct > 1 || quality.rttMs > 150 ? "fair" : "good";
    this.previous = new Map([
      ["lost", lost],
      ["packets", packets],
      ["received", received],
      ["sent", sent],
    ]);
    this.sampledAt = now;
    this.route = quality.route;
    this.throughRelay = [pair?.localCandidateId, pair?.remoteCandidateId].some((id) => byId[id]?.candidateType === "relay");
    return quality;
  }

  close() {
    this.closed = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.boundTimer);
    this.pc.close();
  }
}
