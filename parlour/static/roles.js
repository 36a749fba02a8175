// @ts-check
/**
 * What each track in a call is for. Tracks are known by role, not by kind: a screen shared
 * beside the camera is a video track of its own, on a transceiver of its own, never a swap of
 * the camera. The call's roles are known by kind and order; a screen never by order (a third
 * video transceiver could be anything a newer client adds): the sharer names its transceiver's
 * mid in a sealed `screen` message, and mesh.js gives that transceiver the role. No DOM.
 */

/** @typedef {"microphone" | "camera" | "screen"} Role */

/** The kind of track each role carries. */
export const KIND = /** @type {const} */ ({ microphone: "audio", camera: "video", screen: "video" });

/**
 * The roles every connection carries from its start, in the order the offering side adds their
 * transceivers (PROTOCOL.md "Starting a call": an audio transceiver, then a video one).
 * @type {readonly Role[]}
 */
export const CALL_ROLES = ["microphone", "camera"];

/**
 * The role of a transceiver the other side offered: the first audio one is the microphone, the
 * first video one the camera. By kind and then order, so that a client that offers its video
 * before its audio is understood as well. Null for one beyond those (a newer client's): this
 * page has no role for it yet.
 * @param {string} kind  the transceiver's receiver track kind
 * @param {(role: Role) => boolean} taken  whether a transceiver already has that role
 * @returns {Role | null}
 */
export function offeredRole(kind, taken) {
  return CALL_ROLES.find((role) => KIND[role] === kind && !taken(role)) ?? null;
}
