"""Crypto: the at-rest encryption formats of customer content, and the only code that touches key material.

Owns two versioned, documented formats under a data key (DEK) passed in as an argument: ``segmented``
(streaming AES-256-GCM for stored objects, with byte-range reads) and ``fields`` (sealed column values
bound to their organization, table, row and column). Both fail with one exception,
``enclave.crypto.segmented.DecryptionFailed``. Pure and in-memory: no I/O, no logging, no key kept
beyond a call. Wrapping and unwrapping DEKs with the tenant's Vault transit key belongs here too (not
written yet); nothing outside this package may hold raw key bytes or run a cipher over customer content.
"""
