"""Invitations: the only way, besides a mapped e-mail domain, that someone new gets in."""
