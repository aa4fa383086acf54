"""Identity: Keycloak realms, browser sessions, MFA and API keys."""
