import { describe, expect, it } from "vitest";
import type { AnnotationPayload, AnnotationVersion, Review } from "../api/types";
import {
  agreementWords,
  answersWords,
  authorNames,
  comparedPair,
  contentsWords,
  isConsensus,
  latestReview,
  modeOf,
  rejectedReview,
  reviewsByVersion,
  roundSubmissions,
  startingVersion,
  togglePick,
  viewReason,
  type ReviewTask,
} from "./review";

const ANN = "a0000000-0000-0000-0000-000000000001";
const BOB = "b0000000-0000-0000-0000-000000000002";
const CAT = "c0000000-0000-0000-0000-000000000003";
const REV = "d0000000-0000-0000-0000-000000000004";

function task(extra: Partial<ReviewTask> = {}): ReviewTask {
  return {
    id: "t1",
    project_id: "p1",
    data_item_id: "i1",
    stage: "annotate",
    assignee_id: ANN,
    reviewer_id: REV,
    priority: 0,
    version: 3,
    created_at: "2026-01-05T10:00:00Z",
    updated_at: "2026-01-05T10:00:00Z",
    ...extra,
  };
}

const EMPTY: AnnotationPayload = { objects: [], classifications: {} };

function version(n: number, author: string, payload: AnnotationPayload = EMPTY): AnnotationVersion {
  return {
    id: `v${n}`,
    task_id: "t1",
    version: n,
    author_id: author,
    ontology_version: 1,
    payload,
    created_at: `2026-01-05T10:0${n}:00Z`,
  };
}

function review(id: string, versionId: string, decision: "approve" | "reject", at: string, comment = ""): Review {
  return {
    id,
    task_id: "t1",
    annotation_version_id: versionId,
    reviewer_id: REV,
    decision,
    comment,
    created_at: at,
  };
}

describe("which version an editor starts from", () => {
  it("starts rejected work from the rejected version, not a newer one", () => {
    const versions = [version(1, ANN), version(2, ANN), version(3, REV)];
    const reviews = [review("r1", "v2", "reject", "2026-01-05T11:00:00Z", "bigger")];
    expect(startingVersion(task(), versions, reviews)?.id).toBe("v2");
    expect(rejectedReview(task(), reviews)?.comment).toBe("bigger");
  });

  it("starts from the newest version when the last review approved, or there is none", () => {
    const versions = [version(2, ANN), version(1, ANN)];
    expect(startingVersion(task(), versions, [])?.id).toBe("v2");
    const reviews = [
      review("r1", "v1", "reject", "2026-01-05T11:00:00Z"),
      review("r2", "v2", "approve", "2026-01-05T12:00:00Z"),
    ];
    expect(rejectedReview(task({ stage: "done" }), reviews)).toBeNull();
    expect(startingVersion(task({ stage: "done" }), versions, reviews)?.id).toBe("v2");
  });

  it("shows a rejection only while the task is back in annotation", () => {
    const reviews = [review("r1", "v1", "reject", "2026-01-05T11:00:00Z")];
    expect(rejectedReview(task({ stage: "review" }), reviews)).toBeNull();
  });

  it("labels a consensus round blind, and shows its settled result afterwards", () => {
    const consensus = { consensus_target: 3, consensus_submissions: 1 };
    expect(startingVersion(task(consensus), [version(1, BOB)], [])).toBeNull();
    const done = task({ ...consensus, stage: "done", result_version_id: "v1" });
    expect(startingVersion(done, [version(1, ANN), version(2, BOB)], [])?.id).toBe("v1");
  });

  it("starts empty without versions", () => {
    expect(startingVersion(task(), [], [])).toBeNull();
  });
});

describe("what the signed-in user may do", () => {
  it("lets the assignee (or anyone, unassigned) annotate", () => {
    expect(modeOf(task(), ANN, [])).toBe("annotate");
    expect(modeOf(task({ assignee_id: null }), BOB, [])).toBe("annotate");
    expect(modeOf(task(), BOB, [])).toBe("view");
  });

  it("lets the reviewer review, never their own work", () => {
    const review = task({ stage: "review" });
    expect(modeOf(review, REV, [version(1, ANN)])).toBe("review");
    expect(modeOf(review, BOB, [version(1, ANN)])).toBe("view");
    expect(modeOf(task({ stage: "review", reviewer_id: null }), ANN, [version(1, ANN)])).toBe("view");
    expect(viewReason(review, ANN, [version(1, ANN)])).toMatch(/waiting for review/);
  });

  it("keeps a consensus round's authors out of annotating again and of its review", () => {
    const collecting = task({ consensus_target: 2, consensus_submissions: 1, assignee_id: null });
    expect(modeOf(collecting, ANN, [version(1, ANN)])).toBe("view");
    expect(viewReason(collecting, ANN, [version(1, ANN)])).toMatch(/annotated this task already/);
    expect(modeOf(collecting, BOB, [])).toBe("annotate");
    const inReview = task({ stage: "review", consensus_target: 2, consensus_submissions: 2, assignee_id: BOB });
    const round = [version(1, ANN), version(2, BOB)];
    expect(modeOf(inReview, REV, round)).toBe("review");
    expect(modeOf(inReview, ANN, round)).toBe("view");
  });

  it("shows a done task read-only", () => {
    expect(modeOf(task({ stage: "done" }), ANN, [])).toBe("view");
    expect(viewReason(task({ stage: "done" }), ANN, [])).toMatch(/done/);
  });
});

