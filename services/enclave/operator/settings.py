"""The operator's own settings, read once from ``ENCLAVE_OPERATOR_*`` variables.

The endpoints and credentials of PostgreSQL, Vault, MinIO, Keycloak and the CA are the installation's
settings (``enclave.settings``: the same variables the api reads); only what is the operator's alone is
here: where it watches, how it elects a leader, how often it looks for drift, and how long a retention
day lasts. Must never hold a secret.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from enclave.operator.constants import DEFAULT_PEERING
from enclave.settings import HttpsUrl

DAY_S = 86_400


class OperatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_OPERATOR_", extra="ignore", frozen=True)

    api_public_url: HttpsUrl = Field(
        validation_alias=AliasChoices("ENCLAVE_OPERATOR_API_PUBLIC_URL", "ENCLAVE_API_PUBLIC_URL"),
        description="https:// URL users reach the api at: each realm's web client redirects there "
        "(the api's own ENCLAVE_API_PUBLIC_URL is read when this is not set).",
    )
    liveness_url: str | None = Field(
        None,
        pattern=r"^http://[^/]+/[a-z]+$",
        description="Where kopf serves /healthz, e.g. http://0.0.0.0:8080/healthz (unset: nowhere).",
    )
    namespaces: list[str] = Field(
        default_factory=list,
        description="Namespaces whose Organizations are watched (JSON list); empty: all namespaces.",
    )
    peering_name: str = Field(
        DEFAULT_PEERING,
        pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$",
        description="The ClusterKopfPeering (KopfPeering when namespaces are listed) replicas elect a "
        "leader in: only the live replica with the highest priority acts.",
    )
    peering_priority: int | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="This replica's priority in the peering; unset: a random one, so that two replicas "
        "never tie (kopf pauses every replica of a tied priority).",
    )
    peering_lifetime_s: int = Field(
        60,
        ge=5,
        le=3600,
        description="How long a replica counts as alive after its last keep-alive: a replica that dies "
        "holds the lead at most this long.",
    )
    standalone: bool = Field(
        False, description="Run without peering (one replica only; tests that need no election)."
    )
    drift_interval_s: float = Field(
        60.0, ge=1, le=86_400, description="How often each Organization is checked for drift and repaired."
    )
    retry_delay_s: float = Field(
        15.0, ge=1, le=3600, description="Back-off before retrying when a component is unavailable."
    )
    credentials_namespace: str | None = Field(
        None,
        pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        description="The installation's namespace (where the api and worker run): the credentials "
        "Secret below is kept there.",
    )
    credentials_secret: str | None = Field(
        None,
        pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$",
        description="The Secret the api and worker mount as ENCLAVE_S3_EXTERNAL_SECRETS_DIR: the "
        "operator copies each own-bucket Organization's credentials into it (org-<id>.access_key, "
        "org-<id>.secret_key). Unset: such an Organization is never Ready.",
    )
    retention_day_s: int = Field(
        DAY_S,
        ge=1,
        le=DAY_S,
        description="Seconds in one day of an Organization's retentionDays. Always 86400 in a cluster; "
        "tests set 1, so retentionDays: 3 keeps a deleted tenant's data for three seconds.",
    )


@lru_cache(maxsize=1)
def get_operator_settings() -> OperatorSettings:
    return OperatorSettings()
