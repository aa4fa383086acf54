import { afterEach, describe, expect, it, vi } from "vitest";
import { asksForStepUp, onStepUp, send, setCsrfToken } from "./client";
import { stepUpUrl } from "../session";

const STEP_UP = 'Bearer error="insufficient_user_authentication", max_age=300';

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status < 400 ? "application/json" : "application/problem+json", ...headers },
  });
}

describe("step-up", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    setCsrfToken(null);
  });

  it("recognises the api's step-up refusal, and only it", () => {
    expect(asksForStepUp(401, STEP_UP)).toBe(true);
    expect(asksForStepUp(401, 'Bearer realm="enclave"')).toBe(false);
    expect(asksForStepUp(403, STEP_UP)).toBe(false);
    expect(asksForStepUp(401, null)).toBe(false);
  });

  it("signs in again with every factor and comes back to say so", () => {
    const url = new URL(stepUpUrl("acme"), "https://enclave.test");
    expect(url.pathname).toBe("/auth/login");
    expect(url.searchParams.get("org")).toBe("acme");
    expect(url.searchParams.get("reauthenticate")).toBe("true");
    // A page of the app itself: "/" redirects to "/app/" and would drop the parameter on the way.
    expect(url.searchParams.get("next")).toBe("/app/?step-up-done=1");
  });

  it("asks the person, then sends the action again with the new session's CSRF token", async () => {
    setCsrfToken("old");
    const sent: { path: string; csrf: string | null }[] = [];
    const answers = [answer(401, { title: "Unauthorized" }, { "WWW-Authenticate": STEP_UP }), answer(200, { csrf_token: "new" }), answer(201, { id: "k" })];
    vi.stubGlobal("fetch", async (path: string, init: RequestInit) => {
      sent.push({ path, csrf: (init.headers as Record<string, string>)["X-CSRF-Token"] ?? null });
      return answers.shift();
    });
    const asked = vi.fn(async () => true);
    const stop = onStepUp(asked);
    const response = await send("/api/v1/api-keys", { method: "POST", body: { name: "laptop" } });
    stop();
    expect(response.status).toBe(201);
    expect(asked).toHaveBeenCalledTimes(1);
    expect(sent).toEqual([
      { path: "/api/v1/api-keys", csrf: "old" },
      { path: "/auth/session", csrf: null },
      { path: "/api/v1/api-keys", csrf: "new" },
    ]);
  });

  it("gives up when the person cancels, and asks only once per action", async () => {
    const refuse = () => answer(401, { title: "Unauthorized" }, { "WWW-Authenticate": STEP_UP });
    vi.stubGlobal("fetch", async () => refuse());
    const stop = onStepUp(async () => false);
    await expect(send("/api/v1/exports", { method: "POST" })).rejects.toMatchObject({ status: 401 });
    stop();
    const again = onStepUp(async () => true);
    const answers = [refuse(), answer(200, { csrf_token: "new" }), refuse()];
    vi.stubGlobal("fetch", async () => answers.shift());
    await expect(send("/api/v1/exports", { method: "POST" })).rejects.toMatchObject({ status: 401 });
    again();
  });
});
