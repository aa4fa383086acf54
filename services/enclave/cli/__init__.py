"""The ``enclave`` command for data scientists: tools that need no running service."""
