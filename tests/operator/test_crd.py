"""The Organization CRD as the real API server enforces it: its OpenAPI schema, defaults and CEL rules
(a field that depends on another), the immutable slug, and the printer columns. No operator runs here."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.operator.cluster import apply, forget, get, organization
from tests.support.kube import KubeAPI, KubectlFailed


def refused(cluster: KubeAPI, manifest: dict[str, Any]) -> str:
    """What the API server says when it refuses ``manifest`` (a server-side dry run: nothing is kept)."""
    with pytest.raises(KubectlFailed) as failure:
        cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=json.dumps(manifest).encode())
    return (failure.value.stderr or b"").decode()


SAML = {"alias": "corp", "kind": "saml", "displayName": "Corp"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"sso": SAML}, "either inline (metadata) or in a Secret (secretRef)"),
        ({"sso": {**SAML, "metadata": {"a": "b"}, "secretRef": {"name": "s"}}}, "not both"),
        ({"sso": {**SAML, "kind": "oidc", "metadata": {"issuer": "https://i"}}}, "OIDC connection needs"),
        ({"sso": {**SAML, "metadata": {"clientSecret": "x"}}}, "a client secret never goes inline"),
        ({"storage": {"mode": "Existing", "bucket": "customer-data"}}, "needs bucket, endpoint and"),
        ({"storage": {"mode": "Managed", "bucket": "mine"}}, "named by the operator"),
        ({"slug": "master"}, "master realm"),
        ({"slug": "Not_A_Realm"}, "spec.slug"),
        ({"retentionDays": 4000}, "spec.retentionDays"),
        ({"emailDomains": [{"domain": "x.example", "role": "owner"}]}, "Unsupported value"),
        ({"kms": {"address": "http://vault.example"}}, "spec.kms.address"),
    ],
)
def test_a_spec_that_cannot_work_is_refused(
    operator_cluster: KubeAPI, namespace: str, spec: dict[str, Any], message: str
) -> None:
    manifest = organization("refused", namespace, "refused-org")
    manifest["spec"].update(spec)
    assert message in refused(operator_cluster, manifest)


def test_defaults_immutable_slug_and_columns(operator_cluster: KubeAPI, namespace: str) -> None:
    manifest = organization(
        "valid",
        namespace,
        "crd-valid",
        sso={**SAML, "metadata": {"idpEntityId": "https://idp.example"}},
        storage={
            "mode": "Existing",
            "bucket": "customer-data",
            "endpoint": "https://s3.example",
            "credentialsSecret": {"name": "s3"},
        },
    )
    apply(operator_cluster, manifest)
    try:
        stored = get(operator_cluster, "organization", namespace, "valid")
        assert stored is not None
        spec = stored["spec"]
        assert (spec["workforce"], spec["mfaRequired"], spec["retentionDays"]) == (False, False, 30)
        assert spec["storage"]["region"] == "us-east-1"

        renamed = organization("valid", namespace, "crd-renamed")
        assert "slug is immutable" in refused(operator_cluster, renamed)
        other_mode = organization("valid", namespace, "crd-valid", storage={"mode": "Managed"})
        other_mode["spec"]["sso"] = manifest["spec"]["sso"]
        assert "storage.mode cannot change" in refused(operator_cluster, other_mode)

        header = operator_cluster.kubectl("get", "orgs", "-n", namespace).stdout.decode().splitlines()[0]
        assert header.split() == ["NAME", "SLUG", "READY", "REASON", "AGE"]
        wide = operator_cluster.kubectl("get", "orgs", "-n", namespace, "-o", "wide").stdout.decode()
        assert "WORKFORCE" in wide.splitlines()[0]
    finally:
        forget(operator_cluster, namespace, "valid")
