"""The few Kubernetes API calls the operator makes itself: reading the Secrets an Organization names,
writing and deleting the Secrets it hands credentials out in (the first admin's one-time password,
the organization's bucket credentials), and keeping the installation's copy of each own bucket's
credentials, where the api and worker read them (one key pair per organization).

kopf watches and patches Organizations through its own client; this is a second, tiny one over httpx
(already a dependency, so no Kubernetes client library is added), signed in the way kopf signs in: the
pod's service account, else the kubeconfig. Verified TLS only. Must never log a Secret's data, nor
touch a Secret outside the Organization's namespace or one it did not make (deletes are by label),
but the installation's one Secret of customer bucket credentials, and there only its own keys.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import kopf

from enclave.operator.constants import LABEL_MANAGED_BY, MANAGED_BY


@dataclass(frozen=True, slots=True)
class SecretName:
    namespace: str
    name: str


class KubeUnavailable(Exception):
    """The Kubernetes API server could not be reached or refused a request (the message holds no data)."""


def connection_info(settings: kopf.OperatorSettings) -> kopf.ConnectionInfo:
    """The credentials kopf itself would use: the service account in a pod, else the kubeconfig."""
    info = kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(settings=settings)
    if info is None:
        raise kopf.LoginError("No service account token and no kubeconfig: cannot reach the API server.")
    return info


def _tls(info: kopf.ConnectionInfo) -> ssl.SSLContext:
    if info.insecure:
        raise kopf.LoginError("An insecure (unverified) connection to the API server is refused.")
    context = ssl.create_default_context()
    if info.ca_path:
        context.load_verify_locations(cafile=str(info.ca_path))
    elif info.ca_data:
        data = info.ca_data if isinstance(info.ca_data, bytes) else info.ca_data.encode()
        context.load_verify_locations(cadata=base64.b64decode(data).decode())
    if info.certificate_path and info.private_key_path:
        context.load_cert_chain(str(info.certificate_path), str(info.private_key_path))
    elif info.certificate_data or info.private_key_data:
        raise kopf.LoginError("Inline client certificates are not supported; use a token or file paths.")
    return context


class KubeClient:
    """Secrets in an Organization's namespace."""

    def __init__(self, info: kopf.ConnectionInfo) -> None:
        self._http = httpx.AsyncClient(
            base_url=info.server.rstrip("/"), verify=_tls(info), headers=info.as_http_headers(), timeout=15
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise KubeUnavailable(f"The Kubernetes API server is unreachable ({method} {path}).") from error

    @staticmethod
    def _secret_path(namespace: str, name: str | None = None) -> str:
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}/secrets"
        return path if name is None else f"{path}/{quote(name, safe='')}"

    async def read_secret(self, namespace: str, name: str) -> dict[str, str] | None:
        """The Secret's data, decoded (None if there is no such Secret)."""
        response = await self._request("GET", self._secret_path(namespace, name))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise KubeUnavailable(f"Reading Secret {namespace}/{name} was refused: {response.status_code}.")
        data: Mapping[str, str] = response.json().get("data") or {}
        return {key: base64.b64decode(value).decode() for key, value in data.items()}

    async def create_secret(self, manifest: Mapping[str, Any]) -> bool:
        """Creates the Secret; False if one of that name exists already (it is left as it is)."""
        namespace = manifest["metadata"]["namespace"]
        response = await self._request("POST", self._secret_path(namespace), json=dict(manifest))
        if response.status_code == 409:
            return False
        if response.status_code != 201:
            raise KubeUnavailable(f"Creating a Secret in {namespace} was refused: {response.status_code}.")
        return True

    async def put_secret_keys(
        self, namespace: str, name: str, data: Mapping[str, str], labels: Mapping[str, str]
    ) -> bool:
        """Sets ``data``'s keys in the Secret (made, with ``labels``, if it does not exist), leaving its
        other keys as they are; False if they already held these values."""
        current = await self.read_secret(namespace, name)
        encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
        if current is None:
            manifest = {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
                "data": encoded,
            }
            if await self.create_secret(manifest):
                return True
            # Made meanwhile (another replica's last act before it lost the lead): patched below.
        elif all(current.get(key) == value for key, value in data.items()):
            return False
        await self._merge_secret(namespace, name, encoded)
        return True

    async def drop_secret_keys(self, namespace: str, name: str, keys: Iterable[str]) -> None:
        """Removes the keys from the Secret; nothing happens if it or they are gone."""
        current = await self.read_secret(namespace, name)
        gone = [key for key in keys if current is not None and key in current]
        if gone:
            await self._merge_secret(namespace, name, dict.fromkeys(gone))

    async def _merge_secret(self, namespace: str, name: str, data: Mapping[str, str | None]) -> None:
        # A JSON merge patch: its keys are set, a null removes one, every other key stays.
        response = await self._request(
            "PATCH",
            self._secret_path(namespace, name),
            json={"data": dict(data)},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        if response.status_code not in (200, 404):
            raise KubeUnavailable(f"Changing Secret {namespace}/{name} was refused: {response.status_code}.")

    async def delete_managed_secret(self, namespace: str, name: str) -> None:
        """Deletes a Secret the operator made (by its label); nothing happens if it is gone."""
        response = await self._request("GET", self._secret_path(namespace, name))
        if response.status_code == 404:
            return
        labels = (response.json().get("metadata") or {}).get("labels") or {}
        if labels.get(LABEL_MANAGED_BY) != MANAGED_BY:
            return  # never delete what the operator did not make
        response = await self._request("DELETE", self._secret_path(namespace, name))
        if response.status_code not in (200, 202, 404):
            raise KubeUnavailable(f"Deleting Secret {namespace}/{name} was refused: {response.status_code}.")
