"""Ending streams whose input stopped: an RTMP publisher gone for `INTAKE_RECONNECT_GRACE_S`,
an HTTP push stream idle for `INTAKE_PUSH_IDLE_S`.

A timer per stream in this process. When it fires, the stream's record decides: already ended
→ nothing to do; input arrived after the timer started (the publisher came back through
another intake, or pushed there) → that intake watches it now; otherwise the end is
published (`Ingest.end`). A publisher that comes back here cancels the timer.

Timers live in memory: an intake that dies takes its timers with it, and the session worker
then ends the stream once its input has stopped for long (its own watchdog).
"""

import asyncio
import time
from collections.abc import Callable

from lpgw.intake.video.errors import IngestUnavailable
from lpgw.intake.video.ingest import Ingest
from lpgw.service.logs import get_logger
from redis.exceptions import RedisError

RETRY_S = 5.0
ATTEMPTS = 5
log = get_logger(__name__)


class Endings:
    def __init__(self, ingest: Ingest) -> None:
        self._ingest = ingest
        self.on_done: Callable[[str], None] = lambda stream_id: None
        """Called when this process is done with a stream (ended, or watched elsewhere)."""
        self._timers: dict[str, asyncio.Task[None]] = {}

    def schedule(self, stream_id: str, after_s: float, reason: str) -> None:
        """End `stream_id` in `after_s` seconds unless input arrives (replaces its timer)."""
        self.cancel(stream_id)
        since = time.time()
        task = asyncio.create_task(
            self._run(stream_id, since, after_s, reason), name=f"end-{stream_id}"
        )
        self._timers[stream_id] = task
        task.add_done_callback(lambda done: self._forget(stream_id, done))

    def cancel(self, stream_id: str) -> None:
        task = self._timers.pop(stream_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def pending(self, stream_id: str) -> bool:
        return stream_id in self._timers

    async def close(self) -> None:
        """Drop every timer (the process stops; see the module docstring)."""
        tasks = list(self._timers.values())
        self._timers.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _forget(self, stream_id: str, done: asyncio.Task[None]) -> None:
        if self._timers.get(stream_id) is done:
            del self._timers[stream_id]

    async def _run(self, stream_id: str, since: float, after_s: float, reason: str) -> None:
        await asyncio.sleep(after_s)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self._end_unless_resumed(stream_id, since, reason)
                return
            except (IngestUnavailable, RedisError, OSError) as exc:
                log.warning(
                    "stream_end_failed",
                    extra={"stream_id": stream_id, "attempt": attempt, "error": str(exc)},
                )
                await asyncio.sleep(RETRY_S)

    async def _end_unless_resumed(self, stream_id: str, since: float, reason: str) -> None:
        record = await self._ingest.streams.get(stream_id)
        if record is None or record.state != "live":
            self.on_done(stream_id)
            return
        if record.last_input_at is not None and record.last_input_at > since:
            log.info("stream_resumed_elsewhere", extra={"stream_id": stream_id})
            self.on_done(stream_id)
            return
        await self._ingest.end(stream_id)
        log.info("stream_ended", extra={"stream_id": stream_id, "reason": reason})
        self.on_done(stream_id)
