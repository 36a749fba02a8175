// layout.js is pure geometry: where tiles go on a stage of a given size.

import assert from "node:assert/strict";
import { test } from "node:test";

import { aspectRange, GAP, grid, gridRects, pictureInPicture, pinnedRects, place, presenterRects } from "../../parlour/static/layout.js";

const STAGES = [
  [1280, 720],
  [1920, 1080],
  [800, 800],
  [390, 844],
  [1024, 600],
];

/** @param {{x: number, y: number, w: number, h: number}} r @param {number} width @param {number} height */
function inside(r, width, height) {
  const slack = 0.01;
  return r.x >= -slack && r.y >= -slack && r.x + r.w <= width + slack && r.y + r.h <= height + slack;
}

/** @param {{x: number, y: number, w: number, h: number}} a @param {{x: number, y: number, w: number, h: number}} b */
function apart(a, b) {
  const slack = 0.01;
  return a.x + a.w <= b.x + slack || b.x + b.w <= a.x + slack || a.y + a.h <= b.y + slack || b.y + b.h <= a.y + slack;
}

test("a grid of 1 to 9 tiles stays on the stage, without overlaps, each tile of an allowed shape", () => {
  for (const [width, height] of STAGES) {
    for (let count = 1; count <= 9; count++) {
      const rects = gridRects(count, width, height);
      assert.equal(rects.length, count);
      const [low, high] = aspectRange(width, height, count === 1);
      for (const [i, r] of rects.entries()) {
        assert.ok(inside(r, width, height), `${count} on ${width}×${height}: tile ${i} off the stage`);
        assert.ok(r.w / r.h >= low - 1e-9 && r.w / r.h <= high + 1e-9, `${count} on ${width}×${height}: shape ${r.w / r.h}`);
        for (const other of rects.slice(i + 1)) assert.ok(apart(r, other), `${count} on ${width}×${height}: overlap`);
      }
    }
  }
});

test("the grid picks the columns that make tiles largest: four on a wide stage are two by two", () => {
  assert.deepEqual([grid(4, 1280, 720).cols, grid(4, 1280, 720).rows], [2, 2]);
  assert.deepEqual([grid(2, 1280, 720).cols, grid(2, 1280, 720).rows], [2, 1]);
  assert.deepEqual([grid(2, 390, 844).cols, grid(2, 390, 844).rows], [1, 2]);
  const one = grid(1, 1920, 1080);
  assert.deepEqual(one, { cols: 1, rows: 1, w: 1920, h: 1080 });
});

test("a short last row is centred", () => {
  const rects = gridRects(3, 1280, 720);
  const top = rects.filter((r) => r.y === rects[0].y);
  const last = rects.filter((r) => r.y !== rects[0].y);
  assert.equal(top.length, 2);
  assert.equal(last.length, 1);
  assert.ok(Math.abs(last[0].x + last[0].w / 2 - 640) < 0.5);
  assert.ok(Math.abs(top[1].x - (top[0].x + top[0].w) - GAP) < 1e-9, "tiles of a row are one gap apart");
});

test("a pinned tile comes first and largest, the others in a strip beside it (wide) or below it (tall)", () => {
  for (const [width, height] of STAGES) {
    for (let count = 2; count <= 6; count++) {
      const [main, ...strip] = pinnedRects(count, width, height);
      assert.equal(strip.length, count - 1);
      for (const r of [main, ...strip]) assert.ok(inside(r, width, height), `${count} on ${width}×${height}`);
      for (const r of strip) {
        assert.ok(apart(main, r), `${count} on ${width}×${height}: the strip covers the pinned tile`);
        assert.ok(r.w * r.h < main.w * main.h);
        if (width >= height) assert.ok(r.x >= main.x + main.w, "beside");
        else assert.ok(r.y >= main.y + main.h, "below");
      }
    }
  }
  assert.deepEqual(pinnedRects(1, 1280, 720), gridRects(1, 1280, 720), "alone, pinning changes nothing");
});

test("picture in picture puts oneself small inside the other's corner", () => {
  for (const [width, height] of STAGES) {
    const [main, self] = pictureInPicture(width, height);
    assert.ok(inside(main, width, height));
    assert.ok(self.x >= main.x && self.y >= main.y && self.x + self.w <= main.x + main.w && self.y + self.h <= main.y + main.h);
    assert.ok(self.x + self.w / 2 > main.x + main.w / 2 && self.y + self.h / 2 > main.y + main.h / 2, "bottom right");
    assert.ok(self.w * self.h < (main.w * main.h) / 4);
  }
});

test("place() moves each element to its rectangle in whole pixels, gliding only after the first time", () => {
  /** The transition in force each time the layout is committed (offsetWidth read). */
  const committed = [];
  const element = () => ({
    style: /** @type {Record<string, string>} */ ({ width: "", transition: "" }),
    get offsetWidth() {
      committed.push(this.style.transition);
      return 0;
    },
  });
  const [first, second] = [element(), element()];
  place(/** @type {any} */ ([first, second]), [{ x: 10.4, y: 20.6, w: 300.5, h: 168.2 }]);
  assert.deepEqual(first.style, { transform: "translate(10px, 21px)", width: "301px", height: "168px", transition: "" });
  assert.deepEqual(committed, ["none"], "the first position is committed with transitions off");
  assert.deepEqual(second.style, { width: "", transition: "" }, "no rectangle, not moved");
  place(/** @type {any} */ ([first]), [{ x: 50, y: 60, w: 200, h: 100 }]);
  assert.equal(first.style.transform, "translate(50px, 60px)");
  assert.deepEqual(committed, ["none"], "a later move glides");
});

test("presenter layout: one or two screens take the stage, each larger than any person in the strip", () => {
  for (const [width, height] of STAGES) {
    for (const screens of [1, 2]) {
      for (let people = 1; people <= 5; people++) {
        const rects = presenterRects(screens, people, width, height);
        assert.equal(rects.length, screens + people);
        for (const r of rects) assert.ok(inside(r, width, height), `${JSON.stringify(r)} off a ${width}x${height} stage`);
        for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) assert.ok(apart(rects[i], rects[j]));
        const smallestScreen = Math.min(...rects.slice(0, screens).map((r) => r.w * r.h));
        const largestPerson = Math.max(...rects.slice(screens).map((r) => r.w * r.h));
        assert.ok(smallestScreen > 2 * largestPerson, `${width}x${height}, ${screens} screens, ${people} people`);
      }
    }
  }
});

test("presenter layout: a single screen fills all but the strip", () => {
  const [screen] = presenterRects(1, 3, 1280, 720);
  assert.ok(screen.w * screen.h > 0.6 * 1280 * 720);
});
