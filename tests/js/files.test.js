// files.js between two engines joined by a fake data channel pair: offers, answers, chunks,
// the SHA-256 check, backpressure, cancelling, interruptions, and a hostile peer's input.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { afterEach, test } from "node:test";

import { CHUNK, Files, formatSize, HIGH_WATER, MAX_WAITING, MIN_WATER, READ, safeName, Transfer } from "../../parlour/static/files.js";
import { ENGLISH, useLanguage } from "../../parlour/static/i18n.js";

/**
 * One end of an in-memory RTCDataChannel pair. What is sent arrives at the other end later
 * (when `deliver` runs, or on its own with `auto`), a string as a string and bytes as an
 * ArrayBuffer copy; bufferedAmount counts what is on the way, and "bufferedamountlow" fires
 * when it falls to the threshold, as in a browser.
 */
class FakeChannel extends EventTarget {
  constructor() {
    super();
    this.readyState = "open";
    this.bufferedAmount = 0;
    this.bufferedAmountLowThreshold = 0;
    this.binaryType = "blob";
    /** @type {FakeChannel | null} */
    this.other = null;
    /** @type {(string | ArrayBuffer)[]} */
    this.queue = [];
    this.auto = true;
    this.maxBuffered = 0;
    /** Every frame sent, for the tests to read. @type {(string | ArrayBuffer)[]} */
    this.sent = [];
  }

  /** @param {string | Uint8Array} data */
  send(data) {
    if (this.readyState !== "open") throw new Error("channel closed");
    const copy = typeof data === "string" ? data : data.slice().buffer;
    this.queue.push(copy);
    this.sent.push(copy);
    this.bufferedAmount += typeof data === "string" ? data.length : data.byteLength;
    this.maxBuffered = Math.max(this.maxBuffered, this.bufferedAmount);
    if (this.auto) setImmediate(() => this.deliver(1));
  }

  /** Hand `count` queued messages to the other end. @param {number} count */
  deliver(count = Infinity) {
    for (let n = 0; n < count && this.queue.length; n++) {
      const data = /** @type {string | ArrayBuffer} */ (this.queue.shift());
      const before = this.bufferedAmount;
      this.bufferedAmount -= typeof data === "string" ? data.length : data.byteLength;
      if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold) {
        this.dispatchEvent(new Event("bufferedamountlow"));
      }
      if (this.other?.readyState === "open") this.other.dispatchEvent(new MessageEvent("message", { data }));
    }
  }

  close() {
    for (const end of [this, this.other]) {
      if (!end || end.readyState === "closed") continue;
      end.readyState = "closed";
      end.dispatchEvent(new Event("close"));
    }
  }
}

function pair() {
  const a = new FakeChannel();
  const b = new FakeChannel();
  a.other = b;
  b.other = a;
  return [a, b];
}

const ADA = { id: "ada-session", name: "Ada" };
const BO = { id: "bo-session", name: "Bo" };

/** Ada's and Bo's engines, joined; every event each reports. */
function call() {
  const [toBo, toAda] = pair();
  const ada = new Files();
  const bo = new Files();
  ada.attach(BO, toBo);
  bo.attach(ADA, toAda);
  /** @type {any[]} */
  const problems = [];
  bo.addEventListener("problem", (event) => problems.push(/** @type {CustomEvent} */ (event).detail));
  return { ada, bo, toBo, toAda, problems };
}

/** Until `check` holds, letting the fake channels and hashing run. @param {() => boolean} check */
async function until(check, what = "the condition") {
  for (let n = 0; n < 5000; n++) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`never: ${what}`);
}

/** @param {Files} files @param {"in" | "out"} direction */
const only = (files, direction) => {
  const found = files.transfers().filter((t) => t.direction === direction);
  assert.equal(found.length, 1, `${found.length} ${direction} transfers`);
  return found[0];
};

/** @param {number} size */
function bytes(size) {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 0xff;
  return data;
}

/** @param {Uint8Array} data @param {string} name */
const file = (data, name) => Object.assign(new Blob([data]), { name });

const sha = (/** @type {Uint8Array} */ data) => createHash("sha256").update(data).digest("hex");

afterEach(() => {
  delete (/** @type {any} */ (globalThis).__parlourTest);
});

