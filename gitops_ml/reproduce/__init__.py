"""reproduce layer."""
