"""Converging one Organization: its database row and settings with its KMS key, its Keycloak realm
with the first admin and its SSO connection, and its bucket with its own credentials (a MinIO service
account whose policy reaches that bucket alone, kept in a Secret) — each get-or-create, each step writing only
what differs from the spec, and each found missing or changed by hand reported as drift.

Owns the order of the steps and what each reports (an :class:`~enclave.operator.conditions.Outcome`
per component, the status fields, the events). Every component is probed before anything is made, so
one that is down stops the run before it starts and nothing is half-made; the key is made before the
row that needs it (``provision_organization``). The domain code does the work: provisioning, the
identity package's ``RealmService``, ``TenantKeys``, ``ObjectStore``. Knows nothing of kopf: the
handlers turn a :class:`Convergence` into a status patch, events and kopf's retry errors. Must never
put a secret in a status field, an event or a log line (the admin's one-time password goes only into
its Secret).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from minio import Minio, MinioAdmin
from minio.error import MinioAdminException, S3Error
from urllib3.exceptions import HTTPError

from enclave.crypto.kms import KeyUnusable, KmsUnavailable, TenantKeys, key_name
from enclave.db.repositories.organizations import DirectoryRepository, OrganizationRepository
from enclave.db.session import bind_tenant
from enclave.identity.keycloak_admin import (
    IdentityProviderInvalid,
    KeycloakRequestFailed,
    RealmAdmin,
    changed_keys,
)
from enclave.identity.realm_settings import build_realm
from enclave.operator import constants as c
from enclave.operator import desired
from enclave.operator.components import (
    DATABASE,
    DATABASE_DOWN,
    KEYCLOAK,
    KMS,
    OBJECT_STORE,
    ComponentDown,
    Components,
    guarded_thread,
)
from enclave.operator.conditions import Outcome
from enclave.operator.kube import KubeClient, KubeUnavailable
from enclave.operator.spec import OrganizationSpec, SpecInvalid
from enclave.operator.tenant_policy import PolicyRefused, policy_name, policy_text
from enclave.organizations.provisioning import provision_organization
from enclave.storage.objects import ObjectStore, StorageUnavailable, bucket_name

log = structlog.get_logger("enclave.operator")


@dataclass(frozen=True, slots=True)
class Resource:
    """The Organization resource being converged."""

    name: str
    namespace: str
    uid: str


@dataclass
class Convergence:
    """What a run found and did; the handlers patch and post it."""

    outcomes: list[Outcome] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, str]] = field(default_factory=list)  # (reason, message), informational
    warnings: list[tuple[str, str]] = field(default_factory=list)  # drift and refusals
    #: A component is down (or a named Secret is missing): retry after a back-off.
    retry: str | None = None
    #: The spec can never work as written: no retry until it changes.
    invalid: str | None = None

    def waiting(self, conditions: tuple[str, ...], because: str) -> None:
        for kind in conditions:
            if all(outcome.type != kind for outcome in self.outcomes):
                self.outcomes.append(
                    Outcome(kind, "Unknown", c.REASON_WAITING, f"Not checked yet: {because}")
                )


@dataclass
class _Run:
    components: Components
    kube: KubeClient
    spec: OrganizationSpec
    resource: Resource
    previous: Mapping[str, Any]
    public_url: str
    result: Convergence
    organization_id: uuid.UUID | None = None


async def converge(
    components: Components,
    kube: KubeClient,
    spec: OrganizationSpec,
    resource: Resource,
    *,
    previous_status: Mapping[str, Any],
    public_url: str,
) -> Convergence:
    """Brings every component of the organization in line with ``spec``."""
    result = Convergence()
    down = await components.probe(spec)
    if down:
        for problem in down:
            result.outcomes.append(
                Outcome(problem.component.condition, "False", c.REASON_UNAVAILABLE, str(problem))
            )
        names = ", ".join(problem.component.name for problem in down)
        result.retry = f"Waiting for {names}: nothing was made or changed."
        result.waiting(c.COMPONENT_CONDITIONS, f"waiting for {names}.")
        return result
    run = _Run(components, kube, spec, resource, previous_status, public_url, result)
    steps: list[tuple[tuple[str, ...], Callable[[_Run], Awaitable[list[Outcome]]]]] = [
        ((c.KEY, c.DATABASE), _database_and_key),
        ((c.REALM,), _realm),
        ((c.SSO,), _sso),
        ((c.STORAGE,), _storage),
    ]
    for conditions, step in steps:
        try:
            outcomes = await step(run)
        except ComponentDown as problem:
            result.outcomes.append(
                Outcome(problem.component.condition, "False", c.REASON_UNAVAILABLE, str(problem))
            )
            result.retry = f"{problem} Retrying."
            result.waiting(c.COMPONENT_CONDITIONS, f"{problem.component.name} is unavailable.")
            return result
        except (KubeUnavailable, SpecInvalid, KeycloakRequestFailed) as error:
            # Their messages are written to be shown (they name a Secret, a field, Keycloak's error code).
            result.outcomes.append(Outcome(conditions[-1], "False", c.REASON_FAILED, str(error)))
            result.retry = f"{error} Retrying."
            result.waiting(c.COMPONENT_CONDITIONS, "an earlier step failed.")
            return result
        except Exception as error:  # any other failure is reported (its type), never its text
            log.exception("operator.step_failed", step=step.__name__, slug=spec.slug)
            message = f"Unexpected {type(error).__name__} (see the operator's log). Retrying."
            result.outcomes.append(Outcome(conditions[-1], "False", c.REASON_FAILED, message))
            result.retry = message
            result.waiting(c.COMPONENT_CONDITIONS, "an earlier step failed.")
            return result
        result.outcomes.extend(outcomes)
        if any(outcome.status != "True" for outcome in outcomes) and step is _database_and_key:
            # No row to build on (its slug is another's), or a terminated one: nothing more is made.
            break
    result.waiting(c.COMPONENT_CONDITIONS, "the organization's row is not in line.")
    return result


# -- database row, settings and key -----------------------------------------------------------------


def _key_exists(keys: TenantKeys, organization_id: uuid.UUID) -> bool:
    try:
        keys.key_info(organization_id)
    except KeyUnusable:
        return False
    return True


async def _database_and_key(run: _Run) -> list[Outcome]:
    spec, result = run.spec, run.result
    home = desired.home(spec.storage)
    if home is not None and not desired.storage_endpoint_allowed(
        home.endpoint, run.components.s3.external_endpoints
    ):
        # Checked before anything is made: the api and worker could never reach the organization's data.
        result.invalid = (
            f"S3 endpoint {home.endpoint} is not one the installation allows (ENCLAVE_S3_EXTERNAL_ENDPOINTS)."
        )
        return [Outcome(c.STORAGE, "False", c.REASON_INVALID, result.invalid)]
    own_kms = desired.own_kms(spec.kms)
    if spec.kms.address and not desired.storage_endpoint_allowed(
        spec.kms.address, run.components.vault.external_endpoints
    ):
        result.invalid = (
            f"KMS {spec.kms.address} is not one the installation allows (ENCLAVE_VAULT_EXTERNAL_ENDPOINTS)."
        )
        return [Outcome(c.KEY, "False", c.REASON_INVALID, result.invalid)]
    keys = run.components.keys(spec.kms)
    sessions = run.components.sessions
    try:
        async with sessions() as session:
            organization_id = await DirectoryRepository(session).organization_of(spec.slug)
        created = organization_id is None
        if organization_id is None:
            # The key first, then the rows, in one transaction: an organization never exists without its key.
            async with sessions() as session, session.begin():
                made = await provision_organization(
                    session,
                    keys,
                    slug=spec.slug,
                    name=spec.display_name,
                    admin_email=spec.admin_email,
                    admin_name=spec.admin_name,
                    workforce=spec.workforce,
                    home=home,
                    kms=own_kms,
                )
            organization_id = made.organization_id
            result.events.append(("Created", f"Organization {spec.slug} created, with its key in the KMS."))
        else:
            known = run.previous.get("organizationId")
            if known is not None and known != str(organization_id):
                result.invalid = f"Slug {spec.slug} belongs to another organization."
                return [Outcome(c.DATABASE, "False", c.REASON_SLUG_TAKEN, result.invalid)]
            if not await guarded_thread(KMS, lambda: _key_exists(keys, organization_id)):
                await guarded_thread(KMS, lambda: keys.ensure_key(organization_id))
                result.warnings.append(
                    (
                        c.REASON_REPAIRED,
                        "The organization's key was missing from the KMS and a new one was made; data "
                        "sealed under the missing key cannot be opened.",
                    )
                )
        async with sessions() as session, session.begin():
            await bind_tenant(session, organization_id)
            row = await OrganizationRepository(session, organization_id).get(for_update=True)
            if row is None:  # pragma: no cover - the directory and the row are made together
                raise SpecInvalid(f"Organization {spec.slug} has a directory entry but no row.")
            if row.terminated_at is not None:
                result.invalid = (
                    f"Organization {spec.slug} was terminated; its data is kept until its retention ends."
                )
                run.organization_id = organization_id
                return [
                    Outcome(c.KEY, "True", c.REASON_CONVERGED, "The key exists until the retention ends."),
                    Outcome(c.DATABASE, "False", c.REASON_TERMINATING, result.invalid),
                ]
            kept_key_in = await OrganizationRepository(session, organization_id).kms()
            if kept_key_in != own_kms:
                result.invalid = (
                    f"spec.kms cannot change once the organization is made: its key is in "
                    f"{desired.kms_where(kept_key_in)}, not {desired.kms_where(own_kms)}. Put spec.kms back."
                )
                run.organization_id = organization_id
                return [Outcome(c.KEY, "False", c.REASON_INVALID, result.invalid), _row_converged()]
            kept_in = await OrganizationRepository(session, organization_id).home()
            if kept_in != home:
                result.invalid = (
                    f"spec.storage cannot change once the organization is made: its objects are kept in "
                    f"{desired.where(kept_in)}, not {desired.where(home)}. Put spec.storage back."
                )
                run.organization_id = organization_id
                return [
                    _key_converged(organization_id),
                    Outcome(c.DATABASE, "True", c.REASON_CONVERGED, "The organization's row exists."),
                    Outcome(c.STORAGE, "False", c.REASON_INVALID, result.invalid),
                ]
            changes = desired.row_changes(row.name, row.workforce, row.settings, spec)
            for column, value in changes.items():
                setattr(row, column, value)
    except ComponentDown:
        raise
    except DATABASE_DOWN as error:
        raise ComponentDown(DATABASE) from error
    except KmsUnavailable as error:
        raise ComponentDown(KMS) from error
    if changes and not created:
        result.events.append(("Updated", f"Organization settings converged: {', '.join(sorted(changes))}."))
    run.organization_id = organization_id
    try:
        await _tenant_policy(run, organization_id)
    except PolicyRefused as error:
        result.retry = f"{error} Retrying."
        return [Outcome(c.KEY, "False", c.REASON_POLICY_REFUSED, str(error)), _row_converged()]
    if spec.kms.address:
        refused = await _kms_credentials(run, organization_id)
        if refused is not None:
            return [refused, _row_converged()]
    result.status.update({"organizationId": str(organization_id), "keyName": key_name(organization_id)})
    if spec.kms.auth_role:
        result.status["kmsAuthRole"] = spec.kms.auth_role
    key, policy = key_name(organization_id), policy_name(organization_id)
    return [
        Outcome(c.KEY, "True", c.REASON_CONVERGED, f"Transit key {key} exists, with its policy {policy}."),
        _row_converged(),
    ]


def _row_converged() -> Outcome:
    return Outcome(
        c.DATABASE, "True", c.REASON_CONVERGED, "The organization's row and settings match the spec."
    )


async def _kms_credentials(run: _Run, organization_id: uuid.UUID) -> Outcome | None:
    """The AppRole the api and worker sign in to the organization's own KMS with, copied from its
    Secret to where they read it; an outcome saying why not, else None."""
    result, secret = run.result, run.spec.kms.credentials_secret
    copy = run.components.credentials_copy
    if copy is None:
        result.invalid = (
            "The operator has no Secret to hand the api and worker a customer KMS's credentials in "
            "(ENCLAVE_OPERATOR_CREDENTIALS_NAMESPACE and ENCLAVE_OPERATOR_CREDENTIALS_SECRET)."
        )
        return Outcome(c.KEY, "False", c.REASON_INVALID, result.invalid)
    found = await run.kube.read_secret(run.resource.namespace, secret) if secret else None
    if found is None or not {"role_id", "secret_id"} <= found.keys():
        result.retry = f"Secret {secret} with role_id and secret_id does not exist yet."
        return Outcome(c.KEY, "False", "SecretMissing", result.retry)
    copied = desired.copied_kms_credentials(organization_id, found["role_id"], found["secret_id"])
    if await run.kube.put_secret_keys(copy.namespace, copy.name, copied, {c.LABEL_MANAGED_BY: c.MANAGED_BY}):
        result.events.append(
            (
                "CredentialsCopied",
                f"The credentials for KMS {run.spec.kms.address} are in Secret {copy.namespace}/{copy.name} "
                "for the api and worker.",
            )
        )
    result.status["credentialsCopy"] = f"{copy.namespace}/{copy.name}"
    return None


def _key_converged(organization_id: uuid.UUID) -> Outcome:
    return Outcome(c.KEY, "True", c.REASON_CONVERGED, f"Transit key {key_name(organization_id)} exists.")


async def _tenant_policy(run: _Run, organization_id: uuid.UUID) -> None:
    """The organization's own Vault policy, written when missing or changed by hand."""
    policies = run.components.policies(run.spec.kms)
    name = policy_name(organization_id)
    wanted = policy_text(organization_id, desired.kms_target(run.components.vault, run.spec.kms)[1])
    current = await guarded_thread(KMS, lambda: policies.read(name))
    if current is not None and current.strip() == wanted.strip():
        run.result.status["kmsPolicy"] = name
        return
    await guarded_thread(KMS, lambda: policies.write(name, wanted))
    if run.previous.get("kmsPolicy") == name:
        what = "was missing" if current is None else "was changed by hand"
        run.result.warnings.append((c.REASON_REPAIRED, f"Vault policy {name} {what} and was written again."))
    else:
        run.result.events.append(
            ("PolicyWritten", f"Vault policy {name} grants the organization's key only.")
        )
    run.result.status["kmsPolicy"] = name


