"""PostgreSQL's own guard on the log's search columns, and the test of whether it can be trusted.

Each log row keeps copies of what its hashed content says (sequence number, organization, event id,
action, actor, target, outcome) so that searches can use indexes. A CHECK constraint holds every row's
copies to its content, so no row whose copies disagree can be written or changed — by anyone, the
superuser included — while the constraint stands. Verify can then check the constraint once instead of
decoding every record: that it exists under its name, is validated (holds for every row, not only new
ones), reads exactly as we made it, and relies only on PostgreSQL's built-in functions, none of which
was created or replaced after it (a superuser who replaced one for a while could change rows unchecked
and put it back). When any of that fails, verify compares every record itself, as an export is
verified offline.

What it cannot see: a superuser who edits the system catalogs by hand (``pg_constraint``) while
changing rows. The hash chain, the signed checkpoints and the locked copy do not depend on this guard;
``enclave-audit verify --every-record`` does the record-by-record comparison without trusting it.
The constraint's name and text are this module's; the catalog read is the log repository's
(``db.repositories.audit_log.standing_constraint``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from enclave.db.repositories.audit_log import standing_constraint

T = TypeVar("T")

NAME = "ck_audit_log_copies"
#: The constraint's condition as the migration adds it. Strict jsonpath: a missing field or an array
#: in its place does not match (lax mode would unwrap arrays); ``silent``: such a row makes the
#: match NULL instead of an error, and ``IS TRUE`` turns NULL into a violation (a CHECK passes NULL).
CONDITION = (
    "jsonb_path_match(convert_from(content, 'UTF8')::jsonb,"
    " 'strict $.format == 1 && $.seq == $seq && $.event.organization_id == $organization_id"
    " && $.event.event_id == $event_id && $.event.action == $action && $.event.actor == $actor"
    " && $.event.target == $target && $.event.outcome == $outcome',"
    " jsonb_build_object('seq', seq, 'organization_id', organization_id, 'event_id', event_id,"
    " 'action', action, 'actor', actor, 'target', target, 'outcome', outcome), true) IS TRUE"
)
#: The same condition as PostgreSQL prints it back (``pg_get_constraintdef``): what verify expects.
DEFINITION = (
    "CHECK ((jsonb_path_match((convert_from(content, 'UTF8'::name))::jsonb, 'strict "
    '((((((($."format" == 1 && $."seq" == $"seq") && $."event"."organization_id" == '
    '$"organization_id") && $."event"."event_id" == $"event_id") && $."event"."action" == '
    '$"action") && $."event"."actor" == $"actor") && $."event"."target" == $"target") && '
    '$."event"."outcome" == $"outcome")\'::jsonpath, jsonb_build_object(\'seq\', seq, '
    "'organization_id', organization_id, 'event_id', event_id, 'action', action, 'actor', "
    "actor, 'target', target, 'outcome', outcome), true) IS TRUE))"
)


async def standing_guard(session: AsyncSession) -> str | None:
    """The constraint's identity (its catalog row's id and version) if it holds every row's copies
    to its content, as made; None if it is missing, not validated, changed, or what it calls may
    have been changed after it."""
    return await standing_constraint(session, NAME, DEFINITION)


async def read_under_guard(session: AsyncSession, read: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
    """``read()``'s result, and whether the guard stood all through it: the same constraint row
    before and after (dropping and adding it again, or editing it, makes another), so every row
    the read saw satisfied it."""
    before = await standing_guard(session)
    result = await read()
    after = await standing_guard(session) if before is not None else None
    return result, before is not None and before == after
