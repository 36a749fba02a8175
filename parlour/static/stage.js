// @ts-check
/**
 * The stage: the tiles of everyone in the call, placed by layout.js whenever someone comes or
 * goes, a tile is pinned, or the window changes shape. Two people get the other person large
 * and the other small in a corner; a pinned tile is large with the rest in a strip; a shared
 * screen (a tile of its own, its id starting with SCREEN) fills the stage with the people in a
 * strip, unless something is pinned.
 */

import { GAP, gridRects, pictureInPicture, pinnedRects, place, presenterRects } from "./layout.js";
import { Tile } from "./tiles.js";

export const SELF = "self"; // peer ids are 8 characters, so this never collides
/** Shared screens' tiles: SCREEN and the sharer's session id (which has no ":"). */
export const SCREEN = "screen:";

export class Stage {
  /** @param {HTMLElement} area the element whose size the tiles share @param {HTMLElement} list */
  constructor(area, list) {
    this.area = area;
    this.list = list;
    /** @type {Map<string, Tile>} in order of arrival, oneself first */
    this.tiles = new Map();
    /** @type {string | null} */
    this.pinned = null;
    /** @type {string | null} */
    this.speaker = null;
    this.queued = false;
    /** @type {string} */
    this.sink = "";
    /** Someone's "Send a file to …" was pressed, with their tile's id. @type {(id: string) => void} */
    this.onSend = () => {};
    new ResizeObserver(() => this.relayout()).observe(area);
  }

  /** @param {string} id @returns {Tile} */
  add(id) {
    const existing = this.tiles.get(id);
    if (existing) return existing;
    const tile = new Tile(
      id === SELF,
      () => this.pin(this.pinned === id ? null : id),
      // Looked up when pressed: a placeholder's tile is renamed to its person's id.
      (pressed) => {
        const owner = [...this.tiles].find(([, t]) => t === pressed)?.[0];
        if (owner) this.onSend(owner);
      },
    );
    this.tiles.set(id, tile);
    this.list.append(tile.el);
    if (this.sink) tile.setSink(this.sink);
    this.relayout();
    return tile;
  }

  /**
   * Give a tile to someone else, where it stands: a placeholder becomes the person it was
   * waiting for without the layout moving.
   * @param {string} from @param {string} to
   */
  rename(from, to) {
    const tile = this.tiles.get(from);
    if (!tile || this.tiles.has(to)) return;
    this.tiles = new Map([...this.tiles].map(([id, t]) => [id === from ? to : id, t]));
    if (this.pinned === from) this.pinned = to;
    if (this.speaker === from) this.speaker = to;
    tile.onPin = () => this.pin(this.pinned === to ? null : to);
  }

  /** @param {string} id */
  remove(id) {
    const tile = this.tiles.get(id);
    if (!tile) return;
    if (tile.details.contains(document.activeElement) || tile.el.contains(document.activeElement)) {
      this.area.focus(); // focus must not vanish with the tile
    }
    tile.showDetails(false);
    tile.video.srcObject = null;
    tile.el.remove();
    this.tiles.delete(id);
    if (this.pinned === id) this.pinned = null;
    if (this.speaker === id) this.speaker = null;
    this.relayout();
  }

  clear() {
    for (const id of [...this.tiles.keys()]) this.remove(id);
  }

  /** @param {string | null} id */
  pin(id) {
    this.pinned = id && this.tiles.has(id) ? id : null;
    for (const [key, tile] of this.tiles) tile.setPinned(key === this.pinned);
    this.relayout();
  }

  /** @param {string | null} id */
  setSpeaker(id) {
    if (id === this.speaker) return;
    this.tiles.get(this.speaker ?? "")?.setSpeaking(false);
    this.speaker = id;
    this.tiles.get(id ?? "")?.setSpeaking(true);
  }

  /** @param {string} id */
  setSink(id) {
    this.sink = id;
    for (const tile of this.tiles.values()) tile.setSink(id);
  }

  /** Layout at most once a frame, however many changes arrive. */
  relayout() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.layout();
    });
  }

  layout() {
    const ids = [...this.tiles.keys()];
    this.list.classList.toggle("alone", ids.length < 2); // nothing to pin against
    const screens = ids.filter((id) => id.startsWith(SCREEN));
    if (screens.length && !this.pinned) {
      this.present(screens, ids.filter((id) => !id.startsWith(SCREEN)));
      return;
    }
    // Two people: the other one large, oneself small, as in a video phone.
    const focus = this.pinned ?? (ids.length === 2 ? ids.find((id) => id !== SELF) : null);
    const order = focus ? [focus, ...ids.filter((id) => id !== focus)] : ids;
    const { clientWidth: width, clientHeight: height } = this.area;
    if (!width || !height) return;
    const [w, h] = [width - 2 * GAP, height - 2 * GAP];
    const rects =
      order.length === 2 ? pictureInPicture(w, h) : (focus ? pinnedRects : gridRects)(order.length, w, h);
    for (const rect of rects) [rect.x, rect.y] = [rect.x + GAP, rect.y + GAP];
    const elements = order.map((id) => /** @type {Tile} */ (this.tiles.get(id)).el);
    place(elements, rects);
    elements.forEach((el, i) => el.classList.toggle("small", i > 0 && Boolean(focus)));
  }

  /** The presenter layout. @param {string[]} screens @param {string[]} people */
  present(screens, people) {
    const { clientWidth: width, clientHeight: height } = this.area;
    if (!width || !height) return;
    const rects = presenterRects(screens.length, people.length, width - 2 * GAP, height - 2 * GAP);
    for (const rect of rects) [rect.x, rect.y] = [rect.x + GAP, rect.y + GAP];
    const elements = [...screens, ...people].map((id) => /** @type {Tile} */ (this.tiles.get(id)).el);
    place(elements, rects);
    elements.forEach((el, i) => el.classList.toggle("small", i >= screens.length));
  }
}
