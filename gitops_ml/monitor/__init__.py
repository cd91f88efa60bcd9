"""monitor layer."""
