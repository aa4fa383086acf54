"""The operator against a real API server and the stack's real services: an Organization becomes a
database row with its settings, a transit key, a realm with its admin and SSO connection, and a bucket;
a change converges; what is broken by hand is repaired on the timer; a KMS that is down stops a create
before anything is made and the create finishes once it is back; a deletion keeps the data for the
retention period, then shreds it and lets the resource go."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import secrets
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import hvac
import pytest
from minio.error import S3Error

from enclave.operator.constants import COMPONENT_CONDITIONS
from tests.integration.datasets.test_uploads import named, png
from tests.integration.domain.world import as_user
from tests.integration.stack import STACK, Stack
from tests.operator import tenant
from tests.operator.cluster import (
    apply,
    condition,
    events,
    forget,
    get,
    new_namespace,
    organization,
    ready_organization,
    secret_data,
    wait_for,
)
from tests.operator.operator_process import CREDENTIALS_COPY, running_operator
from tests.support.api_process import running_api
from tests.support.keycloak_idp import create_oidc_idp, delete_idp
from tests.support.kube import OPERATOR_NAMESPACE, KubeAPI
from tests.support.minio import raw_minio
from tests.support.stack_fixtures import own_kms_address

pytestmark = pytest.mark.stack

#: Every (namespace, name, slug) a test here made: once the operator is stopped, the resources are
#: removed without retirement and their realms deleted, so nothing of them outlives this module.
MADE: list[tuple[str, str, str]] = []


def new_slug(namespace: str, name: str) -> str:
    slug = f"op-{secrets.token_hex(4)}"
    MADE.append((namespace, name, slug))
    return slug


@pytest.fixture(scope="module")
def operator(
    operator_cluster: KubeAPI, migrated: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """One operator replica (in the peering, as in a cluster) for this module; yields its log."""
    log = tmp_path_factory.mktemp("operator") / "operator.log"
    settings = {
        "ENCLAVE_OPERATOR_PEERING_PRIORITY": "100",
        # The customer's "own" S3 service is the stack's MinIO: the one external endpoint allowed.
        "ENCLAVE_S3_EXTERNAL_ENDPOINTS": json.dumps([migrated.env["ENCLAVE_S3_ENDPOINT"]]),
        # The customer's "own" KMS is the stack's OpenBao under its other name.
        "ENCLAVE_VAULT_EXTERNAL_ENDPOINTS": json.dumps([own_kms_address(migrated)]),
    }
    with running_operator(operator_cluster, migrated, log, settings):
        yield log
    for namespace, name, slug in MADE:  # the operator is stopped: nothing makes them again
        forget(operator_cluster, namespace, name)
        tenant.remove_realm(slug)


def reasons(cluster: KubeAPI, namespace: str, name: str) -> set[str]:
    return {str(event["reason"]) for event in events(cluster, namespace, name)}


def test_create_makes_every_component_and_reports_ready(
    operator: Path, operator_cluster: KubeAPI, namespace: str, stack: Stack
) -> None:
    slug = new_slug(namespace, "hospital")
    apply(
        operator_cluster,
        organization(
            "hospital",
            namespace,
            slug,
            workforce=True,
            emailDomains=[{"domain": f"{slug}.example", "role": "member"}],
        ),
    )
    found = ready_organization(operator_cluster, namespace, "hospital")

    status = found["status"]
    for kind in COMPONENT_CONDITIONS:
        assert condition(found, kind)["status"] == "True", condition(found, kind)
        assert condition(found, kind)["observedGeneration"] == 1
    assert status["phase"] == "Ready"
    organization_id = status["organizationId"]
    row = tenant.organization_row(slug)
    assert row is not None
    assert str(row["id"]) == organization_id
    assert row["name"] == f"Hospital {slug}"
    assert row["workforce"] is True
    assert row["settings"]["domain_roles"] == {f"{slug}.example": "member"}
    assert tenant.key_exists(organization_id)
    assert status["keyName"] == f"enclave-{organization_id.replace('-', '')}"
    realm = tenant.realm(slug)
    assert realm is not None
    assert realm["displayName"] == f"Hospital {slug}"
    assert tenant.realm_user(slug, f"admin@{slug}.example") is not None
    assert tenant.bucket_exists(stack, organization_id)
    # Its own Vault policy reaches its key, and no other organization's.
    assert status["kmsPolicy"] == f"enclave-tenant-{organization_id.replace('-', '')}"
    assert "PolicyWritten" in reasons(operator_cluster, namespace, "hospital")
    scoped = tenant.token_with_tenant_policy(organization_id)
    own_key = status["keyName"]
    assert scoped.secrets.transit.generate_data_key(own_key, "wrapped")["data"]["ciphertext"]
    other = tenant.root_vault()
    other.secrets.transit.create_key("enclave-0000000000000000000000000000abcd")
    with pytest.raises(hvac.exceptions.Forbidden):
        scoped.secrets.transit.generate_data_key("enclave-0000000000000000000000000000abcd", "wrapped")
    with pytest.raises(hvac.exceptions.Forbidden):
        scoped.secrets.transit.delete_key(own_key)  # nor may it destroy its own
    password = get(operator_cluster, "secret", namespace, status["adminPasswordSecret"])
    assert password is not None
    assert set(password["data"]) == {"email", "password"}
    assert password["metadata"]["ownerReferences"][0]["uid"] == found["metadata"]["uid"]
    assert found["metadata"]["finalizers"] == ["enclave.dev/retention"]
    assert {"Created", "RealmCreated", "BucketCreated", "CredentialsCreated", "Ready"} <= reasons(
        operator_cluster, namespace, "hospital"
    )
    # The bucket's own credentials reach that bucket and nothing else.
    credentials = get(operator_cluster, "secret", namespace, status["storageCredentialsSecret"])
    assert credentials is not None
    keys = {key: base64.b64decode(value).decode() for key, value in credentials["data"].items()}
    assert keys["bucket"] == f"enclave-{organization_id.replace('-', '')}"
    own = tenant.s3_as(stack, keys["access_key"], keys["secret_key"])
    own.put_object(keys["bucket"], "probe", io.BytesIO(b"ciphertext"), 10)
    assert own.get_object(keys["bucket"], "probe").read() == b"ciphertext"
    other = f"other-{slug}"
    raw_minio(stack).make_bucket(other)
    try:
        with pytest.raises(S3Error) as refused:
            own.put_object(other, "probe", io.BytesIO(b"x"), 1)
        assert refused.value.code == "AccessDenied"
        with pytest.raises(S3Error):
            own.remove_bucket(keys["bucket"])
    finally:
        raw_minio(stack).remove_bucket(other)
        own.remove_object(keys["bucket"], "probe")
    # The printer columns: kubectl shows the slug and the Ready condition.
    table = operator_cluster.kubectl("get", "organizations", "-n", namespace).stdout.decode()
    assert slug in table
    assert "True" in table.splitlines()[1]


def test_a_change_converges(operator: Path, operator_cluster: KubeAPI, namespace: str, stack: Stack) -> None:
    slug = new_slug(namespace, "clinic")
    apply(operator_cluster, organization("clinic", namespace, slug))
    ready_organization(operator_cluster, namespace, "clinic")
    assert not tenant.mfa_required(slug)
    keycloak = stack.env["ENCLAVE_KEYCLOAK_URL"]
    idp = create_oidc_idp(
        stack, f"{slug}-corp", redirect_uris=[f"{keycloak}/realms/{slug}/broker/corp/endpoint"]
    )
    try:
        # The OIDC connection's settings, client secret included, travel in a Secret, never the spec.
        apply(
            operator_cluster,
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "corp-oidc", "namespace": namespace},
                "stringData": idp.config,
            },
        )
        apply(
            operator_cluster,
            organization(
                "clinic",
                namespace,
                slug,
                displayName="Clinic, renamed",
                mfaRequired=True,
                retentionDays=7,
                emailDomains=[{"domain": "corp.example", "role": "tasker"}],
                sso={
                    "alias": "corp",
                    "kind": "oidc",
                    "displayName": "Corporate",
                    "secretRef": {"name": "corp-oidc"},
                },
            ),
        )
        found = ready_organization(operator_cluster, namespace, "clinic", generation=2)
        assert found["status"]["ssoAlias"] == "corp"
        row = tenant.organization_row(slug)
        assert row is not None
        assert row["name"] == "Clinic, renamed"
        assert row["settings"] == {
            "mfa_required": True,
            "retention_days": 7,
            "domain_roles": {"corp.example": "tasker"},
        }
        realm = tenant.realm(slug)
        assert realm is not None
        assert realm["displayName"] == "Clinic, renamed"
        assert tenant.mfa_required(slug)
        provider = tenant.identity_provider(slug, "corp")
        assert provider is not None
        assert provider["config"]["clientId"] == idp.config["clientId"]
        assert provider["config"]["issuer"] == idp.config["issuer"]
        assert "Updated" in reasons(operator_cluster, namespace, "clinic")

        # SSO taken out of the spec: the identity provider goes with it.
        apply(operator_cluster, organization("clinic", namespace, slug, displayName="Clinic, renamed"))
        ready_organization(operator_cluster, namespace, "clinic", generation=3)
        assert tenant.identity_provider(slug, "corp") is None
        assert not tenant.mfa_required(slug)
    finally:
        delete_idp(idp)


def test_what_is_broken_by_hand_is_repaired_on_the_timer(
    operator: Path, operator_cluster: KubeAPI, namespace: str, stack: Stack
) -> None:
    slug = new_slug(namespace, "lab")
    apply(operator_cluster, organization("lab", namespace, slug))
    organization_id = ready_organization(operator_cluster, namespace, "lab")["status"]["organizationId"]

    # A realm setting changed by hand (self-registration opened) is put back.
    api = tenant.realm_api(slug)
    api.put("", {**api.get(), "registrationAllowed": True})
    wait_for(
        "the realm's registration closed again",
        lambda: (tenant.realm(slug) or {}).get("registrationAllowed") is False,
        timeout_s=60,
    )
    # The organization's Vault policy, deleted or widened by hand, is written again.
    written = tenant.tenant_policy(organization_id)
    assert written is not None
    tenant.root_vault().sys.delete_acl_policy(f"enclave-tenant-{organization_id.replace('-', '')}")
    wait_for("the policy written again", lambda: tenant.tenant_policy(organization_id) == written, 60)
    tenant.root_vault().sys.create_or_update_acl_policy(
        f"enclave-tenant-{organization_id.replace('-', '')}", 'path "transit/*" { capabilities = ["update"] }'
    )
    wait_for("the policy narrowed again", lambda: tenant.tenant_policy(organization_id) == written, 60)
    # The realm, the bucket and its credentials deleted by hand are made again.
    access_key = f"org{organization_id.replace('-', '')[:16]}"
    tenant.remove_realm(slug)
    raw_minio(stack).remove_bucket(f"enclave-{organization_id.replace('-', '')}")
    tenant.minio_admin(stack).delete_service_account(access_key)
    assert tenant.realm(slug) is None
    wait_for("the realm made again", lambda: tenant.realm(slug), timeout_s=60)
    wait_for("the bucket made again", lambda: tenant.bucket_exists(stack, organization_id), timeout_s=60)
    wait_for("the credentials made again", lambda: tenant.service_account_exists(stack, access_key), 60)
    wait_for(
        "the admin user made again", lambda: tenant.realm_user(slug, f"admin@{slug}.example"), timeout_s=60
    )
    drift = [
        event for event in events(operator_cluster, namespace, "lab") if event["reason"] == "DriftRepaired"
    ]
    assert drift
    assert all(event["type"] == "Warning" for event in drift)
    messages = " ".join(str(event["message"]) for event in drift)
    assert "registrationAllowed" in messages
    assert "was missing" in messages
    assert "was changed by hand" in messages
    assert condition(get(operator_cluster, "organization", namespace, "lab"), "Ready")["status"] == "True"


def test_a_second_organization_cannot_take_a_slug_and_its_deletion_touches_nothing(
    operator: Path, operator_cluster: KubeAPI, namespace: str
) -> None:
    slug = new_slug(namespace, "holder")
    apply(operator_cluster, organization("holder", namespace, slug))
    holder = ready_organization(operator_cluster, namespace, "holder")
    elsewhere = new_namespace(operator_cluster)
    MADE.append((elsewhere, "taker", slug))
    apply(operator_cluster, organization("taker", elsewhere, slug, displayName="Someone else"))

    def refused() -> dict[str, object] | None:
        found = condition(get(operator_cluster, "organization", elsewhere, "taker"), "DatabaseReady")
        return found if found.get("reason") == "SlugTaken" else None

    taken = wait_for("the second Organization refused", refused, timeout_s=60)
    assert f"{namespace}/holder" in str(taken["message"])
    assert "SlugTaken" in reasons(operator_cluster, elsewhere, "taker")
    # Deleting the refused one retires nothing: it made nothing, and the slug's organization is not its.
    operator_cluster.kubectl("delete", "organization", "taker", "-n", elsewhere, "--wait=false")
    wait_for(
        "the refused one gone", lambda: get(operator_cluster, "organization", elsewhere, "taker") is None, 60
    )
    row = tenant.organization_row(slug)
    assert row is not None
    assert row["terminated_at"] is None
    assert row["name"] == f"Hospital {slug}"
    assert tenant.key_exists(holder["status"]["organizationId"])
    assert condition(get(operator_cluster, "organization", namespace, "holder"), "Ready")["status"] == "True"


def test_an_existing_bucket_holds_the_organization_objects_from_create_to_shred(
    operator: Path, operator_cluster: KubeAPI, namespace: str, stack: Stack, tmp_path: Path
) -> None:
    slug = new_slug(namespace, "insurer-own-bucket")
    bucket = f"customer-{slug}"
    endpoint = stack.env["ENCLAVE_S3_ENDPOINT"]
    access_key, secret_key = (
        stack.secret("ENCLAVE_S3_ACCESS_KEY_FILE"),
        stack.secret("ENCLAVE_S3_SECRET_KEY_FILE"),
    )
    apply(
        operator_cluster,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "customer-s3", "namespace": namespace},
            "stringData": {"access_key": access_key, "secret_key": secret_key},
        },
    )
    storage = {
        "mode": "Existing",
        "bucket": bucket,
        "endpoint": endpoint,
        "credentialsSecret": {"name": "customer-s3"},
    }
    apply(operator_cluster, organization("insurer", namespace, slug, storage=storage, retentionDays=2))

    def bucket_missing() -> dict[str, object] | None:
        found = condition(get(operator_cluster, "organization", namespace, "insurer"), "StorageReady")
        return found if found.get("reason") == "BucketMissing" else None

    # The customer has not made the bucket yet: reported, and retried until it exists.
    missing = wait_for("StorageReady False (BucketMissing)", bucket_missing, timeout_s=90)
    assert bucket in str(missing["message"])
    minio = raw_minio(stack)
    minio.make_bucket(bucket)
    try:
        found = ready_organization(operator_cluster, namespace, "insurer")
        organization_id = uuid.UUID(found["status"]["organizationId"])
        assert found["status"]["bucket"] == bucket
        assert "the api and worker have its credentials" in condition(found, "StorageReady")["message"]
        assert not tenant.bucket_exists(stack, organization_id)  # no managed bucket was made for it
        # The organization was made with its home, for good.
        row = tenant.organization_row(slug)
        assert row is not None
        assert (row["storage_endpoint"], row["storage_bucket"]) == (endpoint, bucket)
        # Its credentials are copied under its id into the Secret the api and worker mount.
        assert found["status"]["credentialsCopy"] == f"{OPERATOR_NAMESPACE}/{CREDENTIALS_COPY}"
        name = f"org-{organization_id.hex}"
        copied = secret_data(operator_cluster, OPERATOR_NAMESPACE, CREDENTIALS_COPY)
        assert copied[f"{name}.access_key"] == access_key
        assert copied[f"{name}.secret_key"] == secret_key
        assert "CredentialsCopied" in reasons(operator_cluster, namespace, "insurer")

        # An api with that Secret mounted (each key a file, as the kubelet writes them) keeps the
        # organization's uploads in the customer's bucket.
        mounted = tmp_path / "customer-s3"
        mounted.mkdir(mode=0o700)
        for key, value in copied.items():
            (mounted / key).write_text(value)
        settings = {
            "ENCLAVE_S3_EXTERNAL_ENDPOINTS": json.dumps([endpoint]),
            "ENCLAVE_S3_EXTERNAL_SECRETS_DIR": str(mounted),
        }
        with (
            running_api(stack, tmp_path / "api.log", "test", settings) as url,
            httpx.Client(base_url=f"{url}/api/v1", verify=stack.tls, timeout=30) as api,
        ):
            admin = as_user(organization_id, tenant.admin_id(organization_id))
            dataset = api.post("/datasets", json={"name": "claims", "kind": "image"}, headers=admin)
            assert dataset.status_code == 201, dataset.text
            data = png(30_000)
            item = api.post(
                f"/datasets/{dataset.json()['id']}/files", content=data, headers=admin | named("c.png")
            )
            assert item.status_code == 201, item.text
            assert api.get(f"/items/{item.json()['id']}/content", headers=admin).content == data
        assert [str(o.object_name) for o in minio.list_objects(bucket)] == [item.json()["id"]]
        assert not tenant.bucket_exists(stack, organization_id)

        # Its bucket cannot be moved: the API server refuses the change before the operator sees it.
        moved = operator_cluster.kubectl(
            "patch",
            "organization",
            "insurer",
            "-n",
            namespace,
            "--type=merge",
            "-p",
            json.dumps({"spec": {"storage": {"bucket": f"moved-{slug}"[:63]}}}),
            check=False,
        )
        assert moved.returncode != 0
        assert b"cannot change" in moved.stderr

        # Deleted: kept for its retention, shredded, and its copied credentials removed.
        operator_cluster.kubectl("delete", "organization", "insurer", "-n", namespace, "--wait=false")
        wait_for(
            "the resource gone",
            lambda: get(operator_cluster, "organization", namespace, "insurer") is None,
            90,
        )
        left = secret_data(operator_cluster, OPERATOR_NAMESPACE, CREDENTIALS_COPY)
        assert not any(key.startswith(name) for key in left)
        assert [str(o.object_name) for o in minio.list_objects(bucket)] == [item.json()["id"]]  # theirs
    finally:
        forget(operator_cluster, namespace, "insurer")
        for entry in minio.list_objects(bucket, recursive=True):
            minio.remove_object(bucket, str(entry.object_name))
        minio.remove_bucket(bucket)


def test_an_own_kms_holds_the_key_and_the_services_get_its_approle(
    operator: Path, operator_cluster: KubeAPI, namespace: str, stack: Stack
) -> None:
    slug = new_slug(namespace, "bank-own-kms")
    root = tenant.root_vault()
    if "customer-transit/" not in root.sys.list_mounted_secrets_engines()["data"]:
        root.sys.enable_secrets_engine("transit", path="customer-transit")
    apply(
        operator_cluster,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "kms-approle", "namespace": namespace},
            "stringData": {"role_id": "the-role-id", "secret_id": "the-secret-id"},
        },
    )
    address = own_kms_address(stack)
    kms = {
        "address": address,
        "transitMount": "customer-transit",
        "credentialsSecret": {"name": "kms-approle"},
    }
    apply(operator_cluster, organization("vaulted", namespace, slug, kms=kms, retentionDays=1))
    try:
        found = ready_organization(operator_cluster, namespace, "vaulted")
        organization_id = uuid.UUID(found["status"]["organizationId"])
        key = found["status"]["keyName"]
        # The key is in the organization's own KMS and mount, not the installation's.
        assert root.secrets.transit.read_key(key, mount_point="customer-transit")["data"]["name"] == key
        with pytest.raises(hvac.exceptions.InvalidPath):
            root.secrets.transit.read_key(key)
        assert 'path "customer-transit/decrypt/' in str(tenant.tenant_policy(organization_id))
        row = tenant.organization_row(slug)
        assert row is not None
        assert (row["kms_address"], row["kms_mount"]) == (address, "customer-transit")
        # Its AppRole is copied, under its id, to where the api and worker read it.
        copied = secret_data(operator_cluster, OPERATOR_NAMESPACE, CREDENTIALS_COPY)
        name = f"org-{organization_id.hex}"
        assert (copied[f"{name}.vault_role_id"], copied[f"{name}.vault_secret_id"]) == (
            "the-role-id",
            "the-secret-id",
        )
        # Its KMS cannot be moved once its data keys may be wrapped there.
        moved = operator_cluster.kubectl(
            "patch",
            "organization",
            "vaulted",
            "-n",
            namespace,
            "--type=merge",
            "-p",
            json.dumps({"spec": {"kms": {"transitMount": "transit"}}}),
            check=False,
        )
        assert moved.returncode != 0
        assert b"cannot change" in moved.stderr

        # Deleted: after its retention its key is destroyed there, and its AppRole's copy removed.
        operator_cluster.kubectl("delete", "organization", "vaulted", "-n", namespace, "--wait=false")
        wait_for(
            "the resource gone",
            lambda: get(operator_cluster, "organization", namespace, "vaulted") is None,
            90,
        )
        with pytest.raises(hvac.exceptions.InvalidPath):
            root.secrets.transit.read_key(key, mount_point="customer-transit")
        left = secret_data(operator_cluster, OPERATOR_NAMESPACE, CREDENTIALS_COPY)
        assert not any(entry.startswith(name) for entry in left)
    finally:
        forget(operator_cluster, namespace, "vaulted")


def openbao_answers(stack: Stack) -> bool:
    try:
        httpx.get(f"{stack.env['ENCLAVE_VAULT_URL']}/v1/sys/health", verify=stack.tls, timeout=3)
    except httpx.TransportError:
        return False
    return True


def _stack(action: str, component: str) -> None:
    subprocess.run([str(STACK), action, component], check=True, capture_output=True, timeout=300)


def test_a_kms_that_is_down_stops_a_create_before_anything_is_made(
    operator: Path, operator_cluster: KubeAPI, namespace: str, stack: Stack
) -> None:
    slug = new_slug(namespace, "insurer")
    _stack("down", "openbao")
    try:
        apply(operator_cluster, organization("insurer", namespace, slug))

        def key_condition_down() -> dict[str, object] | None:
            key = condition(get(operator_cluster, "organization", namespace, "insurer"), "KeyReady")
            return key if key.get("status") == "False" else None

        key = wait_for("KeyReady False", key_condition_down, timeout_s=60)
        assert key["reason"] == "ComponentUnavailable"
        assert "KMS" in str(key["message"])
        found = get(operator_cluster, "organization", namespace, "insurer")
        ready = condition(found, "Ready")
        assert ready["status"] == "False"
        assert "KeyReady" in ready["message"]
        # Nothing half-made: no row, no realm, no admin Secret.
        assert tenant.organization_row(slug) is None
        assert tenant.realm(slug) is None
        assert get(operator_cluster, "secret", namespace, "insurer-admin-initial-password") is None
        assert "ComponentUnavailable" in reasons(operator_cluster, namespace, "insurer")
        # Still nothing after a retry (one every 2 s here).
        time.sleep(3)
        assert not openbao_answers(stack), "OpenBao was started again by something else during the test"
        assert tenant.organization_row(slug) is None
        assert tenant.realm(slug) is None
    finally:
        _stack("up", "openbao")
    found = ready_organization(operator_cluster, namespace, "insurer")
    assert tenant.key_exists(found["status"]["organizationId"])
    assert tenant.realm(slug) is not None


def test_a_deletion_keeps_the_data_for_the_retention_period_then_shreds_it(
    operator: Path, operator_cluster: KubeAPI, namespace: str, stack: Stack
) -> None:
    slug = new_slug(namespace, "bank")
    # Ten retention "days" of one second each (ENCLAVE_OPERATOR_RETENTION_DAY_S=1 in these tests).
    apply(operator_cluster, organization("bank", namespace, slug, retentionDays=10))
    found = ready_organization(operator_cluster, namespace, "bank")
    organization_id = found["status"]["organizationId"]
    secret_name = found["status"]["adminPasswordSecret"]

    operator_cluster.kubectl("delete", "organization", "bank", "-n", namespace, "--wait=false")
    row = wait_for(
        "the organization terminated",
        lambda: (r := tenant.organization_row(slug)) and r["terminated_at"] and r,
        timeout_s=60,
        every_s=0.2,
    )
    assert row["shred_after"] - row["terminated_at"] == dt.timedelta(seconds=10)
    # Within the retention period: the resource waits on its finalizer and the key still opens the data.
    while dt.datetime.now(dt.UTC) < row["shred_after"] - dt.timedelta(seconds=2):
        held = get(operator_cluster, "organization", namespace, "bank")
        assert held is not None
        assert held["metadata"]["finalizers"] == ["enclave.dev/retention"]
        assert tenant.key_exists(organization_id)
        time.sleep(1)
    held = get(operator_cluster, "organization", namespace, "bank")
    assert held is not None
    assert held["status"]["phase"] == "Terminating"
    assert held["status"]["shredAfter"]

    wait_for(
        "the resource gone", lambda: get(operator_cluster, "organization", namespace, "bank") is None, 90
    )
    shredded = tenant.organization_row(slug)
    assert shredded is not None
    assert shredded["shredded_at"] is not None
    assert shredded["shredded_at"] >= shredded["shred_after"]
    assert not tenant.key_exists(organization_id)
    assert tenant.tenant_policy(organization_id) is None
    assert tenant.realm(slug) is None
    assert get(operator_cluster, "secret", namespace, secret_name) is None
    assert get(operator_cluster, "secret", namespace, found["status"]["storageCredentialsSecret"]) is None
    assert not tenant.service_account_exists(stack, f"org{organization_id.replace('-', '')[:16]}")
    # The ciphertext stays where it was (unreadable for ever): the bucket is not the proof of deletion.
    assert tenant.bucket_exists(stack, organization_id)
