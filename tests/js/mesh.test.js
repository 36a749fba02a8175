// mesh.js's PeerLink over a fake RTCPeerConnection: each track is sent and shown by its role.

import assert from "node:assert/strict";
import { afterEach, mock, test } from "node:test";

import {
  CONNECT_BOUND_MS,
  divideVideo,
  PeerLink,
  routeOf,
  SCREEN_PART,
  screenEncoding,
  videoEncoding,
  videoShare,
} from "../../parlour/static/mesh.js";
import { fakeMedia, FakeTrack, installFakeWebRTC } from "./fakes.js";

installFakeWebRTC();

const FINGERPRINT = `sha-256 ${Array(32).fill("AB").join(":")}`;

/** A session description of these m= lines, with the certificate the other side announced. @param {string[]} kinds */
const offer = (kinds) => ({
  type: "offer",
  sdp: `v=0\r\na=fingerprint:${FINGERPRINT}\r\n${kinds.map((kind) => `m=${kind} 9 UDP/TLS/RTP/SAVPF 0\r\na=sendrecv\r\n`).join("")}`,
});

/** @type {PeerLink[]} */
const made = [];
afterEach(() => {
  // A link that never came up keeps retrying: every test closes its links, so no timer outlives it.
  for (const peer of made.splice(0)) peer.close();
});

function link(media = fakeMedia()) {
  /** @type {any[]} */
  const sent = [];
  const peer = new PeerLink({
    polite: true,
    iceServers: [],
    certificate: /** @type {any} */ ({}),
    remoteFingerprints: [FINGERPRINT],
    media: /** @type {any} */ (media),
    send: async (message) => {
      sent.push(message);
      return true;
    },
  });
  made.push(peer);
  return { peer, media, sent, pc: /** @type {any} */ (peer.pc) };
}

/** @param {any} transceiver */
const sending = (transceiver) => transceiver.sender.track;

test("the offering side adds a microphone and then a camera transceiver, each with its track", () => {
  const { peer, media, pc } = link();
  peer.offer();
  assert.deepEqual(
    pc.transceivers.map((t) => [t.receiver.track.kind, t.direction]),
    [
      ["audio", "sendrecv"],
      ["video", "sendrecv"],
    ],
  );
  assert.equal(sending(pc.transceivers[0]), media.track("microphone"));
  assert.equal(sending(pc.transceivers[1]), media.track("camera"));
  assert.deepEqual([...peer.transceivers.keys()], ["microphone", "camera"]);
});

test("without a camera the camera transceiver is still there, sending nothing until there is one", async () => {
  const { peer, pc } = link(fakeMedia({ microphone: new FakeTrack("audio"), camera: null }));
  peer.offer();
  assert.equal(pc.transceivers.length, 2);
  assert.equal(sending(pc.transceivers[1]), null);
  const camera = new FakeTrack("video");
  await peer.replaceTrack("camera", camera);
  assert.equal(sending(pc.transceivers[1]), camera);
});

test("replaceTrack changes only the sender of its role", async () => {
  const { peer, media, pc } = link();
  peer.offer();
  const [microphone, camera] = pc.transceivers;
  await peer.replaceTrack("camera", null);
  assert.equal(sending(camera), null);
  assert.equal(sending(microphone), media.track("microphone"));
  const other = new FakeTrack("audio");
  await peer.replaceTrack("microphone", other);
  assert.equal(sending(microphone), other);
  assert.equal(sending(camera), null);
});

test("the answering side gives offered transceivers their roles by kind and order, and sends on each", async () => {
  const { peer, media, pc, sent } = link();
  await peer.receive({ kind: "sdp", description: offer(["video", "audio"]) });
  const [video, audio] = pc.transceivers;
  assert.equal(peer.transceivers.get("microphone"), audio);
  assert.equal(peer.transceivers.get("camera"), video);
  assert.equal(sending(audio), media.track("microphone"));
  assert.equal(sending(video), media.track("camera"));
  assert.deepEqual([audio.direction, video.direction], ["sendrecv", "sendrecv"]);
  assert.equal(sent.at(-1).description.type, "answer");
  const other = new FakeTrack("video");
  await peer.replaceTrack("camera", other);
  assert.equal(sending(video), other);
  assert.equal(sending(audio), media.track("microphone"));
});

