"""The annotation domain's vocabulary: roles, stages, decisions and the domain's error family."""
