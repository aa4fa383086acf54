"""Liveness and readiness: whether the process runs, and whether every component it needs answers."""
