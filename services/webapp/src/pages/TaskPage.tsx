// A task: loads it with its ontology, annotation history, reviews and content, then shows the
// labeling editor (stage annotate, for its annotator), the review view (stage review, for a
// reviewer) or the annotation read-only. The editors are loaded on demand: konva is only fetched
// for image tasks.

import { lazy, Suspense, useEffect, useState } from "react";
import { api, asProblem, send, seg, type Problem } from "../api/client";
import type { AnnotationVersion, Ontology, Project, Review, Task } from "../api/types";
import { ErrorBanner, Loading, Notice, formatDate, shortId } from "../components/status";
import { useResource } from "../components/useResource";
import { Link, navigate, paths, useTitle } from "../router";
import { useSignedIn } from "../session";
import { Workspace, type Mode } from "../editor/Workspace";
import { StageBadge } from "./StageBadge";

export interface TaskData {
  task: Task;
  ontology: Ontology;
  versions: AnnotationVersion[];
  reviews: Review[];
  project: Project | null;
}

export type Content =
  | { kind: "image"; image: HTMLImageElement; name: string }
  | { kind: "text"; text: string };

/** A request whose failure should not stop the page (reviews, the project's name). */
async function optional<T>(promise: Promise<T>, fallback: T): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    return fallback;
  }
}

async function loadTask(taskId: string, signal: AbortSignal): Promise<TaskData> {
  const task = await api.get<Task>(`/api/v1/tasks/${seg(taskId)}`, signal);
  const project = seg(task.project_id);
  const [ontology, history, reviews, projectData] = await Promise.all([
    api.get<Ontology>(`/api/v1/projects/${project}/ontology`, signal),
    api.get<{ items: AnnotationVersion[] }>(`/api/v1/tasks/${seg(taskId)}/annotations`, signal),
    optional(api.get<{ items: Review[] }>(`/api/v1/tasks/${seg(taskId)}/reviews`, signal), { items: [] }),
    optional(api.get<Project>(`/api/v1/projects/${project}`, signal), null),
  ]);
  return { task, ontology, versions: history.items, reviews: reviews.items, project: projectData };
}

function latestBy<T extends { created_at: string }>(items: readonly T[]): T | null {
  let best: T | null = null;
  for (const item of items) if (!best || item.created_at > best.created_at) best = item;
  return best;
}

function modeOf(task: Task, userId: string): Mode {
  if (task.stage === "annotate" && (task.assignee_id === userId || task.assignee_id === null)) return "annotate";
  if (task.stage === "review" && task.assignee_id !== userId && (task.reviewer_id === userId || task.reviewer_id === null)) {
    return "review";
  }
  return "view";
}

export function TaskPage({ taskId }: { taskId: string }) {
  const { session } = useSignedIn();
  const data = useResource((signal) => loadTask(taskId, signal), [taskId]);
  const [flash, setFlash] = useState<string | null>(null);
  useTitle(`Task ${shortId(taskId)}`);

  if (data.state === "loading") {
    return (
      <>
        <h1>Task {shortId(taskId)}</h1>
        <Loading what="the task" />
      </>
    );
  }
  if (data.state === "error") {
    return (
      <>
        <h1>Task {shortId(taskId)}</h1>
        <ErrorBanner problem={data.problem} onRetry={data.reload} />
        <p>
          <Link to={paths.tasks()}>Back to my tasks</Link>
        </p>
      </>
    );
  }

  const { task, project, reviews } = data.data;
  const mode = modeOf(task, session.user_id);
  const lastReview = latestBy(reviews);
  const showComment = task.stage === "annotate" && lastReview?.decision === "reject";

  return (
    <>
      <div className="page-head">
        <h1>
          Task {shortId(task.id)} <StageBadge stage={task.stage} />
        </h1>
        <p className="meta">
          {project ? (
            <>
              Project <Link to={paths.project(project.id)}>{project.name}</Link>
            </>
          ) : (
            <Link to={paths.project(task.project_id)}>Project {shortId(task.project_id)}</Link>
          )}
        </p>
      </div>
      {flash ? <Notice>{flash}</Notice> : null}
      {flash ? <AfterAction projectId={task.project_id} /> : null}
      {showComment && lastReview ? (
        <section className="reviewer-comment" role="region" aria-labelledby="reviewer-comment-heading">
          <h2 id="reviewer-comment-heading">Reviewer's comment</h2>
          <p className="comment-text">{lastReview.comment || "The reviewer rejected this work without a comment."}</p>
          <p className="meta">Rejected {formatDate(lastReview.created_at)}</p>
        </section>
      ) : null}
      {mode === "view" ? <Notice>{viewReason(task, session.user_id)}</Notice> : null}
      <TaskContent
        key={`${task.id}:${task.version}`}
        data={data.data}
        mode={mode}
        onDone={(words) => {
          setFlash(words);
          data.reload();
        }}
      />
    </>
  );
}

