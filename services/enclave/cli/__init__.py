"""The ``enclave`` command for data scientists: converting exports offline, importing into an api."""
