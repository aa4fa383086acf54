"""The stage graph and where submissions and reviews send a task (``enclave.tasks.stages``)."""

from __future__ import annotations

import pytest

from enclave.domain.errors import InvalidState
from enclave.domain.roles import ReviewDecision, TaskStage
from enclave.tasks.stages import (
    RoundState,
    Routing,
    SubmissionPlan,
    WorkflowRules,
    check_move,
    plan_submission,
    stage_after,
    stage_after_review,
    stage_after_sampling,
    stage_after_scoring,
)

FIRST = RoundState(first_submission=True, consensus_target=None, consensus_submissions=0)
AGAIN = RoundState(first_submission=False, consensus_target=None, consensus_submissions=0)


def rules(**changes: object) -> WorkflowRules:
    values = {
        "review_required": True,
        "review_sample_percent": 100,
        "consensus_annotators": 1,
        "consensus_threshold": 0.8,
    } | changes
    return WorkflowRules(**values)  # type: ignore[arg-type]


class TestGraph:
    @pytest.mark.parametrize(
        ("source", "target"),
        [
            (TaskStage.ANNOTATE, TaskStage.REVIEW),
            (TaskStage.ANNOTATE, TaskStage.DONE),
            (TaskStage.ANNOTATE, TaskStage.ANNOTATE),  # a consensus round collecting
            (TaskStage.REVIEW, TaskStage.DONE),
            (TaskStage.REVIEW, TaskStage.ANNOTATE),  # rejected
        ],
    )
    def test_the_moves_it_has(self, source: TaskStage, target: TaskStage) -> None:
        check_move(source, target)

    @pytest.mark.parametrize(
        ("source", "target"),
        [(TaskStage.DONE, stage) for stage in TaskStage] + [(TaskStage.REVIEW, TaskStage.REVIEW)],
    )
    def test_the_moves_it_refuses(self, source: TaskStage, target: TaskStage) -> None:
        with pytest.raises(InvalidState):
            check_move(source, target)


class TestPlanSubmission:
    def test_review_everything(self) -> None:
        assert plan_submission(rules(), FIRST) == SubmissionPlan(Routing.REVIEW)

    def test_no_review(self) -> None:
        assert plan_submission(rules(review_required=False), FIRST) == SubmissionPlan(Routing.DONE)
        assert plan_submission(rules(review_required=False), AGAIN) == SubmissionPlan(Routing.DONE)

    def test_a_sample_decides_first_submissions_only(self) -> None:
        assert plan_submission(rules(review_sample_percent=30), FIRST).routing is Routing.SAMPLE
        # Work a reviewer rejected is reviewed again, sample or not.
        assert plan_submission(rules(review_sample_percent=30), AGAIN).routing is Routing.REVIEW
        assert plan_submission(rules(review_sample_percent=0), FIRST).routing is Routing.DONE

    def test_consensus_begins_a_round_of_the_projects_size(self) -> None:
        assert plan_submission(rules(consensus_annotators=3), FIRST) == SubmissionPlan(Routing.COLLECT, 3, 1)

    def test_a_round_keeps_its_size_whatever_the_project_says_now(self) -> None:
        in_round = RoundState(first_submission=False, consensus_target=3, consensus_submissions=1)
        assert plan_submission(rules(consensus_annotators=1), in_round) == SubmissionPlan(
            Routing.COLLECT, 3, 2
        )
        last = RoundState(first_submission=False, consensus_target=3, consensus_submissions=2)
        assert plan_submission(rules(consensus_annotators=5), last) == SubmissionPlan(Routing.SCORE, 3, 3)

    def test_stages_a_plan_decides_alone(self) -> None:
        assert stage_after(SubmissionPlan(Routing.REVIEW)) is TaskStage.REVIEW
        assert stage_after(SubmissionPlan(Routing.DONE)) is TaskStage.DONE
        assert stage_after(SubmissionPlan(Routing.COLLECT, 3, 1)) is TaskStage.ANNOTATE
        assert stage_after(SubmissionPlan(Routing.SAMPLE)) is None
        assert stage_after(SubmissionPlan(Routing.SCORE, 3, 3)) is None


class TestOutcomes:
    def test_sampling(self) -> None:
        assert stage_after_sampling(True) is TaskStage.REVIEW
        assert stage_after_sampling(False) is TaskStage.DONE

    def test_scoring(self) -> None:
        assert stage_after_scoring(0.8, 0.8) is TaskStage.DONE
        assert stage_after_scoring(0.79, 0.8) is TaskStage.REVIEW
        assert stage_after_scoring(None, 0.0) is TaskStage.REVIEW  # too complex to score: a person decides

    def test_review(self) -> None:
        assert stage_after_review(ReviewDecision.APPROVE) is TaskStage.DONE
        assert stage_after_review(ReviewDecision.REJECT) is TaskStage.ANNOTATE
