// Loads something for a page and tells the page which of the three states it is in: loading,
// failed (with the api's problem in words) or loaded. A newer load supersedes an older one.

import { useCallback, useEffect, useRef, useState } from "react";
import { asProblem, type Problem } from "../api/client";

export type Resource<T> =
  | { state: "loading"; reload: () => void }
  | { state: "error"; problem: Problem; reload: () => void }
  | { state: "ready"; data: T; reload: () => void; replace: (data: T) => void };

export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Resource<T> {
  const [result, setResult] = useState<
    { state: "loading" } | { state: "error"; problem: Problem } | { state: "ready"; data: T }
  >({ state: "loading" });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setResult({ state: "loading" });
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setResult({ state: "ready", data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setResult({ state: "error", problem: asProblem(error) });
      },
    );
    return () => controller.abort();
  }, [generation, ...deps]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const replace = useCallback((data: T) => setResult({ state: "ready", data }), []);

  if (result.state === "ready") return { ...result, reload, replace };
  return { ...result, reload };
}
