// How the step-up window tells the page that opened it that the person signed in again.
//
// The app is served with `Cross-Origin-Opener-Policy: same-origin`: once the window navigates to
// Keycloak (another origin) the browser severs it from its opener, which then sees it as closed and
// can neither read its address nor close it. A BroadcastChannel reaches every page of the app's own
// origin whatever their windows' history, so the window, back on the app, announces itself on it.
// Only a page of our own origin can post on it; the message carries no secret (a flag only).

import { STEP_UP_DONE } from "../session";

const CHANNEL = "enclave-step-up";

interface StepUpMessage {
  done: true;
}

function isStepUpMessage(data: unknown): data is StepUpMessage {
  return typeof data === "object" && data !== null && (data as { done?: unknown }).done === true;
}

/** Whether this page is the step-up window, back from Keycloak. */
export function isStepUpReturn(search: string): boolean {
  return new URLSearchParams(search).get(STEP_UP_DONE) === "1";
}

/** Tells the page that asked that the person signed in again. */
export function announceStepUp(): void {
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage({ done: true } satisfies StepUpMessage);
  channel.close();
}

/** Calls `onDone` when a step-up window announces itself; returns the unsubscribe. */
export function listenForStepUp(onDone: () => void): () => void {
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (event: MessageEvent<unknown>) => {
    if (isStepUpMessage(event.data)) onDone();
  };
  return () => channel.close();
}
