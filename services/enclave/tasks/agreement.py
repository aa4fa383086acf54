"""How much the submissions of a consensus task agree: one score per task, in [0, 1].

Owns the scoring, nothing else. Two payloads are compared part by part, and each part present in
either payload counts equally:

- **regions** (boxes and polygons): each object is matched one to one with an object of the same
  label and kind in the other payload, greedily by IoU (highest first, IoU > 0); the part scores
  ``2 · Σ IoU(matched) / (|A| + |B|)`` — a soft F1: 1 for identical drawings, 0 for disjoint ones,
  and every unmatched object counts against it;
- **spans** (text): span F1, ``2 · |A ∩ B| / (|A| + |B|)`` over exact ``(label, start, end)`` spans;
- **choices** (classifications): exact match, the share of questions answered in either payload that
  both answered with the same set of options.

Two empty payloads agree fully. The task's score is the mean over every pair of submissions; the
best-agreeing submission is the one whose mean agreement with the others is highest (the earliest
on a tie). Must never decide what a score means for the task (the workflow's threshold does) nor read
anything but the payloads it is handed; a payload too complex to score within the ``Budget`` raises
``TooComplex`` and the caller treats the task as a disagreement.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from enclave.tasks.geometry import Budget, TooComplex, box_iou, polygon_iou
from enclave.tasks.schemas import AnnotationPayload, Box, Polygon, Span

__all__ = ["Agreement", "Budget", "TooComplex", "agreement_of", "pair_agreement"]

#: Edge-pair tests one task's scoring may run: a few seconds of work at most.
DEFAULT_BUDGET = 20_000_000

Region = Box | Polygon


@dataclass(frozen=True, slots=True)
class Agreement:
    #: The mean pairwise agreement of the submissions.
    score: float
    #: The index (in the order given) of the submission that agrees best with the others.
    best: int


def region_iou(a: Region, b: Region, budget: Budget) -> float:
    """IoU of two regions of the same kind (boxes with boxes, polygons with polygons)."""
    if isinstance(a, Box) and isinstance(b, Box):
        return box_iou((a.x, a.y, a.width, a.height), (b.x, b.y, b.width, b.height))
    if isinstance(a, Polygon) and isinstance(b, Polygon):
        return polygon_iou(a.points, b.points, budget)
    return 0.0


def matched_score(
    left: Sequence[Region], right: Sequence[Region], similarity: Callable[[Region, Region], float]
) -> float:
    """``2 · Σ similarity(matched) / (|left| + |right|)`` with a greedy one-to-one matching."""
    if not left and not right:
        return 1.0
    candidates = sorted(
        (
            (score, i, j)
            for i, a in enumerate(left)
            for j, b in enumerate(right)
            if (score := similarity(a, b)) > 0
        ),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    used_left: set[int] = set()
    used_right: set[int] = set()
    total = 0.0
    for score, i, j in candidates:
        if i not in used_left and j not in used_right:
            used_left.add(i)
            used_right.add(j)
            total += score
    return 2 * total / (len(left) + len(right))


def regions_score(a: AnnotationPayload, b: AnnotationPayload, budget: Budget) -> float:
    groups: dict[tuple[str, str], tuple[list[Region], list[Region]]] = defaultdict(lambda: ([], []))
    for side, payload in enumerate((a, b)):
        for obj in payload.objects:
            if isinstance(obj, Box | Polygon):
                groups[(type(obj).__name__, obj.label)][side].append(obj)
    matched = 0.0
    for left, right in groups.values():
        matched += matched_score(left, right, lambda x, y: region_iou(x, y, budget)) * (
            len(left) + len(right)
        )
    count = sum(len(left) + len(right) for left, right in groups.values())
    return matched / count if count else 1.0


def span_f1(a: AnnotationPayload, b: AnnotationPayload) -> float:
    left = {(s.label, s.start, s.end) for s in a.objects if isinstance(s, Span)}
    right = {(s.label, s.start, s.end) for s in b.objects if isinstance(s, Span)}
    if not left and not right:
        return 1.0
    return 2 * len(left & right) / (len(left) + len(right))


def choices_match(a: AnnotationPayload, b: AnnotationPayload) -> float:
    questions = set(a.classifications) | set(b.classifications)
    if not questions:
        return 1.0
    same = sum(set(a.classifications.get(q, ())) == set(b.classifications.get(q, ())) for q in questions)
    return same / len(questions)


def pair_agreement(a: AnnotationPayload, b: AnnotationPayload, budget: Budget | None = None) -> float:
    """How much two payloads agree: the mean of the scores of the parts present in either."""
    budget = budget or Budget(DEFAULT_BUDGET)
    has_regions = any(isinstance(o, Box | Polygon) for o in (*a.objects, *b.objects))
    has_spans = any(isinstance(o, Span) for o in (*a.objects, *b.objects))
    parts = []
    if has_regions:
        parts.append(regions_score(a, b, budget))
    if has_spans:
        parts.append(span_f1(a, b))
    if a.classifications or b.classifications:
        parts.append(choices_match(a, b))
    return sum(parts) / len(parts) if parts else 1.0


def agreement_of(payloads: Sequence[AnnotationPayload], budget: Budget | None = None) -> Agreement:
    """The agreement of two or more submissions of one task."""
    if len(payloads) < 2:
        raise ValueError("agreement needs at least two submissions")
    budget = budget or Budget(DEFAULT_BUDGET)
    with_others = [0.0] * len(payloads)
    pairs = list(itertools.combinations(range(len(payloads)), 2))
    total = 0.0
    for i, j in pairs:
        score = pair_agreement(payloads[i], payloads[j], budget)
        total += score
        with_others[i] += score
        with_others[j] += score
    best = max(range(len(payloads)), key=lambda i: (with_others[i], -i))
    return Agreement(score=total / len(pairs), best=best)
