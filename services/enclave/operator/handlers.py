"""The kopf side of each handler: read the resource, call the kopf-free step (``reconcile``,
``retirement``), and turn what it reports into a status patch (through ``conditions``), Kubernetes
events, and kopf's retry errors (``TemporaryError`` with a back-off while a component is down,
``PermanentError`` for a spec that can never work).

Owns the status fields the operator writes and the rule that converging one Organization is never run
twice at once in a process (the create/update handler and the drift timer share a lock per resource).
Must never post a secret in an event or a status field.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import kopf
import structlog

from enclave.operator import conditions as cond
from enclave.operator import constants as c
from enclave.operator.components import ComponentDown, Components
from enclave.operator.desired import SlugClaim, slug_holder
from enclave.operator.kube import KubeClient, KubeUnavailable
from enclave.operator.reconcile import Convergence, Resource, converge
from enclave.operator.retirement import retire
from enclave.operator.settings import OperatorSettings
from enclave.operator.spec import SpecInvalid, parse_spec
from enclave.operator.tenant_policy import PolicyRefused

log = structlog.get_logger("enclave.operator")


class Context:
    """What every handler shares, kept in kopf's memo: the clients and the per-resource locks."""

    def __init__(self, settings: OperatorSettings, components: Components, kube: KubeClient) -> None:
        self.settings = settings
        self.components = components
        self.kube = kube
        self.locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def close(self, wait_s: float = 30.0) -> None:
        """Closes the clients once no convergence is in flight (kopf may leave a timer running when it
        stops; its clients must outlive it), or after ``wait_s``."""
        try:
            async with asyncio.timeout(wait_s):
                for lock in list(self.locks.values()):
                    async with lock:
                        pass
        except TimeoutError:
            log.warning("operator.stopping_with_work_in_flight")
        await self.kube.close()
        await self.components.close()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _resource(meta: Mapping[str, Any], namespace: str | None) -> Resource:
    return Resource(
        name=str(meta["name"]), namespace=str(namespace or meta.get("namespace")), uid=str(meta["uid"])
    )


def _patch_conditions(
    patch: kopf.Patch,
    status: Mapping[str, Any],
    outcomes: Iterable[cond.Outcome],
    *,
    generation: int | None,
    now: dt.datetime,
) -> cond.Outcome:
    """Writes the outcomes, then ``Ready`` and the phase, into the patch; returns ``Ready``."""
    merged = cond.set_conditions(status.get("conditions"), outcomes, generation=generation, now=now)
    ready = cond.ready(merged)
    merged = cond.set_conditions(merged, [ready], generation=generation, now=now)
    ever_ready = status.get("phase") in (c.PHASE_READY, c.PHASE_DEGRADED)
    patch.status["conditions"] = merged
    patch.status["observedGeneration"] = generation
    patch.status["phase"] = cond.phase(merged, ever_ready=ever_ready)
    return ready


def slug_claim(meta: Mapping[str, Any], namespace: str | None) -> SlugClaim:
    return SlugClaim(
        namespace=str(namespace or ""),
        name=str(meta.get("name")),
        uid=str(meta.get("uid")),
        created=str(meta.get("creationTimestamp") or ""),
    )


async def converge_handler(
    context: Context,
    *,
    body: kopf.Body,
    spec: Mapping[str, Any],
    status: Mapping[str, Any],
    meta: Mapping[str, Any],
    namespace: str | None,
    patch: kopf.Patch,
    claims: Iterable[SlugClaim],
    logger: logging.Logger | logging.LoggerAdapter[Any],
    from_timer: bool = False,
) -> None:
    """Create, update, resume and the drift timer: converge the resource and report it."""
    now = _now()
    generation = meta.get("generation")
    try:
        parsed = parse_spec(spec)
    except SpecInvalid as error:
        outcome = cond.Outcome(c.DATABASE, "False", c.REASON_INVALID, str(error))
        _patch_conditions(patch, status, [outcome], generation=generation, now=now)
        if from_timer:
            return
        kopf.warn(body, reason=c.REASON_INVALID, message=str(error))
        raise kopf.PermanentError(str(error)) from None
    holder = slug_holder(claims)
    if holder is not None and holder.uid != str(meta.get("uid")):
        message = f"Slug {parsed.slug} is held by Organization {holder.namespace}/{holder.name}."
        outcome = cond.Outcome(c.DATABASE, "False", c.REASON_SLUG_TAKEN, message)
        _patch_conditions(patch, status, [outcome], generation=generation, now=now)
        if from_timer:
            return
        kopf.warn(body, reason=c.REASON_SLUG_TAKEN, message=message)
        raise kopf.PermanentError(message)
    resource = _resource(meta, namespace)
    if from_timer and not status.get("organizationId"):
        return  # not made yet: the create handler (and its retries) owns the first convergence
    log.info(
        "operator.organization.converging",
        namespace=resource.namespace,
        name=resource.name,
        slug=parsed.slug,
        by="timer" if from_timer else "change",
    )
    async with context.locks[resource.uid]:
        try:
            result = await converge(
                context.components,
                context.kube,
                parsed,
                resource,
                previous_status=status,
                public_url=context.settings.api_public_url,
            )
        except KubeUnavailable as error:
            result = Convergence(retry=str(error))
    _report(context, body, patch, status, result, generation=generation, now=now, from_timer=from_timer)


