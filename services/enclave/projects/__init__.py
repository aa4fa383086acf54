"""Projects: one ontology, many datasets, a workflow, tags, and members with a project role."""
