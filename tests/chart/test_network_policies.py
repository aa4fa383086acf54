"""The NetworkPolicies say what charts/README.md says: every pod of the release is under a default
deny for both directions; each component reaches DNS and exactly its peers; from outside, only the
ingress controller reaches the api and Keycloak; the customer's components are reached by address."""

from __future__ import annotations

from typing import Any

import yaml

from tests.chart.conftest import VALUES
from tests.chart.tools import Helm

PEERS = {
    "api": {"postgresql", "redis", "minio", "keycloak", "openbao"},
    "worker": {"postgresql", "redis", "minio", "openbao"},
    "audit": {"postgresql", "minio", "keycloak", "openbao"},
    "operator": {"postgresql", "minio", "keycloak", "openbao"},
    "migrations": {"postgresql"},
    "keycloak": {"postgresql"},
    "postgresql": set(),
    "redis": set(),
    "minio": set(),
    "openbao": set(),
}


def policies(helm: Helm, values: str) -> dict[str, dict[str, Any]]:
    documents = yaml.safe_load_all(helm.template("enclave-system", *VALUES[values]))
    return {d["metadata"]["name"]: d["spec"] for d in documents if d and d["kind"] == "NetworkPolicy"}


def egress_peers(spec: dict[str, Any]) -> set[str]:
    return {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for rule in spec["egress"]
        for peer in rule["to"]
        if "podSelector" in peer and "namespaceSelector" not in peer
    }


def test_default_deny_covers_every_pod_both_ways(helm: Helm) -> None:
    deny = policies(helm, "default")["enclave-default-deny"]
    assert deny["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "enclave",
        "app.kubernetes.io/instance": "enclave",
    }
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny
    assert "egress" not in deny


def test_each_component_reaches_dns_and_its_peers_only(helm: Helm) -> None:
    found = policies(helm, "default")
    for component, peers in PEERS.items():
        spec = found[f"enclave-{component}"]
        assert spec["policyTypes"] == ["Ingress", "Egress"]
        dns = spec["egress"][0]
        assert dns["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
        assert {p["port"] for p in dns["ports"]} == {53}
        assert egress_peers(spec) == peers, component
        assert not any("ipBlock" in peer for rule in spec["egress"] for peer in rule["to"]), component


def test_only_the_ingress_controller_reaches_the_api_and_keycloak(helm: Helm) -> None:
    found = policies(helm, "default")
    for component in PEERS:
        from_outside = [
            peer
            for rule in found[f"enclave-{component}"]["ingress"]
            for peer in rule["from"]
            if "namespaceSelector" in peer
        ]
        if component in ("api", "keycloak"):
            assert from_outside == [
                {
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
                    "podSelector": {},
                }
            ]
        else:
            assert from_outside == [], component
    # Nothing listens on the background processes.
    for component in ("worker", "audit", "operator", "migrations"):
        assert found[f"enclave-{component}"]["ingress"] == []


def test_customer_components_are_reached_by_address_on_their_port(helm: Helm) -> None:
    api = policies(helm, "external")["enclave-api"]
    blocks = {
        (peer["ipBlock"]["cidr"], port["port"])
        for rule in api["egress"]
        for peer in rule["to"]
        if "ipBlock" in peer
        for port in rule["ports"]
    }
    assert blocks == {
        ("198.51.100.10/32", 5432),
        ("198.51.100.11/32", 5432),
        ("198.51.100.20/32", 6380),
        ("198.51.100.30/31", 443),
        ("198.51.100.40/32", 443),
        ("198.51.100.50/32", 8200),
        # The customer's own buckets (customerStorage), on the ports their endpoints name.
        ("198.51.100.60/31", 443),
        ("198.51.100.60/31", 9443),
        # The customer's own KMS (customerKms).
        ("198.51.100.70/32", 8200),
    }
    operator = policies(helm, "external")["enclave-operator"]
    assert {
        "to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}],
        "ports": [{"protocol": "TCP", "port": 6443}],
    } in operator["egress"]


def test_only_the_api_worker_and_operator_reach_the_customer_buckets(helm: Helm) -> None:
    found = policies(helm, "external")
    reach = {
        name
        for name, policy in found.items()
        for rule in policy.get("egress") or ()
        for peer in rule.get("to") or ()
        if peer.get("ipBlock", {}).get("cidr") == "198.51.100.60/31"
    }
    assert reach == {"enclave-api", "enclave-worker", "enclave-operator"}
