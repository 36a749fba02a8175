// @ts-check
/**
 * On a phone, the call's sound from the loudspeaker while the camera is on: a phone held at
 * arm's length to be seen cannot be heard from its earpiece.
 *
 * The web offers one way to pick where sound plays: setSinkId with a device from
 * enumerateDevices. It is taken only on a device that lists an earpiece ("receiver") beside a
 * loudspeaker, as iPhones do in Safari 26 and later, and only while nothing else is plugged in
 * and the person has chosen no speaker of their own. Everywhere else the browser's own routing
 * stands. Which browsers do what is in docs/using.md.
 */

import * as prefs from "./prefs.js";

const EARPIECE = /receiver|earpiece/i;
const LOUDSPEAKER = /speaker/i;
// Sound the person plugged in or paired goes where they sent it: never taken away from it.
const PLUGGED = /head(phone|set)|bluetooth|airpods|wired|usb|line|car|hdmi|airplay/i;

/**
 * The loudspeaker's id on a phone with an earpiece and nothing plugged in, else "" (the
 * browser's default).
 * @param {Pick<MediaDeviceInfo, "kind" | "label" | "deviceId">[]} devices
 */
export function loudspeaker(devices) {
  const outputs = devices.filter((device) => device.kind === "audiooutput");
  if (!outputs.some((device) => EARPIECE.test(device.label))) return "";
  if (outputs.some((device) => PLUGGED.test(device.label))) return "";
  return outputs.find((device) => LOUDSPEAKER.test(device.label) && !EARPIECE.test(device.label))?.deviceId ?? "";
}

export class AudioRoute {
  /**
   * @param {{cameraOn: boolean, hasCamera: boolean}} media
   * @param {(id: string) => void} setSink  where the call's sound plays ("" the default)
   */
  constructor(media, setSink) {
    this.media = media;
    this.setSink = setSink;
    /** What this module chose, so that it only ever changes its own choice. */
    this.chosen = "";
  }

  /** Follow the camera: call when the call starts, the camera changes or a device comes or goes. */
  async update() {
    if (!("setSinkId" in HTMLMediaElement.prototype)) return; // no choice where sound plays
    if (prefs.load("speaker")) return; // the person's own choice stands
    const devices = await navigator.mediaDevices?.enumerateDevices().catch(() => []);
    const id = this.media.cameraOn && this.media.hasCamera ? loudspeaker(devices ?? []) : "";
    if (id === this.chosen) return;
    this.chosen = id;
    this.setSink(id);
  }
}