describe("consensus", () => {
  it("knows a consensus task by its round's size", () => {
    expect(isConsensus(task())).toBe(false);
    expect(isConsensus(task({ consensus_target: null }))).toBe(false);
    expect(isConsensus(task({ consensus_target: 3 }))).toBe(true);
  });

  it("takes the round's submissions as the newest versions, oldest first", () => {
    const versions = [version(4, CAT), version(1, ANN), version(3, BOB), version(2, ANN)];
    const round = roundSubmissions(task({ consensus_target: 3, consensus_submissions: 3 }), versions);
    expect(round.map((v) => v.id)).toEqual(["v2", "v3", "v4"]);
    expect(roundSubmissions(task(), versions)).toEqual([]);
  });

  it("puts an agreement score in words", () => {
    expect(agreementWords(0.4213)).toBe("42 %");
    expect(agreementWords(1)).toBe("100 %");
    expect(agreementWords(null)).toBe("not scored");
    expect(agreementWords(undefined)).toBe("not scored");
  });
});

describe("versions and reviews", () => {
  it("groups reviews by the version they judged, oldest first", () => {
    const grouped = reviewsByVersion([
      review("r2", "v1", "approve", "2026-01-05T12:00:00Z"),
      review("r1", "v1", "reject", "2026-01-05T11:00:00Z"),
      review("r3", "v2", "reject", "2026-01-05T13:00:00Z"),
    ]);
    expect(grouped.get("v1")?.map((r) => r.id)).toEqual(["r1", "r2"]);
    expect(grouped.get("v2")?.map((r) => r.id)).toEqual(["r3"]);
    expect(grouped.get("v3")).toBeUndefined();
  });

  it("finds the latest review", () => {
    const reviews = [
      review("r1", "v1", "reject", "2026-01-05T11:00:00Z"),
      review("r2", "v2", "approve", "2026-01-05T12:00:00Z"),
    ];
    expect(latestReview(reviews)?.id).toBe("r2");
    expect(latestReview([])).toBeNull();
  });

  it("picks at most two versions to compare, dropping the earliest pick", () => {
    expect(togglePick([], "v1")).toEqual(["v1"]);
    expect(togglePick(["v1"], "v2")).toEqual(["v1", "v2"]);
    expect(togglePick(["v1", "v2"], "v3")).toEqual(["v2", "v3"]);
    expect(togglePick(["v1", "v2"], "v1")).toEqual(["v2"]);
  });

  it("compares two picked versions oldest first, and nothing otherwise", () => {
    const versions = [version(1, ANN), version(2, ANN), version(3, ANN)];
    expect(comparedPair(["v3", "v1"], versions)?.map((v) => v.id)).toEqual(["v1", "v3"]);
    expect(comparedPair(["v1"], versions)).toBeNull();
    expect(comparedPair(["v1", "v9"], versions)).toBeNull();
  });

  it("says what a version holds", () => {
    const payload: AnnotationPayload = {
      objects: [
        { kind: "bbox", label: "car", x: 0, y: 0, width: 1, height: 1 },
        { kind: "polygon", label: "road", points: [[0, 0], [1, 0], [1, 1]] },
        { kind: "bbox", label: "car", x: 2, y: 2, width: 1, height: 1 },
      ],
      classifications: { weather: ["sun"], empty: [], topic: ["news", "sport"] },
    };
    expect(contentsWords(payload)).toBe("car ×2, road ×1");
    expect(contentsWords(EMPTY)).toBe("no objects");
    expect(answersWords(payload)).toBe("weather: sun; topic: news, sport");
    expect(answersWords(EMPTY)).toBe("");
  });

  it("names authors: you, a known name, else Annotator N by first appearance", () => {
    const names = authorNames([BOB, ANN, CAT, BOB], ANN, new Map([[CAT, "Cat Person"]]));
    expect(names.get(BOB)).toBe("Annotator 1");
    expect(names.get(ANN)).toBe("you");
    expect(names.get(CAT)).toBe("Cat Person");
    expect([...names.keys()]).toEqual([BOB, ANN, CAT]);
  });
});
