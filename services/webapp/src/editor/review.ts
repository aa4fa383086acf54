// What the task page decides from a task, its annotation versions and its reviews, as pure
// functions (review.test.ts): which version an editor starts from, who may do what, a consensus
// round's submissions, the reviews each version got, which two versions are compared, and the
// words for an agreement score or a version's contents. No React, no DOM.

import type { AnnotationPayload, AnnotationVersion, Review, Task } from "../api/types";

/** The consensus fields of a task (tasks/schemas.py); absent on a task not labelled in consensus. */
export interface ConsensusFields {
  /** The round's size; null: not in consensus. */
  consensus_target?: number | null;
  /** How many submissions the round has collected. */
  consensus_submissions?: number;
  /** The round's agreement score in [0, 1]; null: not scored (yet, or too complex to score). */
  agreement?: number | null;
  /** The version a consensus task settled on; null: the newest version is the result. */
  result_version_id?: string | null;
}

export type ReviewTask = Task & ConsensusFields;

/** annotate: editable, submit; review: read-only, approve or reject; view: read-only. */
export type Mode = "annotate" | "review" | "view";

export function isConsensus(task: ReviewTask): boolean {
  return typeof task.consensus_target === "number" && task.consensus_target > 1;
}

/** Versions oldest first (by version number: the api's order, made sure of). */
export function byVersion(versions: readonly AnnotationVersion[]): AnnotationVersion[] {
  return [...versions].sort((a, b) => a.version - b.version);
}

export function latestVersion(versions: readonly AnnotationVersion[]): AnnotationVersion | null {
  let best: AnnotationVersion | null = null;
  for (const version of versions) if (!best || version.version > best.version) best = version;
  return best;
}

export function latestReview(reviews: readonly Review[]): Review | null {
  let best: Review | null = null;
  for (const review of reviews) if (!best || review.created_at >= best.created_at) best = review;
  return best;
}

/** The task came back to its annotator: in stage annotate, and its last review rejected it. */
export function rejectedReview(task: ReviewTask, reviews: readonly Review[]): Review | null {
  if (task.stage !== "annotate") return null;
  const last = latestReview(reviews);
  return last?.decision === "reject" ? last : null;
}

/** A consensus round's submissions: its newest `consensus_submissions` versions, oldest first
 * (what the api scores and lets a reviewer pick from). Empty for a task not in consensus. */
export function roundSubmissions(task: ReviewTask, versions: readonly AnnotationVersion[]): AnnotationVersion[] {
  const count = task.consensus_submissions ?? 0;
  if (!isConsensus(task) || count <= 0) return [];
  const ordered = byVersion(versions);
  return ordered.slice(Math.max(0, ordered.length - count));
}

/**
 * The version an editor starts from.
 * - A consensus round still collecting: none (each annotator labels blind).
 * - Rejected work back with its annotator: the rejected version, so they fix rather than redraw.
 * - Otherwise the task's result: the consensus's settled version, else the newest.
 */
export function startingVersion(
  task: ReviewTask,
  versions: readonly AnnotationVersion[],
  reviews: readonly Review[],
): AnnotationVersion | null {
  if (isConsensus(task) && task.stage === "annotate") return null;
  const rejected = rejectedReview(task, reviews);
  if (rejected) {
    const version = versions.find((v) => v.id === rejected.annotation_version_id);
    if (version) return version;
  }
  if (task.result_version_id) {
    const result = versions.find((v) => v.id === task.result_version_id);
    if (result) return result;
  }
  return latestVersion(versions);
}

/**
 * What the signed-in user may do with the task. The api decides in the end; this only chooses
 * the view. A reviewer never reviews their own work (for consensus: any of the round's).
 */
export function modeOf(task: ReviewTask, userId: string, versions: readonly AnnotationVersion[]): Mode {
  if (task.stage === "annotate") {
    if (task.assignee_id !== userId && task.assignee_id !== null) return "view";
    if (isConsensus(task) && versions.some((v) => v.author_id === userId)) return "view";
    return "annotate";
  }
  if (task.stage === "review") {
    if (task.reviewer_id !== userId && task.reviewer_id !== null) return "view";
    if (isConsensus(task)) {
      return roundSubmissions(task, versions).some((v) => v.author_id === userId) ? "view" : "review";
    }
    const latest = latestVersion(versions);
    if (latest ? latest.author_id === userId : task.assignee_id === userId) return "view";
    return "review";
  }
  return "view";
}

