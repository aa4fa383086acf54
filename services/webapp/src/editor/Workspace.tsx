// What the image and text editors share: the annotation document and its undo history, the
// task's actions (Undo, Redo, Keyboard shortcuts, Submit), the classification questions, and
// the review form (Approve / Reject with a comment) for a task in review.

import { useCallback, useEffect, useId, useMemo, useReducer, useRef, useState, type ReactNode } from "react";
import { api, asProblem, seg, type Problem } from "../api/client";
import type { AnnotationVersion, OntologyObject, Review } from "../api/types";
import { ErrorBanner } from "../components/status";
import type { TaskData } from "../pages/TaskPage";
import { Classifications } from "./Classifications";
import { fromPayload, setClassification, toggleOption, toPayload, type AnnotationDoc, type EditorObject } from "./document";
import { canRedo, canUndo, historyReducer, initialHistory, type History, type HistoryAction } from "./history";
import { IMAGE_SHORTCUTS, TEXT_SHORTCUTS, isRedo, isUndo, shortcutAllowed } from "./keys";
import { ShortcutsDialog, type ShortcutsDialogHandle } from "./ShortcutsDialog";

/** annotate: editable, submit; review: read-only, approve or reject; view: read-only. */
export type Mode = "annotate" | "review" | "view";

type Change = (doc: AnnotationDoc) => AnnotationDoc;

export interface EditorProps {
  objects: readonly EditorObject[];
  labels: readonly OntologyObject[];
  readOnly: boolean;
  onChange: (change: Change) => void;
}

const reducer = historyReducer as (history: History<AnnotationDoc>, action: HistoryAction<AnnotationDoc>) => History<AnnotationDoc>;

function latestVersion(versions: readonly AnnotationVersion[]): AnnotationVersion | null {
  let best: AnnotationVersion | null = null;
  for (const version of versions) if (!best || version.version > best.version) best = version;
  return best;
}

function newKey(): string {
  return typeof crypto.randomUUID === "function"
    ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function Workspace({
  data,
  mode,
  kind,
  onDone,
  renderEditor,
}: {
  data: TaskData;
  mode: Mode;
  kind: "image" | "text";
  onDone: (words: string) => void;
  renderEditor: (props: EditorProps) => ReactNode;
}) {
  const latest = latestVersion(data.versions);
  const [history, dispatch] = useReducer(reducer, latest?.payload, (payload) => initialHistory(fromPayload(payload)));
  const doc = history.present;
  const readOnly = mode !== "annotate";
  const dialog = useRef<ShortcutsDialogHandle>(null);
  const [submitting, setSubmitting] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const submitKey = useRef<{ doc: AnnotationDoc; key: string } | null>(null);

  const definition = data.ontology.definition;
  const labels = useMemo(
    () =>
      definition.objects.filter((object) =>
        kind === "image" ? object.kind === "bbox" || object.kind === "polygon" : object.kind === "span",
      ),
    [definition.objects, kind],
  );

  const onChange = useCallback((change: Change) => dispatch({ type: "apply", change }), []);

  const answer = useCallback(
    (name: string, option: string, multiple: boolean) =>
      onChange((current) =>
        setClassification(current, name, toggleOption(current.classifications[name] ?? [], option, multiple)),
      ),
    [onChange],
  );

  // Undo, redo and "?" from anywhere but a field.
  const keyHandler = useRef<(event: KeyboardEvent) => void>(() => undefined);
  keyHandler.current = (event) => {
    if (!shortcutAllowed(event)) return;
    if (event.key === "?") {
      event.preventDefault();
      dialog.current?.open();
      return;
    }
    if (readOnly) return;
    if (isRedo(event)) {
      event.preventDefault();
      dispatch({ type: "redo" });
    } else if (isUndo(event)) {
      event.preventDefault();
      dispatch({ type: "undo" });
    }
  };
  useEffect(() => {
    const down = (event: KeyboardEvent) => keyHandler.current(event);
    window.addEventListener("keydown", down);
    return () => window.removeEventListener("keydown", down);
  }, []);

  // Leaving with unsubmitted changes asks first.
  const dirty = !readOnly && canUndo(history);
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  async function submit() {
    setSubmitting(true);
    setProblem(null);
    // One key per document: a retry of the same work is recognised by the api, new work is not.
    if (!submitKey.current || submitKey.current.doc !== doc) submitKey.current = { doc, key: newKey() };
    try {
      const version = await api.post<AnnotationVersion>(
        `/api/v1/tasks/${seg(data.task.id)}/annotations`,
        { payload: toPayload(doc) },
        { "Idempotency-Key": submitKey.current.key },
      );
      onDone(`Submitted: version ${version.version} of this task's annotation is saved.`);
    } catch (error) {
      setProblem(asProblem(error));
      setSubmitting(false);
    }
  }

  const objectCount = doc.objects.length;

  return (
    <div className="workspace">
      <div className="toolbar task-actions" role="toolbar" aria-label="Task actions">
        {!readOnly ? (
          <>
            <button
              type="button"
              onClick={() => dispatch({ type: "undo" })}
              disabled={!canUndo(history)}
              aria-keyshortcuts="Control+Z"
            >
              Undo
            </button>
            <button
              type="button"
              onClick={() => dispatch({ type: "redo" })}
              disabled={!canRedo(history)}
              aria-keyshortcuts="Control+Shift+Z Control+Y"
            >
              Redo
            </button>
          </>
        ) : null}
        <button type="button" onClick={() => dialog.current?.open()} aria-keyshortcuts="?">
          Keyboard shortcuts
        </button>
        {!readOnly ? (
          <>
            <span className="toolbar-spacer" />
            <span className="meta">
              {objectCount} {objectCount === 1 ? "object" : "objects"}
            </span>
            <button type="button" className="primary" onClick={submit} disabled={submitting}>
              {submitting ? "Submitting…" : "Submit"}
            </button>
          </>
        ) : null}
      </div>
      {problem ? <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} /> : null}
      {mode === "review" ? <ReviewForm taskId={data.task.id} reviews={data.reviews} onDone={onDone} /> : null}
      {latest === null && readOnly ? <p className="status status-empty">No annotation has been submitted for this task yet.</p> : null}
      {renderEditor({ objects: doc.objects, labels, readOnly, onChange })}
      <Classifications
        questions={definition.classifications}
        answers={doc.classifications}
        onChange={answer}
        readOnly={readOnly}
      />
      <ShortcutsDialog ref={dialog} shortcuts={kind === "image" ? IMAGE_SHORTCUTS : TEXT_SHORTCUTS} />
    </div>
  );
}

