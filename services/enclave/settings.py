"""Enclave's settings: one object of per-concern parts, read once from ``ENCLAVE_*`` variables.

Owns the names, types and validation of every setting the services read. Secrets are never values
here, only paths to files that hold them (``*_file``), so a settings dump or a log line cannot leak
one. There is deliberately no setting that turns TLS verification, encryption, audit or authorization
off: every endpoint must be ``https://`` / ``rediss://`` and is always verified against the
installation's CA.
"""

from __future__ import annotations

import enum
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, DirectoryPath, Field, FilePath
from pydantic_settings import BaseSettings, SettingsConfigDict


def _require_scheme(*schemes: str) -> AfterValidator:
    def check(url: str) -> str:
        if not any(url.startswith(f"{scheme}://") for scheme in schemes):
            allowed = " or ".join(f"{s}://" for s in schemes)
            raise ValueError(f"must start with {allowed}: plaintext endpoints are not supported")
        return url.rstrip("/")

    return AfterValidator(check)


HttpsUrl = Annotated[str, _require_scheme("https")]
RedissUrl = Annotated[str, _require_scheme("rediss")]


def read_secret(path: Path) -> str:
    """The secret stored in ``path``, without its trailing newline."""
    return path.read_text(encoding="utf-8").strip()


class _Part(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)


class TLSSettings(_Part):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_TLS_")

    ca_file: FilePath = Field(
        description="PEM bundle of the installation's CA; every peer is verified against it."
    )


class DatabaseSettings(_Part):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_DB_")

    host: str = Field("localhost", description="PostgreSQL host name; must match its certificate.")
    port: int = Field(5432, description="PostgreSQL port (TLS only).")
    name: str = Field("enclave", description="Database holding Enclave's schema.")
    user: str = Field("enclave_api", description="Role the api logs in as (no BYPASSRLS, no DDL).")
    password_file: FilePath = Field(description="File holding the api role's password.")
    owner_user: str = Field("enclave_owner", description="Role that owns the schema and runs migrations.")
    owner_password_file: FilePath | None = Field(None, description="File holding the owner's password.")
    audit_user: str = Field("enclave_audit", description="Role the audit service logs in as.")
    audit_password_file: FilePath | None = Field(None, description="File holding the audit role's password.")
    pool_size: int = Field(
        16,
        ge=1,
        le=200,
        description="Connections the api keeps open per process (as many again are made for bursts, "
        "then closed: each costs a TLS handshake and a SCRAM login).",
    )


class RedisSettings(_Part):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_REDIS_")

    url: RedissUrl = Field(description="rediss:// URL of Redis (TLS only), without credentials.")
    user: str = Field("enclave", description="Redis ACL user.")
    password_file: FilePath = Field(description="File holding the Redis ACL user's password.")


class S3Settings(_Part):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_S3_")

    endpoint: HttpsUrl = Field(description="https:// endpoint of MinIO or the customer's S3 service.")
    access_key_file: FilePath = Field(description="File holding the S3 access key id.")
    secret_key_file: FilePath = Field(description="File holding the S3 secret key.")
    region: str = Field("us-east-1", description="S3 region name the endpoint expects.")
    external_endpoints: list[HttpsUrl] = Field(
        default_factory=list,
        description="The customer's own S3 endpoints a dataset may store in or import from (JSON list); "
        "no other endpoint is ever contacted.",
    )
    external_secrets_dir: DirectoryPath | None = Field(
        None,
        description="Directory of named S3 credentials (one mounted Secret, or several projected into "
        "it): <name>.access_key and <name>.secret_key. Datasets name a credential, never carry one; an "
        "organization made with its own bucket finds its credentials under org-<its id in hex>.",
    )


class VaultSettings(_Part):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_VAULT_")

    url: HttpsUrl = Field(description="https:// address of the Vault-API server (OpenBao or Vault).")
    token_file: FilePath | None = Field(
        None, description="File holding a Vault token (tests and tools only)."
    )
    role_id_file: FilePath | None = Field(None, description="File holding the api's AppRole role id.")
    secret_id_file: FilePath | None = Field(None, description="File holding the api's AppRole secret id.")
    data_key_cache_size: int = Field(
        1024, ge=1, le=100_000, description="Unwrapped data keys kept in memory."
    )
    data_key_cache_ttl_s: float = Field(
        300.0, gt=0, le=3600, description="How long an unwrapped data key is kept."
    )
    key_check_interval_s: float = Field(
        2.0,
        gt=0,
        le=30,
        description="A cached data key is used only if Vault confirmed its organization's key this "
        "recently: pulling the plug on Vault, or destroying a key, stops access within this time.",
    )
    transit_mount: str = Field("transit", description="Mount path of the transit secrets engine.")
    external_endpoints: list[HttpsUrl] = Field(
        default_factory=list,
        description="The customer's own Vault-API servers an organization's key may live in (JSON "
        "list); no other is ever contacted.",
    )
    external_secrets_dir: DirectoryPath | None = Field(
        None,
        description="Directory of each organization's credentials for its own Vault-API server (a "
        "mounted Secret): org-<its id in hex>.vault_role_id and .vault_secret_id, an AppRole there.",
    )


class KeycloakSettings(_Part):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_KEYCLOAK_")

    url: HttpsUrl = Field(description="https:// base URL of Keycloak.")
    admin_user: str = Field("admin", description="Keycloak admin the api manages realms and users as.")
    admin_password_file: FilePath | None = Field(None, description="File holding that admin's password.")
    client_id: str = Field("enclave-web", description="The OIDC client of the web app in every realm.")


