// Stand-ins for what the browser gives the DOM-free modules: a WebSocket the test plays the
// server on, a tab's storage, and a helper to await events instead of sleeping.

/** A WebSocket whose server is the test: it reads what the page sent and answers or drops. */
export function fakeWebSocketClass() {
  /** @type {FakeWebSocket[]} */
  const made = [];
  class FakeWebSocket extends EventTarget {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    static made = made;

    /** @param {string} url */
    constructor(url) {
      super();
      this.url = url;
      this.readyState = FakeWebSocket.OPEN;
      /** @type {any[]} */
      this.sent = [];
      /** @type {number | null} */
      this.closedWith = null;
      made.push(this);
    }

    /** @param {string} frame */
    send(frame) {
      if (this.readyState !== FakeWebSocket.OPEN) throw new Error("send on a closed socket");
      this.sent.push(JSON.parse(frame));
    }

    /** The page closes it: the close event follows later, as in a browser. @param {number} [code] */
    close(code = 1000) {
      if (this.readyState === FakeWebSocket.CLOSED) return;
      this.closedWith = code;
      this.readyState = FakeWebSocket.CLOSED;
      setTimeout(() => this.dispatchEvent(Object.assign(new Event("close"), { code, reason: "" })));
    }

    /** The server says something. @param {unknown} message  an object (sent as JSON) or a raw frame */
    deliver(message) {
      const data = typeof message === "string" ? message : JSON.stringify(message);
      this.dispatchEvent(new MessageEvent("message", { data }));
    }

    /** The connection drops without a close frame. @param {number} [code] */
    drop(code = 1006) {
      this.readyState = FakeWebSocket.CLOSED;
      this.dispatchEvent(Object.assign(new Event("close"), { code, reason: "" }));
    }
  }
  return FakeWebSocket;
}

/** A tab's sessionStorage, in memory. */
export function fakeStorage() {
  const items = new Map();
  return {
    items,
    /** @param {string} key */
    getItem: (key) => items.get(key) ?? null,
    /** @param {string} key @param {string} value */
    setItem: (key, value) => void items.set(key, String(value)),
    /** @param {string} key */
    removeItem: (key) => void items.delete(key),
  };
}

/**
 * The next event of this type whose detail passes `accept`.
 * @param {EventTarget} target @param {string} type @param {(detail: any) => boolean} [accept]
 * @returns {Promise<any>}
 */
export function next(target, type, accept = () => true) {
  return new Promise((resolve) => {
    const listener = (/** @type {Event} */ event) => {
      const detail = /** @type {CustomEvent} */ (event).detail;
      if (!accept(detail)) return;
      target.removeEventListener(type, listener);
      resolve(detail);
    };
    target.addEventListener(type, listener);
  });
}

/**
 * Every event of these types, as {type, detail}, in the order they came.
 * @param {EventTarget} target @param {string[]} types
 */
export function record(target, types) {
  /** @type {{type: string, detail: any}[]} */
  const seen = [];
  for (const type of types) {
    target.addEventListener(type, (event) => seen.push({ type, detail: /** @type {CustomEvent} */ (event).detail }));
  }
  return seen;
}

let tracks = 0;

/** A MediaStreamTrack: muted until its frames come, as a received one is. */
export class FakeTrack extends EventTarget {
  /** @param {"audio" | "video"} kind @param {{muted?: boolean}} [options] */
  constructor(kind, { muted = false } = {}) {
    super();
    this.kind = kind;
    this.id = `track-${++tracks}`;
    this.muted = muted;
    this.enabled = true;
    this.readyState = "live";
  }

  /** Frames start (true) or stop (false) arriving. @param {boolean} flowing */
  frames(flowing) {
    this.muted = !flowing;
    this.dispatchEvent(new Event(flowing ? "unmute" : "mute"));
  }

  stop() {
    this.readyState = "ended";
  }

  getSettings() {
    return {};
  }
}

export class FakeMediaStream {
  /** @param {FakeTrack[]} [tracks] */
  constructor(tracks = []) {
    this.tracks = [...tracks];
  }
  getTracks() {
    return [...this.tracks];
  }
  getAudioTracks() {
    return this.tracks.filter((t) => t.kind === "audio");
  }
  getVideoTracks() {
    return this.tracks.filter((t) => t.kind === "video");
  }
  /** @param {FakeTrack} track */
  addTrack(track) {
    if (!this.tracks.includes(track)) this.tracks.push(track);
  }
  /** @param {FakeTrack} track */
  removeTrack(track) {
    this.tracks = this.tracks.filter((t) => t !== track);
  }
}

class FakeSender {
  /** @param {FakeTrack | null} track */
  constructor(track) {
    this.track = track;
    /** @type {{encodings: object[]}} */
    this.parameters = { encodings: [{}] };
  }
  /** @param {FakeTrack | null} track */
  async replaceTrack(track) {
    this.track = track;
  }
  setStreams() {}
  getParameters() {
    return structuredClone(this.parameters);
  }
  /** @param {{encodings: object[]}} parameters */
  async setParameters(parameters) {
    this.parameters = parameters;
  }
}