function ReviewForm({
  taskId,
  reviews,
  onDone,
}: {
  taskId: string;
  reviews: readonly Review[];
  onDone: (words: string) => void;
}) {
  const commentId = useId();
  const errorId = useId();
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [missing, setMissing] = useState(false);

  async function decide(decision: "approve" | "reject") {
    if (decision === "reject" && !comment.trim()) {
      setMissing(true);
      return;
    }
    setMissing(false);
    setBusy(true);
    setProblem(null);
    try {
      await api.post<Review>(`/api/v1/tasks/${seg(taskId)}/reviews`, { decision, comment: comment.trim() });
      onDone(
        decision === "approve"
          ? "Approved: the task is done."
          : "Rejected: the task went back to its annotator with your comment.",
      );
    } catch (error) {
      setProblem(asProblem(error));
      setBusy(false);
    }
  }

  return (
    <section className="review-form" aria-labelledby="review-heading">
      <h2 id="review-heading">Review</h2>
      {reviews.length > 0 ? (
        <p className="meta">
          Reviewed {reviews.length} time{reviews.length === 1 ? "" : "s"} before.
        </p>
      ) : null}
      <div className="field">
        <label htmlFor={commentId}>Comment</label>
        <textarea
          id={commentId}
          rows={3}
          maxLength={10000}
          value={comment}
          onChange={(event) => setComment(event.target.value)}
          aria-invalid={missing ? true : undefined}
          aria-describedby={missing ? errorId : undefined}
        />
        {missing ? (
          <p id={errorId} className="field-error" role="alert">
            Say what to fix: a rejection needs a comment.
          </p>
        ) : null}
      </div>
      <div className="review-actions">
        <button type="button" className="primary" onClick={() => decide("approve")} disabled={busy}>
          Approve
        </button>
        <button type="button" className="danger" onClick={() => decide("reject")} disabled={busy}>
          Reject
        </button>
      </div>
      {problem ? <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} /> : null}
    </section>
  );
}
