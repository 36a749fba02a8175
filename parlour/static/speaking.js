// @ts-check
/**
 * Who is speaking, from audio levels (0..1), steady enough to highlight: levels rise fast and
 * fall slowly, a newcomer must be clearly louder for a moment to take over, and a speaker
 * keeps the highlight through short pauses.
 */

export class SpeakerPicker {
  /**
   * @param {{threshold?: number, margin?: number, switchMs?: number, holdMs?: number}} [options]
   *   threshold: level that counts as speech; margin: how many times louder a challenger must
   *   be; switchMs: how long it must stay so; holdMs: how long a pause keeps the highlight.
   */
  constructor({ threshold = 0.08, margin = 1.5, switchMs = 300, holdMs = 1200 } = {}) {
    this.threshold = threshold;
    this.margin = margin;
    this.switchMs = switchMs;
    this.holdMs = holdMs;
    /** @type {Map<string, number>} */
    this.smooth = new Map();
    /** @type {string | null} */
    this.current = null;
    this.lastHeard = 0;
    /** @type {string | null} */
    this.challenger = null;
    this.challengerSince = 0;
  }

  /**
   * @param {Map<string, number>} levels  id -> level now, for everyone who may speak
   * @param {number} now  milliseconds
   * @returns {string | null} who to highlight
   */
  pick(levels, now) {
    for (const id of this.smooth.keys()) if (!levels.has(id)) this.smooth.delete(id);
    for (const [id, level] of levels) {
      const before = this.smooth.get(id) ?? 0;
      this.smooth.set(id, level >= before ? level : before * 0.75 + level * 0.25);
    }
    if (this.current && !levels.has(this.current)) this.current = null;

    let loudest = null;
    let top = 0;
    for (const [id, level] of this.smooth) {
      if (level > top) [loudest, top] = [id, level];
    }
    const currentLevel = this.current ? (this.smooth.get(this.current) ?? 0) : 0;
    if (this.current && currentLevel >= this.threshold / 2) this.lastHeard = now;

    const clearlyLouder = top >= this.threshold && top > currentLevel * this.margin;
    if (loudest && loudest !== this.current && clearlyLouder) {
      if (this.challenger !== loudest) [this.challenger, this.challengerSince] = [loudest, now];
      if (!this.current || now - this.challengerSince >= this.switchMs) {
        [this.current, this.lastHeard, this.challenger] = [loudest, now, null];
      }
    } else {
      this.challenger = null;
    }
    if (this.current && now - this.lastHeard > this.holdMs) this.current = null;
    return this.current;
  }
}
