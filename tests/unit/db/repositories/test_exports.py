"""A project's export (``enclave.db.repositories.exports``): the tenant's open tasks of one project in
creation order, each task's item, latest version and latest review found by a LATERAL lookup of one
row (a key or index probe per task, whatever the planner thinks of a new organization), streamed
from a cursor in batches."""

from __future__ import annotations

import re
import uuid

from enclave.db.repositories.exports import BATCH, EXPORT_COLUMNS, ProjectExportRepository, export_statement
from tests.unit.db.repositories.recording import RecordingSession, sql

ORG = uuid.UUID(int=1)
PROJECT = uuid.UUID(int=2)


def statement() -> str:
    return sql(ProjectExportRepository(RecordingSession().session, ORG).statement(PROJECT))


def lateral(name: str) -> str:
    """The LATERAL sub-select that ends ``AS <name>``."""
    found = re.search(rf"LATERAL \((SELECT (?:(?!LATERAL).)*?)\) AS {name} ON true", statement())
    assert found is not None, name
    return found.group(1)


class TestExportStatement:
    def test_the_tenants_open_tasks_of_the_project_in_creation_order(self) -> None:
        outer = statement().rsplit(") AS reviewed ON true", 1)[1]
        assert f"tasks.organization_id = '{ORG}'" in outer
        assert f"tasks.project_id = '{PROJECT}'" in outer
        assert "tasks.removed_at IS NULL" in outer
        assert outer.endswith("ORDER BY tasks.created_at, tasks.id")

    def test_the_shape_without_the_tenant_filter_is_what_the_repository_scopes(self) -> None:
        assert "organization_id" not in sql(export_statement(PROJECT))

    def test_each_task_s_item_by_its_key(self) -> None:
        item = lateral("item")
        assert "FROM data_items WHERE data_items.id = tasks.data_item_id LIMIT 1" in item
        assert "JOIN LATERAL (SELECT data_items.id" in statement()  # every task has its item

    def test_each_task_s_latest_version(self) -> None:
        latest = lateral("latest")
        assert "WHERE annotation_versions.task_id = tasks.id" in latest
        assert latest.endswith("ORDER BY annotation_versions.version DESC LIMIT 1")
        assert "LEFT OUTER JOIN LATERAL (SELECT annotation_versions.id" in statement()

    def test_each_task_s_latest_review(self) -> None:
        reviewed = lateral("reviewed")
        assert "WHERE reviews.task_id = tasks.id" in reviewed
        assert reviewed.endswith("ORDER BY reviews.created_at DESC LIMIT 1")
        assert "LEFT OUTER JOIN LATERAL (SELECT reviews.decision" in statement()

    def test_no_plain_join_the_planner_could_turn_into_a_scan(self) -> None:
        assert statement().count(" JOIN ") == statement().count(" JOIN LATERAL ") == 3

    def test_the_columns_are_the_ones_named(self) -> None:
        selected = ProjectExportRepository(RecordingSession().session, ORG).statement(PROJECT)
        assert len(selected.selected_columns) == len(EXPORT_COLUMNS)


async def test_rows_stream_from_a_cursor_in_batches() -> None:
    db = RecordingSession()
    batches = [batch async for batch in ProjectExportRepository(db.session, ORG).batches(PROJECT)]
    assert batches == []
    (streamed,) = db.statements
    assert streamed.get_execution_options()["yield_per"] == BATCH
    assert f"tasks.organization_id = '{ORG}'" in sql(streamed)