test("a safe name has no folders, control or direction characters, no leading dots, and a bounded length", () => {
  assert.deepEqual(safeName("report.pdf"), { name: "report.pdf", changed: false });
  assert.deepEqual(safeName("../../etc/passwd"), { name: "_.._etc_passwd", changed: true });
  assert.deepEqual(safeName("C:\\Users\\x.txt"), { name: "C__Users_x.txt", changed: true });
  assert.deepEqual(safeName("evil\u202egnp.exe"), { name: "evilgnp.exe", changed: true });
  assert.deepEqual(safeName("bell\u0007\u0000.txt"), { name: "bell.txt", changed: true });
  assert.deepEqual(safeName(".bashrc"), { name: "bashrc", changed: true });
  assert.deepEqual(safeName("\u200f"), { name: "file", changed: true });
  assert.equal(safeName("CON.txt").name, "_CON.txt");
  const long = safeName(`${"a".repeat(300)}.tar.gz`);
  assert.ok([...long.name].length <= 120, long.name);
  assert.ok(long.name.endsWith(".gz"), long.name);
  assert.equal(long.changed, false);
});

test("sizes read as people say them", () => {
  assert.equal(formatSize(0), "0 bytes");
  assert.equal(formatSize(1), "1 byte");
  assert.equal(formatSize(999), "999 bytes");
  assert.equal(formatSize(2_100_000), "2.1 MB");
  assert.equal(formatSize(200_000_000), "200 MB");
  assert.equal(formatSize(3_400), "3.4 kB");
  assert.equal(formatSize(523.6), "524 bytes", "a rate in bytes a second is rounded");
});

test("a move the state table does not list throws, naming it", () => {
  const t = new Transfer({ id: 1, direction: "in", peer: ADA, name: "x", size: 1, type: "", state: "offered" });
  assert.throws(() => t.move("verified"), /cannot go from offered to verified/);
  t.move("declined");
  assert.throws(() => t.move("transferring"), /cannot go from declined to transferring/);
});

for (const size of [0, 1, 3 * CHUNK + 5]) {
  test(`${size} bytes: offered with name, size, type and hash; nothing flows before accept; verified at both ends`, async () => {
    const { ada, bo, toBo } = call();
    const data = bytes(size);
    ada.send([Object.assign(new Blob([data], { type: "text/plain" }), { name: "notes.txt" })], [BO]);
    await until(() => bo.transfers().length === 1, "the offer");
    const offered = only(bo, "in");
    assert.deepEqual(
      [offered.name, offered.size, offered.type, offered.sha256, offered.state],
      ["notes.txt", size, "text/plain", sha(data), "offered"],
    );
    assert.equal(toBo.sent.filter((frame) => typeof frame !== "string").length, 0, "no chunk before accept");
    await bo.accept(offered);
    await until(() => only(ada, "out").state === "verified", "Ada hears it verified");
    assert.equal(offered.state, "verified");
    assert.deepEqual(new Uint8Array(await /** @type {Blob} */ (offered.blob).arrayBuffer()), data);
    assert.equal(/** @type {Blob} */ (offered.blob).type, "application/octet-stream", "never rendered as what it claims");
  });
}

test("a declined offer sends no byte and is declined at both ends", async () => {
  const { ada, bo, toBo } = call();
  ada.send([file(bytes(1000), "a.bin")], [BO]);
  await until(() => bo.transfers().length === 1);
  bo.decline(only(bo, "in"));
  await until(() => only(ada, "out").state === "declined");
  assert.equal(only(ada, "out").reason, "Bo declined it.");
  assert.equal(toBo.sent.filter((frame) => typeof frame !== "string").length, 0);
});