class SessionSettings(_Part):
    """Browser sessions. Every limit has the safe default as its ceiling: an installation may make a
    session shorter, never longer (OWASP ASVS 5.0 V7.3), so a value above it is refused at startup."""

    model_config = SettingsConfigDict(env_prefix="ENCLAVE_SESSION_")

    key_file: FilePath = Field(description="File holding the secret that encrypts browser sessions in Redis.")
    idle_timeout_s: int = Field(
        900, ge=60, le=900, description="A session unused this long ends (at most 15 minutes)."
    )
    absolute_timeout_s: int = Field(
        43_200, ge=300, le=43_200, description="A session ends this long after login (at most 12 hours)."
    )
    reauthentication_max_age_s: int = Field(
        300,
        ge=30,
        le=300,
        description="Key rotation, termination, API-key creation and exports need a sign-in with both "
        "factors at most this old (at most 5 minutes); older, the person signs in again first.",
    )
    account_check_interval_s: int = Field(
        5,
        ge=0,
        le=5,
        description="A session asks Keycloak this often (0: on every request) whether its account is "
        "still enabled there; a disabled or deleted account's session ends at its next request after.",
    )


class Mode(enum.StrEnum):
    PRODUCTION = "production"
    TEST = "test"


class ApiSettings(_Part):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_API_")

    host: str = Field("localhost", description="Address the api listens on.")
    public_url: HttpsUrl = Field("https://localhost:8443", description="https:// URL users reach the api at.")
    port: int = Field(8443, description="HTTPS port of the api.")
    tls_cert_file: FilePath = Field(description="PEM certificate (chain) the api serves.")
    tls_key_file: FilePath = Field(description="PEM private key of that certificate.")
    mode: Mode = Field(Mode.PRODUCTION, description="`test` enables test-only hooks; never in production.")
    health_timeout_s: float = Field(3.0, gt=0, le=30, description="Per-component timeout of /health/ready.")
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=64,
        description="Worker processes serving the api (default: one per CPU core).",
    )
    shared_port: bool = Field(
        False,
        description="Bind the port with SO_REUSEPORT so that several api replicas on one host share it "
        "and the kernel spreads their connections (`make up` with ENCLAVE_REPLICAS); each replica is then "
        "one process, whatever `workers` says. Linux lets only processes of the same user share a port.",
    )
    max_upload_bytes: int = Field(
        5 * 1024**3, ge=1024, le=5 * 1024**4, description="Largest file one upload may carry (413 above)."
    )
    max_text_import_bytes: int = Field(
        64 * 1024**2, ge=1024, le=1024**3, description="Largest JSONL or CSV body of one text import."
    )
    webapp_dir: DirectoryPath | None = Field(
        None,
        description="The built web app (services/webapp's `npm run build` output); None: the api serves "
        "no app, only its API.",
    )
    data_key_max_age_s: float = Field(
        86400.0,
        ge=60,
        le=30 * 86400,
        description="Age after which new content is sealed under a fresh data key (bounds what one key "
        "protects, and keeps random-nonce use per key far below its limit).",
    )


class AuditSettings(_Part):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_AUDIT_")

    vault_role_id_file: FilePath | None = Field(
        None, description="File holding the audit service's AppRole role id (it alone signs checkpoints)."
    )
    vault_secret_id_file: FilePath | None = Field(None, description="File holding that AppRole's secret id.")
    signing_key: str = Field(
        "audit-checkpoints",
        pattern=r"^[a-z0-9-]+$",
        description="The ed25519 transit key checkpoints are signed with (outside the api's reach).",
    )
    checkpoint_every: int = Field(
        1000, ge=1, le=1_000_000, description="Sign a checkpoint every N records..."
    )
    checkpoint_interval_s: float = Field(
        10.0, gt=0, le=3600, description="...or every T seconds, whichever first."
    )
    poll_interval_s: float = Field(
        0.2, gt=0, le=10, description="How often the service looks for new events."
    )
    batch_size: int = Field(500, ge=1, le=10_000, description="Events appended per transaction.")
    keycloak_client_id: str = Field(
        "enclave-audit",
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
        description="The audit service's confidential client in Keycloak's master realm (service account "
        "only), granted view-events of each organization realm and nothing else.",
    )
    keycloak_client_secret_file: FilePath | None = Field(
        None, description="File holding that client's secret (it pulls Keycloak's login events)."
    )
    keycloak_pull_interval_s: float = Field(
        5.0, gt=0, le=300, description="How often Keycloak's login events are pulled into the trail."
    )
    archive_bucket: str = Field(
        "enclave-audit-archive",
        pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$",
        description="The bucket (Object Lock, compliance mode) that keeps the locked copy of the trail.",
    )
    archive_retention_days: int = Field(
        2557,
        ge=1,
        le=36_500,
        description="How long each locked segment and checkpoint can be neither changed nor deleted "
        "by anyone, MinIO's root included (default: seven years).",
    )


class WorkerSettings(_Part):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_WORKER_")

    lease_s: int = Field(
        60,
        ge=5,
        le=3600,
        description="How long a worker holds a job without renewing it; a worker that dies releases its "
        "job this long after its last renewal, and another worker starts it over.",
    )
    poll_interval_s: float = Field(1.0, gt=0, le=60, description="How often an idle worker looks for a job.")
    batch_size: int = Field(
        500, ge=1, le=10_000, description="Tasks an export reads per round trip (bounds its memory)."
    )


class Settings:
    """All settings, one attribute per concern. Build it with :func:`get_settings`."""

    def __init__(self) -> None:
        self.tls = TLSSettings()
        self.db = DatabaseSettings()
        self.redis = RedisSettings()
        self.s3 = S3Settings()
        self.vault = VaultSettings()
        self.keycloak = KeycloakSettings()
        self.api = ApiSettings()
        self.session = SessionSettings()
        self.audit = AuditSettings()
        self.worker = WorkerSettings()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
