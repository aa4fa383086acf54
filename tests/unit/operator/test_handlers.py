"""The status patch a handler writes (conditions, Ready, phase, observedGeneration), and how a
component that is down is described: no cluster, no services."""

from __future__ import annotations

import datetime as dt
import ssl

import httpx
import kopf

from enclave.operator import constants as c
from enclave.operator.components import KMS, ComponentDown, describe
from enclave.operator.conditions import Outcome
from enclave.operator.handlers import _patch_conditions

NOW = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC)


class TestPatchConditions:
    def test_all_components_true_make_it_ready(self) -> None:
        patch = kopf.Patch()
        outcomes = [Outcome(kind, "True", c.REASON_CONVERGED, "ok") for kind in c.COMPONENT_CONDITIONS]
        ready = _patch_conditions(patch, {}, outcomes, generation=4, now=NOW)
        assert ready.status == "True"
        assert patch["status"]["phase"] == c.PHASE_READY
        assert patch["status"]["observedGeneration"] == 4
        types = [item["type"] for item in patch["status"]["conditions"]]
        assert types == [*c.COMPONENT_CONDITIONS, c.READY]

    def test_a_component_down_after_ready_is_degraded(self) -> None:
        first = kopf.Patch()
        outcomes = [Outcome(kind, "True", c.REASON_CONVERGED, "ok") for kind in c.COMPONENT_CONDITIONS]
        _patch_conditions(first, {}, outcomes, generation=1, now=NOW)
        status = dict(first["status"])
        second = kopf.Patch()
        down = Outcome(c.KEY, "False", c.REASON_UNAVAILABLE, str(ComponentDown(KMS)))
        ready = _patch_conditions(second, status, [down], generation=1, now=NOW + dt.timedelta(minutes=1))
        assert (ready.status, ready.reason) == ("False", c.REASON_UNAVAILABLE)
        assert second["status"]["phase"] == c.PHASE_DEGRADED
        by_type = {item["type"]: item for item in second["status"]["conditions"]}
        assert by_type[c.KEY]["lastTransitionTime"] == "2026-12-07T05:01:00Z"
        assert by_type[c.REALM]["lastTransitionTime"] == "2026-12-07T05:00:00Z"


class TestComponentDown:
    def test_names_the_component_in_a_sentence(self) -> None:
        assert str(ComponentDown(KMS)) == "The KMS (Vault) is unreachable."
        assert ComponentDown(KMS).component.condition == c.KEY

    def test_describes_a_failure_without_its_text(self) -> None:
        secret = "token=hunter2"
        assert describe(httpx.ConnectError(secret)) == "unreachable (connection refused)"
        assert describe(TimeoutError(secret)) == "not answering (timed out)"
        assert describe(ssl.SSLError(secret)) == "failing TLS verification"
        assert secret not in describe(RuntimeError(secret))
