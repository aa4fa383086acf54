import { describe, expect, it } from "vitest";
import { excerpt, offsetMap, segments, wordBoundary } from "./text";

describe("offsetMap", () => {
  it("is the identity for text without astral characters", () => {
    const map = offsetMap("héllo");
    expect(map.length).toBe(5);
    expect(map.toCodePoint(3)).toBe(3);
    expect(map.toCodeUnit(3)).toBe(3);
  });

  it("counts an emoji as one character, as the api does", () => {
    const text = "a😀b";
    const map = offsetMap(text);
    expect(text.length).toBe(4);
    expect(map.length).toBe(3);
    expect(map.toCodePoint(3)).toBe(2); // before "b"
    expect(map.toCodeUnit(2)).toBe(3);
    expect(map.toCodePoint(2)).toBe(1); // inside the pair: the pair's start
    expect(map.toCodeUnit(map.length)).toBe(4);
  });
});

describe("segments", () => {
  it("cuts text at span boundaries and says which spans cover each piece", () => {
    expect(
      segments(10, [
        { start: 2, end: 6 },
        { start: 4, end: 8 },
      ]),
    ).toEqual([
      { start: 0, end: 2, covering: [] },
      { start: 2, end: 4, covering: [0] },
      { start: 4, end: 6, covering: [0, 1] },
      { start: 6, end: 8, covering: [1] },
      { start: 8, end: 10, covering: [] },
    ]);
  });

  it("is one piece without spans", () => {
    expect(segments(3, [])).toEqual([{ start: 0, end: 3, covering: [] }]);
  });
});

describe("wordBoundary", () => {
  const text = "Alice met Bob.";
  it("finds the end of the next word", () => {
    expect(wordBoundary(text, 0, 1)).toBe(5);
    expect(wordBoundary(text, 5, 1)).toBe(9);
  });
  it("finds the start of the previous word", () => {
    expect(wordBoundary(text, 14, -1)).toBe(10);
    expect(wordBoundary(text, 10, -1)).toBe(6);
  });
});

it("shortens an excerpt to one line", () => {
  expect(excerpt("a\n  b", 10)).toBe("a b");
  expect(excerpt("abcdefghijkl", 5)).toBe("abcd…");
});
