"""What an Organization should look like in each component, built from its spec: pure functions.

Owns the organization row's desired settings and the difference from a row's current ones, the realm
and SSO specs handed to the identity package, the KMS settings of an organization's key, the Secret
manifests the operator writes, the retention deadline, and which organization holds a slug among
several resources. No I/O and no clock: the caller passes "now". Must never put a secret anywhere but
the ``stringData`` of a Secret manifest it builds.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from enclave.crypto.kms import key_name
from enclave.db.repositories.organizations import CustomerBucket, OwnKms
from enclave.identity.brokering import IdentityProviderSpec
from enclave.identity.realm_settings import RealmSpec, realm_spec_for
from enclave.operator.constants import GROUP, KIND, LABEL_MANAGED_BY, LABEL_ORGANIZATION, MANAGED_BY, VERSION
from enclave.operator.spec import KmsSpec, OrganizationSpec, SpecInvalid, SsoSpec, StorageSpec
from enclave.organizations.schemas import OrganizationSettings
from enclave.settings import VaultSettings
from enclave.storage.homes import credentials_name

__all__ = ["key_name"]  # the organization's transit key name, as the services derive it


def organization_settings(spec: OrganizationSpec) -> dict[str, Any]:
    """The organization row's ``settings`` JSON, exactly as the api's settings page writes it."""
    settings = OrganizationSettings(
        mfa_required=spec.mfa_required,
        retention_days=spec.retention_days,
        domain_roles=dict(spec.domain_roles),
    )
    built: dict[str, Any] = msgspec.to_builtins(settings)
    return built


def row_changes(
    current_name: str,
    current_workforce: bool,
    current_settings: Mapping[str, Any] | None,
    spec: OrganizationSpec,
) -> dict[str, Any]:
    """The row's columns that differ from the spec, with their desired values (empty: in line)."""
    changes: dict[str, Any] = {}
    if current_name != spec.display_name:
        changes["name"] = spec.display_name
    if current_workforce != spec.workforce:
        changes["workforce"] = spec.workforce
    wanted = organization_settings(spec)
    current = msgspec.to_builtins(msgspec.convert(dict(current_settings or {}), OrganizationSettings))
    if current != wanted:
        changes["settings"] = wanted
    return changes


def realm_spec(spec: OrganizationSpec, public_url: str) -> RealmSpec:
    return realm_spec_for(spec.slug, spec.display_name, public_url, mfa_required=spec.mfa_required)


def admin_names(display_name: str) -> tuple[str, str]:
    """Given and family name for Keycloak: the first word, and the rest (empty if one word)."""
    first, _, last = display_name.strip().partition(" ")
    return first, last.strip()


def identity_provider(sso: SsoSpec, secret_data: Mapping[str, str] | None) -> IdentityProviderSpec:
    """The identity package's spec of the organization's SSO connection; ``secret_data`` is the
    referenced Secret's decoded data when the settings come from one."""
    if sso.secret_name is not None:
        if secret_data is None:
            raise SpecInvalid(f"spec.sso.secretRef: Secret {sso.secret_name} is missing.")
        config = dict(secret_data)
    else:
        config = dict(sso.metadata or {})
    return IdentityProviderSpec(sso.alias, sso.kind, sso.display_name, config)


def vault_settings(installation: VaultSettings, kms: KmsSpec) -> VaultSettings:
    """The installation's Vault settings with the organization's own KMS address and mount, if given.
    The operator signs in with its own credentials either way."""
    update: dict[str, Any] = {}
    if kms.address:
        update["url"] = kms.address
    if kms.transit_mount:
        update["transit_mount"] = kms.transit_mount
    return installation.model_copy(update=update) if update else installation


def kms_target(installation: VaultSettings, kms: KmsSpec) -> tuple[str, str]:
    """(address, mount) identifying the KMS an organization's key lives in."""
    settings = vault_settings(installation, kms)
    return settings.url, settings.transit_mount


def home(storage: StorageSpec) -> CustomerBucket | None:
    """Where the organization keeps its objects for good: the customer's bucket, or (None) a managed one."""
    if storage.mode != "Existing" or not storage.bucket or not storage.endpoint:
        return None
    return CustomerBucket(storage.endpoint, storage.bucket, storage.region)


def own_kms(kms: KmsSpec) -> OwnKms | None:
    """Where the organization's key lives for good, as its row records it; None: the installation's."""
    if kms.address is None and kms.transit_mount is None:
        return None
    return OwnKms(kms.address, kms.transit_mount)


def kms_where(kms: OwnKms | None) -> str:
    if kms is None:
        return "the installation's KMS"
    return f"{kms.address or 'the installation'}'s KMS, mount {kms.mount or 'of the installation'}"


