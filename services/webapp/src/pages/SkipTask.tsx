// Skipping a task: the annotator cannot label this item (unreadable, out of scope). Asked once more
// in words before anything is sent; the task then goes on without labels, to review if the project
// reviews, and its reviewer sees that it was skipped.

import { useState } from "react";
import { api, asProblem, seg, type Problem } from "../api/client";
import type { AnnotationVersion, Task } from "../api/types";
import { ErrorBanner } from "../components/status";

export function SkipTask({ task, onDone }: { task: Task; onDone: (words: string) => void }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  async function skip() {
    setBusy(true);
    setProblem(null);
    try {
      const version = await api.post<AnnotationVersion>(
        `/api/v1/tasks/${seg(task.id)}/annotations`,
        { payload: { objects: [], classifications: {} }, skipped: true },
        { "Idempotency-Key": `skip-${task.id}-${task.version}` },
      );
      onDone(`Skipped: version ${version.version} records that this task was not labeled.`);
    } catch (error) {
      setProblem(asProblem(error));
      setBusy(false);
    }
  }

  if (!asking) {
    return (
      <button type="button" onClick={() => setAsking(true)}>
        Skip task
      </button>
    );
  }
  return (
    <div className="skip-confirm" role="group" aria-label="Skip this task?">
      <p>Skip this task? It goes on without labels; if the project reviews its work, a reviewer sees that you skipped it.</p>
      <button type="button" className="danger" onClick={() => void skip()} disabled={busy}>
        {busy ? "Skipping…" : "Skip it"}
      </button>
      <button type="button" onClick={() => setAsking(false)} disabled={busy}>
        Keep labeling
      </button>
      {problem ? <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} /> : null}
    </div>
  );
}