test("a transceiver beyond the call's roles (a newer client's) gets no role, no track, and is not shown", async () => {
  const { peer, pc } = link();
  await peer.receive({ kind: "sdp", description: offer(["audio", "video", "video"]) });
  const extra = pc.transceivers[2];
  assert.deepEqual([...peer.transceivers.values()], pc.transceivers.slice(0, 2));
  assert.equal(extra.direction, "recvonly");
  assert.equal(sending(extra), null);
  extra.receiver.track.frames(true);
  assert.equal(peer.remote.getTracks().includes(extra.receiver.track), false);
});

test("an offer naming another certificate is refused and changes nothing", async () => {
  const { peer, pc, sent } = link();
  const refused = [];
  peer.addEventListener("refused", () => refused.push(true));
  const forged = offer(["audio", "video"]);
  await peer.receive({ kind: "sdp", description: { ...forged, sdp: forged.sdp.replaceAll("AB:", "CD:") } });
  assert.deepEqual(refused, [true]);
  assert.equal(pc.transceivers.length, 0);
  assert.deepEqual(sent, []);
});

test("the other side's microphone is shown at once, their camera only while its frames come", async () => {
  const { peer, pc } = link();
  /** @type {string[]} */
  const changes = [];
  peer.addEventListener("media", (event) => changes.push(/** @type {CustomEvent} */ (event).detail.role));
  await peer.receive({ kind: "sdp", description: offer(["audio", "video"]) });
  const [audio, video] = pc.transceivers.map((t) => t.receiver.track);
  assert.deepEqual(peer.remote.getTracks(), [audio]);
  video.frames(true);
  assert.deepEqual(peer.remote.getTracks(), [audio, video]);
  video.frames(false);
  assert.deepEqual(peer.remote.getTracks(), [audio]);
  assert.deepEqual(changes, ["microphone", "camera", "camera", "camera"]);
});

test("the upload budget goes to the camera's sender; the microphone's keeps the audio rate", async () => {
  const { peer, pc } = link();
  peer.offer();
  await peer.setBudget(500);
  const [microphone, camera] = pc.transceivers;
  assert.deepEqual(microphone.sender.parameters.encodings, [{ maxBitrate: 40_000 }]);
  assert.deepEqual(camera.sender.parameters.encodings, [videoEncoding(500)]);
  assert.deepEqual(videoEncoding(500), { maxBitrate: 500_000, scaleResolutionDownBy: 2, maxFramerate: 30 });
});

test("a bitrate the browser refuses mid-negotiation is set again once the negotiation is over", async () => {
  const { peer, pc } = link();
  peer.offer();
  const camera = pc.transceivers[1].sender;
  const accept = camera.setParameters.bind(camera);
  // As Chromium does while an offer is out (an ICE restart, say): refused, nothing changed.
  camera.setParameters = async (/** @type {any} */ parameters) => {
    if (pc.signalingState !== "stable") throw new DOMException("modified RTCP parameters", "InvalidModificationError");
    return accept(parameters);
  };
  pc.signalingState = "have-local-offer";
  await peer.setBudget(500);
  assert.deepEqual(camera.parameters.encodings, [{}]);
  await pc.setRemoteDescription({ type: "answer", sdp: "v=0\r\n" });
  await peer.budgetChain;
  assert.deepEqual(camera.parameters.encodings, [videoEncoding(500)]);
});

test("a shared screen goes on a transceiver of its own, sending only, after the camera's, named by its mid", async () => {
  const { peer, media, pc, sent } = link();
  const screen = new FakeTrack("video");
  await peer.setScreen(screen);
  assert.equal(pc.transceivers.length, 0, "nothing before the call's own transceivers are placed");
  peer.offer();
  assert.deepEqual(
    pc.transceivers.map((t) => [t.direction, t.sender.track]),
    [
      ["sendrecv", media.track("microphone")],
      ["sendrecv", media.track("camera")],
      ["sendonly", screen],
    ],
  );
  await pc.setLocalDescription();
  await peer.sendDescription();
  assert.deepEqual(sent.slice(-1), [{ kind: "screen", mid: "2", audio: null }]);
  await peer.sendDescription();
  assert.equal(sent.filter((m) => m.kind === "screen").length, 1, "named once while its mid stays");
  await peer.setScreen(null);
  assert.equal(pc.transceivers[2].direction, "stopped");
  assert.equal(sending(pc.transceivers[1]), media.track("camera"), "the camera goes on");
  assert.deepEqual(sent.at(-1), { kind: "screen", mid: null, audio: null });
});

