"""An audit event, and the canonical bytes that the hash chain and the signatures cover (format v1).

A record's content is its event plus its place in the organization's chain (``seq``), encoded as
JSON with keys sorted, no whitespace, UTF-8 — the same bytes for the same record on any machine, so
an exported trail verifies offline by re-encoding what it reads. Details hold identifiers, counts and
settings only: never a secret, and never customer content (no names, texts or labels).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import msgspec

from enclave.audit.actions import AuditAction, Outcome

FORMAT = 1
GENESIS = bytes(32)
"""The ``prev_hash`` of an organization's first record."""
HASH_LABEL = b"enclave/audit/record/v1"
_CHECKPOINT_LABEL = b"enclave/audit/checkpoint/v1"

Detail = str | int | bool | None


class AuditEvent(msgspec.Struct, frozen=True, kw_only=True):
    event_id: uuid.UUID
    organization_id: uuid.UUID
    occurred_at: dt.datetime
    #: ``user:<id>``, ``system``, or (Keycloak's events) ``keycloak:<its user id>`` or ``anonymous``.
    actor: str
    action: AuditAction
    #: ``<kind>:<id>`` of what was acted on.
    target: str
    outcome: Outcome = Outcome.SUCCESS
    source: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    details: dict[str, Detail] = msgspec.field(default_factory=dict)


class AuditRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What the chain holds for one event: the event at its place."""

    format: int
    seq: int
    event: AuditEvent


def canonical(record: AuditRecord) -> bytes:
    return msgspec.json.encode(record, order="sorted")


def parse(content: bytes) -> AuditRecord:
    return msgspec.json.decode(content, type=AuditRecord)


def chain_hash(prev_hash: bytes, content: bytes) -> bytes:
    """``SHA-256(label ‖ prev_hash ‖ content)``: each record's hash covers everything before it."""
    return hashlib.sha256(HASH_LABEL + prev_hash + content).digest()


def checkpoint_message(organization_id: uuid.UUID, seq: int, head_hash: bytes) -> bytes:
    """What a checkpoint signature covers: the organization, how many records, and the head hash."""
    return _CHECKPOINT_LABEL + organization_id.bytes + seq.to_bytes(8, "big") + head_hash


def to_builtins(event: AuditEvent) -> dict[str, Any]:
    return msgspec.to_builtins(event)


def from_builtins(data: dict[str, Any]) -> AuditEvent:
    return msgspec.convert(data, AuditEvent)
