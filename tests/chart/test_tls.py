"""The certificates the chart makes: one installation CA, and for each serving component a
certificate it signed for that component's Service names, the same CA in every Secret."""

from __future__ import annotations

import base64

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.chart.tools import Helm

SERVING = ("api", "worker", "postgresql", "redis", "minio", "keycloak", "openbao")


def test_each_component_has_a_certificate_for_its_service_signed_by_the_installation_ca(helm: Helm) -> None:
    documents = [d for d in yaml.safe_load_all(helm.template("tenant-ops")) if d and d["kind"] == "Secret"]
    secrets = {d["metadata"]["name"]: d["data"] for d in documents}
    ca_pem = base64.b64decode(secrets["enclave-ca"]["ca.crt"])
    ca = x509.load_pem_x509_certificate(ca_pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ca_key = ca.public_key()
    assert isinstance(ca_key, rsa.RSAPublicKey)
    for component in SERVING:
        data = secrets[f"enclave-{component}-tls"]
        assert base64.b64decode(data["ca.crt"]) == ca_pem
        leaf = x509.load_pem_x509_certificate(base64.b64decode(data["tls.crt"]))
        assert leaf.tbs_certificate_bytes
        assert leaf.signature_hash_algorithm is not None
        ca_key.verify(
            leaf.signature, leaf.tbs_certificate_bytes, padding.PKCS1v15(), leaf.signature_hash_algorithm
        )
        names = set(
            leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName
            )
        )
        service = f"enclave-{component}"
        assert names == {
            service,
            f"{service}.tenant-ops",
            f"{service}.tenant-ops.svc",
            f"{service}.tenant-ops.svc.cluster.local",
        }


def test_pods_of_one_render_share_one_tls_checksum(helm: Helm) -> None:
    """Every template sees the same certificates (made once per render), so a pod's checksum changes
    only when a certificate does."""
    rendered = [d for d in yaml.safe_load_all(helm.template("tenant-ops")) if d and d["kind"] == "Deployment"]
    checksums = {d["spec"]["template"]["metadata"]["annotations"]["checksum/tls"] for d in rendered}
    assert len(rendered) == 4
    assert len(checksums) == 1
