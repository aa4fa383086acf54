// The image editor's arithmetic, in image pixels: rectangles from a drag, keeping shapes inside
// the image, moving polygons, and the view (zoom and pan) of the stage. Pure functions, no DOM,
// no konva: tested on their own (geometry.test.ts).

export interface Point {
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

export interface Rect extends Point, Size {}

/** The stage's view: image point p is drawn at (p.x * scale + x, p.y * scale + y) on screen. */
export interface View {
  scale: number;
  x: number;
  y: number;
}

/** A box smaller than this (in image pixels) on either side is a click, not a box. */
export const MIN_BOX = 2;
export const MIN_SCALE = 0.02;
export const MAX_SCALE = 40;

export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** Two decimals: what is sent to the api (sub-pixel noise is not annotation). */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export function clampPoint(point: Point, bounds: Size): Point {
  return { x: clamp(point.x, 0, bounds.width), y: clamp(point.y, 0, bounds.height) };
}

/** The rectangle spanned by two corners, in any order. */
export function normalizeRect(a: Point, b: Point): Rect {
  return {
    x: Math.min(a.x, b.x),
    y: Math.min(a.y, b.y),
    width: Math.abs(b.x - a.x),
    height: Math.abs(b.y - a.y),
  };
}

/** The part of `rect` inside the image (its size shrinks if it sticks out). */
export function clampRect(rect: Rect, bounds: Size): Rect {
  const x1 = clamp(rect.x, 0, bounds.width);
  const y1 = clamp(rect.y, 0, bounds.height);
  const x2 = clamp(rect.x + rect.width, 0, bounds.width);
  const y2 = clamp(rect.y + rect.height, 0, bounds.height);
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

/** `rect` moved so that it lies inside the image, keeping its size (as far as it fits). */
export function keepRectInside(rect: Rect, bounds: Size): Rect {
  const width = Math.min(rect.width, bounds.width);
  const height = Math.min(rect.height, bounds.height);
  return {
    x: clamp(rect.x, 0, bounds.width - width),
    y: clamp(rect.y, 0, bounds.height - height),
    width,
    height,
  };
}

export function isBoxBigEnough(rect: Size): boolean {
  return rect.width >= MIN_BOX && rect.height >= MIN_BOX;
}

/** The bounding rectangle of a flat point list [x0, y0, x1, y1, ...]. */
export function pointsBounds(points: readonly number[]): Rect {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = points[i]!;
    const y = points[i + 1]!;
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  if (minX === Infinity) return { x: 0, y: 0, width: 0, height: 0 };
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/** Moves a polygon by (dx, dy), as far as it can go while staying inside the image. */
export function translatePoints(points: readonly number[], dx: number, dy: number, bounds: Size): number[] {
  const box = pointsBounds(points);
  const moved = keepRectInside({ ...box, x: box.x + dx, y: box.y + dy }, bounds);
  const ox = moved.x - box.x;
  const oy = moved.y - box.y;
  return points.map((value, index) => (index % 2 === 0 ? value + ox : value + oy));
}

/** Moves a box by (dx, dy), staying inside the image. */
export function translateRect(rect: Rect, dx: number, dy: number, bounds: Size): Rect {
  return keepRectInside({ ...rect, x: rect.x + dx, y: rect.y + dy }, bounds);
}

/** Grows (or shrinks) a box from its bottom-right corner, never under MIN_BOX nor past the image. */
export function resizeRect(rect: Rect, dw: number, dh: number, bounds: Size): Rect {
  return {
    ...rect,
    width: clamp(rect.width + dw, MIN_BOX, bounds.width - rect.x),
    height: clamp(rect.height + dh, MIN_BOX, bounds.height - rect.y),
  };
}

export function distance(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** A polygon's points without consecutive near-duplicates (a double click adds two). */
export function dropRepeatedPoints(points: readonly Point[], tolerance: number): Point[] {
  const out: Point[] = [];
  for (const point of points) {
    const last = out[out.length - 1];
    if (!last || distance(last, point) > tolerance) out.push(point);
  }
  const first = out[0];
  const last = out[out.length - 1];
  if (out.length > 1 && first && last && distance(first, last) <= tolerance) out.pop();
  return out;
}

export function flatten(points: readonly Point[]): number[] {
  return points.flatMap((point) => [point.x, point.y]);
}

export function pairs(points: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < points.length; i += 2) out.push([points[i]!, points[i + 1]!]);
  return out;
}

/** Twice the signed area (shoelace); zero for a degenerate polygon (all points on a line). */
export function doubledArea(points: readonly number[]): number {
  let sum = 0;
  const n = Math.floor(points.length / 2);
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    sum += points[2 * i]! * points[2 * j + 1]! - points[2 * j]! * points[2 * i + 1]!;
  }
  return sum;
}

/** The view that shows the whole image centred in the viewport, with a margin. */
export function fitView(image: Size, viewport: Size, margin = 16): View {
  if (image.width <= 0 || image.height <= 0 || viewport.width <= 0 || viewport.height <= 0) {
    return { scale: 1, x: 0, y: 0 };
  }
  const scale = clamp(
    Math.min((viewport.width - 2 * margin) / image.width, (viewport.height - 2 * margin) / image.height),
    MIN_SCALE,
    MAX_SCALE,
  );
  return {
    scale,
    x: (viewport.width - image.width * scale) / 2,
    y: (viewport.height - image.height * scale) / 2,
  };
}

/** Zooms by `factor`, keeping the image point under `anchor` (screen pixels) where it is. */
export function zoomAt(view: View, anchor: Point, factor: number): View {
  const scale = clamp(view.scale * factor, MIN_SCALE, MAX_SCALE);
  const imageX = (anchor.x - view.x) / view.scale;
  const imageY = (anchor.y - view.y) / view.scale;
  return { scale, x: anchor.x - imageX * scale, y: anchor.y - imageY * scale };
}

/** The image point drawn at a screen point. */
export function toImage(view: View, screen: Point): Point {
  return { x: (screen.x - view.x) / view.scale, y: (screen.y - view.y) / view.scale };
}

/** The wheel's zoom factor: one notch of a mouse wheel is about 10 %; a trackpad's small deltas less. */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const pixels = deltaMode === 1 ? deltaY * 33 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(clamp(-pixels, -300, 300) * 0.001);
}

/** A new box of a sensible size centred on `centre` (keyboard drawing). */
export function boxAround(centre: Point, bounds: Size): Rect {
  const side = Math.max(MIN_BOX * 4, Math.round(Math.min(bounds.width, bounds.height) / 5));
  return keepRectInside({ x: centre.x - side / 2, y: centre.y - side / 2, width: side, height: side }, bounds);
}

/** A polygon with its vertex `index` (of the flat list's points) moved to `point`, kept inside
 * the image; the same list when nothing changes or the index is not a vertex. */
export function moveVertex(points: number[], index: number, point: Point, bounds: Size): number[] {
  const at = 2 * index;
  if (!Number.isInteger(index) || index < 0 || at + 1 >= points.length) return points;
  const { x, y } = clampPoint(point, bounds);
  if (points[at] === x && points[at + 1] === y) return points;
  const out = points.slice();
  out[at] = x;
  out[at + 1] = y;
  return out;
}

/** The vertex `step` places after `index` (wrapping), in a polygon of `count` vertices. */
export function stepVertex(index: number | null, step: 1 | -1, count: number): number | null {
  if (count <= 0) return null;
  if (index === null || index < 0 || index >= count) return step === 1 ? 0 : count - 1;
  return (index + step + count) % count;
}
