"""Tampering with the audit trail as PostgreSQL's superuser (past grants and triggers): every kind of
change — a record modified, deleted, inserted, reordered or cut off, a chain rewritten from the change
onwards, a checkpoint forged — is found by ``enclave-audit verify``, which names the first bad record.

Changes that make a row's search columns disagree with its content are refused by the database's guard
(``enclave.audit_trail.guard``) while it stands; the attacker here drops it first, and verify, finding it
gone, compares every record itself. Every test puts the guard back (without the rows it damaged)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import pytest

from enclave.audit.events import chain_hash
from enclave.audit_trail import guard
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


def _drop_the_guard(superuser: Superuser) -> None:
    superuser.execute(f"ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS {guard.NAME}")


Tamper = Callable[[Superuser, Tenant], object]


def _past_the_guard(tamper: Tamper) -> Tamper:
    """What an attacker does when the guard refuses a change: drops it first."""
    return lambda su, t: (_drop_the_guard(su), tamper(su, t))


@pytest.fixture(autouse=True)
def guard_restored(superuser: Superuser, tenant: Tenant) -> Iterator[None]:
    """After each test, the guard as the migration made it, validated for every row: the rows this
    test's tampering left disagreeing with their content (its own organization's) are removed first."""
    yield
    superuser.execute(f"ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS {guard.NAME}")
    superuser.execute(
        f"DELETE FROM audit_log WHERE organization_id = $1 AND NOT ({guard.CONDITION})",  # noqa: S608 — constants
        tenant.org_id,
    )
    superuser.execute(f"DROP FUNCTION IF EXISTS pg_catalog.{PROBE}()")
    superuser.execute(f"ALTER TABLE audit_log ADD CONSTRAINT {guard.NAME} CHECK ({guard.CONDITION})")


PROBE = "enclave_test_probe"
GUARDED = "search columns held to the content by the database's guard"
ONE_BY_ONE = "search columns compared with the content record by record"

CASES: dict[str, tuple[Tamper, int, str]] = {
    "modify-content": (_modify, 3, "was changed"),
    "modify-a-search-column": (
        _past_the_guard(
            lambda su, t: su.execute(
                "UPDATE audit_log SET actor = 'user:someone-else' WHERE organization_id = $1 AND seq = 3",
                t.org_id,
            )
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
        _past_the_guard(
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
            )
        ),
        3,
        "",
    ),
    "reorder-two-records": (
        _past_the_guard(
            lambda su, t: (
                su.execute("UPDATE audit_log SET seq = 100 WHERE organization_id = $1 AND seq = 2", t.org_id),
                su.execute("UPDATE audit_log SET seq = 2 WHERE organization_id = $1 AND seq = 3", t.org_id),
                su.execute("UPDATE audit_log SET seq = 3 WHERE organization_id = $1 AND seq = 100", t.org_id),
            )
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
    assert GUARDED in done.stdout
    every = verify(stack, chained, "--every-record")
    assert every.returncode == 0, every.stdout + every.stderr
    assert f"ok, {RECORDS} records" in every.stdout
    assert ONE_BY_ONE in every.stdout


SEARCH_COLUMN_CHANGES = {
    "actor": "UPDATE audit_log SET actor = 'user:someone-else' WHERE organization_id = $1 AND seq = 3",
    "outcome": "UPDATE audit_log SET outcome = 'denied' WHERE organization_id = $1 AND seq = 3",
    "action": "UPDATE audit_log SET action = 'org:member:add' WHERE organization_id = $1 AND seq = 3",
    "target": "UPDATE audit_log SET target = 'dataset:elsewhere' WHERE organization_id = $1 AND seq = 3",
    "event-id": "UPDATE audit_log SET event_id = gen_random_uuid() WHERE organization_id = $1 AND seq = 3",
    "seq": "UPDATE audit_log SET seq = 100 WHERE organization_id = $1 AND seq = 3",
    "a-copy-elsewhere": (
        "INSERT INTO audit_log SELECT organization_id, 100, gen_random_uuid(), occurred_at, action, actor,"
        " target, outcome, content, prev_hash, hash, recorded_at FROM audit_log"
        " WHERE organization_id = $1 AND seq = 2"
    ),
}


@pytest.mark.parametrize("change", SEARCH_COLUMN_CHANGES, ids=list(SEARCH_COLUMN_CHANGES))
def test_the_guard_refuses_search_columns_that_disagree(
    chained: Tenant, superuser: Superuser, change: str
) -> None:
    before = superuser.execute(
        "SELECT * FROM audit_log WHERE organization_id = $1 ORDER BY seq", chained.org_id
    )
    with pytest.raises(asyncpg.CheckViolationError, match=guard.NAME):
        superuser.execute(SEARCH_COLUMN_CHANGES[change], chained.org_id)
    after = superuser.execute(
        "SELECT * FROM audit_log WHERE organization_id = $1 ORDER BY seq", chained.org_id
    )
    assert [dict(r) for r in after] == [dict(r) for r in before]


WEAKENED = {
    "dropped": lambda su: _drop_the_guard(su),
    "replaced-by-a-check-that-holds-anything": lambda su: (
        _drop_the_guard(su),
        su.execute(f"ALTER TABLE audit_log ADD CONSTRAINT {guard.NAME} CHECK (content IS NOT NULL)"),
    ),
    "added-back-without-validation": lambda su: (
        _drop_the_guard(su),
        su.execute(f"ALTER TABLE audit_log ADD CONSTRAINT {guard.NAME} CHECK ({guard.CONDITION}) NOT VALID"),
    ),
    # A built-in it calls could have been replaced for a while: anything in pg_catalog made after it.
    "a-system-function-made-after-it": lambda su: su.execute(
        f"CREATE FUNCTION pg_catalog.{PROBE}() RETURNS int LANGUAGE sql AS 'SELECT 1'"
    ),
}


@pytest.mark.parametrize("weakening", WEAKENED, ids=list(WEAKENED))
def test_a_weakened_guard_is_not_trusted(
    chained: Tenant, stack: Stack, superuser: Superuser, weakening: str
) -> None:
    WEAKENED[weakening](superuser)
    done = verify(stack, chained)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ok, {RECORDS} records" in done.stdout
    assert ONE_BY_ONE in done.stdout


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
