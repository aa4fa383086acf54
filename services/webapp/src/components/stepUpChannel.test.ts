import { afterEach, describe, expect, it } from "vitest";
import { announceStepUp, isStepUpReturn, listenForStepUp } from "./stepUpChannel";

const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

function heard(): Promise<string> {
  return new Promise((resolve) => {
    stops.push(listenForStepUp(() => resolve("done")));
    setTimeout(() => resolve("nothing"), 300);
  });
}

describe("the step-up window's message", () => {
  it("is recognised only on the page the sign-in comes back to", () => {
    expect(isStepUpReturn("?step-up-done=1")).toBe(true);
    expect(isStepUpReturn("")).toBe(false);
    expect(isStepUpReturn("?step-up-done=0")).toBe(false);
    expect(isStepUpReturn("?next=%3Fstep-up-done%3D1")).toBe(false);
  });

  it("reaches the page that is listening", async () => {
    const listening = heard();
    announceStepUp();
    expect(await listening).toBe("done");
  });

  it("is the only message the page acts on", async () => {
    const listening = heard();
    const other = new BroadcastChannel("enclave-step-up");
    other.postMessage({ done: "yes" });
    other.postMessage("done");
    other.close();
    expect(await listening).toBe("nothing");
  });
});
