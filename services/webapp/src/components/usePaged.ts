// A cursor-paged list of the api (`{items, next_cursor}`): the first page, then "Load more".

import { useCallback, useEffect, useState } from "react";
import { api, asProblem, type Problem } from "../api/client";
import type { Page } from "../api/types";

export interface Paged<T> {
  items: T[];
  /** True until the first page has arrived (or failed). */
  loading: boolean;
  loadingMore: boolean;
  problem: Problem | null;
  hasMore: boolean;
  loadMore: () => void;
  reload: () => void;
}

function withCursor(path: string, cursor: string | null): string {
  if (!cursor) return path;
  return `${path}${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}`;
}

export function usePaged<T>(path: string): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setProblem(null);
    setItems([]);
    setCursor(null);
    api.get<Page<T>>(path, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        setItems(page.items);
        setCursor(page.next_cursor);
        setLoading(false);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setProblem(asProblem(error));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [path, generation]);

  const loadMore = useCallback(() => {
    if (!cursor) return;
    setLoadingMore(true);
    setProblem(null);
    api.get<Page<T>>(withCursor(path, cursor)).then(
      (page) => {
        setItems((previous) => [...previous, ...page.items]);
        setCursor(page.next_cursor);
        setLoadingMore(false);
      },
      (error: unknown) => {
        setProblem(asProblem(error));
        setLoadingMore(false);
      },
    );
  }, [path, cursor]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  return { items, loading, loadingMore, problem, hasMore: cursor !== null, loadMore, reload };
}

/** Every page of a list, up to `max` items (for counts); `truncated` when there were more. */
export async function fetchAll<T>(
  path: string,
  signal: AbortSignal,
  max = 5000,
): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await api.get<Page<T>>(withCursor(path, cursor), signal);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return { items, truncated: cursor !== null };
}
