import { describe, expect, it } from "vitest";
import { canRedo, canUndo, historyReducer, initialHistory, type History } from "./history";

const add = (n: number) => ({ type: "apply" as const, change: (present: number[]) => [...present, n] });

describe("historyReducer", () => {
  it("records a change and undoes and redoes it", () => {
    let h: History<number[]> = initialHistory<number[]>([]);
    h = historyReducer(h, add(1));
    h = historyReducer(h, add(2));
    expect(h.present).toEqual([1, 2]);
    expect(canUndo(h)).toBe(true);
    expect(canRedo(h)).toBe(false);

    h = historyReducer(h, { type: "undo" });
    expect(h.present).toEqual([1]);
    expect(canRedo(h)).toBe(true);
    h = historyReducer(h, { type: "undo" });
    expect(h.present).toEqual([]);
    expect(canUndo(h)).toBe(false);

    h = historyReducer(h, { type: "redo" });
    h = historyReducer(h, { type: "redo" });
    expect(h.present).toEqual([1, 2]);
    expect(canRedo(h)).toBe(false);
  });

  it("forgets the future when a new change is made after an undo", () => {
    let h = initialHistory<number[]>([]);
    h = historyReducer(h, add(1));
    h = historyReducer(h, add(2));
    h = historyReducer(h, { type: "undo" });
    h = historyReducer(h, add(3));
    expect(h.present).toEqual([1, 3]);
    expect(canRedo(h)).toBe(false);
  });

  it("records nothing when a change returns the same state", () => {
    const h = historyReducer(initialHistory([1]), { type: "apply", change: (present) => present });
    expect(canUndo(h)).toBe(false);
  });

  it("answers the same history when there is nothing to undo or redo", () => {
    const h = initialHistory([1]);
    expect(historyReducer(h, { type: "undo" })).toBe(h);
    expect(historyReducer(h, { type: "redo" })).toBe(h);
  });

  it("keeps at most `limit` steps", () => {
    let h = initialHistory<number[]>([]);
    for (let i = 0; i < 10; i++) h = historyReducer(h, add(i), 3);
    expect(h.past).toHaveLength(3);
    for (let i = 0; i < 5; i++) h = historyReducer(h, { type: "undo" }, 3);
    expect(h.present).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("starts over on reset", () => {
    let h = historyReducer(initialHistory<number[]>([]), add(1));
    h = historyReducer(h, { type: "reset", present: [9] });
    expect(h).toEqual({ past: [], present: [9], future: [] });
  });
});
