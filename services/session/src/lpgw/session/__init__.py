"""Does the work against orchestrators: failover, payment headers, results."""
