"""Media bytes in the JetStream object store, with a TTL."""
