"""The api's side of the audit trail: what it records and how.

Every security-relevant action is one event (``events``; its name from ``actions``), written by the
``recorder`` into the outbox in the same transaction as the change it describes, so an action whose
record cannot be written does not happen. Owns the event format (v1) that the chain and the
signatures cover. Must never read, chain or sign the log: that is the audit service's
(``enclave.audit_service``), in its own process and database role.
"""
