"""Every kopf decorator of the operator, and nothing else: each handler is a few lines that call
``handlers`` (which calls the kopf-free steps). Importing this module registers the handlers with
kopf; ``enclave.operator.__main__`` runs them.

Framework settings are made once at startup: the finalizer and kopf's own records live under
``enclave.dev`` annotations (not in ``status``, which is the operator's report), events are posted at
INFO and above, and peering uses this replica's priority and lifetime.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from enclave.operator import constants as c
from enclave.operator import handlers
from enclave.operator.components import Components
from enclave.operator.desired import SlugClaim
from enclave.operator.kube import KubeClient, SecretName, connection_info
from enclave.operator.settings import get_operator_settings

FINALIZER = f"{c.GROUP}/retention"

_drift_interval = get_operator_settings().drift_interval_s


@kopf.on.startup()
async def start(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    operator = get_operator_settings()
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=c.GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=c.GROUP, key="last-handled-configuration"
    )
    settings.posting.level = logging.INFO
    settings.peering.lifetime = operator.peering_lifetime_s
    copy = (
        SecretName(operator.credentials_namespace, operator.credentials_secret)
        if operator.credentials_namespace and operator.credentials_secret
        else None
    )
    memo.context = handlers.Context(operator, Components(copy), KubeClient(connection_info(settings)))
    handlers.log.info("operator.started", peering=None if operator.standalone else operator.peering_name)


@kopf.on.cleanup()
async def stop(memo: kopf.Memo, **_: Any) -> None:
    context = memo.get("context")
    if context is not None:
        await context.close()


@kopf.index(c.GROUP, c.VERSION, c.PLURAL)
def organizations_by_slug(
    *, spec: kopf.Spec, meta: kopf.Meta, namespace: str | None, **_: Any
) -> dict[str, SlugClaim]:
    """Every Organization by the slug it names: a slug is held by the oldest resource naming it."""
    return {str(spec.get("slug")): handlers.slug_claim(meta, namespace)}


def _claims(kwargs: dict[str, Any], spec: kopf.Spec) -> list[SlugClaim]:
    """The resources that name this spec's slug, from the index kopf passes by its function's name."""
    index: kopf.Index[str, SlugClaim] = kwargs["organizations_by_slug"]
    return list(index.get(str(spec.get("slug")), []))


@kopf.on.create(c.GROUP, c.VERSION, c.PLURAL)
@kopf.on.update(c.GROUP, c.VERSION, c.PLURAL, field="spec")
@kopf.on.resume(c.GROUP, c.VERSION, c.PLURAL)
async def converge_organization(
    *,
    body: kopf.Body,
    spec: kopf.Spec,
    status: kopf.Status,
    meta: kopf.Meta,
    namespace: str | None,
    patch: kopf.Patch,
    memo: Any,
    logger: kopf.Logger,
    **kwargs: Any,
) -> None:
    await handlers.converge_handler(
        memo.context,
        body=body,
        spec=spec,
        status=status,
        meta=meta,
        namespace=namespace,
        patch=patch,
        claims=_claims(kwargs, spec),
        logger=logger,
    )


@kopf.timer(c.GROUP, c.VERSION, c.PLURAL, interval=_drift_interval, initial_delay=_drift_interval)
async def repair_drift(
    *,
    body: kopf.Body,
    spec: kopf.Spec,
    status: kopf.Status,
    meta: kopf.Meta,
    namespace: str | None,
    patch: kopf.Patch,
    memo: Any,
    logger: kopf.Logger,
    **kwargs: Any,
) -> None:
    if meta.get("deletionTimestamp"):
        return  # being retired: the delete handler owns it now
    await handlers.converge_handler(
        memo.context,
        body=body,
        spec=spec,
        status=status,
        meta=meta,
        namespace=namespace,
        patch=patch,
        claims=_claims(kwargs, spec),
        logger=logger,
        from_timer=True,
    )


@kopf.on.delete(c.GROUP, c.VERSION, c.PLURAL)
async def retire_organization(
    *,
    body: kopf.Body,
    spec: kopf.Spec,
    status: kopf.Status,
    meta: kopf.Meta,
    namespace: str | None,
    patch: kopf.Patch,
    memo: Any,
    **_: Any,
) -> None:
    await handlers.retire_handler(
        memo.context, body=body, spec=spec, status=status, meta=meta, namespace=namespace, patch=patch
    )
