// The step-up prompt: when the api asks for a fresh sign-in before a sensitive action (rotating the
// organization's key, terminating it, creating an API key, exporting), this modal asks the person to
// sign in again in a small window (Keycloak asks for every factor), then lets the api client send
// the action again. The page that asked keeps its state. Never signs in for the person, never
// retries without them.

import { useEffect, useId, useRef, useState } from "react";
import { onStepUp } from "../api/client";
import { STEP_UP_DONE, stepUpUrl } from "../session";

const POLL_MS = 500;

export function StepUpDialog({ organizationSlug }: { organizationSlug: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const pending = useRef<((done: boolean) => void) | null>(null);
  const timer = useRef<number | null>(null);
  const [waiting, setWaiting] = useState(false);
  const [blocked, setBlocked] = useState(false);
  const titleId = useId();

  const finish = (done: boolean) => {
    if (timer.current !== null) window.clearInterval(timer.current);
    timer.current = null;
    const resolve = pending.current;
    pending.current = null;
    setWaiting(false);
    if (dialog.current?.open) dialog.current.close();
    resolve?.(done);
  };

  useEffect(
    () =>
      onStepUp(
        () =>
          new Promise<boolean>((resolve) => {
            pending.current?.(false);
            pending.current = resolve;
            setBlocked(false);
            setWaiting(false);
            if (dialog.current && !dialog.current.open) dialog.current.showModal();
          }),
      ),
    [],
  );

  const signInAgain = () => {
    const popup = window.open(stepUpUrl(organizationSlug), "enclave-step-up", "popup,width=520,height=720");
    if (!popup) {
      setBlocked(true);
      return;
    }
    setWaiting(true);
    timer.current = window.setInterval(() => {
      if (popup.closed) {
        finish(false);
        return;
      }
      let back = false;
      try {
        back =
          popup.location.origin === window.location.origin &&
          new URLSearchParams(popup.location.search).get(STEP_UP_DONE) === "1";
      } catch {
        // Still at the identity provider: another origin, unreadable until it sends the person back.
      }
      if (back) {
        popup.close();
        finish(true);
      }
    }, POLL_MS);
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={titleId} onClose={() => finish(false)}>
      <h2 id={titleId}>Confirm it is you</h2>
      <p>This action needs a recent sign-in. Sign in again in the window that opens; the action then continues.</p>
      {blocked ? <p role="alert">The sign-in window was blocked; allow pop-ups for this site and try again.</p> : null}
      {waiting ? <p role="status">Waiting for you to sign in…</p> : null}
      <p className="dialog-actions">
        <button type="button" autoFocus onClick={signInAgain} disabled={waiting}>
          Sign in again
        </button>
        <button type="button" onClick={() => finish(false)}>
          Cancel
        </button>
      </p>
    </dialog>
  );
}
