"""Each organization's own Vault policy, ``enclave-tenant-<id hex>``, in the KMS that holds its key: the
use of that one transit key (data keys, unwrapping, rewrapping, rotation, its configuration), and
nothing else, not even its deletion. A role the platform team grants it to (a customer's ``authRole``,
say) can reach that tenant's key and no other's.

Written, repaired when it drifts, and deleted at shredding, by the operator only (its own Vault role
may write ``sys/policies/acl/enclave-tenant-*``). Blocking calls: run them in a thread. Vault down is
``VaultUnreachable``; refused (the operator's role lacks the right) is ``PolicyRefused``.
"""

from __future__ import annotations

import uuid

from hvac import exceptions as vault_errors

from enclave.crypto.kms import key_name
from enclave.crypto.vault import TransitClient

#: What a tenant's own policy grants on its key, path suffix → capabilities.
_GRANTS = (
    ("keys/{key}", '["read"]'),
    ("keys/{key}/rotate", '["update"]'),
    ("keys/{key}/config", '["update"]'),
    ("datakey/plaintext/{key}", '["update"]'),
    ("datakey/wrapped/{key}", '["update"]'),
    ("encrypt/{key}", '["update"]'),
    ("decrypt/{key}", '["update"]'),
    ("rewrap/{key}", '["update"]'),
)


class PolicyRefused(Exception):
    """Vault refused the operator a policy request (its message names the policy, nothing secret)."""


def policy_name(organization_id: uuid.UUID) -> str:
    return f"enclave-tenant-{organization_id.hex}"


def policy_text(organization_id: uuid.UUID, mount: str) -> str:
    """The policy's HCL: its key's paths under ``mount``, one line each, in a fixed order."""
    key = key_name(organization_id)
    lines = [f"# Written by the Enclave operator: organization {organization_id} uses its own key only."]
    for suffix, capabilities in _GRANTS:
        lines.append(f'path "{mount}/{suffix.format(key=key)}" {{ capabilities = {capabilities} }}')
    return "\n".join(lines) + "\n"


class TenantPolicies:
    """The tenant policies of one Vault-API server, through the operator's own signed-in client."""

    def __init__(self, vault: TransitClient) -> None:
        self._vault = vault

    def _call(self, what: str, operation: object, **kwargs: object) -> object:
        try:
            return self._vault.call(operation, mounted=False, **kwargs)
        except vault_errors.Forbidden:
            raise PolicyRefused(
                f"Vault refused the operator {what} (its role needs sys/policies/acl/enclave-tenant-*)."
            ) from None

    def read(self, name: str) -> str | None:
        """The policy's text; None if there is no such policy."""
        try:
            answer = self._call(f"reading policy {name}", self._vault.client.sys.read_acl_policy, name=name)
        except vault_errors.InvalidPath:
            return None
        data = answer.get("data") if isinstance(answer, dict) else None
        return None if not data else str(data.get("policy") or "")

    def write(self, name: str, text: str) -> None:
        self._call(
            f"writing policy {name}",
            self._vault.client.sys.create_or_update_acl_policy,
            name=name,
            policy=text,
            pretty_print=False,
        )

    def delete(self, name: str) -> None:
        """Deletes the policy; nothing happens if it is gone (Vault answers a delete of none alike)."""
        self._call(f"deleting policy {name}", self._vault.client.sys.delete_acl_policy, name=name)
