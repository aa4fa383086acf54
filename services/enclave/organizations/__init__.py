"""The caller's organization: its name and settings."""
