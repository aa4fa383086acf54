"""Names the operator shares with the CRD and the chart: the API group, the resource, the condition
types and reasons, the labels and annotations it puts on what it makes. One place, so a rename is one
edit. Holds no behaviour."""

from __future__ import annotations

from typing import Final

GROUP: Final = "enclave.dev"
VERSION: Final = "v1alpha1"
PLURAL: Final = "organizations"
KIND: Final = "Organization"

#: The peering object (ClusterKopfPeering) the replicas elect their leader in; the chart makes it.
DEFAULT_PEERING: Final = "enclave-operator"

#: Labels on the Secrets the operator writes for an Organization.
LABEL_MANAGED_BY: Final = "app.kubernetes.io/managed-by"
MANAGED_BY: Final = "enclave-operator"
LABEL_ORGANIZATION: Final = "enclave.dev/organization"

# Condition types: ``Ready`` sums up the components, one condition each.
READY: Final = "Ready"
DATABASE: Final = "DatabaseReady"
KEY: Final = "KeyReady"
REALM: Final = "RealmReady"
SSO: Final = "SSOReady"
STORAGE: Final = "StorageReady"
COMPONENT_CONDITIONS: Final = (DATABASE, KEY, REALM, SSO, STORAGE)

# Reasons (CamelCase, as Kubernetes conventions want).
REASON_CONVERGED: Final = "Converged"
REASON_NOT_CONFIGURED: Final = "NotConfigured"
REASON_UNAVAILABLE: Final = "ComponentUnavailable"
REASON_WAITING: Final = "WaitingForComponents"
REASON_INVALID: Final = "InvalidSpec"
REASON_SLUG_TAKEN: Final = "SlugTaken"
REASON_REPAIRED: Final = "DriftRepaired"
REASON_TERMINATING: Final = "Terminating"
REASON_SHREDDED: Final = "Shredded"
REASON_FAILED: Final = "StepFailed"
REASON_POLICY_REFUSED: Final = "PolicyRefused"

# Phases shown in status.phase.
PHASE_PROVISIONING: Final = "Provisioning"
PHASE_READY: Final = "Ready"
PHASE_DEGRADED: Final = "Degraded"
PHASE_TERMINATING: Final = "Terminating"
PHASE_SHREDDED: Final = "Shredded"
