"""Service plumbing: settings, JSON logs, health, metrics, tracing."""
