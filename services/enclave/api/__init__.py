"""The Enclave api: a Litestar application served over HTTPS (JSON API and, later, the web app)."""
