"""``enclave-worker``: the process that does a project's exports and imports off the request path."""
