// A task: loads it with its ontology, annotation history, reviews and content, then shows the
// labeling editor (stage annotate, for its annotator: after a rejection it starts from the
// rejected version, under the reviewer's comment), the review view (stage review, for a
// reviewer: the work read-only, Approve or Reject with a comment, and the task's versions to
// compare), the consensus review (the round's submissions side by side: pick one or merge), or
// the annotation read-only. The editors are loaded on demand: konva is only fetched for images.

import { useCallback, useEffect, useState } from "react";
import { api, asProblem, send, seg, type Problem } from "../api/client";
import type { AnnotationPayload, AnnotationVersion, Draft, Ontology, Project, Review, Task } from "../api/types";
import { ErrorBanner, Loading, Notice, formatDate, shortId } from "../components/status";
import { useResource } from "../components/useResource";
import { Link, paths, useTitle } from "../router";
import { useSignedIn } from "../session";
import {
  isConsensus,
  modeOf,
  rejectedReview,
  startingVersion,
  viewReason,
  type Mode,
  type ReviewTask,
} from "../editor/review";
import { Workspace, type EditorProps, type RenderEditor } from "../editor/Workspace";
import { ReviewConsensus } from "./ReviewConsensus";
import { ReviewForm } from "./ReviewForm";
import { ReviewVersions } from "./ReviewVersions";
import { SkipTask } from "./SkipTask";
import { StageBadge } from "./StageBadge";
import { useTakeNext } from "./takeNext";

export interface TaskData {
  task: ReviewTask;
  ontology: Ontology;
  versions: AnnotationVersion[];
  reviews: Review[];
  project: Project | null;
}

/** An item's content with the editor for it. The editor's module is loaded before the content
 * counts as ready (not through React.lazy and Suspense, whose reveal React throttles by up to
 * 300 ms: the editor of a big task would open that much later). */
export type Content =
  | { kind: "image"; image: HTMLImageElement; name: string; Editor: typeof import("../editor/ImageEditor").default }
  | { kind: "text"; text: string; Editor: typeof import("../editor/TextEditor").default };

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
  const task = await api.get<ReviewTask>(`/api/v1/tasks/${seg(taskId)}`, signal);
  const project = seg(task.project_id);
  prefetchContent(task.data_item_id);
  try {
    const [ontology, history, reviews, projectData] = await Promise.all([
      api.get<Ontology>(`/api/v1/projects/${project}/ontology`, signal),
      api.get<{ items: AnnotationVersion[] }>(`/api/v1/tasks/${seg(taskId)}/annotations`, signal),
      optional(api.get<{ items: Review[] }>(`/api/v1/tasks/${seg(taskId)}/reviews`, signal), { items: [] }),
      optional(api.get<Project>(`/api/v1/projects/${project}`, signal), null),
    ]);
    return { task, ontology, versions: history.items, reviews: reviews.items, project: projectData };
  } catch (error) {
    dropPrefetched(task.data_item_id);
    throw error;
  }
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

  const { task, project, reviews, versions } = data.data;
  const mode = modeOf(task, session.user_id, versions);
  const rejected = rejectedReview(task, reviews);

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
      {rejected ? (
        <section className="reviewer-comment" role="region" aria-labelledby="reviewer-comment-heading">
          <h2 id="reviewer-comment-heading">Reviewer's comment</h2>
          <p className="comment-text">{rejected.comment || "The reviewer rejected this work without a comment."}</p>
          <p className="meta">
            Rejected {formatDate(rejected.created_at)}.
            {mode === "annotate" ? " The editor starts from the rejected work: fix it and submit again." : ""}
          </p>
        </section>
      ) : null}
      {mode === "view" ? <Notice>{viewReason(task, session.user_id, versions)}</Notice> : null}
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

function AfterAction({ projectId }: { projectId: string }) {
  const { take: next, busy, problem, nothing, dismiss } = useTakeNext(projectId);
  return (
    <div className="after-action">
      <button type="button" className="primary" onClick={next} disabled={busy}>
        Take next task
      </button>
      <Link to={paths.tasks()}>Back to my tasks</Link>
      {nothing ? <p className="meta">No other task is waiting for you in this project.</p> : null}
      {problem ? <ErrorBanner problem={problem} onDismiss={dismiss} /> : null}
    </div>
  );
}

const loadImageEditor = () => import("../editor/ImageEditor");
const loadTextEditor = () => import("../editor/TextEditor");

const NO_DRAFT: Draft = { payload: null, saved_at: null };

