"""Background jobs: a project's exports and imports, asked for through the api and done by
``enclave-worker`` processes off the request path."""
