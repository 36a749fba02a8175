// @ts-check
/**
 * Chat in the call: lines of text sealed for each person (PROTOCOL.md, `chat`). No DOM: the
 * page shows what this reports, and chatpanel.js is where people read and write.
 *
 * Events (CustomEvent):
 *   line  {participant, text}  someone in the call said something
 */

/** @typedef {import("./call.js").Call} Call */
/** @typedef {import("./call.js").Participant} Participant */

export class Chat extends EventTarget {
  /** @param {Pick<Call, "handle" | "broadcast">} call */
  constructor(call) {
    super();
    this.call = call;
    call.handle("chat", (participant, message) => {
      this.dispatchEvent(new CustomEvent("line", { detail: { participant, text: message.text } }));
    });
  }

  /**
   * Say something to everyone in the call. Each gets it sealed under the key shared with them.
   * @param {string} text  1 to MAX_CHAT characters
   */
  send(text) {
    return this.call.broadcast({ kind: "chat", text });
  }
}
