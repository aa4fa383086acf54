import { describe, expect, it } from "vitest";
import { inAppTarget, type LinkClick } from "./leave";

const here = { origin: "https://enclave.example", path: "/app/tasks/abc" };

function click(href: string, extra: Partial<LinkClick> = {}): LinkClick {
  return { href, target: "", download: false, button: 0, modified: false, ...extra };
}

describe("links that leave the task for another page of the app", () => {
  it("catches a plain click to another page of the app, with its query", () => {
    expect(inAppTarget(click("https://enclave.example/app/tasks"), here)).toBe("/app/tasks");
    expect(inAppTarget(click("/app/projects/p1?x=1"), here)).toBe("/app/projects/p1?x=1");
    expect(inAppTarget(click("https://enclave.example/app"), here)).toBe("/app");
  });

  it("lets the page's own address, other origins and files outside the app go by", () => {
    expect(inAppTarget(click("https://enclave.example/app/tasks/abc"), here)).toBeNull();
    expect(inAppTarget(click("https://elsewhere.example/app/tasks"), here)).toBeNull();
    expect(inAppTarget(click("https://enclave.example/api/v1/projects/p/jobs/j/artifact"), here)).toBeNull();
    expect(inAppTarget(click("mailto:someone@example.com"), here)).toBeNull();
  });

  it("lets new tabs, downloads, other buttons and modified clicks go by", () => {
    expect(inAppTarget(click("/app/tasks", { target: "_blank" }), here)).toBeNull();
    expect(inAppTarget(click("/app/tasks", { target: "_self" }), here)).toBe("/app/tasks");
    expect(inAppTarget(click("/app/tasks", { download: true }), here)).toBeNull();
    expect(inAppTarget(click("/app/tasks", { button: 1 }), here)).toBeNull();
    expect(inAppTarget(click("/app/tasks", { modified: true }), here)).toBeNull();
  });
});
