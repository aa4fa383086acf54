"""The workflow's stage graph — annotate → review → done, rejection back to annotate — and where a
submission or a review sends a task under its project's workflow settings.

Owns the decisions as pure functions of plain facts, so each is tested alone: ``plan_submission``
(review, done, a sampled review, or a consensus round still collecting or ready to score),
``stage_after_sampling``, ``stage_after_scoring``, ``stage_after_review``, and ``check_move``, which
refuses any move the graph lacks. Must never read or write anything: the service gathers the facts
(under the task's lock) and writes the outcome.

What a workflow change does to work in flight (``docs/architecture.md``, "The labeling workflow"):
a submission is routed by the settings it reads; a task's consensus round keeps the size it started
with; tasks in review stay in review and done tasks stay done.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from enclave.domain.errors import InvalidState
from enclave.domain.roles import ReviewDecision, TaskStage

#: Every move a task can make. Done is final.
MOVES: dict[TaskStage, frozenset[TaskStage]] = {
    TaskStage.ANNOTATE: frozenset({TaskStage.ANNOTATE, TaskStage.REVIEW, TaskStage.DONE}),
    TaskStage.REVIEW: frozenset({TaskStage.ANNOTATE, TaskStage.DONE}),
    TaskStage.DONE: frozenset(),
}


def check_move(source: TaskStage, target: TaskStage) -> None:
    if target not in MOVES[source]:
        raise InvalidState(f"A task cannot move from {source} to {target}.")


@dataclass(frozen=True, slots=True)
class WorkflowRules:
    """The project's settings a submission is routed by."""

    review_required: bool
    review_sample_percent: int
    consensus_annotators: int
    consensus_threshold: float


@dataclass(frozen=True, slots=True)
class RoundState:
    """What the task holds when a submission to it arrives."""

    #: No version was submitted to the task before this one.
    first_submission: bool
    #: The size of the task's consensus round, fixed when it began; None: not in consensus.
    consensus_target: int | None
    #: Submissions the round has collected so far.
    consensus_submissions: int


class Routing(enum.StrEnum):
    REVIEW = "review"
    DONE = "done"
    #: Reviewed when the project's sample chooses it, done otherwise.
    SAMPLE = "sample"
    #: A consensus round that needs more submissions: the task stays to be annotated by others.
    COLLECT = "collect"
    #: The round's last submission: its agreement decides between done and review.
    SCORE = "score"


@dataclass(frozen=True, slots=True)
class SubmissionPlan:
    routing: Routing
    consensus_target: int | None = None
    consensus_submissions: int = 0


def plan_submission(rules: WorkflowRules, state: RoundState) -> SubmissionPlan:
    """Where a submission sends its task.

    A task already in a consensus round finishes it at the size it began with, whatever the project
    says now. A first submission starts a round when the project asks for more than one annotator.
    Otherwise: no review → done; a first submission in a project that samples → the sample decides;
    a resubmission after a rejection (or a project reviewing everything) → review.
    """
    if state.consensus_target is not None:
        collected = state.consensus_submissions + 1
        ready = collected >= state.consensus_target
        return SubmissionPlan(Routing.SCORE if ready else Routing.COLLECT, state.consensus_target, collected)
    if state.first_submission and rules.consensus_annotators > 1:
        return SubmissionPlan(Routing.COLLECT, rules.consensus_annotators, 1)
    if not rules.review_required:
        return SubmissionPlan(Routing.DONE)
    if state.first_submission and rules.review_sample_percent <= 0:
        return SubmissionPlan(Routing.DONE)
    if state.first_submission and rules.review_sample_percent < 100:
        return SubmissionPlan(Routing.SAMPLE)
    return SubmissionPlan(Routing.REVIEW)


def stage_after(plan: SubmissionPlan) -> TaskStage | None:
    """The stage a plan decides by itself; None when a sample or a score must decide."""
    return {
        Routing.REVIEW: TaskStage.REVIEW,
        Routing.DONE: TaskStage.DONE,
        Routing.COLLECT: TaskStage.ANNOTATE,
    }.get(plan.routing)


def stage_after_sampling(selected: bool) -> TaskStage:
    return TaskStage.REVIEW if selected else TaskStage.DONE


def stage_after_scoring(score: float | None, threshold: float) -> TaskStage:
    """Agreement at or above the threshold completes the task; below it, or not scorable (None),
    a reviewer decides."""
    return TaskStage.DONE if score is not None and score >= threshold else TaskStage.REVIEW


def stage_after_review(decision: ReviewDecision) -> TaskStage:
    """Approved work is done; rejected work goes back to its annotator."""
    return TaskStage.DONE if decision is ReviewDecision.APPROVE else TaskStage.ANNOTATE
