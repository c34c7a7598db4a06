"""NATS JetStream bus: subjects, streams, event schemas, publish/consume with trace context."""
