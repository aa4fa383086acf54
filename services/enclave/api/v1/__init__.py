"""API v1: every route under ``/api/v1``, each behind the one guard with exactly one permission."""
