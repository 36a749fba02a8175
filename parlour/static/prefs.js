// @ts-check
/**
 * What this device remembers between visits: the display name, the chosen devices and the
 * sound processing. Never the passphrase. Storage may be refused (private windows), in which
 * case everything still works and is simply forgotten.
 */

const PREFIX = "parlour.";

/** @typedef {"name" | "camera" | "microphone" | "speaker" | "processing"} Key */

/** @param {Key} key @returns {string | null} */
export function load(key) {
  try {
    return localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

/** @param {Key} key @param {string | null | undefined} value */
export function save(key, value) {
  try {
    if (value) localStorage.setItem(PREFIX + key, value);
    else localStorage.removeItem(PREFIX + key);
  } catch {
    // forgotten instead: nothing depends on it
  }
}

/**
 * @returns {{noiseSuppression?: boolean, echoCancellation?: boolean, autoGainControl?: boolean}}
 */
export function loadProcessing() {
  try {
    const value = JSON.parse(load("processing") ?? "{}");
    /** @type {Record<string, boolean>} */
    const out = {};
    for (const key of ["noiseSuppression", "echoCancellation", "autoGainControl"]) {
      if (typeof value?.[key] === "boolean") out[key] = value[key];
    }
    return out;
  } catch {
    return {};
  }
}
