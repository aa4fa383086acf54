// The reviewer's decision on a task in review (not in consensus): a "Comment" and "Approve" or
// "Reject"; a rejection needs a comment (it is what the annotator reads to fix the work).

import { useId, useState } from "react";
import { api, asProblem, seg, type Problem } from "../api/client";
import type { Review } from "../api/types";
import { ErrorBanner } from "../components/status";

export function ReviewForm({
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
  const hintId = useId();
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [missing, setMissing] = useState(false);

  async function decide(decision: "approve" | "reject") {
    if (decision === "reject" && !comment.trim()) {
      setMissing(true);
      document.getElementById(commentId)?.focus();
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
          Reviewed {reviews.length} time{reviews.length === 1 ? "" : "s"} before: see “Versions” below.
        </p>
      ) : null}
      <div className="field">
        <label htmlFor={commentId}>Comment</label>
        <textarea
          id={commentId}
          rows={3}
          maxLength={10000}
          value={comment}
          onChange={(event) => {
            setComment(event.target.value);
            if (missing && event.target.value.trim()) setMissing(false);
          }}
          aria-invalid={missing ? true : undefined}
          aria-describedby={missing ? errorId : hintId}
        />
        {missing ? (
          <p id={errorId} className="field-error" role="alert">
            Say what to fix: a rejection needs a comment.
          </p>
        ) : (
          <p id={hintId} className="field-hint">
            Required to reject: the annotator reads it above their editor.
          </p>
        )}
      </div>
      <div className="review-actions">
        <button type="button" className="primary" onClick={() => void decide("approve")} disabled={busy}>
          Approve
        </button>
        <button type="button" className="danger" onClick={() => void decide("reject")} disabled={busy}>
          Reject
        </button>
      </div>
      {problem ? <ErrorBanner problem={problem} onDismiss={() => setProblem(null)} /> : null}
    </section>
  );
}
