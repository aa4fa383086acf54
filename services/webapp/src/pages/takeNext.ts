// Taking the next task of a project's queue (POST tasks/next): the one place the project page and
// the task page's "Take next task" get their work from, and go to it.

import { useState } from "react";
import { api, asProblem, seg, type Problem } from "../api/client";
import type { Task } from "../api/types";
import { navigate, paths } from "../router";

export function useTakeNext(projectId: string) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [nothing, setNothing] = useState(false);

  async function take(): Promise<void> {
    setBusy(true);
    setProblem(null);
    setNothing(false);
    try {
      const answer = await api.post<{ task: Task | null }>(`/api/v1/projects/${seg(projectId)}/tasks/next`, {});
      if (answer.task) {
        navigate(paths.task(answer.task.id));
        return;
      }
      setNothing(true);
    } catch (error) {
      setProblem(asProblem(error));
    }
    setBusy(false);
  }

  return { take, busy, problem, nothing, dismiss: () => setProblem(null) };
}
