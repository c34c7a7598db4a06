"""Tell JetStream a long job is still being worked on, so it is not redelivered meanwhile."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

from lpgw.bus.errors import BusError

logger = logging.getLogger("lpgw.session.keepalive")


class Progress(Protocol):
    """What the handler needs of a delivery (lpgw.bus.Received has this shape)."""

    @property
    def attempt(self) -> int: ...

    async def in_progress(self) -> None: ...


@contextlib.asynccontextmanager
async def kept_alive(delivery: Progress, interval_s: float) -> AsyncIterator[None]:
    """Call `delivery.in_progress()` every `interval_s` while the block runs."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await delivery.in_progress()
            except BusError as exc:
                logger.warning("in_progress_failed", extra={"error": type(exc).__name__})

    task = asyncio.create_task(beat(), name="lpgw-session-keepalive")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
