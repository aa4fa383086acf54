"""The audit service, its own process (``enclave-audit``) and database role: drains the outbox into
each organization's hash chain (``drain``), signs checkpoints, writes the locked copy, and pulls
Keycloak's own events into the trail (``keycloak_events``). The chain, its verification and the
locked copy themselves live in ``enclave.audit_trail``, which the api's routes share.
"""
