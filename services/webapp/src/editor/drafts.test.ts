import { describe, expect, it } from "vitest";
import { DraftStore } from "./drafts";

describe("drafts kept in memory", () => {
  const basis = { taskVersion: 3, startVersionId: "v2" };

  it("gives a draft back on the same basis", () => {
    const store = new DraftStore<string>();
    store.set("task:1", basis, "work");
    expect(store.get("task:1", { taskVersion: 3, startVersionId: "v2" })).toBe("work");
    expect(store.get("task:2", basis)).toBeNull();
  });

  it("drops a draft made on another version of the task or from another starting version", () => {
    const store = new DraftStore<string>();
    store.set("task:1", basis, "work");
    expect(store.get("task:1", { taskVersion: 4, startVersionId: "v2" })).toBeNull();
    expect(store.has("task:1")).toBe(false);
    store.set("task:1", basis, "work");
    expect(store.get("task:1", { taskVersion: 3, startVersionId: null })).toBeNull();
    expect(store.has("task:1")).toBe(false);
  });

  it("keeps the newest drafts only, up to its limit", () => {
    const store = new DraftStore<number>(2);
    store.set("a", basis, 1);
    store.set("b", basis, 2);
    store.set("a", basis, 3); // a is newest again
    store.set("c", basis, 4);
    expect(store.has("b")).toBe(false);
    expect(store.get("a", basis)).toBe(3);
    expect(store.get("c", basis)).toBe(4);
    expect(store.size).toBe(2);
  });

  it("forgets a draft on request (submitted or discarded)", () => {
    const store = new DraftStore<string>();
    store.set("task:1", basis, "work");
    store.delete("task:1");
    expect(store.get("task:1", basis)).toBeNull();
  });
});