# -- realm and first admin --------------------------------------------------------------------------


def _realm_drift(api: RealmAdmin, wanted: dict[str, Any]) -> list[str] | None:
    """The realm's fields that differ from what Enclave wants; None if the realm is missing."""
    if not api.exists():
        return None
    return changed_keys(api.get(), wanted)


async def _admin_password(run: _Run) -> str:
    """The first admin's one-time password: the one in its Secret, or a new one put there first."""
    name = desired.admin_password_secret_name(run.resource.name)
    stored = await run.kube.read_secret(run.resource.namespace, name)
    if stored is None:
        manifest = desired.admin_password_secret(
            resource_name=run.resource.name,
            namespace=run.resource.namespace,
            uid=run.resource.uid,
            slug=run.spec.slug,
            email=run.spec.admin_email,
            password=secrets.token_urlsafe(18),
        )
        if await run.kube.create_secret(manifest):
            return str(manifest["stringData"]["password"])
        stored = await run.kube.read_secret(run.resource.namespace, name)  # made meanwhile
    if stored is None or "password" not in stored:
        raise SpecInvalid(f"Secret {name} exists without a password key; delete it to have it made again.")
    return stored["password"]


async def _realm(run: _Run) -> list[Outcome]:
    spec = run.spec
    realms = await guarded_thread(KEYCLOAK, run.components.realms)
    secret = run.components.event_reader_secret()
    if secret is not None:
        # The audit service's client first: every realm grants it the reading of its login events.
        changed = await guarded_thread(KEYCLOAK, lambda: realms.ensure_event_reader_client(secret))
        if "created" in changed:
            run.result.events.append(("AuditClientCreated", "The audit service's Keycloak client was made."))
        elif changed:
            run.result.warnings.append(
                (c.REASON_REPAIRED, f"The audit service's Keycloak client: restored {', '.join(changed)}.")
            )
    wanted = desired.realm_spec(spec, run.public_url)
    api = await guarded_thread(KEYCLOAK, lambda: run.components.realm_admin(spec.slug))
    drift = await guarded_thread(KEYCLOAK, lambda: _realm_drift(api, build_realm(wanted)))
    await guarded_thread(KEYCLOAK, lambda: realms.ensure_realm(wanted))
    made_before = run.previous.get("realm") == spec.slug
    if drift is None:
        if made_before:
            run.result.warnings.append(
                (c.REASON_REPAIRED, f"Realm {spec.slug} was missing and was made again.")
            )
        else:
            run.result.events.append(("RealmCreated", f"Realm {spec.slug} created."))
    elif drift:
        reason = c.REASON_REPAIRED if made_before else "RealmUpdated"
        run.result.warnings.append((reason, f"Realm {spec.slug}: restored {', '.join(drift)}."))
    password = await _admin_password(run)
    first, last = desired.admin_names(spec.admin_name)
    await guarded_thread(
        KEYCLOAK,
        lambda: realms.create_user(
            spec.slug,
            email=spec.admin_email,
            first_name=first,
            last_name=last,
            password=password,
            temporary_password=True,
        ),
    )
    run.result.status.update(
        {"realm": spec.slug, "adminPasswordSecret": desired.admin_password_secret_name(run.resource.name)}
    )
    return [Outcome(c.REALM, "True", c.REASON_CONVERGED, f"Realm {spec.slug} matches the spec.")]


