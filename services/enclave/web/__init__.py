"""The HTTP toolkit every domain's routes use: the one guard (``guard``), the request's transaction
(``transaction``), the audit note and route event (``audit``), typed parameters, ETags and cursors
(``http``), problem answers (``responses``), byte ranges and streamed bodies, and API keys as
credentials. Imports only what lies below it (data, crypto, storage, the audit recorder, the policy);
never a domain package and never the application shell (``enclave.api``).
"""
