// Undo and redo for the editor, as a pure reducer over immutable states: `apply` records a new
// present (unless the change returned the same object), `undo` and `redo` step through the past
// and the future, `reset` starts over (a task loaded anew). No React, no DOM: history.test.ts.

export interface History<T> {
  readonly past: readonly T[];
  readonly present: T;
  readonly future: readonly T[];
}

export type HistoryAction<T> =
  /** A change to the present: a pure function of it. Returning the same object records nothing. */
  | { type: "apply"; change: (present: T) => T }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "reset"; present: T };

/** How many steps back undo can go; older ones are forgotten. */
export const HISTORY_LIMIT = 200;

export function initialHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

export function canUndo<T>(history: History<T>): boolean {
  return history.past.length > 0;
}

export function canRedo<T>(history: History<T>): boolean {
  return history.future.length > 0;
}

export function historyReducer<T>(history: History<T>, action: HistoryAction<T>, limit = HISTORY_LIMIT): History<T> {
  switch (action.type) {
    case "apply": {
      const next = action.change(history.present);
      if (Object.is(next, history.present)) return history;
      const past = [...history.past, history.present];
      if (past.length > limit) past.splice(0, past.length - limit);
      return { past, present: next, future: [] };
    }
    case "undo": {
      if (history.past.length === 0) return history;
      const previous = history.past[history.past.length - 1] as T;
      return {
        past: history.past.slice(0, -1),
        present: previous,
        future: [history.present, ...history.future],
      };
    }
    case "redo": {
      if (history.future.length === 0) return history;
      const [next, ...future] = history.future as [T, ...T[]];
      return { past: [...history.past, history.present], present: next, future };
    }
    case "reset":
      return initialHistory(action.present);
  }
}
