"""Checkpoint signatures: ed25519 through a Vault transit key that only the audit service's AppRole
may use (the api's policy reaches ``enclave-*`` keys only), and their offline verification with the
key's public half — all that someone outside the installation needs to check a trail."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from enclave.crypto.vault import TransitClient, VaultUnreachable
from enclave.settings import AuditSettings, TLSSettings, VaultSettings


class SigningUnavailable(Exception):
    """Vault cannot sign now; appending goes on, the checkpoint is made later."""


class CheckpointSigner:
    def __init__(self, vault: VaultSettings, audit: AuditSettings, tls: TLSSettings) -> None:
        self._transit = TransitClient(
            vault.url,
            tls,
            vault.transit_mount,
            role_id_file=audit.vault_role_id_file,
            secret_id_file=audit.vault_secret_id_file,
        )
        self._client = self._transit.client
        self.key = audit.signing_key

    def _call(self, operation: Any, /, **kwargs: Any) -> Any:
        try:
            return self._transit.call(operation, **kwargs)
        except VaultUnreachable as error:
            raise SigningUnavailable("The Vault server cannot sign now.") from error

    def ensure_key(self) -> None:
        self._call(self._client.secrets.transit.create_key, name=self.key, key_type="ed25519")

    def sign(self, message: bytes) -> tuple[str, int]:
        """(signature ``vault:vN:...``, key version N)."""
        response = self._call(
            self._client.secrets.transit.sign_data,
            name=self.key,
            hash_input=base64.b64encode(message).decode(),
        )
        signature = str(response["data"]["signature"])
        return signature, int(response["data"].get("key_version") or signature.split(":")[1][1:])

    def public_keys(self) -> dict[int, str]:
        """Key version → base64 public key: the trail's verification key, safe to publish."""
        keys = self._call(self._client.secrets.transit.read_key, name=self.key)["data"]["keys"]
        return {int(version): str(entry["public_key"]) for version, entry in keys.items()}


def verify_signature(public_keys: dict[int, str], message: bytes, signature: str) -> bool:
    """Offline: does ``signature`` (``vault:vN:base64``) sign ``message`` under version N's key?"""
    try:
        prefix, version, body = signature.split(":", 2)
        key = public_keys[int(version.removeprefix("v"))]
        Ed25519PublicKey.from_public_bytes(base64.b64decode(key)).verify(base64.b64decode(body), message)
    except (ValueError, KeyError, InvalidSignature):
        return False
    return prefix == "vault"
