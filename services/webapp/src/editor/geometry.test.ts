import { describe, expect, it } from "vitest";
import {
  MAX_SCALE,
  boxAround,
  clampRect,
  doubledArea,
  dropRepeatedPoints,
  fitView,
  keepRectInside,
  moveVertex,
  normalizeRect,
  pointsBounds,
  resizeRect,
  stepVertex,
  toImage,
  translatePoints,
  wheelFactor,
  zoomAt,
} from "./geometry";

const image = { width: 100, height: 50 };

describe("rectangles", () => {
  it("normalises a drag in any direction", () => {
    expect(normalizeRect({ x: 10, y: 20 }, { x: 4, y: 5 })).toEqual({ x: 4, y: 5, width: 6, height: 15 });
  });

  it("cuts a rectangle to the image", () => {
    expect(clampRect({ x: -10, y: 40, width: 30, height: 30 }, image)).toEqual({ x: 0, y: 40, width: 20, height: 10 });
  });

  it("moves a rectangle back inside the image, keeping its size", () => {
    expect(keepRectInside({ x: 90, y: -5, width: 20, height: 10 }, image)).toEqual({ x: 80, y: 0, width: 20, height: 10 });
  });

  it("resizes from the bottom-right corner within limits", () => {
    expect(resizeRect({ x: 90, y: 0, width: 5, height: 5 }, 50, -10, image)).toEqual({ x: 90, y: 0, width: 10, height: 2 });
  });

  it("makes a keyboard box inside the image", () => {
    const box = boxAround({ x: 99, y: 49 }, image);
    expect(box.x + box.width).toBeLessThanOrEqual(100);
    expect(box.y + box.height).toBeLessThanOrEqual(50);
    expect(box.width).toBe(10);
  });
});

describe("polygons", () => {
  const triangle = [10, 10, 30, 10, 20, 40];

  it("has bounds", () => {
    expect(pointsBounds(triangle)).toEqual({ x: 10, y: 10, width: 20, height: 30 });
  });

  it("moves only as far as the image allows", () => {
    expect(translatePoints(triangle, 100, -100, image)).toEqual([80, 0, 100, 0, 90, 30]);
  });

  it("drops repeated points from a double click and a closing point", () => {
    const points = dropRepeatedPoints(
      [
        { x: 0, y: 0 },
        { x: 10, y: 0 },
        { x: 10, y: 10 },
        { x: 10.5, y: 10 },
        { x: 0.5, y: 0.5 },
      ],
      1,
    );
    expect(points).toEqual([
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 10, y: 10 },
    ]);
  });

  it("knows a degenerate polygon has no area", () => {
    expect(doubledArea([0, 0, 5, 5, 10, 10])).toBe(0);
    expect(Math.abs(doubledArea([0, 0, 10, 0, 10, 10, 0, 10]))).toBe(200);
  });
});

describe("view", () => {
  it("fits and centres the image", () => {
    const view = fitView(image, { width: 232, height: 432 }, 16);
    expect(view.scale).toBe(2);
    expect(view.x).toBe(16);
    expect(view.y).toBe(166);
  });

  it("keeps the point under the pointer while zooming", () => {
    const view = { scale: 2, x: 10, y: 20 };
    const anchor = { x: 110, y: 70 };
    const before = toImage(view, anchor);
    const after = toImage(zoomAt(view, anchor, 1.5), anchor);
    expect(after.x).toBeCloseTo(before.x);
    expect(after.y).toBeCloseTo(before.y);
  });

  it("never zooms past the limits", () => {
    expect(zoomAt({ scale: 30, x: 0, y: 0 }, { x: 0, y: 0 }, 10).scale).toBe(MAX_SCALE);
  });

  it("zooms in for a wheel turned up and out for down", () => {
    expect(wheelFactor(-100, 0)).toBeGreaterThan(1);
    expect(wheelFactor(100, 0)).toBeLessThan(1);
    expect(wheelFactor(3, 1)).toBeCloseTo(wheelFactor(99, 0));
  });
});

describe("polygon vertices", () => {
  const square = [10, 10, 20, 10, 20, 20, 10, 20];

  it("moves one vertex and leaves the others", () => {
    expect(moveVertex(square, 2, { x: 25, y: 30 }, image)).toEqual([10, 10, 20, 10, 25, 30, 10, 20]);
    expect(square).toEqual([10, 10, 20, 10, 20, 20, 10, 20]);
  });

  it("keeps a moved vertex inside the image", () => {
    expect(moveVertex(square, 0, { x: -5, y: 70 }, image)).toEqual([0, 50, 20, 10, 20, 20, 10, 20]);
  });

  it("answers the same list for no change or a vertex that is not there", () => {
    expect(moveVertex(square, 1, { x: 20, y: 10 }, image)).toBe(square);
    expect(moveVertex(square, 4, { x: 1, y: 1 }, image)).toBe(square);
    expect(moveVertex(square, -1, { x: 1, y: 1 }, image)).toBe(square);
  });

  it("steps through the vertices, wrapping, from none", () => {
    expect(stepVertex(null, 1, 4)).toBe(0);
    expect(stepVertex(null, -1, 4)).toBe(3);
    expect(stepVertex(3, 1, 4)).toBe(0);
    expect(stepVertex(0, -1, 4)).toBe(3);
    expect(stepVertex(7, 1, 4)).toBe(0);
    expect(stepVertex(0, 1, 0)).toBeNull();
  });
});
