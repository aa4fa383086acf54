import { describe, expect, it } from "vitest";
import type { AnnotationPayload } from "../api/types";
import { addObject, fromPayload, relabel, removeObject, setClassification, toPayload, toggleOption } from "./document";

const payload: AnnotationPayload = {
  objects: [
    { kind: "bbox", label: "car", x: 1, y: 2, width: 3, height: 4 },
    { kind: "polygon", label: "road", points: [[0, 0], [10, 0], [5, 5]] },
    { kind: "span", label: "PER", start: 0, end: 5 },
  ],
  classifications: { weather: ["sunny"] },
};

describe("document", () => {
  it("round-trips the api's payload", () => {
    expect(toPayload(fromPayload(payload))).toEqual(payload);
  });

  it("rounds coordinates to two decimals and drops empty answers", () => {
    const doc = addObject(fromPayload(null), { id: "x", kind: "bbox", label: "car", x: 1.23456, y: 0, width: 2.005, height: 3 });
    const withEmpty = setClassification(doc, "weather", []);
    expect(toPayload(withEmpty)).toEqual({
      objects: [{ kind: "bbox", label: "car", x: 1.23, y: 0, width: 2.01, height: 3 }],
      classifications: {},
    });
  });

  it("answers the same document when nothing changes", () => {
    const doc = fromPayload(payload);
    const id = doc.objects[0]!.id;
    expect(relabel(doc, id, "car")).toBe(doc);
    expect(removeObject(doc, "missing")).toBe(doc);
    expect(setClassification(doc, "weather", ["sunny"])).toBe(doc);
    expect(relabel(doc, id, "bus").objects[0]!.label).toBe("bus");
  });

  it("toggles options of single and multiple choice questions", () => {
    expect(toggleOption(["a"], "b", false)).toEqual(["b"]);
    expect(toggleOption(["a"], "b", true)).toEqual(["a", "b"]);
    expect(toggleOption(["a", "b"], "a", true)).toEqual(["b"]);
  });
});
