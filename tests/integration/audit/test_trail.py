"""The audit trail end to end, on the real stack with the real audit service: each successful change
becomes exactly one record in its organization's chain, a refused or failed request none; the chain
verifies, with signed checkpoints; the api's database role cannot write or change the trail."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
import uuid

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import httpx
import pytest

from tests.integration.datasets.test_uploads import named, png
from tests.integration.domain.world import BOX, Tenant, sql_as_tenant
from tests.integration.stack import Stack


def trail(tenant: Tenant) -> list[tuple[int, str, str, str]]:
    """(seq, action, target, outcome) of the organization's records, read as the api's role (RLS)."""
    rows = sql_as_tenant(tenant.org_id, "SELECT seq, action, target, outcome FROM audit_log ORDER BY seq")
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def settled(tenant: Tenant, expected: int, timeout: float = 30) -> list[tuple[int, str, str, str]]:
    """The trail once the audit service has drained this organization's outbox down to ``expected``."""
    deadline = time.monotonic() + timeout
    while True:
        records = trail(tenant)
        if len(records) >= expected or time.monotonic() > deadline:
            return records
        time.sleep(0.1)


def verify(stack: Stack, *organizations: uuid.UUID) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "enclave.audit_service", "verify", *map(str, organizations)],
        env=os.environ | stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tenant(api: httpx.Client, audit_service: object) -> Tenant:
    return Tenant.create(api)


class TestTrail:
    def test_each_change_is_one_record_in_order(self, tenant: Tenant, stack: Stack) -> None:
        dataset = tenant.ok("POST", "/datasets", json={"name": "d", "kind": "image"})["id"]
        item = tenant.ok("POST", f"/datasets/{dataset}/files", content=png(500), headers=named("a.png"))
        # A download of customer data is recorded; a plain read is not.
        assert tenant.call("GET", f"/items/{item['id']}/content").status_code == 200
        tenant.ok("GET", f"/datasets/{dataset}/items")
        member = tenant.member("member")
        key = tenant.ok("POST", "/api-keys", member, json={"name": "k", "scopes": ["tasks:read"]})["key"][
            "id"
        ]
        records = settled(tenant, 5)
        assert [(seq, action) for seq, action, _, _ in records] == [
            (1, "data:dataset:create"),
            (2, "data:item:upload"),
            (3, "data:content:read"),
            (4, "org:member:create"),
            (5, "org:api_key:issue"),
        ]
        targets = [target for _, _, target, _ in records]
        assert targets[1:] == [f"item:{item['id']}", f"item:{item['id']}", f"user:{member}", f"api_key:{key}"]
        assert {outcome for *_, outcome in records} == {"success"}

        # Who, from where, how: in the hashed content, never a secret or the file's name.
        content = sql_as_tenant(tenant.org_id, "SELECT content FROM audit_log WHERE seq = 2")[0][0]
        text = bytes(content).decode()
        assert f'"actor":"user:{tenant.admin_id}"' in text
        assert '"source":"127.0.0.1"' in text
        assert '"size":500' in text
        assert "a.png" not in text

    def test_refused_and_failed_requests_leave_no_record(self, tenant: Tenant) -> None:
        member = tenant.member("member")
        settled(tenant, 1)
        assert (
            tenant.call("POST", "/datasets", member, json={"name": "x", "kind": "image"}).status_code == 403
        )
        assert tenant.call("POST", "/datasets", json={"name": "x", "kind": "nope"}).status_code == 400
        dataset = tenant.ok("POST", "/datasets", json={"name": "x", "kind": "image"})["id"]
        assert tenant.call("POST", "/datasets", json={"name": "x", "kind": "image"}).status_code == 409
        assert [action for _, action, _, _ in settled(tenant, 2)] == [
            "org:member:create",
            "data:dataset:create",
        ]
        assert settled(tenant, 3, timeout=1)[-1][2] == f"dataset:{dataset}"

    def test_retries_and_empty_queues_are_not_actions(self, tenant: Tenant) -> None:
        project, _ = tenant.project_with_items(1)
        annotator, latecomer = tenant.member("member"), tenant.member("member")
        tenant.join(project, annotator, "annotator")
        tenant.join(project, latecomer, "annotator")
        taken = tenant.ok("POST", f"/projects/{project}/tasks/next", annotator, json={})["task"]
        assert tenant.ok("POST", f"/projects/{project}/tasks/next", latecomer, json={})["task"] is None
        headers = {"Idempotency-Key": "submit-once-0001"}
        for _ in range(2):
            tenant.call(
                "POST", f"/tasks/{taken['id']}/annotations", annotator, json={"payload": BOX}, headers=headers
            )
        # 2 members, 6 for the project and its task, 2 joins, 1 take, 1 submission; then nothing more.
        actions = [action for _, action, _, _ in settled(tenant, 12)]
        assert len(actions) == 12
        time.sleep(0.5)
        assert len(trail(tenant)) == 12
        assert actions.count("task:task:take") == 1
        assert actions.count("task:annotation:submit") == 1

    def test_the_chain_verifies_with_signed_checkpoints(self, tenant: Tenant, stack: Stack) -> None:
        for n in range(3):
            tenant.ok("POST", "/datasets", json={"name": f"d{n}", "kind": "image"})
        settled(tenant, 3)
        deadline = time.monotonic() + 30
        while not sql_as_tenant(tenant.org_id, "SELECT 1 FROM audit_checkpoints WHERE seq = 3"):
            assert time.monotonic() < deadline, "no checkpoint was signed"
            time.sleep(0.2)
        done = verify(stack, tenant.org_id)
        assert done.returncode == 0, done.stdout + done.stderr
        # Records that trickle in may be signed in more than one checkpoint (every T seconds).
        found = re.search(rf"{tenant.org_id}: ok, 3 records, (\d+) signed checkpoints", done.stdout)
        assert found is not None, done.stdout
        assert int(found.group(1)) >= 1


