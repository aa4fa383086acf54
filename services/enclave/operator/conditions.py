"""Status conditions of an Organization: the one helper that writes them.

Owns the shape of ``status.conditions`` (type, status, reason, message, observedGeneration,
lastTransitionTime, as Kubernetes' API conventions define it), keeping a condition's transition time
when its status did not change, and summing the components up into ``Ready`` and a phase. Pure: the
caller passes the current list and "now" and patches what comes back. Must never put a secret or an
exception's own text in a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from enclave.operator.constants import (
    COMPONENT_CONDITIONS,
    PHASE_DEGRADED,
    PHASE_PROVISIONING,
    PHASE_READY,
    READY,
    REASON_CONVERGED,
    REASON_WAITING,
)

Status = Literal["True", "False", "Unknown"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one step found: its condition type, status, reason and message."""

    type: str
    status: Status
    reason: str
    message: str


def timestamp(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def set_conditions(
    current: Sequence[Mapping[str, Any]] | None,
    outcomes: Iterable[Outcome],
    *,
    generation: int | None,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """``current`` with each outcome's condition set (added, or replaced in place); a condition whose
    status is unchanged keeps its ``lastTransitionTime``. Conditions not named are kept as they are."""
    merged = {str(item.get("type")): dict(item) for item in current or ()}
    order = [str(item.get("type")) for item in current or ()]
    for outcome in outcomes:
        before = merged.get(outcome.type)
        changed = before is None or before.get("status") != outcome.status
        merged[outcome.type] = {
            "type": outcome.type,
            "status": outcome.status,
            "reason": outcome.reason,
            "message": outcome.message,
            "observedGeneration": generation,
            "lastTransitionTime": timestamp(now)
            if changed or before is None
            else before.get("lastTransitionTime", timestamp(now)),
        }
        if outcome.type not in order:
            order.append(outcome.type)
    return [{key: value for key, value in merged[kind].items() if value is not None} for kind in order]


def ready(conditions: Sequence[Mapping[str, Any]]) -> Outcome:
    """``Ready``: True when every component's condition is True; otherwise False, naming the
    components that are not (a False one before an Unknown one)."""
    by_type = {str(item.get("type")): item for item in conditions}
    failing = [kind for kind in COMPONENT_CONDITIONS if by_type.get(kind, {}).get("status") == "False"]
    pending = [kind for kind in COMPONENT_CONDITIONS if by_type.get(kind, {}).get("status") != "True"]
    if not pending:
        return Outcome(READY, "True", REASON_CONVERGED, "Every component of the organization is in place.")
    if failing:
        first = by_type[failing[0]]
        reason = str(first.get("reason") or REASON_WAITING)
        return Outcome(
            READY, "False", reason, f"Not ready: {', '.join(failing)}. {first.get('message', '')}".strip()
        )
    return Outcome(READY, "False", REASON_WAITING, f"Waiting for: {', '.join(pending)}.")


def phase(conditions: Sequence[Mapping[str, Any]], *, ever_ready: bool) -> str:
    """Provisioning until the organization was first Ready; then Ready or Degraded."""
    status = next((item.get("status") for item in conditions if item.get("type") == READY), None)
    if status == "True":
        return PHASE_READY
    return PHASE_DEGRADED if ever_ready else PHASE_PROVISIONING
