// Who is signed in: the BFF session (`GET /auth/session`) and the caller's member record
// (`GET /api/v1/me`). Keeps the CSRF token in memory for the api client; signs out with it.

import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, asProblem, onUnauthenticated, request, setCsrfToken, type Problem } from "./api/client";
import type { Member, SessionInfo } from "./api/types";

export type SessionState =
  | { state: "loading" }
  | { state: "signed-out"; reason: "none" | "expired" | "signed-out" }
  | { state: "error"; problem: Problem }
  | { state: "signed-in"; session: SessionInfo; me: Member | null; meProblem: Problem | null };

interface SessionContextValue {
  session: SessionState;
  retry: () => void;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}

/** The signed-in session; only for components shown when signed in. */
export function useSignedIn(): Extract<SessionState, { state: "signed-in" }> {
  const { session } = useSession();
  if (session.state !== "signed-in") throw new Error("useSignedIn while not signed in");
  return session;
}

async function probe(): Promise<SessionState> {
  let session: SessionInfo;
  try {
    session = await request<SessionInfo>("/auth/session", { quiet401: true });
  } catch (error) {
    const problem = asProblem(error);
    if (problem.status === 401) return { state: "signed-out", reason: "none" };
    return { state: "error", problem };
  }
  setCsrfToken(session.csrf_token);
  try {
    const me = await api.get<Member>("/api/v1/me");
    return { state: "signed-in", session, me, meProblem: null };
  } catch (error) {
    const problem = asProblem(error);
    if (problem.status === 401) return { state: "signed-out", reason: "expired" };
    return { state: "signed-in", session, me: null, meProblem: problem };
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionState>({ state: "loading" });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let live = true;
    setSession({ state: "loading" });
    void probe().then((next) => {
      if (live) setSession(next);
    });
    return () => {
      live = false;
    };
  }, [generation]);

  useEffect(
    () =>
      onUnauthenticated(() => {
        setCsrfToken(null);
        setSession({ state: "signed-out", reason: "expired" });
      }),
    [],
  );

  const retry = useCallback(() => setGeneration((g) => g + 1), []);

  const signOut = useCallback(async () => {
    try {
      await request<null>("/auth/logout", { method: "POST", quiet401: true });
    } catch (error) {
      // A session that had already ended is signed out all the same.
      if (asProblem(error).status !== 401) throw error;
    }
    setCsrfToken(null);
    setSession({ state: "signed-out", reason: "signed-out" });
  }, []);

  return <SessionContext.Provider value={{ session, retry, signOut }}>{children}</SessionContext.Provider>;
}

/** Starts the organization's sign-in: a full page navigation through the api to the IdP and back. */
export function signInUrl(organizationSlug: string, next: string): string {
  const query = new URLSearchParams({ org: organizationSlug, next });
  return `/auth/login?${query.toString()}`;
}

/** The query parameter the step-up window comes back with, once the person signed in again. */
export const STEP_UP_DONE = "step-up-done";

/** A sign-in that asks for every factor again (the step-up), coming back to a page that says so. */
export function stepUpUrl(organizationSlug: string): string {
  const query = new URLSearchParams({ org: organizationSlug, next: `/app/?${STEP_UP_DONE}=1`, reauthenticate: "true" });
  return `/auth/login?${query.toString()}`;
}
