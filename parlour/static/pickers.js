// @ts-check
/**
 * Camera, microphone and speaker choosers: the same three selects appear before joining and in
 * the call's settings. A choice takes effect at once and is remembered on this device.
 */

import * as prefs from "./prefs.js";
import { t } from "./translate.js";

/** @typedef {import("./media.js").LocalMedia} LocalMedia */

/** Choosing a speaker needs setSinkId; where a browser lacks it, the choice is not offered. */
export const canChooseSpeaker = "setSinkId" in HTMLMediaElement.prototype;

/** How each kind of device is named where its browser gives no label, and where there is none. */
const WORDS = /** @type {const} */ ({
  camera: { numbered: "devices.cameraNumber", none: "devices.noCamera" },
  microphone: { numbered: "devices.microphoneNumber", none: "devices.noMicrophone" },
  speaker: { numbered: "devices.speakerNumber", none: "devices.noSpeaker" },
});

/**
 * @param {HTMLSelectElement} select @param {MediaDeviceInfo[]} devices
 * @param {string | null | undefined} current @param {keyof typeof WORDS} kind
 */
function fill(select, devices, current, kind) {
  const words = WORDS[kind];
  const options = devices.map(
    (device, i) =>
      new Option(device.label || t(words.numbered, { number: i + 1 }), device.deviceId, false, device.deviceId === current),
  );
  if (!options.length) options.push(new Option(t(words.none), ""));
  select.replaceChildren(...options);
  select.disabled = devices.length === 0;
}

export class DevicePickers {
  /**
   * @param {LocalMedia} media
   * @param {{camera: HTMLSelectElement, microphone: HTMLSelectElement, speaker: HTMLSelectElement}} selects
   * @param {{speaker: (id: string) => void, problem: (text: string) => void}} on
   */
  constructor(media, selects, on) {
    this.media = media;
    this.selects = selects;
    this.on = on;
    const speakerField = selects.speaker.closest(".field");
    if (!canChooseSpeaker && speakerField instanceof HTMLElement) speakerField.hidden = true;
    selects.camera.addEventListener("change", () => this.choose("camera", selects.camera.value));
    selects.microphone.addEventListener("change", () => this.choose("microphone", selects.microphone.value));
    selects.speaker.addEventListener("change", () => {
      prefs.save("speaker", selects.speaker.value);
      on.speaker(selects.speaker.value);
    });
    media.addEventListener("change", () => {
      selects.camera.value = media.cameraId ?? "";
      selects.microphone.value = media.micId ?? "";
    });
    navigator.mediaDevices?.addEventListener("devicechange", () => void this.refresh());
  }

  /** Device labels only appear once the page may use a device: call after opening media. */
  async refresh() {
    const { cameras, microphones, speakers } = await this.media.devices();
    fill(this.selects.camera, cameras, this.media.cameraId, "camera");
    fill(this.selects.microphone, microphones, this.media.micId, "microphone");
    fill(this.selects.speaker, speakers, prefs.load("speaker") ?? "default", "speaker");
  }

  /** @param {"camera" | "microphone"} kind @param {string} id */
  async choose(kind, id) {
    if (!id) return;
    try {
      if (kind === "camera") await this.media.useCamera(id);
      else await this.media.useMicrophone(id);
      prefs.save(kind, id);
    } catch {
      this.on.problem(t(kind === "camera" ? "devices.cameraFailed" : "devices.microphoneFailed"));
      void this.refresh();
    }
  }
}
