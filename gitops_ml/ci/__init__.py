"""ci layer."""
