"""The relational model. Every tenant table carries ``organization_id`` and is guarded twice: by the
repositories' scoping and by PostgreSQL row-level security (see migration 0002)."""

from enclave.db.models.annotation import AnnotationVersion, Review
from enclave.db.models.audit import AuditCheckpointRow, AuditLogRow, AuditOutboxRow, AuditSourceRow
from enclave.db.models.base import Base, TenantMixin
from enclave.db.models.dataset import DataItem, Dataset, ProjectDataset
from enclave.db.models.draft import AnnotationDraft
from enclave.db.models.identity import ApiKey, Invite, OrgMembership, User
from enclave.db.models.job import Job
from enclave.db.models.keys import DataKeyRow
from enclave.db.models.ontology import Ontology, OntologyVersion
from enclave.db.models.organization import Organization, OrganizationDirectory
from enclave.db.models.project import Project, ProjectMember
from enclave.db.models.task import Task

__all__ = [
    "AnnotationDraft",
    "AnnotationVersion",
    "ApiKey",
    "AuditCheckpointRow",
    "AuditLogRow",
    "AuditOutboxRow",
    "AuditSourceRow",
    "Base",
    "DataItem",
    "DataKeyRow",
    "Dataset",
    "Invite",
    "Job",
    "Ontology",
    "OntologyVersion",
    "OrgMembership",
    "Organization",
    "OrganizationDirectory",
    "Project",
    "ProjectDataset",
    "ProjectMember",
    "Review",
    "Task",
    "TenantMixin",
    "User",
]