function TaskContent({ data, mode, onDone }: { data: TaskData; mode: Mode; onDone: (words: string) => void }) {
  const content = useContent(data.task.data_item_id, data.ontology);
  const annotating = mode === "annotate";
  // Only the task's annotator has a draft to read: nobody else asks (the api would refuse them).
  const draft = useResource(
    (signal) =>
      annotating ? api.get<Draft>(`/api/v1/tasks/${seg(data.task.id)}/draft`, signal) : Promise.resolve(NO_DRAFT),
    [data.task.id, annotating],
  );
  const value = content.state === "ready" ? content.value : null;
  const renderEditor: RenderEditor = useCallback(
    (props: EditorProps) =>
      value === null ? null : value.kind === "image" ? (
        <value.Editor {...props} image={value.image} imageName={value.name} />
      ) : (
        <value.Editor {...props} text={value.text} />
      ),
    [value],
  );
  if (content.state === "loading") return <Loading what="the item" />;
  if (content.state === "error") return <ErrorBanner problem={content.problem} onRetry={content.reload} />;
  if (draft.state === "loading") return <Loading what="your draft" />;
  if (draft.state === "error") return <ErrorBanner problem={draft.problem} onRetry={draft.reload} />;
  const kind = content.value.kind;
  const { task, versions, reviews, ontology } = data;

  if (isConsensus(task) && task.stage === "review") {
    return (
      <ReviewConsensus data={data} kind={kind} renderEditor={renderEditor} onDone={onDone} decide={mode === "review"} />
    );
  }

  const latest = versions.length > 0 ? versions[versions.length - 1] : null;
  return (
    <>
    {latest?.skipped && task.stage !== "annotate" ? (
      <Notice>The annotator skipped this task: version {latest.version} labels nothing.</Notice>
    ) : null}
    <Workspace
      definition={ontology.definition}
      taskVersion={task.version}
      kind={kind}
      start={startingVersion(task, versions, reviews)}
      saved={annotating ? draft.data : null}
      saveDraft={annotating ? (payload) => api.put<Draft>(`/api/v1/tasks/${seg(task.id)}/draft`, { payload }) : null}
      readOnly={!annotating}
      draftKey={annotating ? `task:${task.id}` : null}
      renderEditor={renderEditor}
      onDone={onDone}
      submit={
        annotating
          ? {
              label: "Submit",
              busyLabel: "Submitting…",
              run: (payload) => submitAnnotation(task, payload),
            }
          : null
      }
      actions={annotating ? <SkipTask task={task} onDone={onDone} /> : null}
      before={mode === "review" ? <ReviewForm taskId={task.id} reviews={reviews} onDone={onDone} /> : null}
      after={
        versions.length > 0 ? (
          <ReviewVersions
            versions={versions}
            reviews={reviews}
            definition={ontology.definition}
            kind={kind}
            resultVersionId={task.result_version_id ?? null}
            renderEditor={renderEditor}
          />
        ) : null
      }
    />
    </>
  );
}

function newKey(): string {
  return typeof crypto.randomUUID === "function"
    ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One key per work sent to a task as it is: a retry of the same work is recognised by the api;
 * new work, or the same work sent again after the task changed (a rejection), is not. */
let lastSubmission: { body: string; key: string } | null = null;

async function submitAnnotation(task: Task, payload: AnnotationPayload): Promise<string> {
  const body = JSON.stringify([task.id, task.version, payload]);
  if (!lastSubmission || lastSubmission.body !== body) lastSubmission = { body, key: newKey() };
  const version = await api.post<AnnotationVersion>(
    `/api/v1/tasks/${seg(task.id)}/annotations`,
    { payload },
    { "Idempotency-Key": lastSubmission.key },
  );
  return `Submitted: version ${version.version} of this task's annotation is saved.`;
}

type ContentState =
  | { state: "loading" }
  | { state: "error"; problem: Problem; reload: () => void }
  | { state: "ready"; value: Content };

/** An item's content as fetched: a decoded image (with the blob: URL to revoke) or the text. */
type Fetched =
  | { kind: "image"; image: HTMLImageElement; url: string }
  | { kind: "text"; text: string }
  | { kind: "unknown"; type: string; blob: Blob };

async function fetchContent(itemId: string, signal?: AbortSignal): Promise<Fetched> {
  const response = await send(`/api/v1/items/${seg(itemId)}/content`, { signal, headers: { Accept: "*/*" } });
  const type = (response.headers.get("Content-Type") ?? "").toLowerCase();
  if (type.startsWith("image/")) {
    void loadImageEditor(); // its chunk (konva) arrives while the image does
    const url = URL.createObjectURL(await response.blob());
    const image = new Image();
    image.src = url;
    try {
      await image.decode();
    } catch {
      URL.revokeObjectURL(url);
      throw new Error("The item's image could not be decoded by this browser.");
    }
    return { kind: "image", image, url };
  }
  if (type.startsWith("text/") || type.includes("json")) return { kind: "text", text: await response.text() };
  return { kind: "unknown", type, blob: await response.blob() };
}

/** Content fetched as soon as the task is known, in parallel with its ontology and history. */
const prefetched = new Map<string, Promise<Fetched>>();

function prefetchContent(itemId: string): void {
  if (prefetched.has(itemId)) return;
  const promise = fetchContent(itemId);
  promise.catch(() => undefined); // answered to whoever takes it
  prefetched.set(itemId, promise);
}

function dropPrefetched(itemId: string): void {
  const promise = prefetched.get(itemId);
  prefetched.delete(itemId);
  promise?.then(
    (fetched) => {
      if (fetched.kind === "image") URL.revokeObjectURL(fetched.url);
    },
    () => undefined,
  );
}

function takeContent(itemId: string, signal: AbortSignal): Promise<Fetched> {
  const promise = prefetched.get(itemId);
  if (!promise) return fetchContent(itemId, signal);
  prefetched.delete(itemId);
  return promise;
}

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
    (async (): Promise<Content> => {
      const fetched = await takeContent(itemId, controller.signal);
      if (fetched.kind === "image") {
        url = fetched.url;
        const Editor = (await loadImageEditor()).default;
        return { kind: "image", image: fetched.image, name: `item ${shortId(itemId)}`, Editor };
      }
      const Editor = (await loadTextEditor()).default;
      if (fetched.kind === "text") return { kind: "text", text: fetched.text, Editor };
      if (onlySpans) return { kind: "text", text: await fetched.blob.text(), Editor };
      throw new Error(`This editor cannot show items of type ${fetched.type || "unknown"}.`);
    })().then(
      (value) => {
        if (controller.signal.aborted) {
          if (url) URL.revokeObjectURL(url);
          return;
        }
        setState({ state: "ready", value });
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
