"""Datasets and their items' metadata (the bytes arrive with the storage work)."""
