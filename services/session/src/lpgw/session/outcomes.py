"""The outcomes of attempts, reported to the selector in batches.

Every outcome matters to the selector, but not at once and not alone: publishing each with its
own JetStream acknowledgement cost the session a NATS round trip per request, and the selector
a fetch, a decode and an acknowledgement per attempt (docs/performance.md). The reporter
collects them and publishes one `Outcomes` event per workload every `interval_s` (at once when
`max_batch` are waiting), stored and acknowledged by JetStream; a batch that cannot be stored
is kept and sent with the next (up to `max_kept` outcomes, the oldest dropped first). No job
waits for it. A worker that crashes loses at most one interval of outcomes; its jobs and their
results are not affected.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from itertools import groupby

from lpgw.bus import Bus
from lpgw.bus.errors import BusError
from lpgw.bus.events import Outcome, Outcomes

logger = logging.getLogger("lpgw.session.outcomes")

INTERVAL_S = 0.1
MAX_BATCH = 200
MAX_KEPT = 10_000


class OutcomeReporter:
    """`async with OutcomeReporter(bus) as outcomes:` publishes while the block runs."""

    def __init__(
        self,
        bus: Bus,
        *,
        interval_s: float = INTERVAL_S,
        max_batch: int = MAX_BATCH,
        max_kept: int = MAX_KEPT,
    ) -> None:
        self._bus = bus
        self._interval_s = interval_s
        self._max_batch = max_batch
        self._max_kept = max_kept
        self._pending: list[Outcome] = []
        self._full = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "OutcomeReporter":
        self._task = asyncio.create_task(self._run(), name="lpgw-session-outcomes")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop, after one last attempt to publish what is waiting. A flush in progress is
        finished, not cancelled: a request cancelled midway can upset the NATS client."""
        if self._task is not None:
            self._closing = True
            self._full.set()
            await self._task
            self._task = None
        await self.flush()

    def add(self, outcomes: Sequence[Outcome]) -> None:
        self._keep(outcomes)
        if len(self._pending) >= self._max_batch:
            self._full.set()

    async def flush(self) -> None:
        """Publish what is waiting; what JetStream does not take is kept for the next flush."""
        batch, self._pending = self._pending, []
        by_workload = sorted(batch, key=lambda outcome: outcome.workload)
        groups = [
            (workload, list(group))
            for workload, group in groupby(by_workload, key=lambda outcome: outcome.workload)
        ]
        for n, (workload, outcomes) in enumerate(groups):
            try:
                await self._bus.publish(
                    self._bus.names.outcome(workload), Outcomes(outcomes=outcomes)
                )
            except BusError as exc:
                logger.warning(
                    "outcomes_not_published",
                    extra={"error": type(exc).__name__, "kept": len(outcomes)},
                )
                self._keep(outcomes)  # with the next flush, not at once: NATS needs a moment
            except BaseException:
                for _, unsent in groups[n:]:
                    self._keep(unsent)
                raise

    def _keep(self, outcomes: Sequence[Outcome]) -> None:
        self._pending.extend(outcomes)
        if len(self._pending) > self._max_kept:
            dropped = len(self._pending) - self._max_kept
            del self._pending[:dropped]
            logger.warning("outcomes_dropped", extra={"dropped": dropped})

    async def _run(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._full.wait()
            self._full.clear()
            if self._pending:
                await self.flush()
