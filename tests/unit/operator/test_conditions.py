"""Status conditions: one helper writes them, keeps transition times, and sums them up into Ready."""

from __future__ import annotations

import datetime as dt

from enclave.operator import constants as c
from enclave.operator.conditions import Outcome, phase, ready, set_conditions

T0 = dt.datetime(2026, 12, 7, 4, 0, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=5)


def all_true() -> list[Outcome]:
    return [Outcome(kind, "True", c.REASON_CONVERGED, "ok") for kind in c.COMPONENT_CONDITIONS]


class TestSetConditions:
    def test_adds_with_every_field(self) -> None:
        conditions = set_conditions(
            None, [Outcome(c.KEY, "True", "Converged", "key ok")], generation=3, now=T0
        )
        assert conditions == [
            {
                "type": c.KEY,
                "status": "True",
                "reason": "Converged",
                "message": "key ok",
                "observedGeneration": 3,
                "lastTransitionTime": "2026-12-07T04:00:00Z",
            }
        ]

    def test_keeps_the_transition_time_while_the_status_holds(self) -> None:
        first = set_conditions(None, [Outcome(c.KEY, "True", "Converged", "a")], generation=1, now=T0)
        again = set_conditions(first, [Outcome(c.KEY, "True", "Converged", "b")], generation=2, now=T1)
        assert again[0]["lastTransitionTime"] == "2026-12-07T04:00:00Z"
        assert again[0]["observedGeneration"] == 2
        assert again[0]["message"] == "b"

    def test_a_new_status_is_a_transition(self) -> None:
        first = set_conditions(None, [Outcome(c.KEY, "True", "Converged", "a")], generation=1, now=T0)
        down = set_conditions(
            first, [Outcome(c.KEY, "False", c.REASON_UNAVAILABLE, "KMS down")], generation=1, now=T1
        )
        assert down[0]["lastTransitionTime"] == "2026-12-07T04:05:00Z"

    def test_keeps_conditions_not_named_and_their_order(self) -> None:
        first = set_conditions(None, all_true(), generation=1, now=T0)
        changed = set_conditions(first, [Outcome(c.REALM, "False", "X", "y")], generation=1, now=T1)
        assert [item["type"] for item in changed] == list(c.COMPONENT_CONDITIONS)
        assert [item["status"] for item in changed].count("True") == len(c.COMPONENT_CONDITIONS) - 1


class TestReady:
    def test_true_when_every_component_is(self) -> None:
        outcome = ready(set_conditions(None, all_true(), generation=1, now=T0))
        assert (outcome.type, outcome.status, outcome.reason) == (c.READY, "True", c.REASON_CONVERGED)

    def test_names_what_failed(self) -> None:
        outcomes = [
            *all_true()[:1],
            Outcome(c.KEY, "False", c.REASON_UNAVAILABLE, "The KMS (Vault) is unreachable."),
        ]
        outcome = ready(set_conditions(None, outcomes, generation=1, now=T0))
        assert outcome.status == "False"
        assert outcome.reason == c.REASON_UNAVAILABLE
        assert c.KEY in outcome.message
        assert "Vault" in outcome.message

    def test_waiting_when_something_is_unknown(self) -> None:
        outcome = ready(set_conditions(None, all_true()[:2], generation=1, now=T0))
        assert (outcome.status, outcome.reason) == ("False", c.REASON_WAITING)
        assert c.STORAGE in outcome.message

    def test_phase(self) -> None:
        ok = set_conditions(
            None, [*all_true(), Outcome(c.READY, "True", "Converged", "")], generation=1, now=T0
        )
        assert phase(ok, ever_ready=False) == c.PHASE_READY
        not_ok = set_conditions(ok, [Outcome(c.READY, "False", "X", "")], generation=1, now=T1)
        assert phase(not_ok, ever_ready=False) == c.PHASE_PROVISIONING
        assert phase(not_ok, ever_ready=True) == c.PHASE_DEGRADED
