"""A list's ``Visibility`` as a repository's WHERE condition: exactly the grounds that hold, within a
key's project, and an error (never a guess) for a ground the table cannot express."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import column
from sqlalchemy.dialects import postgresql

from enclave.authz.policy import NOTHING, Visibility
from enclave.db.repositories.base import visibility_filter
from enclave.domain.roles import OrgRole

ME = uuid.UUID(int=2)
PROJECT = uuid.UUID(int=4)
GROUNDS = {
    "assigned": column("assignee_id") == ME,
    "reviewing": column("reviewer_id") == ME,
    "own": column("user_id") == ME,
    "org_roles": column("role").in_(["tasker"]),
}


def sql(visibility: Visibility, project: object = None) -> str:
    condition = visibility_filter(visibility, GROUNDS, project)
    return " ".join(str(condition.compile(dialect=postgresql.dialect())).split())


def test_everything_filters_nothing() -> None:
    assert sql(Visibility(everything=True)) == "true"


def test_no_ground_shows_no_row() -> None:
    assert sql(NOTHING) == "false"


def test_each_ground_that_holds_is_one_alternative() -> None:
    assert sql(Visibility(assigned=True)) == "assignee_id = %(assignee_id_1)s::UUID"
    both = sql(Visibility(assigned=True, reviewing=True))
    assert both == "assignee_id = %(assignee_id_1)s::UUID OR reviewer_id = %(reviewer_id_1)s::UUID"
    managed = sql(Visibility(own=True, org_roles=frozenset({OrgRole.TASKER})))
    assert managed == "user_id = %(user_id_1)s::UUID OR role IN (__[POSTCOMPILE_role_1])"


def test_a_project_restricted_key_sees_its_project_only() -> None:
    restricted = sql(Visibility(everything=True, project_id=PROJECT), column("project_id"))
    assert restricted == "project_id = %(project_id_1)s::UUID"  # AND true, folded
    mine = sql(Visibility(assigned=True, project_id=PROJECT), column("project_id"))
    assert mine == "project_id = %(project_id_1)s::UUID AND assignee_id = %(assignee_id_1)s::UUID"


def test_a_table_without_a_project_shows_a_restricted_key_nothing() -> None:
    assert sql(Visibility(own=True, project_id=PROJECT)) == "false"  # false AND ..., folded


def test_a_ground_the_table_cannot_express_is_an_error() -> None:
    with pytest.raises(ValueError, match="project_roles"):
        visibility_filter(Visibility(project_roles=frozenset({"annotator"})), GROUNDS)  # type: ignore[arg-type]