/** Why a task is shown read-only, in words. */
export function viewReason(task: ReviewTask, userId: string, versions: readonly AnnotationVersion[]): string {
  if (task.stage === "done") return "This task is done. Its annotation is shown read-only.";
  if (isConsensus(task) && versions.some((v) => v.author_id === userId)) {
    return task.stage === "annotate"
      ? "You have annotated this task already; its consensus needs other annotators. Your work is shown read-only."
      : "Your work is one of this task's consensus submissions: someone else reviews it. It is shown read-only.";
  }
  if (task.stage === "review" && (task.assignee_id === userId || latestVersion(versions)?.author_id === userId)) {
    return "Your work is waiting for review. It is shown read-only.";
  }
  if (task.stage === "review") return "This task is in review by someone else. It is shown read-only.";
  return "This task is assigned to someone else. It is shown read-only.";
}

/** The reviews each version got, by version id, oldest first. */
export function reviewsByVersion(reviews: readonly Review[]): Map<string, Review[]> {
  const out = new Map<string, Review[]>();
  const ordered = [...reviews].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  for (const review of ordered) {
    const list = out.get(review.annotation_version_id);
    if (list) list.push(review);
    else out.set(review.annotation_version_id, [review]);
  }
  return out;
}

/**
 * Picking versions to compare: a version picked again is unpicked; a third pick drops the
 * earliest of the two already picked. Answers the picks in the order they were made.
 */
export function togglePick(picked: readonly string[], id: string, limit = 2): string[] {
  if (picked.includes(id)) return picked.filter((p) => p !== id);
  const next = [...picked, id];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** Two picked versions, oldest first (by version number); null unless exactly two are picked. */
export function comparedPair(
  picked: readonly string[],
  versions: readonly AnnotationVersion[],
): [AnnotationVersion, AnnotationVersion] | null {
  if (picked.length !== 2) return null;
  const found = picked.map((id) => versions.find((v) => v.id === id));
  const [a, b] = found;
  if (!a || !b) return null;
  return a.version <= b.version ? [a, b] : [b, a];
}

/** An agreement score as a person reads it: "42 %", or why there is none. */
export function agreementWords(score: number | null | undefined): string {
  if (score === null || score === undefined || Number.isNaN(score)) return "not scored";
  return `${Math.round(Math.min(1, Math.max(0, score)) * 100)} %`;
}

/** How many objects of each label a payload has: "car ×2, road ×1"; "no objects" when none. */
export function contentsWords(payload: AnnotationPayload | null | undefined): string {
  const counts = new Map<string, number>();
  for (const object of payload?.objects ?? []) counts.set(object.label, (counts.get(object.label) ?? 0) + 1);
  if (counts.size === 0) return "no objects";
  return [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, count]) => `${label} ×${count}`)
    .join(", ");
}

/** The answers of a payload's classifications: "weather: sun; topic: news, sport"; "" when none. */
export function answersWords(payload: AnnotationPayload | null | undefined): string {
  return Object.entries(payload?.classifications ?? {})
    .filter(([, values]) => values.length > 0)
    .map(([name, values]) => `${name}: ${values.join(", ")}`)
    .join("; ");
}

/**
 * Names for the authors of versions, in the order they first appear: the signed-in user is
 * "you", a known member their name, anyone else "Annotator N" (N by first appearance).
 */
export function authorNames(
  authorIds: readonly string[],
  userId: string,
  known: ReadonlyMap<string, string> = new Map(),
): Map<string, string> {
  const out = new Map<string, string>();
  let n = 0;
  for (const id of authorIds) {
    if (out.has(id)) continue;
    if (id === userId) {
      out.set(id, "you");
      continue;
    }
    n += 1;
    out.set(id, known.get(id) ?? `Annotator ${n}`);
  }
  return out;
}
