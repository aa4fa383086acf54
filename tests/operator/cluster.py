"""Talking to the test API server as its admin would: apply and read Organizations, read Events and
Secrets, and wait for a condition. Everything goes through the real kubectl of ``scripts/kube-tools``."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tests.support.kube import KubeAPI

T = TypeVar("T")

GROUP_VERSION = "enclave.dev/v1alpha1"


def new_namespace(cluster: KubeAPI) -> str:
    """A fresh namespace (nothing deletes namespaces here: there is no namespace controller)."""
    name = f"tenants-{secrets.token_hex(4)}"
    cluster.kubectl("create", "namespace", name)
    return name


def organization(name: str, namespace: str, slug: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": GROUP_VERSION,
        "kind": "Organization",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "displayName": f"Hospital {slug}",
            "slug": slug,
            "admin": {"email": f"admin@{slug}.example", "displayName": "Ada Admin"},
            **spec,
        },
    }


def apply(cluster: KubeAPI, manifest: dict[str, Any]) -> None:
    cluster.kubectl("apply", "-f", "-", input=json.dumps(manifest).encode())


def get(cluster: KubeAPI, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    result = cluster.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    if result.returncode != 0:
        if b"NotFound" in result.stderr:
            return None
        raise RuntimeError(result.stderr.decode())
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def secret_data(cluster: KubeAPI, namespace: str, name: str) -> dict[str, str]:
    """A Secret's keys, decoded ({} if there is no such Secret)."""
    found = get(cluster, "secret", namespace, name) or {}
    return {key: base64.b64decode(value).decode() for key, value in (found.get("data") or {}).items()}


def condition(resource: dict[str, Any] | None, kind: str) -> dict[str, Any]:
    for item in ((resource or {}).get("status") or {}).get("conditions") or ():
        if item.get("type") == kind:
            return dict(item)
    return {}


def events(cluster: KubeAPI, namespace: str, name: str) -> list[dict[str, Any]]:
    """The Events about one Organization: reason, type and message."""
    result = cluster.kubectl(
        "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={name}", "-o", "json"
    )
    return [
        {"reason": item.get("reason"), "type": item.get("type"), "message": item.get("message")}
        for item in json.loads(result.stdout)["items"]
    ]


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float = 120.0, every_s: float = 0.5) -> T:
    """Polls ``probe`` until it returns something truthy; fails naming ``what`` and the last value."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}; last seen: {last!r}")


def ready_organization(cluster: KubeAPI, namespace: str, name: str, generation: int = 1) -> dict[str, Any]:
    """The Organization once Ready is True for ``generation`` (or later)."""

    def probe() -> dict[str, Any] | None:
        found = get(cluster, "organization", namespace, name)
        ready = condition(found, "Ready")
        if ready.get("status") == "True" and int(ready.get("observedGeneration") or 0) >= generation:
            return found
        return None

    return wait_for(f"Organization {namespace}/{name} Ready (generation {generation})", probe, timeout_s=180)


def forget(cluster: KubeAPI, namespace: str, name: str) -> None:
    """Removes an Organization without its retirement (its finalizer dropped first): for cleaning up
    after the operator is stopped, so no later operator picks it up again."""
    cluster.kubectl(
        "patch",
        "organization",
        name,
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":[]}}',
        check=False,
    )
    cluster.kubectl("delete", "organization", name, "-n", namespace, "--ignore-not-found", "--wait=false")