class FakeTransceiver {
  /** @param {"audio" | "video"} kind @param {string} direction @param {FakeTrack | null} track @param {string | null} mid */
  constructor(kind, direction, track, mid) {
    this.mid = mid;
    this.direction = direction;
    this.sender = new FakeSender(track);
    this.receiver = { track: new FakeTrack(kind, { muted: true }), getSynchronizationSources: () => [] };
  }

  stop() {
    this.direction = "stopped";
  }
}

/**
 * The parts of RTCPeerConnection that mesh.js uses for its transceivers, with session
 * descriptions reduced to their m= lines: enough to see which track goes where.
 */
export class FakePeerConnection {
  /** @param {object} config */
  constructor(config) {
    this.config = config;
    /** @type {FakeTransceiver[]} */
    this.transceivers = [];
    this.connectionState = "new";
    this.signalingState = "stable";
    /** @type {{type: string, sdp: string} | null} */
    this.localDescription = null;
    /** @type {((event: {track: FakeTrack, transceiver: FakeTransceiver}) => void) | null} */
    this.ontrack = null;
    /** @type {(() => void) | null} */
    this.onnegotiationneeded = null;
    this.onicecandidate = null;
    this.onconnectionstatechange = null;
    /** @type {(() => void) | null} */
    this.onsignalingstatechange = null;
  }

  /** @param {FakeTrack | "audio" | "video"} trackOrKind @param {{direction: string}} init */
  addTransceiver(trackOrKind, init) {
    const track = typeof trackOrKind === "string" ? null : trackOrKind;
    const kind = typeof trackOrKind === "string" ? trackOrKind : trackOrKind.kind;
    const transceiver = new FakeTransceiver(kind, init.direction, track, null);
    this.transceivers.push(transceiver);
    return transceiver;
  }

  getTransceivers() {
    return [...this.transceivers];
  }
  getSenders() {
    return this.transceivers.map((t) => t.sender);
  }
  getReceivers() {
    return this.transceivers.map((t) => t.receiver);
  }

  /** Each m= line not yet known makes a transceiver, whose track is announced. @param {{type: string, sdp: string}} description */
  async setRemoteDescription(description) {
    const kinds = [...description.sdp.matchAll(/^m=(audio|video) /gm)].map((m) => /** @type {"audio" | "video"} */ (m[1]));
    kinds.forEach((kind, index) => {
      if (this.transceivers.some((t) => t.mid === String(index))) return;
      const transceiver = new FakeTransceiver(kind, "recvonly", null, String(index));
      this.transceivers.push(transceiver);
      this.ontrack?.({ track: transceiver.receiver.track, transceiver });
    });
    this.setSignalingState(description.type === "offer" ? "have-remote-offer" : "stable");
  }

  /** @param {string} state */
  setSignalingState(state) {
    this.signalingState = state;
    this.onsignalingstatechange?.();
  }

  /** The answer: the directions this side chose, an m= line each. */
  async setLocalDescription() {
    // A transceiver added here gets its mid when a description first includes it, as in a browser.
    this.transceivers.forEach((t, index) => (t.mid ??= String(index)));
    const lines = this.transceivers.map((t) => `m=${t.receiver.track.kind} 9 UDP/TLS/RTP/SAVPF 0\r\na=${t.direction}`);
    this.localDescription = { type: "answer", sdp: `v=0\r\n${lines.join("\r\n")}\r\n` };
    this.setSignalingState("stable");
  }

  async addIceCandidate() {}
  /** @param {string} label @param {object} init */
  createDataChannel(label, init) {
    return { label, ...init, readyState: "connecting", close() {} };
  }
  restartIce() {
    this.restarts = (this.restarts ?? 0) + 1;
  }
  close() {
    this.connectionState = "closed";
  }
}

/** Make the browser's WebRTC globals these fakes, for a test file that builds PeerLinks. */
export function installFakeWebRTC() {
  Object.assign(globalThis, { RTCPeerConnection: FakePeerConnection, MediaStream: FakeMediaStream });
}

/**
 * What a LocalMedia gives the call, with a track per role.
 * @param {Partial<Record<"microphone" | "camera", FakeTrack | null>>} [tracks]
 */
export function fakeMedia(tracks = { microphone: new FakeTrack("audio"), camera: new FakeTrack("video") }) {
  const media = Object.assign(new EventTarget(), {
    sources: new Map(Object.entries(tracks).filter(([, track]) => track)),
    stream: new FakeMediaStream(Object.values(tracks).filter((track) => track !== null && track !== undefined)),
    hasMic: Boolean(tracks.microphone),
    hasCamera: Boolean(tracks.camera),
    micMuted: false,
    cameraOn: Boolean(tracks.camera),
    /** @param {string} role */
    track: (role) => media.sources.get(role) ?? null,
    level: () => 0,
  });
  return media;
}
