"""Handing a job to the session over the bus and waiting for its result.

The wait starts before the publish so no result can slip by; the bus's `wait_for` also checks
the RESULTS stream for a result that landed before its subscription.
"""

import asyncio
from typing import Protocol

from lpgw.bus.errors import BusError, BusTimeout
from lpgw.bus.events import AiJob, Event, JobResult
from lpgw.bus.subjects import Names
from lpgw.intake.errors import QueueUnavailable, ResultTimeout


class JobBus(Protocol):
    """The two bus operations intake needs (`lpgw.bus.Bus` provides them)."""

    async def publish(self, subject: str, event: Event, msg_id: str | None = None) -> object: ...

    async def wait_for(
        self,
        subject: str,
        model: type[JobResult],
        timeout: float,  # noqa: ASYNC109 - the bus owns the deadline
        stream: str,
    ) -> JobResult: ...


async def submit(bus: JobBus, names: Names, job: AiJob, timeout_s: float) -> JobResult:
    """Publish `job` (deduplicated by its id) and return its result.

    Raises QueueUnavailable when the bus cannot take the job or loses the wait, ResultTimeout
    when no result arrives within `timeout_s`.
    """
    waiting = asyncio.create_task(
        bus.wait_for(
            names.result(job.job_id), JobResult, timeout=timeout_s, stream=names.results_stream
        )
    )
    try:
        try:
            await bus.publish(names.ai_job(job.pipeline), job, msg_id=job.job_id)
        except BusError as exc:
            raise QueueUnavailable(str(exc)) from exc
        try:
            return await waiting
        except BusTimeout:
            raise ResultTimeout() from None
        except BusError as exc:
            raise QueueUnavailable(str(exc)) from exc
    finally:
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
