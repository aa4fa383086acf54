// Asks before work not yet submitted is left behind: the browser's own warning when the page
// unloads (reload, close, another site), and the app's dialog "Leave this task?" when a link of
// the app or the Back button would show another page. The work itself stays in this tab's memory
// (drafts.ts), so leaving loses nothing until the tab is reloaded or closed.

import { useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from "react";
import { navigate } from "../router";
import { inAppTarget } from "./leave";

function here(): { origin: string; path: string } {
  return { origin: window.location.origin, path: window.location.pathname + window.location.search };
}

/** The page that asks before Back or Forward leave it, and how it asks. */
let popGuard: { path: string; ask: (target: string) => void } | null = null;

// Back and Forward: the address has changed already; put the page's back and ask. Listening
// from the module's start puts this listener before the router's: React renders the router's
// update within the popstate event, which would unmount the page before a later listener ran.
if (typeof window !== "undefined") {
  window.addEventListener("popstate", () => {
    const guard = popGuard;
    if (!guard) return;
    const target = here().path;
    if (target === guard.path) return;
    window.history.pushState(null, "", guard.path);
    guard.ask(target);
  });
}

/** While `active`, guards leaving the page; answers the dialog to render. */
export function useLeaveGuard(active: boolean, words: string): ReactNode {
  const [pending, setPending] = useState<string | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const textId = useId();
  const guarded = useRef(here().path);
  // Read by the listeners, which stay for the page's life: set as soon as the change is
  // committed (a click right after the first change is guarded too).
  const activeRef = useRef(active);
  useLayoutEffect(() => {
    activeRef.current = active;
    if (!active) return;
    guarded.current = here().path;
    const guard = { path: guarded.current, ask: setPending };
    popGuard = guard;
    return () => {
      if (popGuard === guard) popGuard = null;
    };
  }, [active]);

  useLayoutEffect(() => {
    const unload = (event: BeforeUnloadEvent) => {
      if (activeRef.current) event.preventDefault();
    };
    // Capture, before the app's Link handles the click: a prevented click is left alone by it.
    const click = (event: MouseEvent) => {
      if (!activeRef.current || event.defaultPrevented) return;
      const anchor = event.target instanceof Element ? event.target.closest("a[href]") : null;
      if (!(anchor instanceof HTMLAnchorElement)) return;
      const target = inAppTarget(
        {
          href: anchor.href,
          target: anchor.target,
          download: anchor.hasAttribute("download"),
          button: event.button,
          modified: event.metaKey || event.ctrlKey || event.shiftKey || event.altKey,
        },
        here(),
      );
      if (target === null) return;
      event.preventDefault();
      setPending(target);
    };
    window.addEventListener("beforeunload", unload);
    document.addEventListener("click", click, true);
    return () => {
      window.removeEventListener("beforeunload", unload);
      document.removeEventListener("click", click, true);
    };
  }, []);

  useEffect(() => {
    const element = dialog.current;
    if (pending !== null && element && !element.open) element.showModal();
  }, [pending]);

  function stay() {
    dialog.current?.close();
    setPending(null);
  }

  function leave() {
    const target = pending;
    dialog.current?.close();
    setPending(null);
    if (target !== null) navigate(target);
  }

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={textId}
      onClose={() => setPending(null)}
    >
      <h2 id={titleId}>Leave this task?</h2>
      <p id={textId}>{words}</p>
      <p className="dialog-actions">
        <button type="button" autoFocus onClick={stay}>
          Stay on this task
        </button>
        <button type="button" className="danger" onClick={leave}>
          Leave
        </button>
      </p>
    </dialog>
  );
}
