// Text offsets. The api counts characters as Python does (Unicode code points); the browser's
// strings and selections count UTF-16 code units. An emoji is one of the first and two of the
// second, so every offset crosses this module. Pure; tested in text.test.ts.

export interface OffsetMap {
  /** The text's length in code points. */
  readonly length: number;
  toCodePoint(unit: number): number;
  toCodeUnit(point: number): number;
}

export function offsetMap(text: string): OffsetMap {
  // Most texts have no astral character: then both counts are the same.
  if (!/[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(text)) {
    return {
      length: text.length,
      toCodePoint: (unit) => Math.max(0, Math.min(unit, text.length)),
      toCodeUnit: (point) => Math.max(0, Math.min(point, text.length)),
    };
  }
  // unitsBefore[p]: the code units before code point p.
  const unitsBefore: number[] = [0];
  // pointsBefore[u]: the code points before code unit u (inside a pair: the pair's start).
  const pointsBefore: number[] = new Array<number>(text.length + 1);
  let unit = 0;
  let point = 0;
  while (unit < text.length) {
    const code = text.codePointAt(unit)!;
    const width = code > 0xffff ? 2 : 1;
    for (let k = 0; k < width; k++) pointsBefore[unit + k] = point;
    unit += width;
    point += 1;
    unitsBefore.push(unit);
  }
  pointsBefore[text.length] = point;
  return {
    length: point,
    toCodePoint: (u) => pointsBefore[Math.max(0, Math.min(u, text.length))]!,
    toCodeUnit: (p) => unitsBefore[Math.max(0, Math.min(p, point))]!,
  };
}

export interface Segment {
  /** Code unit range in the text. */
  start: number;
  end: number;
  /** The spans (by index in the given list) covering this segment. */
  covering: number[];
}

/** Cuts the text at every span boundary: the pieces a highlighted rendering needs. */
export function segments(length: number, spans: readonly { start: number; end: number }[]): Segment[] {
  const cuts = new Set<number>([0, length]);
  for (const span of spans) {
    cuts.add(Math.max(0, Math.min(span.start, length)));
    cuts.add(Math.max(0, Math.min(span.end, length)));
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const start = sorted[i]!;
    const end = sorted[i + 1]!;
    if (end <= start) continue;
    const covering: number[] = [];
    spans.forEach((span, index) => {
      if (span.start <= start && span.end >= end) covering.push(index);
    });
    out.push({ start, end, covering });
  }
  return out;
}

/** Where a word starts or ends from `from`, moving in `direction` (keyboard selection by word). */
export function wordBoundary(text: string, from: number, direction: 1 | -1): number {
  const isWord = (char: string | undefined) => char !== undefined && /[\p{L}\p{N}_]/u.test(char);
  let i = from;
  if (direction > 0) {
    while (i < text.length && !isWord(text[i])) i++;
    while (i < text.length && isWord(text[i])) i++;
  } else {
    while (i > 0 && !isWord(text[i - 1])) i--;
    while (i > 0 && isWord(text[i - 1])) i--;
  }
  return i;
}

/** A short, single-line excerpt of a span's text for lists and names. */
export function excerpt(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
