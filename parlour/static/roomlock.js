// @ts-check
/**
 * Locking the room, as members tell each other (PROTOCOL.md "Locking a room" and `lock`). The
 * server enforces the lock and says how the room stands; who locked or unlocked it is told only
 * by that member, sealed, because the server's `by` is its own claim. No DOM.
 *
 * Events (CustomEvent):
 *   said  {participant, locked}  a member says they locked (true) or unlocked (false) the room
 */

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./signaling.js").Signaling} Signaling */

export class RoomLock extends EventTarget {
  /**
   * @param {Pick<Call, "handle" | "broadcast">} call
   * @param {Pick<Signaling, "lock">} signaling
   */
  constructor(call, signaling) {
    super();
    this.call = call;
    this.signaling = signaling;
    call.handle("lock", (participant, message) => {
      this.dispatchEvent(new CustomEvent("said", { detail: { participant, locked: message.locked } }));
    });
  }

  /**
   * Ask the server to lock or unlock the room, and tell everyone, sealed, who did. False when
   * the server cannot be asked now (the page is reconnecting): then nobody is told anything.
   * @param {boolean} locked
   */
  set(locked) {
    if (!this.signaling.lock(locked)) return false;
    void this.call.broadcast({ kind: "lock", locked });
    return true;
  }
}