test("a share with sound sends it on an audio transceiver of its own, named beside the picture", async () => {
  const { peer, media, pc, sent } = link();
  const [screen, sound] = [new FakeTrack("video"), new FakeTrack("audio")];
  peer.offer();
  await peer.setScreen(screen, sound);
  assert.deepEqual(
    pc.transceivers.map((t) => [t.receiver.track.kind, t.direction, t.sender.track]),
    [
      ["audio", "sendrecv", media.track("microphone")],
      ["video", "sendrecv", media.track("camera")],
      ["video", "sendonly", screen],
      ["audio", "sendonly", sound],
    ],
  );
  await pc.setLocalDescription();
  await peer.sendDescription();
  assert.deepEqual(sent.at(-1), { kind: "screen", mid: "2", audio: "3" });
  await peer.setScreen(null);
  assert.deepEqual([pc.transceivers[2].direction, pc.transceivers[3].direction], ["stopped", "stopped"]);
  assert.equal(sending(pc.transceivers[0]), media.track("microphone"), "the microphone goes on");
});

test("an answering side that shares adds its screen only after answering the first offer", async () => {
  const { peer, pc } = link();
  const screen = new FakeTrack("video");
  await peer.setScreen(screen);
  assert.equal(pc.transceivers.length, 0);
  await peer.receive({ kind: "sdp", description: offer(["audio", "video"]) });
  assert.equal(pc.transceivers.length, 3);
  assert.equal(peer.transceivers.get("camera"), pc.transceivers[1]);
  assert.equal(sending(pc.transceivers[2]), screen);
  assert.equal(pc.transceivers[2].direction, "sendonly");
});

test("the other side's screen is shown once named by its mid, apart from their camera, and goes when they stop", async () => {
  const { peer, pc } = link();
  /** @type {string[]} */
  const changes = [];
  peer.addEventListener("media", (event) => changes.push(/** @type {CustomEvent} */ (event).detail.role));
  await peer.receive({ kind: "sdp", description: offer(["audio", "video", "video"]) });
  const [, video, shared] = pc.transceivers;
  video.receiver.track.frames(true);
  shared.receiver.track.frames(true);
  assert.deepEqual(peer.screen.getTracks(), [], "not shown before it is named");
  assert.equal(shared.direction, "recvonly", "nothing is sent back on their screen");
  await peer.receive({ kind: "screen", mid: "2", audio: null });
  assert.deepEqual(peer.screen.getTracks(), [shared.receiver.track]);
  assert.equal(peer.remote.getTracks().includes(shared.receiver.track), false, "not in their tile");
  assert.equal(peer.remote.getVideoTracks()[0], video.receiver.track);
  shared.receiver.track.frames(false);
  assert.deepEqual(peer.screen.getTracks(), [], "hidden while no frames come");
  shared.receiver.track.frames(true);
  await peer.receive({ kind: "screen", mid: null, audio: null });
  assert.deepEqual(peer.screen.getTracks(), []);
  assert.deepEqual(changes.filter((role) => role === "screen").length, 4);
  await peer.receive({ kind: "screen", mid: "1", audio: "0" });
  assert.deepEqual(peer.screen.getTracks(), [], "the camera's and microphone's transceivers are never a screen");
  assert.equal(peer.remote.getVideoTracks()[0], video.receiver.track);
});

test("while sharing, the screen takes 60 % of the connection's video budget at full resolution, the camera the rest", async () => {
  const { peer, pc } = link();
  peer.offer();
  await peer.setScreen(new FakeTrack("video"));
  await peer.setBudget(1000);
  const [microphone, camera, screen] = pc.transceivers;
  assert.deepEqual(microphone.sender.parameters.encodings, [{ maxBitrate: 40_000 }]);
  assert.deepEqual(screen.sender.parameters.encodings, [{ maxBitrate: 600_000, scaleResolutionDownBy: 1, maxFramerate: 15 }]);
  assert.deepEqual(camera.sender.parameters.encodings, [videoEncoding(400)]);
  await peer.setScreen(null);
  assert.deepEqual(camera.sender.parameters.encodings, [videoEncoding(1000)], "the camera has it all again");
  assert.equal(SCREEN_PART, 0.6);
  assert.deepEqual(divideVideo(293, true), { camera: 117, screen: 176 });
  assert.deepEqual(divideVideo(293, false), { camera: 293, screen: 0 });
  assert.equal(screenEncoding(176).maxFramerate, 5, "few frames rather than a blurred screen");
});

