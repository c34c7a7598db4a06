"""Devnet orchestrator: the orchestrator side of the wire protocol, for tests and demos."""
