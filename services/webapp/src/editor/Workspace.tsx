// What the image and text editors share: the annotation document and its undo history, the
// task's actions (Undo, Redo, Keyboard shortcuts), the classification questions, and the one
// action that sends the work ("Submit" for an annotator, "Approve merged" for a consensus merge),
// last in the focus order. Work not yet sent is kept in this tab's memory (drafts.ts), can be saved
// as a draft on the server (sealed there like any annotation; "Save draft", Ctrl + S), and leaving
// the page with unsaved changes asks first (LeaveGuard.tsx).

import { useCallback, useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from "react";
import { asProblem, type Problem } from "../api/client";
import type { AnnotationPayload, AnnotationVersion, Draft, OntologyDefinition, OntologyObject } from "../api/types";
import { ErrorBanner, formatDate } from "../components/status";
import { Classifications } from "./Classifications";
import { DraftStore } from "./drafts";
import { fromPayload, setClassification, toggleOption, toPayload, type AnnotationDoc, type EditorObject } from "./document";
import { canRedo, canUndo, historyReducer, initialHistory, type History, type HistoryAction } from "./history";
import {
  IMAGE_SHORTCUTS,
  TEXT_SHORTCUTS,
  VIEW_IMAGE_SHORTCUTS,
  VIEW_TEXT_SHORTCUTS,
  dialogOpen,
  isRedo,
  isSaveDraft,
  isSubmit,
  isUndo,
  shortcutAllowed,
} from "./keys";
import { useLeaveGuard } from "./LeaveGuard";
import { ShortcutsDialog, type ShortcutsDialogHandle } from "./ShortcutsDialog";

export type { Mode } from "./review";

type Change = (doc: AnnotationDoc) => AnnotationDoc;

export interface EditorProps {
  objects: readonly EditorObject[];
  labels: readonly OntologyObject[];
  readOnly: boolean;
  onChange: (change: Change) => void;
  /** The view's accessible name; the editor's own when absent. */
  name?: string;
  /** A small read-only view beside others (compare, consensus). */
  compact?: boolean;
}

export type RenderEditor = (props: EditorProps) => ReactNode;

/** The action that sends the work: its button's name and what it does (answers the words to show). */
export interface SubmitAction {
  label: string;
  busyLabel: string;
  run: (payload: AnnotationPayload) => Promise<string>;
}

const reducer = historyReducer as (history: History<AnnotationDoc>, action: HistoryAction<AnnotationDoc>) => History<AnnotationDoc>;

/** Unsent work of this tab, by task (and merge): memory only, never the browser's storage. */
const drafts = new DraftStore<History<AnnotationDoc>>();

/** The ontology's labels an editor of this kind draws with. */
export function labelsFor(definition: OntologyDefinition, kind: "image" | "text"): OntologyObject[] {
  return definition.objects.filter((object) =>
    kind === "image" ? object.kind === "bbox" || object.kind === "polygon" : object.kind === "span",
  );
}

const LEAVE_WORDS =
  "Your changes to this task are not sent or saved yet. They stay in this tab's memory, so you find them here again, until you reload or close the tab; nothing is stored on this computer. Save a draft to keep them on the server.";

export function Workspace({
  definition,
  taskVersion,
  kind,
  start,
  saved = null,
  saveDraft = null,
  readOnly,
  draftKey,
  submit,
  onDone,
  renderEditor,
  before,
  after,
  actions,
}: {
  definition: OntologyDefinition;
  /** The task's version: a draft made on another version of the task is dropped. */
  taskVersion: number;
  kind: "image" | "text";
  /** The version the editor starts from (null: an empty annotation). */
  start: AnnotationVersion | null;
  /** The annotator's draft saved on the server: the editor starts from it rather than `start`. */
  saved?: Draft | null;
  /** Saves the work as the server's draft (null: no drafts here, as in a merge). */
  saveDraft?: ((payload: AnnotationPayload) => Promise<Draft>) | null;
  readOnly: boolean;
  /** Where this work's draft is kept in memory; null: no draft (read-only). */
  draftKey: string | null;
  submit: SubmitAction | null;
  onDone: (words: string) => void;
  renderEditor: RenderEditor;
  /** Shown between the task's actions and the editor (the review form). */
  before?: ReactNode;
  /** Shown after the editor and its send button (the versions). */
  after?: ReactNode;
  /** More buttons beside the send button. */
  actions?: ReactNode;
}) {
  const basis = useMemo(() => ({ taskVersion, startVersionId: start?.id ?? null }), [taskVersion, start]);
  const [restored] = useState(() => (draftKey && !readOnly ? drafts.get(draftKey, basis) : null));
  const startPayload = saved?.payload ?? start?.payload;
  const [history, dispatch] = useReducer(reducer, null, () => restored ?? initialHistory(fromPayload(startPayload)));
  // The work as last kept on the server (the draft saved, or what the editor opened with).
  const [kept, setKept] = useState<AnnotationDoc>(history.present);
  const [savedAt, setSavedAt] = useState<string | null>(saved?.saved_at ?? null);
  const [saving, setSaving] = useState(false);
  const [showRestored, setShowRestored] = useState(restored !== null && canUndo(restored));
  const doc = history.present;
  const dialog = useRef<ShortcutsDialogHandle>(null);
  const [submitting, setSubmitting] = useState(false);
  const [sent, setSent] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const labels = useMemo(() => labelsFor(definition, kind), [definition, kind]);
  const onChange = useCallback((change: Change) => dispatch({ type: "apply", change }), []);

  const answer = useCallback(
    (name: string, option: string, multiple: boolean) =>
      onChange((current) =>
        setClassification(current, name, toggleOption(current.classifications[name] ?? [], option, multiple)),
      ),
    [onChange],
  );

  const changed = !readOnly && !sent && canUndo(history);
  const dirty = changed && doc !== kept;

  // The draft follows the work: kept while there are changes, dropped when there are none.
  useEffect(() => {
    if (!draftKey || readOnly || sent) return;
    if (canUndo(history)) drafts.set(draftKey, basis, history);
    else drafts.delete(draftKey);
  }, [draftKey, readOnly, sent, history, basis]);

  const leaveDialog = useLeaveGuard(dirty, LEAVE_WORDS);

  async function keep() {
    if (!saveDraft || saving || sent || readOnly) return;
    setSaving(true);
    setProblem(null);
    const keeping = doc;
    try {
      const draft = await saveDraft(toPayload(keeping));
      setKept(keeping);
      setSavedAt(draft.saved_at);
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setSaving(false);
    }
  }

  async function send() {
    if (!submit || submitting || sent) return;
    setSubmitting(true);
    setProblem(null);
    try {
      const words = await submit.run(toPayload(doc));
      if (draftKey) drafts.delete(draftKey);
      setSent(true);
      onDone(words);
    } catch (error) {
      setProblem(asProblem(error));
      setSubmitting(false);
    }
  }

  function discard() {
    const present = fromPayload(startPayload);
    dispatch({ type: "reset", present });
    setKept(present);
    if (draftKey) drafts.delete(draftKey);
    setShowRestored(false);
  }

  // Undo, redo, submit and "?" from anywhere but a field (Ctrl + Enter from a field too).
  const keyHandler = useRef<(event: KeyboardEvent) => void>(() => undefined);
  keyHandler.current = (event) => {
    if (!readOnly && submit && isSubmit(event) && !event.defaultPrevented && !dialogOpen()) {
      event.preventDefault();
      void send();
      return;
    }
    if (!readOnly && saveDraft && isSaveDraft(event) && !event.defaultPrevented && !dialogOpen()) {
      event.preventDefault();
      void keep();
      return;
    }
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

  const objectCount = doc.objects.length;
  const shortcuts =
    kind === "image" ? (readOnly ? VIEW_IMAGE_SHORTCUTS : IMAGE_SHORTCUTS) : readOnly ? VIEW_TEXT_SHORTCUTS : TEXT_SHORTCUTS;

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
        <span className="toolbar-spacer" />
        <span className="meta">
          {objectCount} {objectCount === 1 ? "object" : "objects"}
        </span>
      </div>
      {saved?.payload && savedAt === saved.saved_at && !changed && !sent ? (
        <div className="draft-note">
          <p>Your draft saved {formatDate(saved.saved_at ?? "")} is open. It is not submitted yet.</p>
        </div>
      ) : null}
      {showRestored && changed ? (
        <div className="draft-note">
          <p>Your changes from earlier in this tab are back. They are not sent yet.</p>
          <button type="button" className="small" onClick={discard}>
            Discard changes
          </button>
        </div>
      ) : null}
      {before}
      {start === null && readOnly ? (
        <p className="status status-empty">No annotation has been submitted for this task yet.</p>
      ) : null}
      {renderEditor({ objects: doc.objects, labels, readOnly, onChange })}
      <Classifications
        questions={definition.classifications}
        answers={doc.classifications}
        onChange={answer}
        readOnly={readOnly}
      />
      {!readOnly && submit ? (
        <div className="task-submit">
          {problem ? <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} /> : null}
          <div className="task-submit-actions">
            <button
              type="button"
              className="primary"
              onClick={() => void send()}
              disabled={submitting || sent}
              aria-keyshortcuts="Control+Enter"
            >
              {submitting ? submit.busyLabel : submit.label}
            </button>
            {saveDraft ? (
              <button type="button" onClick={() => void keep()} disabled={saving || sent || !dirty} aria-keyshortcuts="Control+S">
                {saving ? "Saving draft…" : "Save draft"}
              </button>
            ) : null}
            {actions}
            <span className="meta" role="status">
              {dirty ? "Changes not sent yet." : savedAt && changed ? `Draft saved ${formatDate(savedAt)}.` : "No changes yet."}{" "}
              Ctrl + Enter sends from anywhere on the page.
            </span>
          </div>
        </div>
      ) : null}
      {after}
      <ShortcutsDialog ref={dialog} shortcuts={shortcuts} editing={!readOnly} />
      {leaveDialog}
    </div>
  );
}
