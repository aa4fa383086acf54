"""Repositories: every query of the api goes through one, scoped to the caller's organization."""
