// @ts-check
/**
 * This device's camera and microphone: acquiring them, muting, switching, processing, level;
 * and the screen it shares. No DOM. Each track is held by its role (roles.js): the mesh listens for "tracks" and swaps
 * what it sends in that role with replaceTrack, so nobody else's call is interrupted when this
 * person changes a device.
 *
 * Events: change (a property below changed), tracks ({role, track}: the track of that role was
 * replaced; track is null when the role has none now).
 */

/** @typedef {"denied" | "no-devices" | "unsupported" | "in-use" | null} Problem */

/**
 * @typedef {object} Processing
 * @property {boolean} noiseSuppression
 * @property {boolean} echoCancellation
 * @property {boolean} autoGainControl
 */

/**
 * @typedef {object} OpenOptions
 * @property {string} [cameraId]
 * @property {string} [micId]
 * @property {Partial<Processing>} [processing]
 */

import { SCREEN_FPS, scaleLevel } from "./mesh.js";

/** @typedef {import("./roles.js").Role} Role */

const VIDEO = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };

/** What getUserMedia's tracks are for: it captures the microphone and the camera. */
const CAPTURED = /** @type {const} */ ({ audio: "microphone", video: "camera" });

/** @param {unknown} error @returns {Problem} */
function problemOf(error) {
  const name = error instanceof DOMException ? error.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") return "denied";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "no-devices";
  if (name === "NotReadableError" || name === "AbortError") return "in-use";
  return "unsupported";
}

export class LocalMedia extends EventTarget {
  constructor() {
    super();
    /** This person as the others see them: microphone and camera, for the own tile too. */
    this.stream = new MediaStream();
    /** @type {Map<Role, MediaStreamTrack>} */
    this.sources = new Map();
    /** The sound of the shared screen (a tab's, where the browser offers it), or null. @type {MediaStreamTrack | null} */
    this.screenSound = null;
    this.micMuted = false;
    this.cameraOn = false;
    this.hasMic = false;
    this.hasCamera = false;
    /** @type {string | undefined} */
    this.cameraId = undefined;
    /** @type {string | undefined} */
    this.micId = undefined;
    /** @type {"user" | "environment"} */
    this.facing = "user";
    this.canFlip = false;
    /** @type {Processing} */
    this.processing = { noiseSuppression: true, echoCancellation: true, autoGainControl: true };
    /** @type {AnalyserNode | null} */
    this.analyser = null;
    /** @type {AudioContext | null} */
    this.audioContext = null;
    /** @type {Float32Array<ArrayBuffer>} */
    this.samples = new Float32Array(512);
  }

  /** Whether this browser can share a screen at all: phones cannot. */
  get canShare() {
    return typeof navigator.mediaDevices?.getDisplayMedia === "function";
  }

  /** Whether a screen is being shared now. */
  get sharing() {
    return this.sources.has("screen");
  }

  /**
   * Ask the browser for a screen, window or tab to share. The screen is kept apart from
   * `stream`: the own tile never shows it, so the sharer never looks at a mirror of their
   * screen inside their screen. Its sound is asked for too: browsers offer it for a tab
   * (Chromium: a checkbox), some for a whole screen; it goes beside the picture on a
   * transceiver of its own. Refused or cancelled in the picker: throws, and nothing changes.
   */
  async shareScreen() {
    // selfBrowserSurface: the call's own tab is not offered, whose share would be a mirror of
    // a mirror for everyone; surfaceSwitching lets the person change tabs without stopping.
    // systemAudio: a whole screen's sound too, where the system can give it.
    const options = {
      video: { frameRate: { max: SCREEN_FPS } },
      audio: true,
      systemAudio: "include",
      selfBrowserSurface: "exclude",
      surfaceSwitching: "include",
    };
    const stream = await navigator.mediaDevices.getDisplayMedia(/** @type {DisplayMediaStreamOptions} */ (options));
    const [track] = stream.getVideoTracks();
    // Chromium then keeps resolution over frame rate and tunes its encoder for text.
    track.contentHint = "detail";
    // The browser's own "Stop sharing" bar ends the track: the share stops as if pressed here.
    track.addEventListener("ended", () => this.stopScreen(track));
    this.stopScreen();
    this.screenSound = stream.getAudioTracks()[0] ?? null;
    this.sources.set("screen", track);
    this.dispatchEvent(new CustomEvent("tracks", { detail: { role: "screen", track } }));
    this.changed();
  }

