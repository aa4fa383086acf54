"""Creates and changes projects, their members and the datasets they use, and reads their exports.

Owns the projects domain's rules (unique names, an existing ontology and dataset, Taskers never
managing, the ``If-Match`` of each change) and returns its schemas. Must never build or run a query
(every statement is ``db.repositories.projects``'s or ``exports``') nor hand an ORM row to its caller.
"""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.authz.policy import Visibility
from enclave.authz.principal import Principal
from enclave.crypto.keyring import KeyRing
from enclave.db.models import Project as ProjectRow
from enclave.db.models import ProjectDataset as ProjectDatasetRow
from enclave.db.models import ProjectMember as MemberRow
from enclave.db.models.base import new_id
from enclave.db.repositories.access import AccessRepository, Lock
from enclave.db.repositories.projects import (
    ProjectDatasetRepository,
    ProjectMemberRepository,
    ProjectRepository,
)
from enclave.domain.errors import Conflict, InvalidInput, NotFound
from enclave.domain.roles import OrgRole, ProjectRole
from enclave.ontologies.schemas import Ontology
from enclave.ontologies.service import OntologyService
from enclave.projects.export import ProjectExport
from enclave.projects.schemas import (
    AttachedDataset,
    Project,
    ProjectCreate,
    ProjectDataset,
    ProjectDatasetList,
    ProjectMember,
    ProjectMemberAdd,
    ProjectMemberList,
    ProjectPage,
    ProjectUpdate,
    Workflow,
    WorkflowUpdate,
)
from enclave.web.http import check_if_match
from enclave.web.streaming import LineSource


def to_schema(row: ProjectRow) -> Project:
    return Project(
        id=row.id,
        name=row.name,
        description=row.description,
        ontology_id=row.ontology_id,
        review_required=row.review_required,
        tags=list(row.tags),
        version=row.version,
        created_at=row.created_at,
    )


def workflow_schema(row: ProjectRow) -> Workflow:
    return Workflow(
        review_required=row.review_required,
        review_sample_percent=row.review_sample_percent,
        sampling_seed=row.sampling_seed,
        consensus_annotators=row.consensus_annotators,
        consensus_threshold=row.consensus_threshold,
        claim_lease_seconds=row.claim_lease_seconds,
        version=row.version,
    )


def _check_tasker_role(org_role: OrgRole, project_role: ProjectRole) -> None:
    if org_role is OrgRole.TASKER and project_role.manages:
        raise InvalidInput("Taskers annotate or review; they cannot administer or manage a project.")


def member_schema(row: MemberRow) -> ProjectMember:
    return ProjectMember(row.user_id, row.role, row.version, row.created_at)


