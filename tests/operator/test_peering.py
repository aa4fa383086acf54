"""Two operator replicas in one peering: only the one with the higher priority acts; the other pauses,
and takes over once the first is gone."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.integration.stack import Stack
from tests.operator import tenant
from tests.operator.cluster import apply, forget, organization, ready_organization, wait_for
from tests.operator.operator_process import running_operator, start_operator
from tests.support.api_process import stop_process
from tests.support.kube import KubeAPI

pytestmark = pytest.mark.stack


def converged(log: Path, slug: str) -> bool:
    return any(
        '"operator.organization.converging"' in line and slug in line for line in log.read_text().splitlines()
    )


def test_only_the_leader_acts_and_a_standby_takes_over(
    operator_cluster: KubeAPI, migrated: Stack, namespace: str, tmp_path: Path
) -> None:
    leader_log, standby_log = tmp_path / "leader.log", tmp_path / "standby.log"
    first, second = f"op-{secrets.token_hex(4)}", f"op-{secrets.token_hex(4)}"
    try:
        with running_operator(
            operator_cluster, migrated, standby_log, {"ENCLAVE_OPERATOR_PEERING_PRIORITY": "10"}
        ) as standby:
            leader = start_operator(
                operator_cluster, migrated, leader_log, {"ENCLAVE_OPERATOR_PEERING_PRIORITY": "20"}
            )
            try:
                wait_for("the standby to pause", lambda: "Pausing operations" in standby_log.read_text(), 60)
                apply(operator_cluster, organization("first", namespace, first))
                ready_organization(operator_cluster, namespace, "first")
                assert converged(leader_log, first)
                assert not converged(standby_log, first)
            finally:
                stop_process(leader)
            assert standby.poll() is None
            apply(operator_cluster, organization("second", namespace, second))
            ready_organization(operator_cluster, namespace, "second")
            assert converged(standby_log, second)
            assert not converged(leader_log, second)
    finally:
        for name, slug in (("first", first), ("second", second)):
            forget(operator_cluster, namespace, name)
            tenant.remove_realm(slug)
