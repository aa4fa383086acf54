"""An Organization's spec, read from the custom resource into typed values.

Owns the one translation from the resource's camelCase fields to what the operator works with, and
checks again what the CRD's schema and CEL rules check (the API server enforces them; these checks
keep a handler from ever acting on a spec that slipped past, e.g. an object stored under an older
schema). Pure: no I/O. Must never read a Secret: a spec only names one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from enclave.domain.roles import OrgRole
from enclave.identity.keycloak_admin import IdentityError, check_realm_name


class SpecInvalid(ValueError):
    """The spec can never work as written; the message names the field, never a secret."""


@dataclass(frozen=True, slots=True)
class SsoSpec:
    alias: str
    kind: Literal["oidc", "saml"]
    display_name: str
    #: Inline settings (non-secret), or None when they come from ``secret_name``.
    metadata: Mapping[str, str] | None
    secret_name: str | None


@dataclass(frozen=True, slots=True)
class KmsSpec:
    address: str | None = None
    transit_mount: str | None = None
    auth_role: str | None = None
    #: A Secret (role_id, secret_id) of the AppRole the services sign in to ``address`` as.
    credentials_secret: str | None = None


@dataclass(frozen=True, slots=True)
class StorageSpec:
    mode: Literal["Managed", "Existing"] = "Managed"
    bucket: str | None = None
    endpoint: str | None = None
    region: str = "us-east-1"
    credentials_secret: str | None = None


@dataclass(frozen=True, slots=True)
class OrganizationSpec:
    display_name: str
    slug: str
    admin_email: str
    admin_name: str
    workforce: bool = False
    domain_roles: Mapping[str, OrgRole] = field(default_factory=dict)
    mfa_required: bool = False
    sso: SsoSpec | None = None
    kms: KmsSpec = field(default_factory=KmsSpec)
    storage: StorageSpec = field(default_factory=StorageSpec)
    retention_days: int = 30


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SpecInvalid(f"{where}{key} is required.")
    return value


def _optional_text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise SpecInvalid(f"{where}{key} must be a string.")
    return value


def _secret_name(data: Mapping[str, Any], key: str, where: str) -> str | None:
    ref = data.get(key)
    if ref is None:
        return None
    if not isinstance(ref, Mapping):
        raise SpecInvalid(f"{where}{key} must name a Secret.")
    return _text(ref, "name", f"{where}{key}.")


def parse_sso(data: Mapping[str, Any]) -> SsoSpec:
    kind = data.get("kind")
    if kind not in ("oidc", "saml"):
        raise SpecInvalid("spec.sso.kind is oidc or saml.")
    metadata = data.get("metadata")
    secret_name = _secret_name(data, "secretRef", "spec.sso.")
    if (metadata is None) == (secret_name is None):
        raise SpecInvalid(
            "spec.sso needs its settings inline (metadata) or in a Secret (secretRef), not both."
        )
    if metadata is not None:
        if not isinstance(metadata, Mapping) or not all(isinstance(v, str) for v in metadata.values()):
            raise SpecInvalid("spec.sso.metadata maps setting names to strings.")
        if "clientSecret" in metadata:
            raise SpecInvalid("spec.sso.metadata cannot hold a client secret; use secretRef.")
    if kind == "oidc" and secret_name is None:
        raise SpecInvalid("spec.sso: an OIDC connection needs a client secret, so it comes from secretRef.")
    return SsoSpec(
        alias=_text(data, "alias", "spec.sso."),
        kind=kind,
        display_name=_text(data, "displayName", "spec.sso."),
        metadata=dict(metadata) if metadata is not None else None,
        secret_name=secret_name,
    )


def parse_storage(data: Mapping[str, Any]) -> StorageSpec:
    mode = data.get("mode", "Managed")
    bucket = _optional_text(data, "bucket", "spec.storage.")
    endpoint = _optional_text(data, "endpoint", "spec.storage.")
    secret = _secret_name(data, "credentialsSecret", "spec.storage.")
    if mode == "Managed":
        if bucket or endpoint or secret:
            raise SpecInvalid("spec.storage: a Managed bucket is named by the operator.")
        return StorageSpec()
    if mode != "Existing":
        raise SpecInvalid("spec.storage.mode is Managed or Existing.")
    if not (bucket and endpoint and secret):
        raise SpecInvalid("spec.storage: an Existing bucket needs bucket, endpoint and credentialsSecret.")
    if not endpoint.startswith("https://"):
        raise SpecInvalid("spec.storage.endpoint must be https://.")
    region = _optional_text(data, "region", "spec.storage.") or "us-east-1"
    return StorageSpec("Existing", bucket, endpoint.rstrip("/"), region, secret)


def parse_kms(data: Mapping[str, Any]) -> KmsSpec:
    address = _optional_text(data, "address", "spec.kms.")
    if address is not None and not address.startswith("https://"):
        raise SpecInvalid("spec.kms.address must be https://.")
    secret = _secret_name(data, "credentialsSecret", "spec.kms.")
    if address is not None and secret is None:
        raise SpecInvalid(
            "spec.kms: another KMS's address needs the credentialsSecret its services sign in with."
        )
    return KmsSpec(
        address=address.rstrip("/") if address else None,
        transit_mount=_optional_text(data, "transitMount", "spec.kms."),
        auth_role=_optional_text(data, "authRole", "spec.kms."),
        credentials_secret=secret,
    )


def parse_spec(spec: Mapping[str, Any]) -> OrganizationSpec:
    """The typed spec; :class:`SpecInvalid` for one that can never work."""
    slug = _text(spec, "slug", "spec.")
    try:
        check_realm_name(slug)
    except IdentityError as error:
        raise SpecInvalid(f"spec.slug: {error}") from None
    admin = spec.get("admin")
    if not isinstance(admin, Mapping):
        raise SpecInvalid("spec.admin is required.")
    domain_roles: dict[str, OrgRole] = {}
    for entry in spec.get("emailDomains") or ():
        domain = _text(entry, "domain", "spec.emailDomains[].").lower()
        try:
            domain_roles[domain] = OrgRole(entry.get("role"))
        except ValueError:
            raise SpecInvalid(f"spec.emailDomains[{domain}].role is not an org role.") from None
    retention = spec.get("retentionDays", 30)
    if not isinstance(retention, int) or isinstance(retention, bool) or not 0 <= retention <= 3650:
        raise SpecInvalid("spec.retentionDays is a whole number of days, 0 to 3650.")
    sso = spec.get("sso")
    return OrganizationSpec(
        display_name=_text(spec, "displayName", "spec."),
        slug=slug,
        admin_email=_text(admin, "email", "spec.admin.").strip().lower(),
        admin_name=_text(admin, "displayName", "spec.admin.").strip(),
        workforce=bool(spec.get("workforce", False)),
        domain_roles=domain_roles,
        mfa_required=bool(spec.get("mfaRequired", False)),
        sso=parse_sso(sso) if sso is not None else None,
        kms=parse_kms(spec.get("kms") or {}),
        storage=parse_storage(spec.get("storage") or {}),
        retention_days=retention,
    )