test("each sender's share of the budget follows PROTOCOL.md's formula and bounds", () => {
  assert.equal(videoShare(2500, 0), 0);
  assert.equal(videoShare(2500, 1), 2460);
  assert.equal(videoShare(2500, 3), Math.round((2500 - 120) / 3));
  assert.equal(videoShare(100_000, 1), 2500);
  assert.equal(videoShare(500, 7), 100);
  assert.deepEqual(videoEncoding(1200), { maxBitrate: 1_200_000, scaleResolutionDownBy: 1, maxFramerate: 30 });
  assert.deepEqual(videoEncoding(600), { maxBitrate: 600_000, scaleResolutionDownBy: 1.5, maxFramerate: 30 });
  assert.deepEqual(videoEncoding(299), { maxBitrate: 299_000, scaleResolutionDownBy: 3, maxFramerate: 15 });
});

test("a link not up within the bound says it is unreachable and keeps restarting ICE, each pause longer", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { peer, pc } = link();
    let told = 0;
    peer.addEventListener("state", () => (told += peer.unreachable ? 1 : 0));
    mock.timers.tick(CONNECT_BOUND_MS - 1);
    assert.equal(peer.unreachable, false);
    mock.timers.tick(1);
    assert.equal(peer.unreachable, true);
    assert.equal(told, 1);
    const restarts = [];
    for (const pause of [2_000, 4_000, 8_000, 16_000]) {
      mock.timers.tick(pause);
      restarts.push(pc.restarts);
    }
    assert.deepEqual(restarts, [1, 2, 3, 4]);

    // A path is found (a TURN server was added, a network changed): the tile is itself again.
    pc.connectionState = "connected";
    pc.onconnectionstatechange();
    assert.equal(peer.unreachable, false);
    mock.timers.tick(120_000);
    assert.equal(pc.restarts, 4, "no restarts once connected");
  } finally {
    mock.timers.reset();
  }
});

test("a link that comes up within the bound is never called unreachable", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { peer, pc } = link();
    mock.timers.tick(CONNECT_BOUND_MS - 5_000);
    pc.connectionState = "connected";
    pc.onconnectionstatechange();
    mock.timers.tick(CONNECT_BOUND_MS);
    assert.equal(peer.unreachable, false);
    assert.equal(pc.restarts, undefined);
  } finally {
    mock.timers.reset();
  }
});

test("the route is told in words from the selected pair's candidates", () => {
  const host = { candidateType: "host" };
  assert.equal(routeOf(host, host), "Direct");
  assert.equal(routeOf({ candidateType: "srflx" }, host), "Direct, via STUN");
  assert.equal(routeOf(host, { candidateType: "prflx" }), "Direct, via STUN");
  assert.equal(routeOf({ candidateType: "relay", relayProtocol: "udp" }, host), "Relayed over UDP");
  assert.equal(routeOf({ candidateType: "relay", relayProtocol: "tls" }, host), "Relayed over TLS");
  assert.equal(routeOf(host, { candidateType: "relay" }), "Relayed on their side");
});

test("privacy mode asks the browser for relayed candidates only, and the route says why it is relayed", () => {
  const peer = new PeerLink({
    polite: true,
    iceServers: [],
    relayOnly: true,
    certificate: /** @type {any} */ ({}),
    remoteFingerprints: [FINGERPRINT],
    media: /** @type {any} */ (fakeMedia()),
    send: async () => true,
  });
  made.push(peer);
  assert.equal(/** @type {any} */ (peer.pc).config.iceTransportPolicy, "relay");
  assert.equal(/** @type {any} */ (link().pc).config.iceTransportPolicy, "all");
  const relay = { candidateType: "relay", relayProtocol: "tcp" };
  assert.equal(routeOf(relay, relay, true), "Relayed for privacy, over TCP");
});

test("the other side's screen sound plays with their screen, not in their tile", async () => {
  const { peer, pc } = link();
  await peer.receive({ kind: "sdp", description: offer(["audio", "video", "video", "audio"]) });
  const [microphone, , shared, sound] = pc.transceivers;
  await peer.receive({ kind: "screen", mid: "2", audio: "3" });
  assert.deepEqual(peer.screen.getTracks(), [], "no picture yet: nothing");
  shared.receiver.track.frames(true);
  assert.deepEqual(peer.screen.getTracks(), [shared.receiver.track, sound.receiver.track]);
  assert.deepEqual(peer.remote.getAudioTracks(), [microphone.receiver.track]);
  assert.equal(sound.direction, "recvonly");
});
