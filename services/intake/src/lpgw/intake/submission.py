"""Handing a job to the session over the bus and waiting for its result.

The job names this process's result inbox (`lpgw.bus.ResultInbox`), which starts waiting before
the job is published, so no result can slip by.
"""

from typing import Protocol

from lpgw.bus.errors import BusError, BusTimeout
from lpgw.bus.events import AiJob, Event, JobResult
from lpgw.bus.subjects import Names
from lpgw.intake.errors import QueueUnavailable, ResultTimeout


class JobBus(Protocol):
    """The bus operation intake needs (`lpgw.bus.Bus` provides it)."""

    async def publish(self, subject: str, event: Event, msg_id: str | None = None) -> object: ...

    async def last_stored(
        self, stream: str, subject: str, model: type[JobResult]
    ) -> JobResult | None: ...


class Inbox(Protocol):
    """Where this process's results arrive (`lpgw.bus.ResultInbox` provides it)."""

    @property
    def id(self) -> str: ...

    def expect(self, job_id: str) -> None: ...

    def forget(self, job_id: str) -> None: ...

    async def wait(self, job_id: str, timeout: float) -> JobResult: ...  # noqa: ASYNC109


async def submit(
    bus: JobBus, inbox: Inbox, names: Names, job: AiJob, timeout_s: float
) -> JobResult:
    """Publish `job` (deduplicated by its id) and return its result.

    Raises QueueUnavailable when the bus cannot take the job or loses the wait, ResultTimeout
    when no result arrives within `timeout_s`.
    """
    inbox.expect(job.job_id)
    try:
        await publish_job(bus, names, job)
        try:
            return await inbox.wait(job.job_id, timeout_s)
        except BusTimeout:
            raise ResultTimeout() from None
        except BusError as exc:
            raise QueueUnavailable(str(exc)) from exc
    finally:
        inbox.forget(job.job_id)


async def publish_job(bus: JobBus, names: Names, job: AiJob) -> None:
    """Store the job in JOBS (deduplicated by its id); QueueUnavailable when the bus cannot."""
    try:
        await bus.publish(names.ai_job(job.pipeline), job, msg_id=job.job_id)
    except BusError as exc:
        raise QueueUnavailable(str(exc)) from exc