# -- SSO connection ---------------------------------------------------------------------------------


async def _sso(run: _Run) -> list[Outcome]:
    spec, result = run.spec, run.result
    realms = run.components.realms()
    previous_alias = run.previous.get("ssoAlias")
    if previous_alias and (spec.sso is None or spec.sso.alias != previous_alias):
        await guarded_thread(KEYCLOAK, lambda: realms.delete_identity_provider(spec.slug, previous_alias))
        result.events.append(("SSORemoved", f"Identity provider {previous_alias} removed."))
    if spec.sso is None:
        result.status["ssoAlias"] = None
        return [Outcome(c.SSO, "True", c.REASON_NOT_CONFIGURED, "No SSO connection is configured.")]
    sso = spec.sso
    data = None
    if sso.secret_name is not None:
        data = await run.kube.read_secret(run.resource.namespace, sso.secret_name)
        if data is None:
            result.retry = f"Secret {sso.secret_name} (spec.sso.secretRef) does not exist yet."
            return [Outcome(c.SSO, "False", "SecretMissing", result.retry)]
    try:
        provider = desired.identity_provider(sso, data)
        await guarded_thread(KEYCLOAK, lambda: realms.ensure_identity_provider(spec.slug, provider))
    except (IdentityProviderInvalid, SpecInvalid) as error:
        result.invalid = str(error)
        return [Outcome(c.SSO, "False", c.REASON_INVALID, str(error))]
    result.status["ssoAlias"] = sso.alias
    return [
        Outcome(
            c.SSO, "True", c.REASON_CONVERGED, f"Identity provider {sso.alias} ({sso.kind}) matches the spec."
        )
    ]


