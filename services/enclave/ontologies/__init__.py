"""Ontologies: the label schemas of projects, versioned; only org Admins change them."""