function viewReason(task: Task, userId: string): string {
  if (task.stage === "done") return "This task is done. Its annotation is shown read-only.";
  if (task.stage === "review" && task.assignee_id === userId) return "Your work is waiting for review. It is shown read-only.";
  if (task.stage === "review") return "This task is in review by someone else. It is shown read-only.";
  return "This task is assigned to someone else. It is shown read-only.";
}

function AfterAction({ projectId }: { projectId: string }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [nothing, setNothing] = useState(false);
  async function next() {
    setBusy(true);
    setProblem(null);
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
  return (
    <div className="after-action">
      <button type="button" className="primary" onClick={next} disabled={busy}>
        Take next task
      </button>
      <Link to={paths.tasks()}>Back to my tasks</Link>
      {nothing ? <p className="meta">No other task is waiting for you in this project.</p> : null}
      {problem ? <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} /> : null}
    </div>
  );
}

const ImageEditor = lazy(() => import("../editor/ImageEditor"));
const TextEditor = lazy(() => import("../editor/TextEditor"));

function TaskContent({ data, mode, onDone }: { data: TaskData; mode: Mode; onDone: (words: string) => void }) {
  const content = useContent(data.task.data_item_id, data.ontology);
  if (content.state === "loading") return <Loading what="the item" />;
  if (content.state === "error") return <ErrorBanner problem={content.problem} onRetry={content.reload} />;
  return (
    <Suspense fallback={<Loading what="the editor" />}>
      <Workspace
        data={data}
        mode={mode}
        onDone={onDone}
        renderEditor={(props) =>
          content.value.kind === "image" ? (
            <ImageEditor {...props} image={content.value.image} imageName={content.value.name} />
          ) : (
            <TextEditor {...props} text={content.value.text} />
          )
        }
        kind={content.value.kind}
      />
    </Suspense>
  );
}

type ContentState =
  | { state: "loading" }
  | { state: "error"; problem: Problem; reload: () => void }
  | { state: "ready"; value: Content };

/** The item's content: an image (decoded from a blob: URL, which the CSP allows) or its text. */
function useContent(itemId: string, ontology: Ontology): ContentState {
  const [state, setState] = useState<ContentState>({ state: "loading" });
  const [generation, setGeneration] = useState(0);
  const onlySpans =
    ontology.definition.objects.length > 0 && ontology.definition.objects.every((object) => object.kind === "span");

  useEffect(() => {
    const controller = new AbortController();
    let url: string | null = null;
    const reload = () => setGeneration((g) => g + 1);
    setState({ state: "loading" });
    (async () => {
      const response = await send(`/api/v1/items/${seg(itemId)}/content`, {
        signal: controller.signal,
        headers: { Accept: "*/*" },
      });
      const type = (response.headers.get("Content-Type") ?? "").toLowerCase();
      const blob = await response.blob();
      if (type.startsWith("image/")) {
        url = URL.createObjectURL(blob);
        const image = new Image();
        image.src = url;
        try {
          await image.decode();
        } catch {
          throw new Error("The item's image could not be decoded by this browser.");
        }
        return { kind: "image", image, name: `item ${shortId(itemId)}` } satisfies Content;
      }
      if (type.startsWith("text/") || type.includes("json") || onlySpans) {
        return { kind: "text", text: await blob.text() } satisfies Content;
      }
      throw new Error(`This editor cannot show items of type ${type || "unknown"}.`);
    })().then(
      (value) => {
        if (!controller.signal.aborted) setState({ state: "ready", value });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ state: "error", problem: asProblem(error), reload });
      },
    );
    return () => {
      controller.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [itemId, onlySpans, generation]);

  return state;
}
