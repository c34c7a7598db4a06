"""Holds the gateway key; signs orchestrator requests and tickets."""
