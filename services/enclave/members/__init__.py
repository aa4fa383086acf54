"""Organization members: users of the organization and their org role."""