class TestRights:
    @pytest.mark.parametrize(
        "statement",
        [
            "INSERT INTO audit_log (organization_id, seq, event_id, occurred_at, action, actor, target,"
            " outcome, content, prev_hash, hash)"
            " VALUES ($1, 999, gen_random_uuid(), now(), 'x', 'x', 'x', 'x', '', '', '')",
            "UPDATE audit_log SET actor = 'someone else' WHERE organization_id = $1",
            "DELETE FROM audit_log WHERE organization_id = $1",
            "DELETE FROM audit_outbox WHERE organization_id = $1",
            "SELECT count(*) FROM audit_outbox WHERE organization_id = $1",
            "INSERT INTO audit_checkpoints (organization_id, seq, head_hash, signed_at, signature,"
            " key_version) VALUES ($1, 1, '', now(), 'vault:v1:x', 1)",
        ],
    )
    def test_the_api_role_cannot_touch_the_trail(self, tenant: Tenant, stack: Stack, statement: str) -> None:
        async def attempt() -> None:
            connection = await asyncpg.connect(
                host=stack.env["ENCLAVE_DB_HOST"],
                port=int(stack.env["ENCLAVE_DB_PORT"]),
                user=stack.env["ENCLAVE_DB_USER"],
                password=stack.secret("ENCLAVE_DB_PASSWORD_FILE"),
                database=stack.env["ENCLAVE_DB_NAME"],
                ssl=stack.tls,
            )
            try:
                async with connection.transaction():
                    await connection.execute(
                        "SELECT set_config('enclave.org_id', $1, true)", str(tenant.org_id)
                    )
                    await connection.execute(statement, tenant.org_id)
            finally:
                await connection.close()

        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            asyncio.run(attempt())


class TestSearchVerifyExport:
    def test_search_filters_and_pages(self, tenant: Tenant) -> None:
        member = tenant.member("member")
        for n in range(3):
            tenant.ok("POST", "/datasets", json={"name": f"d{n}", "kind": "image"})
        settled(tenant, 4)
        page = tenant.ok("GET", "/audit/events", params={"action": "data:dataset:create", "limit": 2})
        assert [e["action"] for e in page["items"]] == ["data:dataset:create"] * 2
        rest = tenant.ok(
            "GET", "/audit/events", params={"action": "data:dataset:create", "cursor": page["next_cursor"]}
        )
        assert len(rest["items"]) == 1
        assert rest["next_cursor"] is None
        mine = tenant.ok("GET", "/audit/events", params={"target": f"user:{member}"})["items"]
        assert [(e["action"], e["actor"]) for e in mine] == [("org:member:create", f"user:{tenant.admin_id}")]
        assert tenant.call("GET", "/audit/events", member).status_code == 403

    def test_verification_and_an_export_that_verifies_offline(
        self, tenant: Tenant, stack: Stack, tmp_path
    ) -> None:  # type: ignore[no-untyped-def]
        for n in range(4):
            tenant.ok("POST", "/datasets", json={"name": f"d{n}", "kind": "image"})
        settled(tenant, 4)
        deadline = time.monotonic() + 30
        while not sql_as_tenant(tenant.org_id, "SELECT 1 FROM audit_checkpoints WHERE seq = 4"):
            assert time.monotonic() < deadline, "no checkpoint was signed"
            time.sleep(0.2)
        verification = tenant.ok("GET", "/audit/verification")
        signed = verification["signed_checkpoints"]
        assert signed >= 1  # records that trickle in may be signed in more than one checkpoint
        assert verification == {
            "ok": True, "records": 4, "signed_checkpoints": signed, "covered_through": 4,
            "locked_segments": signed, "problem": None, "first_bad_record": None,
            "search_columns_guarded": True,
        }  # fmt: skip

        exported = tenant.call("GET", "/audit/export")
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("application/jsonl")
        path = tmp_path / "trail.jsonl"
        path.write_bytes(exported.content)
        keys = subprocess.run(
            [sys.executable, "-m", "enclave.audit_service", "public-key"],
            env=os.environ | stack.env, capture_output=True, text=True, check=True, timeout=60,
        ).stdout.split()  # fmt: skip
        offline = [sys.executable, "-m", "enclave.audit_service", "verify-export", str(path)]
        for key in keys:
            offline += ["--public-key", key]
        # Offline: no stack settings at all, only the file and the public key.
        clean_env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        done = subprocess.run(offline, env=clean_env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"ok, 4 records, {signed} signed checkpoints" in done.stdout

        lines = exported.content.splitlines()
        lines[2] = lines[2].replace(b'"outcome":"success"', b'"outcome":"denied"')  # record 2 rewritten
        path.write_bytes(b"\n".join(lines) + b"\n")
        done = subprocess.run(offline, env=clean_env, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 1
        assert "FAILED at record 2" in done.stdout

        # The export itself is an audited action; CSV is there for people.
        actions = [action for _, action, _, _ in settled(tenant, 5)]
        assert actions[-1] == "org:audit:export"
        csv_export = tenant.call("GET", "/audit/export/csv")
        assert csv_export.text.splitlines()[0].startswith("seq,occurred_at,actor,action")
        assert len(csv_export.text.splitlines()) >= 6
