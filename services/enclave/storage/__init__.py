"""Storage: the bytes of dataset items on their way into and out of the object store.

Owns the object store client (``objects``: per-organization buckets that hold only ciphertext) and
``sniff`` (which media type an upload is stored and served under, judged from its first bytes). Must
never decide who may read or write an object (that is the policy's, before any call here) nor touch key
material (that is ``enclave.crypto``'s).
"""
