// The one way the web app talks to the api: same origin, the session cookie, the session's CSRF
// token on every change, and every failure turned into a Problem with words a person can read.
// A step-up refusal (401 `insufficient_user_authentication`, RFC 9470) is answered once by the
// registered step-up handler (the person signs in again) and the request is sent again.
// Owns the transport only; never decides what a page shows.

const CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** An error answer of the api (RFC 9457 `application/problem+json`), or a failure to reach it. */
export class Problem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | null;

  constructor(status: number, title: string, detail: string | null) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = "Problem";
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

/** Turns anything thrown into a Problem (a bug in the app included), so a page always has words. */
export function asProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof Error) return new Problem(0, "Something went wrong in the app", error.message);
  return new Problem(0, "Something went wrong in the app", String(error));
}

let csrfToken: string | null = null;
const unauthenticatedListeners = new Set<() => void>();
let stepUpHandler: (() => Promise<boolean>) | null = null;

/** Whether an answer asks for a fresh sign-in before this action (the session itself is fine). */
export function asksForStepUp(status: number, wwwAuthenticate: string | null): boolean {
  return status === 401 && (wwwAuthenticate ?? "").includes('error="insufficient_user_authentication"');
}

/** Registers who asks the person to sign in again; it resolves true once they did. One at a time. */
export function onStepUp(handler: () => Promise<boolean>): () => void {
  stepUpHandler = handler;
  return () => {
    if (stepUpHandler === handler) stepUpHandler = null;
  };
}

/** Keeps the session's CSRF token in memory only (never in storage), for every changing request. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request answers 401: the session ended (signed out elsewhere, expired). */
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** A body sent as it is (a file, JSON lines, CSV), with its own Content-Type; not JSON-encoded. */
  raw?: { body: BodyInit; type: string };
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Do not treat a 401 as the end of the session (the session probe itself). */
  quiet401?: boolean;
  /** Set on the one retry after a step-up, so a second refusal is not asked about again. */
  steppedUp?: boolean;
}

async function problemOf(response: Response): Promise<Problem> {
  const type = response.headers.get("Content-Type") ?? "";
  if (type.includes("json")) {
    try {
      const body = (await response.json()) as { title?: unknown; detail?: unknown };
      const title = typeof body.title === "string" && body.title ? body.title : statusWords(response);
      const detail = typeof body.detail === "string" && body.detail ? body.detail : null;
      return new Problem(response.status, title, detail);
    } catch {
      // fall through: a body that is not JSON after all
    }
  }
  return new Problem(response.status, statusWords(response), null);
}

function statusWords(response: Response): string {
  const text = response.statusText ? ` ${response.statusText}` : "";
  return `The server answered ${response.status}${text}`;
}

/** Sends one request; answers the raw Response when it is a success, throws a Problem otherwise. */
export async function send(path: string, options: RequestOptions = {}): Promise<Response> {
  const method = (options.method ?? "GET").toUpperCase();
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json", ...options.headers };
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  } else if (options.raw) {
    headers["Content-Type"] = options.raw.type;
    body = options.raw.body;
  }
  if (CHANGING.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body,
      credentials: "same-origin",
      cache: "no-store",
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new Problem(0, "Could not reach the server", "Check your connection and try again.");
  }
  if (response.ok) return response;
  const problem = await problemOf(response);
  if (asksForStepUp(response.status, response.headers.get("WWW-Authenticate"))) {
    if (stepUpHandler && !options.steppedUp && (await stepUpHandler())) {
      // The fresh sign-in made a new session, with a new CSRF token.
      const session = await request<{ csrf_token: string }>("/auth/session", { quiet401: true });
      setCsrfToken(session.csrf_token);
      return send(path, { ...options, steppedUp: true });
    }
    throw problem;
  }
  if (response.status === 401 && !options.quiet401) {
    for (const listener of unauthenticatedListeners) listener();
  }
  throw problem;
}

/** A JSON request: the parsed body of a success (null for 204). */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return null as T;
  return (await response.json()) as T;
}

/** The headers a changing request sent other than through `send` needs (an upload by XMLHttpRequest). */
export function changeHeaders(): Record<string, string> {
  return csrfToken ? { "X-CSRF-Token": csrfToken } : {};
}

/** Reads a problem from a failed XMLHttpRequest (uploads, for their progress events) in words; a 401
 * ends the session as it does for `send`. */
export function problemOfXhr(xhr: XMLHttpRequest): Problem {
  if (xhr.status === 401) for (const listener of unauthenticatedListeners) listener();
  const words = `The server answered ${xhr.status}${xhr.statusText ? ` ${xhr.statusText}` : ""}`;
  if (xhr.status === 0) return new Problem(0, "Could not reach the server", "Check your connection and try again.");
  if ((xhr.getResponseHeader("Content-Type") ?? "").includes("json")) {
    try {
      const body = JSON.parse(xhr.responseText) as { title?: unknown; detail?: unknown };
      const title = typeof body.title === "string" && body.title ? body.title : words;
      const detail = typeof body.detail === "string" && body.detail ? body.detail : null;
      return new Problem(xhr.status, title, detail);
    } catch {
      // not JSON after all
    }
  }
  return new Problem(xhr.status, words, null);
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>(path, { signal }),
  post: <T>(path: string, body: unknown, headers?: Record<string, string>) =>
    request<T>(path, { method: "POST", body, headers }),
  put: <T>(path: string, body: unknown, headers?: Record<string, string>) =>
    request<T>(path, { method: "PUT", body, headers }),
  patch: <T>(path: string, body: unknown, headers?: Record<string, string>) =>
    request<T>(path, { method: "PATCH", body, headers }),
  delete: <T>(path: string, headers?: Record<string, string>) => request<T>(path, { method: "DELETE", headers }),
};

/** Path segments are uuids from the api, but escape them anyway. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