  /** Stop sharing (the one track, if named: a late `ended` of an older share changes nothing). @param {MediaStreamTrack} [which] */
  stopScreen(which) {
    const track = this.track("screen");
    if (!track || (which && which !== track)) return;
    this.sources.delete("screen");
    track.stop();
    this.screenSound?.stop();
    this.screenSound = null;
    this.dispatchEvent(new CustomEvent("tracks", { detail: { role: "screen", track: null } }));
    this.changed();
  }

  /** The track this device sends in a role, or null. @param {Role} role */
  track(role) {
    return this.sources.get(role) ?? null;
  }

  /**
   * Camera and microphone together, else whichever exists, else none (a listener).
   * @param {OpenOptions} [options]
   * @returns {Promise<{audio: boolean, video: boolean, problem: Problem}>}
   */
  async open(options = {}) {
    if (!navigator.mediaDevices?.getUserMedia) return { audio: false, video: false, problem: "unsupported" };
    this.cameraId = options.cameraId;
    this.micId = options.micId;
    Object.assign(this.processing, options.processing ?? {});
    /** @type {Problem} */
    let problem = null;
    let stream = null;
    for (const want of [
      { audio: true, video: true },
      { audio: true, video: false },
      { audio: false, video: true },
    ]) {
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: want.audio && this.audioConstraints(),
          video: want.video && this.videoConstraints(),
        });
        break;
      } catch (error) {
        problem ??= problemOf(error);
        if (problemOf(error) === "denied") break; // asking again only asks the person again
      }
    }
    for (const track of stream?.getTracks() ?? []) {
      if (track.kind === "audio" || track.kind === "video") this.install(CAPTURED[track.kind], track);
    }
    this.hasMic = !!this.track("microphone");
    this.hasCamera = !!this.track("camera");
    this.cameraOn = this.hasCamera;
    await this.refreshFlip();
    this.changed();
    return { audio: this.hasMic, video: this.hasCamera, problem: stream ? null : problem };
  }

  audioConstraints() {
    return { ...this.processing, ...(this.micId ? { deviceId: { exact: this.micId } } : {}) };
  }

  videoConstraints() {
    const device = this.cameraId ? { deviceId: { exact: this.cameraId } } : { facingMode: this.facing };
    return { ...VIDEO, ...device };
  }

  /** @returns {Promise<{cameras: MediaDeviceInfo[], microphones: MediaDeviceInfo[], speakers: MediaDeviceInfo[]}>} */
  async devices() {
    const all = navigator.mediaDevices ? await navigator.mediaDevices.enumerateDevices() : [];
    return {
      cameras: all.filter((d) => d.kind === "videoinput"),
      microphones: all.filter((d) => d.kind === "audioinput"),
      speakers: all.filter((d) => d.kind === "audiooutput"),
    };
  }

  /** @param {boolean} muted */
  setMicMuted(muted) {
    this.micMuted = muted;
    const track = this.track("microphone");
    // Disabled, not stopped: unmuting is instant and the others hear silence, not a gap.
    if (track) track.enabled = !muted;
    this.changed();
  }

  /** Off releases the camera (its light goes out); on asks for it again. @param {boolean} on */
  async setCameraOn(on) {
    if (on === this.cameraOn) return;
    if (!on) {
      this.remove("camera");
      this.cameraOn = false;
      this.changed();
      return;
    }
    const [track] = (await navigator.mediaDevices.getUserMedia({ video: this.videoConstraints() })).getVideoTracks();
    this.install("camera", track);
    this.hasCamera = true;
    this.cameraOn = true;
    this.changed();
  }

  /** @param {string} deviceId */
  async useCamera(deviceId) {
    this.cameraId = deviceId;
    if (this.cameraOn) await this.reacquire("camera");
    this.changed();
  }

  /** @param {string} deviceId */
  async useMicrophone(deviceId) {
    this.micId = deviceId;
    await this.reacquire("microphone");
    this.changed();
  }

  /** Front and back camera on phones. */
  /**
   * A phone's other camera: the one facing the other way. Cameras that do not say which way
   * they face (a USB camera on a touch laptop) cannot be asked for that; then the next camera
   * in the list, taken as facing the person.
   */
  async flipCamera() {
    const current = this.cameraOn ? this.track("camera")?.getSettings() : undefined;
    if (current && !current.facingMode) {
      const { cameras } = await this.devices();
      const at = cameras.findIndex((camera) => camera.deviceId === current.deviceId);
      this.cameraId = cameras[(at + 1) % cameras.length]?.deviceId;
      this.facing = "user";
    } else {
      this.facing = (current?.facingMode ?? this.facing) === "environment" ? "user" : "environment";
      this.cameraId = undefined;
    }
    if (this.cameraOn) await this.reacquire("camera");
    this.changed();
  }

  /** @param {Partial<Processing>} changes */
  async setProcessing(changes) {
    Object.assign(this.processing, changes);
    const track = this.track("microphone");
    if (!track) return this.changed();
    try {
      await track.applyConstraints(this.audioConstraints());
    } catch {
      await this.reacquire("microphone"); // some browsers change processing only on a new track
    }
    this.changed();
  }

  /**
   * A new microphone or camera track replaces the old one in the stream and, through "tracks",
   * in every connection. The old one is stopped only after the new one is live.
   * @param {"microphone" | "camera"} role
   */
  async reacquire(role) {
    const constraints = role === "microphone" ? { audio: this.audioConstraints() } : { video: this.videoConstraints() };
    const fresh = await navigator.mediaDevices.getUserMedia(constraints);
    const [track] = role === "microphone" ? fresh.getAudioTracks() : fresh.getVideoTracks();
    this.install(role, track);
    if (role === "microphone") this.hasMic = true;
  }

  /** @param {"microphone" | "camera"} role @param {MediaStreamTrack} track */
  install(role, track) {
    const old = this.track(role);
    if (old) {
      this.stream.removeTrack(old);
      old.stop();
    }
    if (role === "microphone") {
      track.enabled = !this.micMuted;
      this.micId = track.getSettings().deviceId ?? this.micId;
      this.meter(track);
    } else {
      this.cameraId = track.getSettings().deviceId ?? this.cameraId;
    }
    this.sources.set(role, track);
    this.stream.addTrack(track);
    this.dispatchEvent(new CustomEvent("tracks", { detail: { role, track } }));
  }

  /** The role sends nothing from now on, and its device is released. @param {"microphone" | "camera"} role */
  remove(role) {
    const track = this.track(role);
    if (!track) return;
    this.sources.delete(role);
    this.stream.removeTrack(track);
    track.stop();
    this.dispatchEvent(new CustomEvent("tracks", { detail: { role, track: null } }));
  }

  async refreshFlip() {
    const { cameras } = await this.devices();
    this.canFlip = cameras.length > 1 && "ontouchstart" in globalThis;
  }

  /** @param {MediaStreamTrack} track */
  meter(track) {
    this.audioContext ??= new AudioContext();
    const source = this.audioContext.createMediaStreamSource(new MediaStream([track]));
    this.analyser = this.audioContext.createAnalyser();
    this.analyser.fftSize = this.samples.length;
    source.connect(this.analyser);
  }

  /** The microphone's level now, 0..1 (RMS, scaled so speech sits around 0.3–0.8). */
  level() {
    if (!this.analyser || this.micMuted || !this.track("microphone")) return 0;
    if (this.audioContext?.state === "suspended") void this.audioContext.resume();
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const sample of this.samples) sum += sample * sample;
    return scaleLevel(Math.sqrt(sum / this.samples.length));
  }

  /** Release every device (leaving, or the page going away). */
  stop() {
    this.stopScreen();
    for (const track of this.stream.getTracks()) {
      track.stop();
      this.stream.removeTrack(track);
    }
    this.sources.clear();
    void this.audioContext?.close();
    this.audioContext = null;
    this.analyser = null;
    this.cameraOn = false;
    this.changed();
  }

  changed() {
    this.dispatchEvent(new Event("change"));
  }
}
