"""Tampering with the audit trail as PostgreSQL's superuser (past grants and triggers): every kind of
change — a record modified, deleted, inserted, reordered or cut off, a chain rewritten from the change
onwards, a checkpoint forged — is found by ``enclave-audit verify``, which names the first bad record."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from enclave.audit.events import chain_hash
from tests.integration.domain.world import Tenant
from tests.integration.stack import Stack
from tests.security.conftest import RECORDS, Superuser, verify


def _rewrite_chain_from(superuser: Superuser, tenant: Tenant, seq: int) -> None:
    """What an attacker who knows the format does after changing a record: recompute every hash from
    there on, so the chain is consistent again (only the signed checkpoint still disagrees)."""
    rows = superuser.execute(
        "SELECT seq, content, prev_hash FROM audit_log WHERE organization_id = $1 AND seq >= $2 ORDER BY seq",
        tenant.org_id,
        seq,
    )
    prev = bytes(rows[0]["prev_hash"])
    for row in rows:
        digest = chain_hash(prev, bytes(row["content"]))
        superuser.execute(
            "UPDATE audit_log SET prev_hash = $3, hash = $4 WHERE organization_id = $1 AND seq = $2",
            tenant.org_id,
            row["seq"],
            prev,
            digest,
        )
        prev = digest


def _modify(superuser: Superuser, tenant: Tenant) -> None:
    """Turns record 3's outcome from success to denied, in its content and its search column alike."""
    superuser.execute(
        "UPDATE audit_log SET outcome = 'denied', content = convert_to("
        "replace(convert_from(content, 'UTF8'), 'success', 'denied'), 'UTF8')"
        " WHERE organization_id = $1 AND seq = 3",
        tenant.org_id,
    )


CASES: dict[str, tuple[Callable[[Superuser, Tenant], None], int, str]] = {
    "modify-content": (_modify, 3, "was changed"),
    "modify-a-search-column": (
        lambda su, t: su.execute(
            "UPDATE audit_log SET actor = 'user:someone-else' WHERE organization_id = $1 AND seq = 3",
            t.org_id,
        ),
        3,
        "searchable columns disagree",
    ),
    "modify-and-rewrite-the-chain": (
        lambda su, t: (_modify(su, t), _rewrite_chain_from(su, t, 3)),
        RECORDS,
        "not the one its signed checkpoint names",
    ),
    "delete-a-record": (
        lambda su, t: su.execute("DELETE FROM audit_log WHERE organization_id = $1 AND seq = 3", t.org_id),
        3,
        "missing",
    ),
    "insert-a-record": (
        lambda su, t: (
            su.execute(
                "UPDATE audit_log SET seq = seq + 10 WHERE organization_id = $1 AND seq >= 3", t.org_id
            ),
            su.execute(
                "UPDATE audit_log SET seq = seq - 9 WHERE organization_id = $1 AND seq >= 13", t.org_id
            ),
            su.execute(
                "INSERT INTO audit_log SELECT organization_id, 3, gen_random_uuid(), occurred_at, action,"
                " actor, target, outcome, content, prev_hash, hash, recorded_at FROM audit_log"
                " WHERE organization_id = $1 AND seq = 2",
                t.org_id,
            ),
        ),
        3,
        "",
    ),
    "reorder-two-records": (
        lambda su, t: (
            su.execute("UPDATE audit_log SET seq = 100 WHERE organization_id = $1 AND seq = 2", t.org_id),
            su.execute("UPDATE audit_log SET seq = 2 WHERE organization_id = $1 AND seq = 3", t.org_id),
            su.execute("UPDATE audit_log SET seq = 3 WHERE organization_id = $1 AND seq = 100", t.org_id),
        ),
        2,
        "",
    ),
    "truncate-the-tail": (
        lambda su, t: su.execute("DELETE FROM audit_log WHERE organization_id = $1 AND seq >= 4", t.org_id),
        4,
        "only 3 remain",
    ),
    "forge-a-checkpoint": (
        lambda su, t: su.execute(
            "UPDATE audit_checkpoints SET signature = $2 WHERE organization_id = $1",
            t.org_id,
            "vault:v1:" + hashlib.sha256(b"forged").hexdigest(),
        ),
        RECORDS,
        "not signed by the checkpoint key",
    ),
}


def test_an_untouched_trail_verifies(chained: Tenant, stack: Stack) -> None:
    done = verify(stack, chained)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ok, {RECORDS} records" in done.stdout


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_verify_names_the_first_bad_record(
    chained: Tenant, stack: Stack, superuser: Superuser, case: str
) -> None:
    tamper, bad_seq, says = CASES[case]
    tamper(superuser, chained)
    done = verify(stack, chained)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{chained.org_id}: FAILED at record {bad_seq}:" in done.stdout
    assert says in done.stdout
