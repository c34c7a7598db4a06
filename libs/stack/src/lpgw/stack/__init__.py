"""Local stack: runs NATS, Valkey, services and devnet orchestrators as supervised children."""
