"""Connecting a service to the bus at start-up, however long NATS takes to come up.

Every service starts before or alongside NATS (in `make run`, Compose and Kubernetes alike), so
each one waits here until it has a connection with its streams declared, or until it is asked
to stop.
"""

import asyncio
import contextlib
import logging

from lpgw.bus.client import Bus
from lpgw.bus.errors import BusError
from lpgw.bus.subjects import Names

logger = logging.getLogger("lpgw.bus")

ATTEMPT_TIMEOUT_S = 2.0
RETRY_PAUSE_S = 1.0


async def connect_until_stopped(
    url: str,
    names: Names,
    *,
    client_name: str,
    stop: asyncio.Event,
    attempt_timeout_s: float = ATTEMPT_TIMEOUT_S,
    retry_pause_s: float = RETRY_PAUSE_S,
) -> Bus | None:
    """A connected bus with the streams declared, retrying until it works; None if `stop` is
    set first."""
    while not stop.is_set():
        try:
            bus = await Bus.connect(
                url, names, client_name=client_name, connect_timeout=attempt_timeout_s
            )
        except BusError as exc:
            logger.warning("nats_unavailable", extra={"error": str(exc)})
        else:
            try:
                await bus.declare()
            except BusError as exc:
                logger.warning("streams_not_declared", extra={"error": str(exc)})
                await bus.close()
            else:
                return bus
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(retry_pause_s):
                await stop.wait()
    return None
