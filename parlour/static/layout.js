// @ts-check
/**
 * Where each tile goes on the stage. Pure geometry: a grid that makes every tile as large as
 * the stage allows, one pinned tile large with the others in a strip beside or below it, or,
 * for two people, one large with the other small in its corner.
 * Tiles are absolutely placed so a change of layout can glide instead of jumping.
 */

/** @typedef {{x: number, y: number, w: number, h: number}} Rect */

export const GAP = 8;
const WIDE = 16 / 9;

/**
 * The shapes a tile may take (width / height). Video is cropped to fill ("cover"), so a tile
 * may be squarer than the picture; on a portrait screen it may even be tall, as phones film,
 * and a tile that has the stage to itself may be taller still, to fill a phone's screen.
 * @param {number} width @param {number} height @param {boolean} [alone]
 * @returns {[number, number]}
 */
export function aspectRange(width, height, alone = false) {
  if (width >= height) return [1, WIDE];
  return [alone ? 0.45 : 9 / 16, WIDE];
}

/**
 * The largest box of an allowed shape inside w×h.
 * @param {number} w @param {number} h @param {[number, number]} range
 */
function fit(w, h, [low, high]) {
  const aspect = w / h;
  if (aspect > high) return { w: h * high, h };
  if (aspect < low) return { w, h: w / low };
  return { w, h };
}

/**
 * Columns and rows for `count` equal tiles that make each tile as large as possible.
 * @param {number} count @param {number} width @param {number} height @param {number} [gap]
 */
export function grid(count, width, height, gap = GAP) {
  const range = aspectRange(width, height, count === 1);
  let best = { cols: 1, rows: 1, w: 0, h: 0 };
  for (let cols = 1; cols <= Math.max(1, count); cols++) {
    const rows = Math.ceil(count / cols);
    const cellW = (width - gap * (cols - 1)) / cols;
    const cellH = (height - gap * (rows - 1)) / rows;
    if (cellW <= 0 || cellH <= 0) continue;
    const tile = fit(cellW, cellH, range);
    // Strictly larger only: among equals, fewer columns leave fewer holes.
    if (tile.w * tile.h > best.w * best.h + 1) best = { cols, rows, ...tile };
  }
  return best;
}

/**
 * Rectangles for `count` tiles in a centred grid; a short last row is centred too.
 * @param {number} count @param {number} width @param {number} height @param {number} [gap]
 * @returns {Rect[]}
 */
export function gridRects(count, width, height, gap = GAP) {
  const { cols, rows, w, h } = grid(count, width, height, gap);
  const top = (height - (rows * h + (rows - 1) * gap)) / 2;
  /** @type {Rect[]} */
  const rects = [];
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / cols);
    const inRow = row === rows - 1 ? count - cols * (rows - 1) : cols;
    const left = (width - (inRow * w + (inRow - 1) * gap)) / 2;
    rects.push({ x: left + (i % cols) * (w + gap), y: top + row * (h + gap), w, h });
  }
  return rects;
}

/**
 * The pinned tile first, large; the others in a strip at the side (landscape) or at the
 * bottom (portrait).
 * @param {number} count @param {number} width @param {number} height @param {number} [gap]
 * @returns {Rect[]}
 */
export function pinnedRects(count, width, height, gap = GAP) {
  const others = count - 1;
  if (others <= 0) return gridRects(count, width, height, gap);
  const { main, strip } = mainAndStrip(others, width, height, gap);
  const big = fit(main.w, main.h, aspectRange(main.w, main.h, true));
  return [{ x: (main.w - big.w) / 2, y: (main.h - big.h) / 2, ...big }, ...strip];
}

/**
 * The presenter layout: shared screens fill the stage (side by side when two people share),
 * the people in a strip as beside a pinned tile. A screen is shown whole, letterboxed, so its
 * rectangle is all the room there is rather than a tile's shape.
 * @param {number} screens @param {number} people @param {number} width @param {number} height @param {number} [gap]
 * @returns {Rect[]}  the screens' first, then the people's
 */
export function presenterRects(screens, people, width, height, gap = GAP) {
  const { main, strip } = people ? mainAndStrip(people, width, height, gap) : { main: { x: 0, y: 0, w: width, h: height }, strip: [] };
  const cols = screens > 1 && main.w >= main.h ? screens : 1;
  const rows = Math.ceil(screens / cols);
  const w = (main.w - gap * (cols - 1)) / cols;
  const h = (main.h - gap * (rows - 1)) / rows;
  /** @type {Rect[]} */
  const shown = [];
  for (let i = 0; i < screens; i++) shown.push({ x: (i % cols) * (w + gap), y: Math.floor(i / cols) * (h + gap), w, h });
  return [...shown, ...strip];
}

/**
 * The large area and the strip of `others` beside it (landscape) or below it (portrait).
 * @param {number} others @param {number} width @param {number} height @param {number} gap
 * @returns {{main: Rect, strip: Rect[]}}
 */
function mainAndStrip(others, width, height, gap) {
  /** @type {Rect[]} */
  const strip = [];
  let main;
  if (width >= height) {
    const stripW = Math.min(260, Math.max(120, width * 0.2));
    const h = Math.min(stripW / WIDE, (height - gap * (others - 1)) / others);
    const w = Math.min(stripW, h * WIDE);
    const x = width - stripW + (stripW - w) / 2;
    const top = (height - (others * h + (others - 1) * gap)) / 2;
    for (let i = 0; i < others; i++) strip.push({ x, y: top + i * (h + gap), w, h });
    main = { w: width - stripW - gap, h: height, x: 0, y: 0 };
  } else {
    const stripH = Math.min(180, Math.max(90, height * 0.18));
    const w = Math.min(stripH, (width - gap * (others - 1)) / others);
    const y = height - stripH + (stripH - w) / 2;
    const left = (width - (others * w + (others - 1) * gap)) / 2;
    for (let i = 0; i < others; i++) strip.push({ x: left + i * (w + gap), y, w, h: w });
    main = { w: width, h: height - stripH - gap, x: 0, y: 0 };
  }
  return { main, strip };
}

/**
 * Two people: the other one fills the stage, oneself in a small picture in its corner.
 * @param {number} width @param {number} height
 * @returns {Rect[]}
 */
export function pictureInPicture(width, height) {
  const big = fit(width, height, aspectRange(width, height, true));
  const main = { x: (width - big.w) / 2, y: (height - big.h) / 2, ...big };
  const portrait = width < height;
  const w = Math.min(280, Math.max(96, main.w * (portrait ? 0.3 : 0.22)));
  const h = portrait ? (w * 4) / 3 : w / WIDE;
  const inset = 12;
  return [main, { x: main.x + main.w - w - inset, y: main.y + main.h - h - inset, w, h }];
}

/**
 * Move each element to its rectangle (whole pixels, so text stays crisp). One placed for the
 * first time appears where it belongs instead of gliding in from a corner.
 * @param {HTMLElement[]} elements @param {Rect[]} rects
 */
export function place(elements, rects) {
  elements.forEach((element, i) => {
    const r = rects[i];
    if (!r) return;
    const fresh = !element.style.width;
    if (fresh) element.style.transition = "none";
    element.style.transform = `translate(${Math.round(r.x)}px, ${Math.round(r.y)}px)`;
    element.style.width = `${Math.round(r.w)}px`;
    element.style.height = `${Math.round(r.h)}px`;
    if (fresh) {
      void element.offsetWidth; // commit the first position before transitions return
      element.style.transition = "";
    }
  });
}
