"""The audit trail: every security-relevant action recorded exactly once, hash-chained per
organization, checkpoints signed by a key only the audit service may use, verifiable by anyone who
holds the checkpoint key's public half.

The api records (``recorder``) into an outbox in the same transaction as the change; the audit
service (``service``, its own process and database role) moves outbox rows into the chained log
(``chain``) in one transaction each, so nothing is lost or doubled; ``verify`` walks it.
"""
