// @ts-check
/**
 * The screen stays on during a call: a Screen Wake Lock, where the browser has one.
 *
 * The browser lets a lock go by itself when the page is hidden (another app, the screen
 * locked by hand); it is asked for again when the page is seen again, for as long as the call
 * lasts. A refusal (battery saver, a browser's policy) changes nothing else: the screen then
 * dims as it would for any page.
 */

export class ScreenAwake {
  constructor() {
    /** Whether the page is in a call and so wants the lock. */
    this.wanted = false;
    /** @type {WakeLockSentinel | null} */
    this.sentinel = null;
    document.addEventListener("visibilitychange", () => {
      if (this.wanted && document.visibilityState === "visible") void this.acquire();
    });
  }

  /** Whether the screen is held on now. */
  get held() {
    return Boolean(this.sentinel && !this.sentinel.released);
  }

  /** The call began: keep the screen on. */
  hold() {
    this.wanted = true;
    return this.acquire();
  }

  /** The call ended: let the screen dim again. */
  release() {
    this.wanted = false;
    const sentinel = this.sentinel;
    this.sentinel = null;
    if (sentinel && !sentinel.released) void sentinel.release().catch(() => {});
  }

  async acquire() {
    if (!navigator.wakeLock || this.held || document.visibilityState !== "visible") return;
    try {
      const sentinel = await navigator.wakeLock.request("screen");
      if (!this.wanted || this.held) {
        void sentinel.release(); // the call ended, or another request won, while this one was asked
        return;
      }
      this.sentinel = sentinel;
    } catch {
      // Refused: the screen dims as for any page; the call itself goes on.
    }
  }
}