class ProjectService:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id
        self.projects = ProjectRepository(session, organization_id)
        self.members = ProjectMemberRepository(session, organization_id)
        self.datasets = ProjectDatasetRepository(session, organization_id)
        self.access = AccessRepository(session, organization_id)
        self.ontologies = OntologyService(session, organization_id)

    async def _row(self, project_id: uuid.UUID) -> ProjectRow:
        row = await self.projects.get(project_id)
        if row is None or row.archived_at is not None:
            raise NotFound("No such project.")
        return row

    async def get(self, project_id: uuid.UUID) -> Project:
        return to_schema(await self._row(project_id))

    async def list(
        self, principal: Principal, visibility: Visibility, cursor: str | None, limit: int
    ) -> ProjectPage:
        """The projects the caller may see (the policy's ``visible``)."""
        result = await self.projects.page_visible_to(visibility, principal.user_id, cursor, limit)
        return ProjectPage([to_schema(row) for row in result.items], result.next_cursor)

    async def create(self, data: ProjectCreate) -> Project:
        if not await self.ontologies.exists(data.ontology_id):
            raise InvalidInput("The ontology does not exist in this organization.")
        if await self.projects.name_taken(data.name):
            raise Conflict("A project with this name already exists.")
        row = self.projects.add(
            ProjectRow(
                id=new_id(),
                name=data.name,
                description=data.description,
                ontology_id=data.ontology_id,
                review_required=data.review_required,
                tags=list(data.tags),
            )
        )
        await self.session.flush()
        return to_schema(row)

    async def update(self, project_id: uuid.UUID, change: ProjectUpdate, if_match: str | None) -> Project:
        """Changes the project if it is still the version ``if_match`` names (the update itself checks
        the version again: a concurrent change makes it fail rather than be overwritten)."""
        row = await self._row(project_id)
        check_if_match(if_match, row.version)
        if change.name is not msgspec.UNSET and change.name != row.name:
            if await self.projects.name_taken(change.name):
                raise Conflict("A project with this name already exists.")
            row.name = change.name
        if change.description is not msgspec.UNSET:
            row.description = change.description
        if change.review_required is not msgspec.UNSET:
            row.review_required = change.review_required
        if change.tags is not msgspec.UNSET:
            row.tags = list(change.tags)
        await self.session.flush()
        return to_schema(row)

    async def workflow(self, project_id: uuid.UUID) -> Workflow:
        return workflow_schema(await self._row(project_id))

    async def update_workflow(
        self, project_id: uuid.UUID, change: WorkflowUpdate, if_match: str | None
    ) -> Workflow:
        """Sets the project's workflow if the project is still the version ``if_match`` names. A new
        seed or share restarts the sample's count, so the same seed and submission order choose the
        same tasks again. Work in flight is not moved (``WorkflowUpdate``)."""
        row = await self._row(project_id)
        check_if_match(if_match, row.version)
        seed = row.sampling_seed if change.sampling_seed is None else change.sampling_seed
        if seed != row.sampling_seed or change.review_sample_percent != row.review_sample_percent:
            row.sampled_submissions = 0
        row.review_required = change.review_required
        row.review_sample_percent = change.review_sample_percent
        row.sampling_seed = seed
        row.consensus_annotators = change.consensus_annotators
        row.consensus_threshold = change.consensus_threshold
        row.claim_lease_seconds = change.claim_lease_seconds
        await self.session.flush()
        return workflow_schema(row)

    async def ontology(self, project_id: uuid.UUID) -> Ontology:
        """The ontology the project's annotators label with, in its current version."""
        row = await self._row(project_id)
        return await self.ontologies.get(row.ontology_id)

    async def export_jsonl(self, project_id: uuid.UUID, keyring: KeyRing) -> LineSource:
        """What reads the open project's export as JSON lines, from the session a download gives it
        (``enclave.web.streaming.tenant_lines``)."""
        await self._row(project_id)
        return ProjectExport(keyring, self.organization_id, project_id).jsonl

    # --- members -----------------------------------------------------------------------------

    async def list_members(self, project_id: uuid.UUID) -> ProjectMemberList:
        return ProjectMemberList([member_schema(row) for row in await self.members.of_project(project_id)])

    async def _member_row(self, project_id: uuid.UUID, user_id: uuid.UUID) -> MemberRow:
        row = await self.members.find(project_id, user_id)
        if row is None:
            raise NotFound("This user is not a member of the project.")
        return row

    async def add_member(self, project_id: uuid.UUID, data: ProjectMemberAdd) -> ProjectMember:
        # Held until the change commits: the member cannot become a Tasker or be removed meanwhile.
        org_role = await self.access.member_role(data.user_id, lock=Lock.SHARE)
        if org_role is None:
            raise InvalidInput("The user is not an active member of this organization.")
        _check_tasker_role(org_role, data.role)
        if await self.members.find(project_id, data.user_id) is not None:
            raise Conflict("The user is already a member of the project.")
        row = self.members.add(
            MemberRow(id=new_id(), project_id=project_id, user_id=data.user_id, role=data.role)
        )
        await self.session.flush()
        return member_schema(row)

    async def update_member(
        self, project_id: uuid.UUID, user_id: uuid.UUID, role: ProjectRole, if_match: str | None
    ) -> ProjectMember:
        """Changes a member's project role if the membership is still the version ``if_match`` names."""
        row = await self._member_row(project_id, user_id)
        check_if_match(if_match, row.version)
        org_role = await self.access.member_role(row.user_id, lock=Lock.SHARE)
        if org_role is not None:
            _check_tasker_role(org_role, role)
        row.role = role
        await self.session.flush()
        return member_schema(row)

    async def remove_member(self, project_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await self.members.remove(await self._member_row(project_id, user_id))

    # --- datasets ------------------------------------------------------------------------------

    async def list_datasets(self, project_id: uuid.UUID) -> ProjectDatasetList:
        await self._row(project_id)  # 404 for a project that is not open
        rows = await self.datasets.datasets_of(project_id)
        return ProjectDatasetList([AttachedDataset(r.id, r.name, r.kind, r.created_at) for r in rows])

    async def attach_dataset(self, project_id: uuid.UUID, dataset_id: uuid.UUID) -> ProjectDataset:
        if not await self.datasets.dataset_exists(dataset_id):
            raise InvalidInput("The dataset does not exist in this organization.")
        if await self.datasets.find(project_id, dataset_id) is None:
            self.datasets.add(ProjectDatasetRow(id=new_id(), project_id=project_id, dataset_id=dataset_id))
            await self.session.flush()
        return ProjectDataset(project_id, dataset_id)
