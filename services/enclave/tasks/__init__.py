"""Tasks (one per data item per project), their annotation versions and their reviews."""
