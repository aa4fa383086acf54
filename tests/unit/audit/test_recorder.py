"""What the api writes into the outbox for an action: one event, in the request's transaction, that
says who, what, on what and from where — the way the chain and the signatures will read it — and no
more than the request's facts and the handler's details."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest

from enclave.audit import recorder as recorder_module
from enclave.audit.actions import AuditAction, Outcome
from enclave.audit.events import AuditEvent
from enclave.audit.recorder import MAX_USER_AGENT, AuditRecorder, RequestFacts

ORG = uuid.UUID(int=1)
SESSION = object()


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, uuid.UUID, uuid.UUID, str]]:
    """The rows the recorder hands the outbox repository, in order (nothing is sent anywhere)."""
    written: list[tuple[Any, uuid.UUID, uuid.UUID, str]] = []

    async def add_event(session: Any, event_id: uuid.UUID, organization_id: uuid.UUID, event: str) -> None:
        written.append((session, event_id, organization_id, event))

    monkeypatch.setattr(recorder_module, "add_event", add_event)
    return written


def facts(**overrides: Any) -> RequestFacts:
    given: dict[str, Any] = {
        "organization_id": ORG,
        "actor": "user:7",
        "source": "10.0.0.8",
        "user_agent": "curl/8",
        "request_id": "req-1",
        "via": "api_key",
    }
    return RequestFacts(**(given | overrides))


async def test_one_event_in_the_requests_session_in_the_chains_format(outbox: list[Any]) -> None:
    await AuditRecorder(SESSION, facts()).record(AuditAction.TASK_ANNOTATION_SUBMIT, "task:9", {"objects": 2})  # type: ignore[arg-type]
    [(session, event_id, organization_id, body)] = outbox
    event = msgspec.json.decode(body, type=AuditEvent)
    assert session is SESSION
    assert (event.event_id, event.organization_id) == (event_id, organization_id) == (event_id, ORG)
    assert (event.actor, event.action, event.target, event.outcome) == (
        "user:7",
        AuditAction.TASK_ANNOTATION_SUBMIT,
        "task:9",
        Outcome.SUCCESS,
    )
    assert (event.source, event.user_agent, event.request_id) == ("10.0.0.8", "curl/8", "req-1")
    assert event.details == {"via": "api_key", "objects": 2}


async def test_each_action_is_its_own_event(outbox: list[Any]) -> None:
    recorder = AuditRecorder(SESSION, facts(via=None))  # type: ignore[arg-type]
    await recorder.record(AuditAction.TASK_TASK_ASSIGN, "task:1")
    await recorder.record(AuditAction.TASK_TASK_ASSIGN, "task:1", outcome=Outcome.FAILURE)
    first, second = (msgspec.json.decode(row[3], type=AuditEvent) for row in outbox)
    assert first.event_id != second.event_id
    assert (first.outcome, second.outcome) == (Outcome.SUCCESS, Outcome.FAILURE)
    assert first.details == second.details == {}


async def test_a_long_user_agent_is_cut(outbox: list[Any]) -> None:
    await AuditRecorder(SESSION, facts(user_agent="x" * 5000)).record(AuditAction.TASK_TASK_ASSIGN, "task:1")  # type: ignore[arg-type]
    assert len(msgspec.json.decode(outbox[0][3], type=AuditEvent).user_agent or "") == MAX_USER_AGENT