test("the sender waits for bufferedamountlow above its mark (about a second of sending), and never polls", async () => {
  const { ada, bo, toBo } = call();
  toBo.auto = false;
  ada.send([file(bytes(3 * HIGH_WATER), "big.bin")], [BO]);
  await until(() => toBo.queue.length > 0);
  toBo.deliver(); // the offer
  await until(() => bo.transfers().length === 1);
  await bo.accept(only(bo, "in"));
  // Nothing delivered yet, so no rate known: the smallest mark.
  await until(() => toBo.bufferedAmount > MIN_WATER, "the queue fills");
  const queued = toBo.queue.length;
  for (let n = 0; n < 50; n++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(toBo.queue.length, queued, "nothing more is queued while the channel is full");
  assert.equal(toBo.bufferedAmountLowThreshold, MIN_WATER / 4);
  assert.ok(toBo.bufferedAmount <= MIN_WATER + CHUNK + 4, `${toBo.bufferedAmount} bytes queued`);
  toBo.auto = true;
  toBo.deliver();
  await until(() => only(ada, "out").state === "verified", "the rest flows after the event");
  assert.ok(toBo.maxBuffered <= HIGH_WATER + CHUNK + 4, `at most ${toBo.maxBuffered} bytes queued`);
});

for (const by of ["sender", "receiver"]) {
  test(`cancelled by the ${by} mid-transfer: both ends cancelled, nothing kept`, async () => {
    const { ada, bo, toBo } = call();
    toBo.auto = false;
    ada.send([file(bytes(2 * HIGH_WATER), "c.bin")], [BO]);
    await until(() => toBo.queue.length > 0);
    toBo.deliver();
    await until(() => bo.transfers().length === 1);
    await bo.accept(only(bo, "in"));
    await until(() => toBo.queue.length > 3);
    toBo.deliver(3);
    assert.equal(only(bo, "in").state, "transferring");
    if (by === "sender") ada.cancel(only(ada, "out"));
    else bo.cancel(only(bo, "in"));
    toBo.auto = true;
    toBo.deliver();
    await until(() => only(ada, "out").state === "cancelled" && only(bo, "in").state === "cancelled", `both cancelled: ${only(ada, "out").state} ${only(bo, "in").state}`);
    assert.equal(only(bo, "in").blob, null);
    assert.match(only(by === "sender" ? bo : ada, by === "sender" ? "in" : "out").reason, /(Ada|Bo) cancelled it/);
  });
}

test("a bit flipped in transit (the test hook) marks the file corrupt, and it is not kept", async () => {
  const { ada, bo } = call();
  /** @type {any} */ (globalThis).__parlourTest = { corruptFiles: true };
  ada.send([file(bytes(CHUNK + 10), "d.bin")], [BO]);
  await until(() => bo.transfers().length === 1);
  await bo.accept(only(bo, "in"));
  await until(() => only(ada, "out").state === "corrupt");
  assert.equal(only(bo, "in").state, "corrupt");
  assert.equal(only(bo, "in").blob, null);
});

test("the hold hook (tests only) pauses the sender after the first slice until it settles", async () => {
  const { ada, bo } = call();
  /** @type {(value?: unknown) => void} */
  let release = () => {};
  /** @type {any} */ (globalThis).__parlourTest = { holdFiles: new Promise((resolve) => (release = resolve)) };
  ada.send([file(bytes(READ + 3 * CHUNK), "h.bin")], [BO]);
  await until(() => bo.transfers().length === 1);
  await bo.accept(only(bo, "in"));
  await until(() => only(bo, "in").bytes === READ, "the first slice arrives");
  for (let n = 0; n < 50; n++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(only(bo, "in").bytes, READ, "nothing more while held");
  release();
  await until(() => only(bo, "in").state === "verified", "the rest flows once released");
});

test("progress that stops within a display window is shown when the window ends", async () => {
  const { ada, bo } = call();
  /** @type {any} */ (globalThis).__parlourTest = { holdFiles: new Promise(() => {}) };
  ada.send([file(bytes(READ + CHUNK), "p.bin")], [BO]);
  await until(() => bo.transfers().length === 1);
  // The whole first slice arrives at once, well within PROGRESS_MS of the accept's change.
  const shown = new Promise((resolve, reject) => {
    const late = setTimeout(() => reject(new Error("the first slice was never shown")), 2000);
    bo.addEventListener("change", (event) => {
      if (/** @type {CustomEvent} */ (event).detail.transfer.bytes !== READ) return;
      clearTimeout(late);
      resolve(undefined);
    });
  });
  await bo.accept(only(bo, "in"));
  await shown;
  ada.cancel(only(ada, "out"));
});

test("a closed channel interrupts the transfer at both ends, nothing half-received kept", async () => {
  const { ada, bo, toBo } = call();
  toBo.auto = false;
  ada.send([file(bytes(2 * HIGH_WATER), "e.bin")], [BO]);
  await until(() => toBo.queue.length > 0);
  toBo.deliver();
  await until(() => bo.transfers().length === 1);
  await bo.accept(only(bo, "in"));
  await until(() => toBo.queue.length > 2);
  toBo.deliver(2);
  toBo.close();
  await until(() => only(ada, "out").state === "interrupted");
  assert.equal(only(bo, "in").state, "interrupted");
  assert.equal(only(bo, "in").blob, null);
});

test("someone leaving interrupts what is under way with them", async () => {
  const { ada, bo } = call();
  ada.send([file(bytes(10), "f.bin")], [BO]);
  await until(() => bo.transfers().length === 1);
  bo.detach(ADA.id);
  assert.equal(only(bo, "in").state, "interrupted");
});

/** Raw frames from a hostile "Ada" straight onto Bo's end. @param {FakeChannel} toAda @param {...any} frames */
function hostile(toAda, ...frames) {
  for (const frame of frames) {
    let data = frame;
    if (Array.isArray(frame)) {
      const [id, payload] = frame;
      const bytes = new Uint8Array(4 + payload.length);
      new DataView(bytes.buffer).setUint32(0, id);
      bytes.set(payload, 4);
      data = bytes.buffer;
    } else if (typeof frame !== "string") data = JSON.stringify(frame);
    toAda.dispatchEvent(new MessageEvent("message", { data }));
  }
}

const ABC = createHash("sha256").update("abc").digest("hex");
const OFFER = { kind: "offer", size: 3, type: "text/plain", sha256: ABC };

test("bad input is ignored and reported, each with its code: never thrown", async () => {
  const { bo, toAda, problems } = call();
  hostile(
    toAda,
    "not json",
    "x".repeat(5000),
    { kind: "teleport", id: 1 },
    { kind: "accept" },
    [77, new Uint8Array([1, 2])],
    { ...OFFER, id: 1, name: "n".repeat(300) },
    { ...OFFER, id: 2, name: "ok.txt", size: -1 },
    { ...OFFER, id: 3, name: "ok.txt", sha256: "nope" },
  );
  assert.deepEqual(
    problems.map((p) => p.code),
    ["malformed", "too-large", "unknown-kind", "unexpected-chunk", "bad-name", "bad-offer"],
  );
  assert.match(problems[4].message, /^Ada's page offered a file with a name of 300 characters/);
  assert.equal(bo.transfers().length, 0);
  // The refused offers are answered with an error naming them, so that the sender can stop.
  const answers = toAda.sent.filter((f) => typeof f === "string").map((f) => JSON.parse(/** @type {string} */ (f)));
  assert.deepEqual(answers.map((m) => [m.kind, m.id, m.code]), [["error", 1, "bad-name"], ["error", 2, "bad-offer"], ["error", 3, "bad-offer"]]);
});

test("a chunk past the announced size fails the file and tells the sender", async () => {
  const { bo, toAda, problems } = call();
  hostile(toAda, { ...OFFER, id: 5, name: "a.txt" });
  await bo.accept(only(bo, "in"));
  hostile(toAda, [5, new Uint8Array([97, 98, 99, 100])]);
  assert.equal(only(bo, "in").state, "failed");
  assert.equal(only(bo, "in").blob, null);
  assert.deepEqual(problems.map((p) => p.code), ["overrun"]);
  const last = JSON.parse(/** @type {string} */ (toAda.sent.at(-1)));
  assert.deepEqual([last.kind, last.id, last.code], ["error", 5, "overrun"]);
});

test("an early done fails the file: nothing short is offered", async () => {
  const { bo, toAda, problems } = call();
  hostile(toAda, { ...OFFER, id: 6, name: "a.txt" });
  await bo.accept(only(bo, "in"));
  hostile(toAda, [6, new Uint8Array([97])], { kind: "done", id: 6 });
  assert.equal(only(bo, "in").state, "failed");
  assert.deepEqual(problems.map((p) => p.code), ["short"]);
});

test("a hostile name is shown and saved made safe, and the renaming reported", async () => {
  const { bo, toAda, problems } = call();
  hostile(toAda, { ...OFFER, id: 7, name: "../\u202egnp.exe\u0007.txt" });
  const t = only(bo, "in");
  assert.equal(t.name, "_gnp.exe.txt");
  assert.ok(t.renamed);
  assert.deepEqual(problems.map((p) => p.code), ["unsafe-name"]);
  await bo.accept(t);
  hostile(toAda, [7, new TextEncoder().encode("abc")], { kind: "done", id: 7 });
  assert.equal(t.state, "verified");
});

test("an offer flood: MAX_WAITING wait for an answer, the rest are refused and reported once", () => {
  const { bo, toAda, problems } = call();
  for (let n = 0; n < 3 * MAX_WAITING; n++) hostile(toAda, { ...OFFER, id: 100 + n, name: `f${n}.txt` });
  assert.equal(bo.transfers().length, MAX_WAITING);
  assert.deepEqual(problems.map((p) => p.code), ["too-many"], "one report, not one per offer");
  hostile(toAda, { ...OFFER, id: 100, name: "again.txt" });
  assert.equal(problems.at(-1).code, "duplicate");
});

test("sizes and reports in the page's language", async () => {
  try {
    await useLanguage(["de"]);
    assert.equal(formatSize(1), "1\u00a0Byte"); // ICU: a no-break space after "1" in German
    assert.equal(formatSize(2_100_000), "2,1 MB");
    const { toAda, problems } = call();
    hostile(toAda, { ...OFFER, id: 1, name: "n".repeat(1200) });
    assert.equal(problems[0].message, "Die Seite von Ada hat eine Datei mit einem Namen aus 1.200 Zeichen angeboten; das Angebot wurde abgelehnt.");
    await useLanguage(["fr"]);
    assert.equal(formatSize(2_100_000), "2,1\u202fMo");
    assert.equal(formatSize(3), "3\u00a0octets");
  } finally {
    await useLanguage([ENGLISH]);
  }
});
