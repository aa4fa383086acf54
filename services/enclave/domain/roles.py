"""Roles, workflow stages and review decisions: the words the policy and the services share."""

from __future__ import annotations

import enum


class OrgRole(enum.StrEnum):
    """A member's role in their organization."""

    ADMIN = "admin"
    WORKFORCE_MANAGER = "workforce_manager"
    MEMBER = "member"
    TASKER = "tasker"


class ProjectRole(enum.StrEnum):
    """A member's role in one project."""

    ADMIN = "admin"
    TEAM_MANAGER = "team_manager"
    ANNOTATOR = "annotator"
    REVIEWER = "reviewer"
    ANNOTATOR_REVIEWER = "annotator_reviewer"

    @property
    def annotates(self) -> bool:
        return self in {ProjectRole.ANNOTATOR, ProjectRole.ANNOTATOR_REVIEWER}

    @property
    def reviews(self) -> bool:
        return self in {ProjectRole.REVIEWER, ProjectRole.ANNOTATOR_REVIEWER}

    @property
    def manages(self) -> bool:
        return self in {ProjectRole.ADMIN, ProjectRole.TEAM_MANAGER}


class TaskStage(enum.StrEnum):
    """Where a task is in its project's workflow: annotate → review → done."""

    ANNOTATE = "annotate"
    REVIEW = "review"
    DONE = "done"


class ReviewDecision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
