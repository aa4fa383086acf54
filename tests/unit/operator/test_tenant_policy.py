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
    assert found == {
        "transit/keys/enclave-0123456789abcdef0123456789abcdef": '["read"]',
        "transit/keys/enclave-0123456789abcdef0123456789abcdef/rotate": '["update"]',
        "transit/keys/enclave-0123456789abcdef0123456789abcdef/config": '["update"]',
        "transit/datakey/plaintext/enclave-0123456789abcdef0123456789abcdef": '["update"]',
        "transit/datakey/wrapped/enclave-0123456789abcdef0123456789abcdef": '["update"]',
        "transit/encrypt/enclave-0123456789abcdef0123456789abcdef": '["update"]',
        "transit/decrypt/enclave-0123456789abcdef0123456789abcdef": '["update"]',
        "transit/rewrap/enclave-0123456789abcdef0123456789abcdef": '["update"]',
    }


def test_no_glob_and_no_delete() -> None:
    text = policy_text(ORG, "tenants/transit")
    assert "*" not in text
    assert "+" not in text
    assert "delete" not in text
    assert all(path.startswith("tenants/transit/") for path in paths(text))


def test_its_name_is_the_organization_id() -> None:
    assert policy_name(ORG) == "enclave-tenant-0123456789abcdef0123456789abcdef"
