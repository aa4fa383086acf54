"""An organization's own Vault policy names its key's paths under its mount, and nothing else."""

from __future__ import annotations

import re
import uuid

from enclave.operator.tenant_policy import policy_name, policy_text

ORG = uuid.UUID("0123456789abcdef0123456789abcdef")


def paths(text: str) -> dict[str, str]:
    return dict(re.findall(r'path "([^"]+)" \{ capabilities = (\[[^\]]*\]) \}', text))


def test_every_path_is_its_own_key_under_its_mount() -> None:
    found = paths(policy_text(ORG, "transit"))
    key = f"enclave-{ORG.hex}"
    assert found == {
        f"transit/keys/{key}": '["read"]',
        f"transit/keys/{key}/rotate": '["update"]',
        f"transit/keys/{key}/config": '["update"]',
        f"transit/datakey/plaintext/{key}": '["update"]',
        f"transit/datakey/wrapped/{key}": '["update"]',
        f"transit/encrypt/{key}": '["update"]',
        f"transit/decrypt/{key}": '["update"]',
        f"transit/rewrap/{key}": '["update"]',
    }


def test_no_glob_and_no_delete() -> None:
    text = policy_text(ORG, "tenants/transit")
    assert "*" not in text
    assert "+" not in text
    assert "delete" not in text
    assert all(path.startswith("tenants/transit/") for path in paths(text))


def test_its_name_is_the_organization_id() -> None:
    assert policy_name(ORG) == f"enclave-tenant-{ORG.hex}"
