// audioroute.js: which output a phone in a call plays from while the camera is on, from the
// device list alone (the setSinkId itself is proven in Chromium, tests/browser/test_phone.py).

import assert from "node:assert/strict";
import { test } from "node:test";

import { loudspeaker } from "../../parlour/static/audioroute.js";

/** @param {string} kind @param {string} label @param {string} deviceId */
const device = (kind, label, deviceId) => ({ kind, label, deviceId });
const RECEIVER = device("audiooutput", "Receiver", "rx");
const SPEAKER = device("audiooutput", "Speaker", "spk");

test("a phone with an earpiece and nothing plugged in plays from its loudspeaker", () => {
  assert.equal(loudspeaker([device("audioinput", "iPhone Microphone", "mic"), RECEIVER, SPEAKER]), "spk");
});

test("without an earpiece listed the browser's own choice stands", () => {
  assert.equal(loudspeaker([SPEAKER, device("audiooutput", "Default - Speakers", "default")]), "");
  assert.equal(loudspeaker([]), "");
});

test("headphones, a headset or a car keep the sound", () => {
  for (const label of ["Headphones", "AirPods Pro", "Bluetooth headset", "USB Audio", "CarPlay car"]) {
    assert.equal(loudspeaker([RECEIVER, SPEAKER, device("audiooutput", label, "x")]), "", label);
  }
});

test("an input named like a speaker is not an output", () => {
  assert.equal(loudspeaker([RECEIVER, device("audioinput", "Speaker", "in")]), "");
});
