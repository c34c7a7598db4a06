"""BYOC on the devnet: worker containers register capabilities, gateways fetch job tokens and
send paid jobs that are forwarded to the worker (wire.md §4.4, §7.6)."""