# -- bucket -----------------------------------------------------------------------------------------


def _bucket_exists(client: Minio, bucket: str) -> bool:
    try:
        return bool(client.bucket_exists(bucket))
    except S3Error as error:
        raise StorageUnavailable("The object store refused to say whether the bucket exists.") from error
    except (HTTPError, OSError) as error:
        raise StorageUnavailable("The object store is unreachable.") from error


async def _storage(run: _Run) -> list[Outcome]:
    spec, result = run.spec, run.result
    organization_id = run.organization_id
    if organization_id is None:  # pragma: no cover - the database step ran first, or the run stopped
        raise RuntimeError("The bucket step needs the organization's id.")
    if spec.storage.mode == "Existing":
        return await _existing_bucket(run, organization_id)
    bucket = bucket_name(organization_id)
    client = run.components.minio()
    existed = await guarded_thread(OBJECT_STORE, lambda: _bucket_exists(client, bucket))
    if not existed:
        # A new ObjectStore each run: it remembers the buckets it made, and a bucket deleted by hand
        # must be looked for again.
        store = ObjectStore(run.components.s3, run.components.tls)
        await guarded_thread(OBJECT_STORE, lambda: store.ensure_bucket(organization_id))
        if run.previous.get("bucket") == bucket:
            result.warnings.append((c.REASON_REPAIRED, f"Bucket {bucket} was missing and was made again."))
        else:
            result.events.append(("BucketCreated", f"Bucket {bucket} created."))
    result.status["bucket"] = bucket
    await _storage_credentials(run, organization_id, bucket)
    return [
        Outcome(c.STORAGE, "True", c.REASON_CONVERGED, f"Bucket {bucket} exists, with its own credentials.")
    ]


