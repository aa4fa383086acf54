// The step-up window's last page: back from Keycloak, it tells the page that asked (which then sends
// the action again) and closes itself; where the browser keeps it open, it says what happened.

import { useEffect } from "react";
import { announceStepUp } from "./stepUpChannel";

export function StepUpDone() {
  useEffect(() => {
    announceStepUp();
    window.close();
  }, []);
  return (
    <main className="page">
      <h1>Signed in again</h1>
      <p role="status">Your action goes on in the window you came from. You can close this one.</p>
    </main>
  );
}
