"""The first-run demo organization of ``make up``: ``python -m enclave.demo``.

Creates, once, an organization ``demo`` with its Keycloak realm, an admin, an annotator and a
reviewer, and a small image project with tasks, then prints the sign-in address and the three
one-time passwords (Keycloak makes each person choose a new password at first sign-in). Later runs
find the organization and print only where to sign in: the passwords are shown once, stored nowhere.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from enclave.crypto.content import ContentCipher
from enclave.crypto.keyring import KeyRing
from enclave.crypto.kms import TenantKeys
from enclave.datasets.schemas import DataItemCreate, DataItemImport, DatasetCreate
from enclave.datasets.service import DatasetService
from enclave.db.engine import create_engine
from enclave.db.repositories.organizations import DirectoryRepository
from enclave.db.session import bind_tenant, session_factory
from enclave.domain.roles import OrgRole, ProjectRole
from enclave.identity.keycloak_admin import admin_from_settings
from enclave.identity.login import login_url
from enclave.identity.realm_settings import realm_spec_for
from enclave.identity.realms import RealmService
from enclave.members.schemas import MemberCreate
from enclave.members.service import MemberService
from enclave.ontologies.schemas import OntologyCreate, OntologyDefinition, OntologyObject
from enclave.ontologies.service import OntologyService
from enclave.organizations.provisioning import Provisioned, provision_organization
from enclave.projects.schemas import ProjectCreate, ProjectMemberAdd
from enclave.projects.service import ProjectService
from enclave.settings import get_settings
from enclave.storage.homes import Homes
from enclave.storage.objects import ObjectStore
from enclave.tasks.schemas import TaskCreate
from enclave.tasks.service import TaskService

SLUG = "demo"
ITEMS = 12


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    org_role: OrgRole
    project_role: ProjectRole | None


def people(slug: str) -> tuple[DemoPerson, ...]:
    domain = f"{slug}.example"
    return (
        DemoPerson(f"admin@{domain}", "Ada Admin", OrgRole.ADMIN, None),
        DemoPerson(f"annotator@{domain}", "Ann Annotator", OrgRole.MEMBER, ProjectRole.ANNOTATOR),
        DemoPerson(f"reviewer@{domain}", "Rey Reviewer", OrgRole.MEMBER, ProjectRole.REVIEWER),
    )


async def ensure_demo(slug: str = SLUG) -> dict[str, str] | None:
    """Creates the demo organization if it does not exist; returns the one-time passwords, or None."""
    settings = get_settings()
    engine = create_engine(settings.db, settings.tls, application_name="enclave-demo")
    factory = session_factory(engine)
    try:
        realms = RealmService(
            admin_from_settings(settings.keycloak, settings.tls),
            event_reader=settings.audit.keycloak_client_id,
        )
        async with factory() as db:
            if await DirectoryRepository(db).organization_of(slug) is not None:
                # A demo made before the trail pulled Keycloak's events gets the audit client's grant.
                await asyncio.to_thread(realms.grant_event_reader, slug)
                return None
        # A realm without its organization is what an interrupted earlier run left: start it afresh,
        # so every password printed below is the one Keycloak holds.
        await asyncio.to_thread(realms.delete_realm, slug)
        spec = realm_spec_for(slug, "Demo Hospital", settings.api.public_url)
        await asyncio.to_thread(realms.ensure_realm, spec)
        passwords: dict[str, str] = {}
        for person in people(slug):
            password = secrets.token_urlsafe(12)
            first, last = person.name.split()
            await asyncio.to_thread(
                realms.create_user,
                slug,
                email=person.email,
                first_name=first,
                last_name=last,
                password=password,
                temporary_password=True,
            )
            passwords[person.email] = password
        keys = TenantKeys(settings.vault, settings.tls)
        admin = people(slug)[0]
        # Two transactions: data keys are committed on their own, so the organization they belong to
        # must be committed before anything is sealed for it.
        async with factory() as db, db.begin():
            created = await provision_organization(
                db, keys, slug=slug, name="Demo Hospital", admin_email=admin.email, admin_name=admin.name
            )
        keyring = KeyRing(keys, factory, max_age_s=settings.api.data_key_max_age_s)
        async with factory() as db, db.begin():
            await _populate(db, slug, created, keyring)
        return passwords
    finally:
        await engine.dispose()


async def _populate(db: AsyncSession, slug: str, created: Provisioned, keyring: KeyRing) -> None:
    _, *workers = people(slug)
    org = created.organization_id
    await bind_tenant(db, org, created.admin_user_id)
    cipher = ContentCipher(keyring, db, org)
    members = MemberService(db, org)
    ids = {}
    for person in workers:
        member = await members.create(
            MemberCreate(email=person.email, display_name=person.name, role=person.org_role)
        )
        ids[person.email] = member.user_id
    definition = OntologyDefinition(
        objects=[OntologyObject("nodule", "bbox"), OntologyObject("effusion", "polygon")]
    )
    ontology = await OntologyService(db, org).create(
        OntologyCreate(name="Chest X-ray findings", definition=definition), created.admin_user_id
    )
    objects = await Homes(ObjectStore(get_settings().s3, get_settings().tls)).objects(db, org)
    datasets = DatasetService(db, org, cipher, objects)
    dataset = await datasets.create(DatasetCreate(name="Sample radiographs", kind="image"))
    items = [
        DataItemCreate(name=f"radiograph-{i:03}.png", media_type="image/png") for i in range(1, ITEMS + 1)
    ]
    await datasets.import_items(dataset.id, DataItemImport(items))
    projects = ProjectService(db, org)
    project = await projects.create(ProjectCreate(name="Nodule detection", ontology_id=ontology.id))
    await projects.attach_dataset(project.id, dataset.id)
    for person in workers:
        if person.project_role is not None:
            await projects.add_member(project.id, ProjectMemberAdd(ids[person.email], person.project_role))
    await TaskService(db, org, cipher).create(project.id, TaskCreate())


def main() -> None:
    passwords = asyncio.run(ensure_demo())
    where = login_url(get_settings().api.public_url, SLUG)
    if passwords is None:
        print(
            f"  Demo organization: sign in at {where}\n  (its one-time passwords were shown when it was made)"
        )
        return
    print(f"  Demo organization created. Sign in at: {where}")
    print("  One-time passwords, shown only now (you choose a new one at first sign-in):")
    for email, password in passwords.items():
        print(f"    {email:<28} {password}")


if __name__ == "__main__":
    main()
