"""The bus's error tree. Callers catch these, never nats-py's exceptions.

This module imports no NATS code, so pure modules may depend on it; the translation from
nats-py's exceptions lives in `lpgw.bus.translate`.
"""


class BusError(Exception):
    """Something on the bus failed: a publish, a request, a connection."""


class BusTimeout(BusError):
    """No answer (a reply, a stream acknowledgement, an awaited event) before the deadline."""


class NoResponders(BusError):
    """Nobody is listening on the subject: no service instance, or no stream bound to it."""


class InvalidMessage(BusError):
    """A payload that does not parse as its schema, or carries a schema version we do not know."""


class RemoteError(BusError):
    """The responder received the request but could not handle it (see its logs)."""