def _admin(call: Callable[[], Any], *, missing_ok: bool = False) -> Any:
    """A call to the object store's admin API; its refusals become :class:`StorageUnavailable`, and
    "no such service account" None when ``missing_ok``."""
    try:
        return call()
    except MinioAdminException as error:
        if missing_ok and str(error._code) == "404":  # minio keeps the status only there
            return None
        raise StorageUnavailable("The object store refused an admin request.") from error
    except (HTTPError, OSError) as error:
        raise StorageUnavailable("The object store is unreachable.") from error


def delete_service_account(admin: MinioAdmin, access_key: str) -> None:
    """Removes the organization's credentials; nothing happens if they are gone."""
    if _admin(lambda: admin.get_service_account(access_key), missing_ok=True) is not None:
        _admin(lambda: admin.delete_service_account(access_key))


def _service_account_policy(admin: MinioAdmin, access_key: str) -> dict[str, Any] | None:
    """The service account's policy; None if there is no such account."""
    info = _admin(lambda: admin.get_service_account(access_key), missing_ok=True)
    if info is None:
        return None
    policy = json.loads(info).get("policy") or "{}"
    loaded: dict[str, Any] = json.loads(policy) if isinstance(policy, str) else policy
    return loaded


async def _storage_credentials(run: _Run, organization_id: uuid.UUID, bucket: str) -> None:
    """The organization's own credentials for its bucket (a MinIO service account whose policy reaches
    that bucket alone), kept in a Secret beside the resource. The secret key lives only in MinIO and in
    that Secret: a Secret lost means new keys; an account lost is made again from the Secret."""
    components, resource = run.components, run.resource
    admin = components.minio_admin()
    name = desired.storage_credentials_secret_name(resource.name)
    access_key = desired.storage_access_key(organization_id)
    policy = desired.bucket_policy(bucket)
    stored = await run.kube.read_secret(resource.namespace, name)
    if stored is not None and stored.get("access_key") != access_key:
        raise SpecInvalid(f"Secret {name} exists and does not hold this organization's credentials.")
    current = await guarded_thread(OBJECT_STORE, lambda: _service_account_policy(admin, access_key))
    # A new secret key is 40 characters, the most MinIO takes.
    secret_key = stored["secret_key"] if stored is not None else secrets.token_urlsafe(30)

    def make() -> Any:
        return _admin(
            lambda: admin.add_service_account(access_key=access_key, secret_key=secret_key, policy=policy)
        )

    def reset(new_secret: str | None) -> Any:
        return _admin(
            lambda: admin.update_service_account(access_key=access_key, secret_key=new_secret, policy=policy)
        )

    if stored is not None:
        if current is None:
            await guarded_thread(OBJECT_STORE, make)
            run.result.warnings.append(
                (c.REASON_REPAIRED, f"Credentials {access_key} were missing and were made again.")
            )
        elif not desired.same_policy(current, policy):
            await guarded_thread(OBJECT_STORE, lambda: reset(None))
            run.result.warnings.append(
                (c.REASON_REPAIRED, f"Credentials {access_key}: their policy was restored.")
            )
    else:
        # A new account, or (the Secret was lost) new keys for the account: the old ones stop working.
        await guarded_thread(OBJECT_STORE, make if current is None else lambda: reset(secret_key))
        manifest = desired.storage_credentials_secret(
            resource_name=resource.name,
            namespace=resource.namespace,
            uid=resource.uid,
            slug=run.spec.slug,
            endpoint=components.s3.endpoint,
            bucket=bucket,
            access_key=access_key,
            secret_key=secret_key,
        )
        await run.kube.create_secret(manifest)
        run.result.events.append(
            ("CredentialsCreated", f"Credentials for bucket {bucket} are in Secret {name}.")
        )
    run.result.status["storageCredentialsSecret"] = name


