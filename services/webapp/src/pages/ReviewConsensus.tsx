// A consensus task in review: the round's k submissions side by side (each read-only, with its
// author), the round's agreement score, and the two ways the api resolves it — "Pick this one"
// approves one submission as it is; "Merge" starts the editor from one submission, and "Approve
// merged" approves the edited result as a new version. Rejecting is not offered: the api resolves
// a consensus only by approving (it answers 409 to a rejection). Someone who may not decide (a
// manager looking on, an author of the round) sees the submissions and the score only.

import { useId, useMemo, useState } from "react";
import { api, asProblem, seg, type Problem } from "../api/client";
import type { AnnotationVersion, Review } from "../api/types";
import { ErrorBanner, formatDate } from "../components/status";
import { agreementWords, roundSubmissions, type ReviewTask } from "../editor/review";
import { Workspace, type RenderEditor } from "../editor/Workspace";
import { ReadOnlyAnnotation, usePeopleNames } from "./ReviewParts";
import type { TaskData } from "./TaskPage";

export function ReviewConsensus({
  data,
  kind,
  renderEditor,
  onDone,
  decide,
}: {
  data: TaskData;
  kind: "image" | "text";
  renderEditor: RenderEditor;
  onDone: (words: string) => void;
  /** The signed-in user reviews this task: pick, merge and comment. */
  decide: boolean;
}) {
  const task: ReviewTask = data.task;
  const submissions = useMemo(() => roundSubmissions(task, data.versions), [task, data.versions]);
  const names = usePeopleNames(submissions, data.reviews);
  const headingId = useId();
  const commentId = useId();
  const startId = useId();
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [mergeFrom, setMergeFrom] = useState<string>(() => submissions[0]?.id ?? "");
  const [merging, setMerging] = useState<AnnotationVersion | null>(null);

  const described = (version: AnnotationVersion, index: number) =>
    `Submission ${index + 1} by ${names.author(version.author_id)}`;

  async function pick(version: AnnotationVersion, index: number) {
    setBusy(true);
    setProblem(null);
    try {
      await api.post<Review>(`/api/v1/tasks/${seg(task.id)}/reviews`, {
        decision: "approve",
        annotation_version_id: version.id,
        comment: comment.trim(),
      });
      onDone(`Approved: ${described(version, index)} is the task's result.`);
    } catch (error) {
      setProblem(asProblem(error));
      setBusy(false);
    }
  }

  const commentField = (
    <div className="field">
      <label htmlFor={commentId}>Comment</label>
      <textarea
        id={commentId}
        rows={2}
        maxLength={10000}
        value={comment}
        onChange={(event) => setComment(event.target.value)}
      />
      <p className="field-hint">Optional: why this result (kept with the review).</p>
    </div>
  );

  const scoreLine = (
    <p className="consensus-score">
      Agreement between the {submissions.length} submissions: <strong>{agreementWords(task.agreement)}</strong>
      {task.agreement === null || task.agreement === undefined
        ? " (the round could not be scored automatically)"
        : " (below the project's threshold, so a reviewer decides)"}
    </p>
  );

  if (merging && decide) {
    const index = submissions.indexOf(merging);
    return (
      <section className="consensus" aria-labelledby={headingId}>
        <h2 id={headingId}>Consensus: merging</h2>
        {scoreLine}
        <p className="meta">
          Started from {described(merging, index)}. Edit it, then approve the merged annotation: it is
          saved as a new version and becomes the task's result.
        </p>
        <Workspace
          definition={data.ontology.definition}
          taskVersion={task.version}
          kind={kind}
          start={merging}
          readOnly={false}
          draftKey={`merge:${task.id}:${merging.id}`}
          renderEditor={renderEditor}
          onDone={onDone}
          before={commentField}
          submit={{
            label: "Approve merged",
            busyLabel: "Approving…",
            run: async (payload) => {
              await api.post<Review>(`/api/v1/tasks/${seg(task.id)}/reviews`, {
                decision: "approve",
                payload,
                comment: comment.trim(),
              });
              return "Approved: the merged annotation is the task's result.";
            },
          }}
          actions={
            <button type="button" onClick={() => setMerging(null)}>
              Back to the submissions
            </button>
          }
        />
      </section>
    );
  }

  return (
    <section className="consensus" aria-labelledby={headingId}>
      <h2 id={headingId}>Consensus review</h2>
      {scoreLine}
      {submissions.length === 0 ? (
        <p className="status status-empty">This round has no submissions to show.</p>
      ) : null}
      {decide ? commentField : null}
      {problem ? <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} /> : null}
      <div className="submissions">
        {submissions.map((version, index) => {
          const titleId = `${headingId}-s${index}`;
          return (
            <section key={version.id} className="submission" aria-labelledby={titleId}>
              <h3 id={titleId}>{described(version, index)}</h3>
              <p className="meta">
                Version {version.version}, {formatDate(version.created_at)}
              </p>
              <ReadOnlyAnnotation
                version={version}
                name={`Submission ${index + 1}, read only`}
                kind={kind}
                definition={data.ontology.definition}
                renderEditor={renderEditor}
              />
              {decide ? (
                <button
                  type="button"
                  className="primary"
                  disabled={busy}
                  aria-describedby={titleId}
                  onClick={() => void pick(version, index)}
                >
                  Pick this one
                </button>
              ) : null}
            </section>
          );
        })}
      </div>
      {decide && submissions.length > 0 ? (
        <div className="merge-start">
          <div className="field">
            <label htmlFor={startId}>Start the merge from</label>
            <select id={startId} value={mergeFrom} onChange={(event) => setMergeFrom(event.target.value)}>
              {submissions.map((version, index) => (
                <option key={version.id} value={version.id}>
                  {described(version, index)}
                </option>
              ))}
            </select>
          </div>
          <button
            type="button"
            disabled={busy}
            onClick={() => setMerging(submissions.find((v) => v.id === mergeFrom) ?? submissions[0] ?? null)}
          >
            Merge
          </button>
          <p className="meta">Opens the editor on that submission: fix it, then “Approve merged”.</p>
        </div>
      ) : null}
    </section>
  );
}