def where(home: CustomerBucket | None) -> str:
    return "a managed bucket" if home is None else f"bucket {home.bucket} at {home.endpoint}"


def copied_credentials(organization_id: uuid.UUID, access_key: str, secret_key: str) -> dict[str, str]:
    """An own bucket's credentials as the api and worker read them (``enclave.storage.locations``)."""
    name = credentials_name(organization_id)
    return {f"{name}.access_key": access_key, f"{name}.secret_key": secret_key}


def copied_kms_credentials(organization_id: uuid.UUID, role_id: str, secret_id: str) -> dict[str, str]:
    """An own KMS's AppRole as the api and worker read it (``enclave.crypto.tenant_kms``)."""
    name = credentials_name(organization_id)
    return {f"{name}.vault_role_id": role_id, f"{name}.vault_secret_id": secret_id}


def storage_endpoint_allowed(endpoint: str, allowed: Iterable[str]) -> bool:
    """An existing bucket's endpoint must be one the installation allows its services to contact."""
    return endpoint.rstrip("/") in {entry.rstrip("/") for entry in allowed}


def admin_password_secret_name(resource_name: str) -> str:
    return f"{resource_name}-admin-initial-password"[:253]


def owner_reference(name: str, uid: str) -> dict[str, Any]:
    """Makes a Secret belong to its Organization (a cluster's garbage collector removes it with it)."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "name": name,
        "uid": uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def admin_password_secret(
    *, resource_name: str, namespace: str, uid: str, slug: str, email: str, password: str
) -> dict[str, Any]:
    """The Secret that hands the first admin's one-time password to the platform team."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": admin_password_secret_name(resource_name),
            "namespace": namespace,
            "labels": {LABEL_MANAGED_BY: MANAGED_BY, LABEL_ORGANIZATION: slug},
            "ownerReferences": [owner_reference(resource_name, uid)],
        },
        "stringData": {"email": email, "password": password},
    }


def storage_credentials_secret_name(resource_name: str) -> str:
    return f"{resource_name}-s3-credentials"[:253]


def storage_access_key(organization_id: uuid.UUID) -> str:
    """The access key of the organization's own object-store credentials (MinIO allows 3-20 chars)."""
    return f"org{organization_id.hex[:16]}"


def bucket_policy(bucket: str) -> dict[str, Any]:
    """The IAM policy of the organization's credentials: its own bucket's objects, nothing else (no
    bucket creation or deletion, no policy changes, no other bucket)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
            },
            {
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                "Resource": [f"arn:aws:s3:::{bucket}/*"],
            },
        ],
    }


def same_policy(current: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    """True if two IAM policies grant the same: statements compared as sets of (effect, actions,
    resources), since the object store keeps its own order of each list."""

    def grants(policy: Mapping[str, Any]) -> set[tuple[str, frozenset[str], frozenset[str]]]:
        found = set()
        for statement in policy.get("Statement") or ():
            actions, resources = statement.get("Action") or (), statement.get("Resource") or ()
            found.add(
                (
                    str(statement.get("Effect")),
                    frozenset([actions] if isinstance(actions, str) else actions),
                    frozenset([resources] if isinstance(resources, str) else resources),
                )
            )
        return found

    return current is not None and grants(current) == grants(wanted)


def storage_credentials_secret(
    *,
    resource_name: str,
    namespace: str,
    uid: str,
    slug: str,
    endpoint: str,
    bucket: str,
    access_key: str,
    secret_key: str,
) -> dict[str, Any]:
    """The Secret that holds the organization's own object-store credentials (its bucket only)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": storage_credentials_secret_name(resource_name),
            "namespace": namespace,
            "labels": {LABEL_MANAGED_BY: MANAGED_BY, LABEL_ORGANIZATION: slug},
            "ownerReferences": [owner_reference(resource_name, uid)],
        },
        "stringData": {
            "endpoint": endpoint,
            "bucket": bucket,
            "access_key": access_key,
            "secret_key": secret_key,
        },
    }


def shred_after(terminated_at: dt.datetime, retention_days: int, day_s: int) -> dt.datetime:
    """When a terminated organization's key is destroyed: its retention days after termination."""
    return terminated_at + dt.timedelta(seconds=retention_days * day_s)


@dataclass(frozen=True, slots=True)
class SlugClaim:
    """One Organization resource's claim on a slug."""

    namespace: str
    name: str
    uid: str
    created: str  # metadata.creationTimestamp (RFC 3339, sortable as text)


def slug_holder(claims: Iterable[SlugClaim]) -> SlugClaim | None:
    """Which of several resources naming the same slug holds it: the oldest (then the lowest uid,
    so every replica decides alike)."""
    ordered = sorted(claims, key=lambda claim: (claim.created, claim.uid))
    return ordered[0] if ordered else None
