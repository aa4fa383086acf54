import { describe, expect, it } from "vitest";
import { COMMON_SHORTCUTS, FOCUS_ORDER, IMAGE_SHORTCUTS, digitIndex, isRedo, isSaveDraft, isSubmit, isUndo } from "./keys";

/** The fields of a KeyboardEvent the predicates read (node has no KeyboardEvent). */
function key(init: Partial<Pick<KeyboardEvent, "key" | "code" | "ctrlKey" | "metaKey" | "shiftKey" | "altKey">>): KeyboardEvent {
  return { key: "", code: "", ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...init } as KeyboardEvent;
}

describe("keys", () => {
  it("submits with Ctrl or ⌘ + Enter, not with Enter alone or Alt", () => {
    expect(isSubmit(key({ key: "Enter", ctrlKey: true }))).toBe(true);
    expect(isSubmit(key({ key: "Enter", metaKey: true }))).toBe(true);
    expect(isSubmit(key({ key: "Enter" }))).toBe(false);
    expect(isSubmit(key({ key: "Enter", ctrlKey: true, altKey: true }))).toBe(false);
  });

  it("saves a draft with Ctrl or ⌘ + S (either case), not with S alone, Alt or Shift", () => {
    expect(isSaveDraft(key({ key: "s", ctrlKey: true }))).toBe(true);
    expect(isSaveDraft(key({ key: "S", metaKey: true }))).toBe(true);
    expect(isSaveDraft(key({ key: "s" }))).toBe(false);
    expect(isSaveDraft(key({ key: "s", ctrlKey: true, altKey: true }))).toBe(false);
    expect(isSaveDraft(key({ key: "S", ctrlKey: true, shiftKey: true }))).toBe(false);
  });

  it("picks labels with the digits 1 to 9, from the row or the keypad", () => {
    expect(digitIndex(key({ key: "1", code: "Digit1" }))).toBe(0);
    expect(digitIndex(key({ key: "End", code: "Numpad1" }))).toBe(0);
    expect(digitIndex(key({ key: "9", code: "Digit9" }))).toBe(8);
    expect(digitIndex(key({ key: "0", code: "Digit0" }))).toBeNull();
    expect(digitIndex(key({ key: "1", code: "Digit1", ctrlKey: true }))).toBeNull();
  });

  it("tells undo from redo", () => {
    expect(isUndo(key({ key: "z", ctrlKey: true }))).toBe(true);
    expect(isRedo(key({ key: "Z", ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(isRedo(key({ key: "y", ctrlKey: true }))).toBe(true);
    expect(isUndo(key({ key: "Z", ctrlKey: true, shiftKey: true }))).toBe(false);
  });

  it("documents every key the image editor and the task take", () => {
    const documented = [...IMAGE_SHORTCUTS, ...COMMON_SHORTCUTS, ...FOCUS_ORDER].map((s) => s.keys).join(" | ");
    for (const needed of ["1 – 9", "N", "Arrow keys", ", and .", "Alt + arrow keys", "Ctrl + Enter", "Tab", "Delete"]) {
      expect(documented).toContain(needed);
    }
  });
});