async def _existing_bucket(run: _Run, organization_id: uuid.UUID) -> list[Outcome]:
    """The customer's bucket (its endpoint was checked before the organization was made): reachable
    with the credentials its Secret names, and those credentials copied to where the api and worker
    read them, under the organization's id."""
    storage, result = run.spec.storage, run.result
    if not (storage.bucket and storage.endpoint and storage.credentials_secret):  # pragma: no cover
        raise SpecInvalid("spec.storage: an Existing bucket needs bucket, endpoint and credentialsSecret.")
    copy = run.components.credentials_copy
    if copy is None:
        result.invalid = (
            "The operator has no Secret to hand the api and worker a customer bucket's credentials in "
            "(ENCLAVE_OPERATOR_CREDENTIALS_NAMESPACE and ENCLAVE_OPERATOR_CREDENTIALS_SECRET)."
        )
        return [Outcome(c.STORAGE, "False", c.REASON_INVALID, result.invalid)]
    credentials = await run.kube.read_secret(run.resource.namespace, storage.credentials_secret)
    if credentials is None or not {"access_key", "secret_key"} <= credentials.keys():
        result.retry = (
            f"Secret {storage.credentials_secret} with access_key and secret_key does not exist yet."
        )
        return [Outcome(c.STORAGE, "False", "SecretMissing", result.retry)]
    client = run.components.customer_s3(
        storage.endpoint, storage.region, credentials["access_key"], credentials["secret_key"]
    )
    bucket = storage.bucket
    if not await guarded_thread(OBJECT_STORE, lambda: _bucket_exists(client, bucket)):
        result.retry = (
            f"Bucket {bucket} does not exist at {storage.endpoint}, or these credentials cannot see it."
        )
        return [Outcome(c.STORAGE, "False", "BucketMissing", result.retry)]
    copied = desired.copied_credentials(organization_id, credentials["access_key"], credentials["secret_key"])
    labels = {c.LABEL_MANAGED_BY: c.MANAGED_BY}
    if await run.kube.put_secret_keys(copy.namespace, copy.name, copied, labels):
        result.events.append(
            (
                "CredentialsCopied",
                f"The credentials of bucket {bucket} are in Secret {copy.namespace}/{copy.name} for the "
                "api and worker.",
            )
        )
    result.status["bucket"] = bucket
    result.status["credentialsCopy"] = f"{copy.namespace}/{copy.name}"
    return [
        Outcome(
            c.STORAGE,
            "True",
            c.REASON_CONVERGED,
            f"Bucket {bucket} at {storage.endpoint} is reachable; the api and worker have its credentials.",
        )
    ]
