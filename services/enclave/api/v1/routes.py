"""The v1 route table: every controller, in one list (the authorization matrix walks it)."""

from __future__ import annotations

from litestar import Controller

from enclave.api_keys.controllers import ApiKeyController
from enclave.audit_trail.controllers import AuditController
from enclave.datasets.controllers import DatasetController
from enclave.datasets.item_controllers import ItemController
from enclave.invites.controllers import InviteController
from enclave.jobs.controllers import JobController, OntologyImportController
from enclave.members.controllers import MeController, MemberController
from enclave.ontologies.controllers import OntologyController
from enclave.organizations.controllers import OrganizationController
from enclave.organizations.identity_providers import IdentityProviderController
from enclave.organizations.key_controllers import OrganizationKeyController
from enclave.projects.controllers import ProjectController
from enclave.tasks.controllers import MyTaskController, ProjectTaskController, TaskController

V1_CONTROLLERS: list[type[Controller]] = [
    OrganizationController,
    IdentityProviderController,
    OrganizationKeyController,
    MeController,
    MemberController,
    InviteController,
    OntologyController,
    DatasetController,
    ItemController,
    ProjectController,
    JobController,
    OntologyImportController,
    ProjectTaskController,
    MyTaskController,
    TaskController,
    ApiKeyController,
    AuditController,
]
