import type { TaskStage } from "../api/types";

const WORDS: Record<TaskStage, string> = { annotate: "To annotate", review: "In review", done: "Done" };

export function stageWords(stage: TaskStage): string {
  return WORDS[stage] ?? stage;
}

export function StageBadge({ stage }: { stage: TaskStage }) {
  return <span className={`badge badge-${stage}`}>{stageWords(stage)}</span>;
}
