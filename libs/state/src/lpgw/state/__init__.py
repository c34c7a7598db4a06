"""Redis connection and every key name."""
