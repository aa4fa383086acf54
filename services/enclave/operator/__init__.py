"""The Kubernetes operator (kopf): the only writer of per-tenant infrastructure in a cluster.

It turns each ``Organization`` custom resource (``organizations.enclave.dev``, whose CRD lives in the
chart's ``crds/`` folder) into an organization's database row and settings, its Vault transit key, its
Keycloak realm with its SSO connection, and its bucket, and reports each in ``status.conditions``.
``main`` holds every kopf decorator; the other modules are the pure desired state (``spec``,
``desired``, ``conditions``) and the steps that converge it (``components``, ``reconcile``,
``retirement``), which call the domain code that already does each thing. Nothing here is imported by
another Enclave package.
"""