def _report(
    context: Context,
    body: kopf.Body,
    patch: kopf.Patch,
    status: Mapping[str, Any],
    result: Convergence,
    *,
    generation: int | None,
    now: dt.datetime,
    from_timer: bool,
) -> None:
    was_ready = any(
        item.get("type") == c.READY and item.get("status") == "True"
        for item in status.get("conditions") or ()
    )
    fields: MutableMapping[str, Any] = patch.status
    for key, value in result.status.items():
        fields[key] = value
    ready = _patch_conditions(patch, status, result.outcomes, generation=generation, now=now)
    for reason, message in result.events:
        kopf.info(body, reason=reason, message=message)
    for reason, message in result.warnings:
        kopf.warn(body, reason=reason, message=message)
    if ready.status == "True" and not was_ready:
        kopf.info(body, reason=c.READY, message=ready.message)
    elif ready.status != "True" and was_ready:
        kopf.warn(body, reason=ready.reason, message=ready.message)
    if result.retry:
        if not from_timer:
            kopf.warn(body, reason=c.REASON_UNAVAILABLE, message=result.retry)
        raise kopf.TemporaryError(result.retry, delay=context.settings.retry_delay_s)
    if result.invalid and not from_timer:
        kopf.warn(body, reason=c.REASON_INVALID, message=result.invalid)
        raise kopf.PermanentError(result.invalid)


async def retire_handler(
    context: Context,
    *,
    body: kopf.Body,
    spec: Mapping[str, Any],
    status: Mapping[str, Any],
    meta: Mapping[str, Any],
    namespace: str | None,
    patch: kopf.Patch,
) -> None:
    """Deletion: terminate, honour the retention period, shred; the finalizer goes when this returns."""
    try:
        parsed = parse_spec(spec)
    except SpecInvalid:
        return  # a spec that never worked made nothing
    resource = _resource(meta, namespace)
    now = _now()
    log.info(
        "operator.organization.retiring", namespace=resource.namespace, name=resource.name, slug=parsed.slug
    )
    async with context.locks[resource.uid]:
        try:
            retirement = await retire(
                context.components,
                context.kube,
                parsed,
                resource,
                previous_status=status,
                now=now,
                day_s=context.settings.retention_day_s,
            )
        except (ComponentDown, KubeUnavailable, PolicyRefused) as error:
            kopf.warn(body, reason=c.REASON_UNAVAILABLE, message=f"{error} Retrying the deletion.")
            raise kopf.TemporaryError(str(error), delay=context.settings.retry_delay_s) from error
    for key, value in retirement.status.items():
        patch.status[key] = value
    for reason, message in retirement.events:
        kopf.info(body, reason=reason, message=message)
    if retirement.done:
        patch.status["phase"] = c.PHASE_SHREDDED
        return
    patch.status["phase"] = c.PHASE_TERMINATING
    outcome = cond.Outcome(c.READY, "False", c.REASON_TERMINATING, retirement.message)
    patch.status["conditions"] = cond.set_conditions(
        status.get("conditions"), [outcome], generation=meta.get("generation"), now=now
    )
    # Check again when the retention ends (at least hourly, so a changed clock is noticed).
    delay = max(1.0, min(retirement.remaining_s or 1.0, 3600.0))
    raise kopf.TemporaryError(retirement.message, delay=delay)
