// Pieces the review pages share: one annotation version shown read-only in a small view (the
// compare and consensus columns), the names of the people who made versions and reviews, and a
// review in words.

import { useEffect, useMemo, useState } from "react";
import { api, seg } from "../api/client";
import type { AnnotationVersion, Member, OntologyDefinition, Review } from "../api/types";
import { formatDate } from "../components/status";
import { fromPayload } from "../editor/document";
import { answersWords, authorNames, contentsWords } from "../editor/review";
import { labelsFor, type RenderEditor } from "../editor/Workspace";
import { useSignedIn } from "../session";

const noChange = () => undefined;

/** One version, read-only, in a small view named `name`; its classification answers below it. */
export function ReadOnlyAnnotation({
  version,
  name,
  kind,
  definition,
  renderEditor,
}: {
  version: AnnotationVersion;
  name: string;
  kind: "image" | "text";
  definition: OntologyDefinition;
  renderEditor: RenderEditor;
}) {
  const doc = useMemo(() => fromPayload(version.payload), [version]);
  const labels = useMemo(() => labelsFor(definition, kind), [definition, kind]);
  const answers = answersWords(version.payload);
  return (
    <div className="readonly-annotation">
      {renderEditor({ objects: doc.objects, labels, readOnly: true, onChange: noChange, compact: true, name })}
      <p className="meta">
        {contentsWords(version.payload)}
        {answers ? <> · {answers}</> : null}
      </p>
    </div>
  );
}

/**
 * Who made each version and review, in words: "you", a member's name where the signed-in user
 * may read members (organization admins), else "Annotator N" by first appearance (reviewers
 * are not allowed to read the member list; the ids are not shown to them as names).
 */
export function usePeopleNames(versions: readonly AnnotationVersion[], reviews: readonly Review[]): {
  author: (id: string) => string;
  reviewer: (id: string) => string;
} {
  const { session, me } = useSignedIn();
  const [known, setKnown] = useState<ReadonlyMap<string, string>>(new Map());
  const ids = useMemo(
    () => [...new Set([...versions.map((v) => v.author_id), ...reviews.map((r) => r.reviewer_id)])],
    [versions, reviews],
  );
  const canRead = me?.role === "admin";

  useEffect(() => {
    if (!canRead) return;
    const controller = new AbortController();
    const others = ids.filter((id) => id !== session.user_id);
    Promise.all(
      others.map((id) =>
        api.get<Member>(`/api/v1/members/${seg(id)}`, controller.signal).then(
          (member) => [id, member.display_name || member.email] as const,
          () => null,
        ),
      ),
    ).then((found) => {
      if (controller.signal.aborted) return;
      setKnown(new Map(found.filter((entry): entry is readonly [string, string] => entry !== null)));
    });
    return () => controller.abort();
  }, [canRead, ids, session.user_id]);

  return useMemo(() => {
    const authors = authorNames(
      versions.map((v) => v.author_id),
      session.user_id,
      known,
    );
    return {
      author: (id: string) => authors.get(id) ?? known.get(id) ?? (id === session.user_id ? "you" : "an annotator"),
      reviewer: (id: string) => (id === session.user_id ? "you" : (known.get(id) ?? "a reviewer")),
    };
  }, [versions, known, session.user_id]);
}

/** "Rejected by you on 5 Jan 2026, 10:02: “the comment”". */
export function ReviewWords({ review, reviewer }: { review: Review; reviewer: string }) {
  return (
    <>
      <strong>{review.decision === "approve" ? "Approved" : "Rejected"}</strong> by {reviewer},{" "}
      {formatDate(review.created_at)}
      {review.comment ? <>: “{review.comment}”</> : null}
    </>
  );
}
