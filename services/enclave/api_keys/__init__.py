"""API keys: programs act for a user, with scopes, an optional project, an expiry; revocable."""
