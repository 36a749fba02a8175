// A Signaling talking to a fake server that has welcomed it, shared by the signalling and the
// front-door tests; `closeOpened()` ends every one made, so no keepalive or backoff timer
// outlives its test.

import { Signaling } from "../../parlour/static/signaling.js";
import { fakeStorage, fakeWebSocketClass } from "./fakes.js";
import { documented } from "./protocol.js";

const [WELCOME] = documented("Messages from server to client").get("welcome") ?? [];

/** A `joined` as the server sends it, with `fields` changed. @param {object} [fields] */
export const joinedMessage = (fields = {}) => ({
  type: "joined",
  id: "AAAAAAAA",
  peers: ["BBBBBBBB"],
  capacity: 8,
  ice_servers: [],
  upload_kbps: 2500,
  locked: false,
  ice_ttl: null,
  relay_only: false,
  ...fields,
});

/** @type {Signaling[]} */
const opened = [];

export function closeOpened() {
  for (const signaling of opened.splice(0)) signaling.close();
}

export function environment(storage = fakeStorage()) {
  return { WebSocket: /** @type {any} */ (fakeWebSocketClass()), storage };
}

/** A signalling on `env`'s fake sockets, ended by `closeOpened()`. @param {any} env */
export function made(env) {
  const signaling = new Signaling("wss://parlour.test/ws", env);
  opened.push(signaling);
  return signaling;
}

/** A signalling the fake server has welcomed. */
export async function welcomed(env = environment()) {
  const signaling = made(env);
  const connecting = signaling.connect();
  const socket = env.WebSocket.made.at(-1);
  socket.deliver(WELCOME);
  await connecting;
  return { signaling, socket, env };
}
