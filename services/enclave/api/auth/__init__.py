"""Authentication (who is calling) and the one guard that authorizes every route."""
