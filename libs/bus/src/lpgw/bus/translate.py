"""The one place where nats-py exceptions become `lpgw.bus.errors` types."""

from collections.abc import Iterator
from contextlib import contextmanager

import nats.errors
import nats.js.errors
from lpgw.bus.errors import BusError, BusTimeout, NoResponders

# Failures worth retrying while the client reconnects or JetStream recovers after a restart.
TRANSIENT: tuple[type[BaseException], ...] = (
    TimeoutError,
    nats.errors.NoRespondersError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
)


def to_bus_error(exc: BaseException, subject: str) -> BusError:
    """Map a nats-py (or timeout) exception raised while talking on `subject`."""
    if isinstance(exc, BusError):
        return exc
    if isinstance(exc, nats.errors.NoRespondersError | nats.js.errors.NoStreamResponseError):
        return NoResponders(f"no responders on {subject}")
    if isinstance(exc, TimeoutError):
        return BusTimeout(f"timed out on {subject}")
    return BusError(f"{type(exc).__name__} on {subject}")


@contextmanager
def translated(subject: str) -> Iterator[None]:
    """Re-raise nats-py exceptions from the block as bus errors, keeping the cause."""
    try:
        yield
    except (TimeoutError, nats.errors.Error, OSError) as exc:
        raise to_bus_error(exc, subject) from exc
