// The step-up prompt: when the api asks for a fresh sign-in before a sensitive action (rotating the
// organization's key, terminating it, creating an API key, exporting), this modal asks the person to
// sign in again in a small window (Keycloak asks for every factor), then lets the api client send
// the action again. The page that asked keeps its state. Never signs in for the person, never
// retries without them. The window says it is done on a BroadcastChannel (`stepUpChannel`): under
// our Cross-Origin-Opener-Policy this page loses sight of the window as soon as it reaches Keycloak.

import { useEffect, useId, useRef, useState } from "react";
import { onStepUp } from "../api/client";
import { stepUpUrl } from "../session";
import { listenForStepUp } from "./stepUpChannel";

export function StepUpDialog({ organizationSlug }: { organizationSlug: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const pending = useRef<((done: boolean) => void) | null>(null);
  const stopListening = useRef<(() => void) | null>(null);
  const [waiting, setWaiting] = useState(false);
  const [blocked, setBlocked] = useState(false);
  const titleId = useId();

  const finish = (done: boolean) => {
    stopListening.current?.();
    stopListening.current = null;
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
    stopListening.current?.();
    const stop = listenForStepUp(() => finish(true));
    const popup = window.open(stepUpUrl(organizationSlug), "enclave-step-up", "popup,width=520,height=720");
    if (!popup) {
      stop();
      setBlocked(true);
      return;
    }
    stopListening.current = stop;
    setWaiting(true);
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={titleId} onClose={() => finish(false)}>
      <h2 id={titleId}>Confirm it is you</h2>
      <p>This action needs a recent sign-in. Sign in again in the window that opens; the action then continues.</p>
      {blocked ? <p role="alert">The sign-in window was blocked; allow pop-ups for this site and try again.</p> : null}
      {waiting ? <p role="status">Waiting for you to sign in… (Cancel if you closed the window.)</p> : null}
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
