"""`ResultInbox`: one subscription per process for the results of the jobs it submitted.

Each job names the inbox its result goes to (`names.result(inbox, job_id)`), so a process
subscribes once, at start, instead of once per job, and sees only its own results. Waiting for
a job costs no round trip of its own: the subscription exists before the job is published on
the same connection, and NATS delivers in order. What a subscription cannot see, a result
published while the connection was down, is read from the RESULTS stream (one direct get per
waiting job) after every reconnection and once more when a wait runs out.
"""

import asyncio
import logging
import uuid
from typing import Generic, TypeVar

from lpgw.bus.client import Bus, unsubscribe_quietly
from lpgw.bus.codec import decode
from lpgw.bus.errors import BusError, BusTimeout, InvalidMessage
from lpgw.bus.events import Event
from lpgw.bus.translate import translated
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

logger = logging.getLogger("lpgw.bus")

E = TypeVar("E", bound=Event)


class ResultInbox(Generic[E]):
    """`expect(job_id)` before publishing the job, then `wait(job_id, timeout)`."""

    def __init__(self, bus: Bus, model: type[E], inbox: str | None = None) -> None:
        self.id = inbox or uuid.uuid4().hex[:16]
        self._bus = bus
        self._model = model
        self._waiting: dict[str, asyncio.Future[E]] = {}
        self._sub: Subscription | None = None
        self._lookups: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        subject = self._bus.names.inbox_results(self.id)
        with translated(subject):
            self._sub = await self._bus.nc.subscribe(subject, cb=self._on_message)
        self._bus.on_reconnect(self._look_up_all)

    async def close(self) -> None:
        for task in list(self._lookups):
            task.cancel()
        await asyncio.gather(*self._lookups, return_exceptions=True)
        if self._sub is not None:
            await unsubscribe_quietly(self._sub)
            self._sub = None

    def expect(self, job_id: str) -> None:
        """Start waiting for `job_id`'s result (call before publishing the job)."""
        self._waiting[job_id] = asyncio.get_running_loop().create_future()

    def forget(self, job_id: str) -> None:
        """Stop waiting for `job_id` (its wait ended, whichever way)."""
        self._waiting.pop(job_id, None)

    async def wait(self, job_id: str, timeout: float) -> E:  # noqa: ASYNC109 - the job's deadline
        """The job's result; BusTimeout when none arrived (nor was stored) within `timeout`."""
        future = self._waiting[job_id]
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(future)
        except TimeoutError:
            stored = await self._stored(job_id)
            if stored is None:
                raise BusTimeout(f"no result for job {job_id} within {timeout:g}s") from None
            return stored

    async def _on_message(self, msg: Msg) -> None:
        job_id = msg.subject.rpartition(".")[2]
        future = self._waiting.get(job_id)
        if future is None or future.done():
            return
        try:
            future.set_result(decode(self._model, msg.data, msg.headers))
        except InvalidMessage as exc:
            logger.warning("message_rejected", extra={"subject": msg.subject, "reason": str(exc)})

    async def _stored(self, job_id: str) -> E | None:
        names = self._bus.names
        subject = names.result(self.id, job_id)
        return await self._bus.last_stored(names.results_stream, subject, self._model)

    def _look_up_all(self) -> None:
        for job_id, future in list(self._waiting.items()):
            if not future.done():
                task = asyncio.create_task(self._look_up(job_id, future))
                self._lookups.add(task)
                task.add_done_callback(self._lookups.discard)

    async def _look_up(self, job_id: str, future: asyncio.Future[E]) -> None:
        try:
            stored = await self._stored(job_id)
        except BusError as exc:
            logger.warning("result_lookup_failed", extra={"job_id": job_id, "error": str(exc)})
            return
        if stored is not None and not future.done():
            future.set_result(stored)
