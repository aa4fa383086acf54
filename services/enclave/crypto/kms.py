"""The customer's KMS: one Vault transit key per organization, reached through the Vault API
(OpenBao bundled, the customer's own Vault supported).

Owns the tenant keys' life (create, rotate, raise the minimum decryption version, destroy for
crypto-shredding) and the data keys they wrap: a new AES-256 data key comes from transit's
``datakey`` endpoint with its wrapped form; unwrapping asks transit to decrypt it. Unwrapped keys
live only in this process's memory, in a cache bounded in count and time — never in Redis, the
database, logs or error messages. The api signs in with AppRole; a token that expires is renewed
by signing in again. Vault unreachable means :class:`KmsUnavailable`: callers fail closed.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from hvac import exceptions as vault_errors

from enclave.crypto.vault import TransitClient, VaultUnreachable
from enclave.settings import TLSSettings, VaultSettings

KEY_TYPE = "aes256-gcm96"


class KmsError(Exception):
    """Base of the KMS errors; messages never carry key material."""


class KmsUnavailable(KmsError):
    """The Vault server cannot be reached or refused to answer: nothing may be written."""


class KeyUnusable(KmsError):
    """The tenant key cannot open this wrapped data key: destroyed, too old a version, or foreign."""


@dataclass(frozen=True, slots=True)
class DataKey:
    """A data key: ``plaintext`` (32 bytes, memory only) and ``wrapped`` (safe to store)."""

    plaintext: bytes
    wrapped: str
    key_version: int

    def __repr__(self) -> str:
        return f"DataKey(wrapped={self.wrapped[:16]}..., key_version={self.key_version})"


def key_name(organization_id: uuid.UUID) -> str:
    return f"enclave-{organization_id.hex}"


def wrapped_version(wrapped: str) -> int:
    """The tenant key version a wrapped data key was made with (``vault:v3:...`` → 3)."""
    prefix, _, rest = wrapped.partition(":")
    version, _, body = rest.partition(":")
    if prefix != "vault" or not version.startswith("v") or not version[1:].isdigit() or not body:
        raise KeyUnusable("This is not a wrapped data key.")
    return int(version[1:])


class UnwrappedKeyCache:
    """Unwrapped data keys by (organization, wrapped form): at most ``size`` of them, each for at
    most ``ttl_s`` seconds, least recently used first out. Thread-safe."""

    def __init__(self, size: int, ttl_s: float) -> None:
        self._size = size
        self._ttl = ttl_s
        self._entries: OrderedDict[tuple[uuid.UUID, str], tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, organization_id: uuid.UUID, wrapped: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get((organization_id, wrapped))
            if entry is None:
                return None
            if time.monotonic() - entry[0] > self._ttl:
                del self._entries[(organization_id, wrapped)]
                return None
            self._entries.move_to_end((organization_id, wrapped))
            return entry[1]

    def put(self, organization_id: uuid.UUID, wrapped: str, plaintext: bytes) -> None:
        with self._lock:
            self._entries[(organization_id, wrapped)] = (time.monotonic(), plaintext)
            self._entries.move_to_end((organization_id, wrapped))
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def forget(self, organization_id: uuid.UUID) -> None:
        """Drops every key of one organization (after rotation limits or destruction)."""
        with self._lock:
            for entry in [k for k in self._entries if k[0] == organization_id]:
                del self._entries[entry]

    def __len__(self) -> int:
        return len(self._entries)


class TenantKeys:
    """Tenant keys and data keys through Vault transit. Methods block: call them from a thread."""

    def __init__(self, vault: VaultSettings, tls: TLSSettings) -> None:
        self._settings = vault
        self._transit = TransitClient(
            vault.url,
            tls,
            vault.transit_mount,
            role_id_file=vault.role_id_file,
            secret_id_file=vault.secret_id_file,
            token_file=vault.token_file,
        )
        self._client = self._transit.client
        self.cache = UnwrappedKeyCache(vault.data_key_cache_size, vault.data_key_cache_ttl_s)
        self._check_interval = vault.key_check_interval_s
        self._confirmed: dict[uuid.UUID, float] = {}  # organization → when Vault last vouched for its key

    def _call(self, operation: Any, /, **kwargs: Any) -> Any:
        try:
            return self._transit.call(operation, **kwargs)
        except VaultUnreachable as error:
            raise KmsUnavailable("The key management service is unreachable; nothing was changed.") from error

    # --- tenant keys ---------------------------------------------------------------------------

    def ensure_key(self, organization_id: uuid.UUID) -> None:
        """Creates the organization's transit key if it does not exist (idempotent)."""
        self._call(self._client.secrets.transit.create_key, name=key_name(organization_id), key_type=KEY_TYPE)

    def key_info(self, organization_id: uuid.UUID) -> dict[str, Any]:
        try:
            response = self._call(self._client.secrets.transit.read_key, name=key_name(organization_id))
        except vault_errors.InvalidPath as error:
            raise KeyUnusable("The organization has no key (it was destroyed or never made).") from error
        data: dict[str, Any] = response["data"]
        return data

    def rotate(self, organization_id: uuid.UUID) -> int:
        """A new key version for new data keys; returns it. Older versions still unwrap until the
        minimum decryption version is raised past them."""
        self._call(self._client.secrets.transit.rotate_key, name=key_name(organization_id))
        return int(self.key_info(organization_id)["latest_version"])

    def set_min_decryption_version(self, organization_id: uuid.UUID, version: int) -> None:
        self._call(
            self._client.secrets.transit.update_key_configuration,
            name=key_name(organization_id),
            min_decryption_version=version,
        )
        self.cache.forget(organization_id)

    def destroy(self, organization_id: uuid.UUID) -> None:
        """Crypto-shredding: deletes the organization's key. Every data key it wrapped, and so every
        ciphertext under them, can never be opened again, by anyone."""
        name = key_name(organization_id)
        self.cache.forget(organization_id)
        self._confirmed.pop(organization_id, None)
        try:
            self.key_info(organization_id)
        except KeyUnusable:
            return  # already gone
        self._call(self._client.secrets.transit.update_key_configuration, name=name, deletion_allowed=True)
        self._call(self._client.secrets.transit.delete_key, name=name)

    # --- confirmation: a cached key is only as good as Vault's last word --------------------------

    def cached(self, organization_id: uuid.UUID, wrapped: str) -> bytes | None:
        """An unwrapped key from memory, without I/O, only while its organization's key was confirmed
        within the check interval; otherwise None (call ``unwrap``, which asks Vault)."""
        confirmed = self._confirmed.get(organization_id)
        if confirmed is None or time.monotonic() - confirmed > self._check_interval:
            return None
        return self.cache.get(organization_id, wrapped)

    def confirm(self, organization_id: uuid.UUID) -> None:
        """Asks Vault whether the organization's key still exists and is reachable. Raises
        :class:`KmsUnavailable` or :class:`KeyUnusable` (and drops its cached keys) when not."""
        try:
            self.key_info(organization_id)
        except KmsError:
            self._confirmed.pop(organization_id, None)
            self.cache.forget(organization_id)
            raise
        self._confirmed[organization_id] = time.monotonic()

    def _confirm_if_stale(self, organization_id: uuid.UUID) -> None:
        confirmed = self._confirmed.get(organization_id)
        if confirmed is None or time.monotonic() - confirmed > self._check_interval:
            self.confirm(organization_id)

    def signing_public_keys(self, name: str) -> dict[int, str]:
        """Version → base64 public key of a transit signing key (the audit checkpoints' key: the
        api may read its public half, never sign with it)."""
        keys = self._call(self._client.secrets.transit.read_key, name=name)["data"]["keys"]
        return {int(version): str(entry["public_key"]) for version, entry in keys.items()}

    # --- data keys -----------------------------------------------------------------------------

    def new_data_key(self, organization_id: uuid.UUID) -> DataKey:
        response = self._call(
            self._client.secrets.transit.generate_data_key,
            name=key_name(organization_id),
            key_type="plaintext",
            bits=256,
        )
        data = response["data"]
        plaintext = base64.b64decode(data["plaintext"])
        wrapped = str(data["ciphertext"])
        self.cache.put(organization_id, wrapped, plaintext)
        self._confirmed[organization_id] = time.monotonic()
        return DataKey(plaintext, wrapped, wrapped_version(wrapped))

    def unwrap(self, organization_id: uuid.UUID, wrapped: str) -> bytes:
        cached = self.cache.get(organization_id, wrapped)
        if cached is not None:
            self._confirm_if_stale(organization_id)
            return cached
        wrapped_version(wrapped)  # refuse anything that is not a wrapped key before asking Vault
        try:
            response = self._call(
                self._client.secrets.transit.decrypt_data, name=key_name(organization_id), ciphertext=wrapped
            )
        except (vault_errors.InvalidRequest, vault_errors.InvalidPath) as error:
            raise KeyUnusable("The organization's key cannot open this data key.") from error
        plaintext = base64.b64decode(response["data"]["plaintext"])
        self.cache.put(organization_id, wrapped, plaintext)
        self._confirmed[organization_id] = time.monotonic()
        return plaintext

    def rewrap(self, organization_id: uuid.UUID, wrapped: str) -> str:
        """The same data key wrapped by the latest key version (no bulk data is re-encrypted)."""
        try:
            response = self._call(
                self._client.secrets.transit.rewrap_data, name=key_name(organization_id), ciphertext=wrapped
            )
        except (vault_errors.InvalidRequest, vault_errors.InvalidPath) as error:
            raise KeyUnusable("The organization's key cannot open this data key.") from error
        return str(response["data"]["ciphertext"])
