"""PostgreSQL access: the async engine, sessions and the schema's migrations."""
