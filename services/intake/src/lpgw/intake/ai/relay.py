"""Relaying a streamed answer (LLM tokens, a BYOC response) from the session to the client as
its chunks arrive (`lpgw.bus.chunks`).

The answer starts when its first chunk arrives, with the status and headers that chunk
carries; if the job's result comes first and counts no chunk, the job failed before anything
was produced and the client gets an ordinary error reply. The stream ends when the result has
come and every chunk it counts has been relayed. When the client goes away, the worker is told
(it stops the orchestrator's work and, for BYOC, the payment).
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any

from lpgw.bus.chunks import Chunk, ChunkInbox
from lpgw.bus.errors import BusError, BusTimeout
from lpgw.bus.events import AiJob, JobResult
from lpgw.bus.subjects import Names
from lpgw.intake.errors import ClientDisconnected, QueueUnavailable, ResultTimeout
from lpgw.intake.replies import passes_through, reply_for_result
from lpgw.intake.responses import json_reply
from lpgw.intake.submission import Inbox, JobBus, publish_job
from lpgw.service.envelope import error_body
from lpgw.service.logs import get_logger
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

log = get_logger(__name__)

STRAGGLER_WAIT_S = 2.0
"""After the result, how long chunks it counts may still be on their way."""
SSE = "text/event-stream"


@dataclass(frozen=True)
class Started:
    """The answer began: its first chunk, and the stream of the rest."""

    first: Chunk
    rest: AsyncIterator[bytes]


class StreamedJob:
    """One streamed job from publishing to its last chunk. `start()` returns either the
    beginning of the answer or the job's (failed) result."""

    def __init__(
        self,
        bus: JobBus,
        names: Names,
        inbox: Inbox,
        chunks: ChunkInbox,
        job: AiJob,
        timeout_s: float,
    ) -> None:
        self._bus = bus
        self._names = names
        self._inbox = inbox
        self._chunks = chunks
        self._job = job
        self._timeout_s = timeout_s
        self._queue = chunks.expect(job.job_id)
        inbox.expect(job.job_id)
        self._result: asyncio.Task[JobResult] | None = None

    async def start(self, gone: Awaitable[None] | None = None) -> Started | JobResult:
        """`gone` returns when the client disconnects: before the first chunk too, the worker
        is told (a BYOC job may work, and be paid, for minutes before its first byte)."""
        watching = asyncio.ensure_future(gone) if gone is not None else None
        try:
            await publish_job(self._bus, self._names, self._job)
            self._result = asyncio.create_task(self._inbox.wait(self._job.job_id, self._timeout_s))
            first = await self._first(watching)
            if isinstance(first, JobResult) and first.chunks > 0:
                first = await self._overtaken(first)
        except ClientDisconnected:
            await self.close(cancelled=True)
            raise
        except BaseException:
            await self.close()
            raise
        finally:
            if watching is not None:
                watching.cancel()
        if isinstance(first, JobResult):
            await self.close()
            return first
        return Started(first, self._rest(first))

    async def close(self, cancelled: bool = False) -> None:
        if cancelled:
            await self._chunks.cancel(self._job.job_id)
        if self._result is not None and not self._result.done():
            self._result.cancel()
            with contextlib.suppress(asyncio.CancelledError, BusError):
                await self._result
        self._chunks.forget(self._job.job_id)
        self._inbox.forget(self._job.job_id)

    async def _first(self, watching: "asyncio.Future[None] | None") -> Chunk | JobResult:
        if watching is None:
            return await self._next_chunk()
        first = asyncio.ensure_future(self._next_chunk())
        racing: set[asyncio.Future[Any]] = {first, watching}
        await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        if first.done():
            return first.result()
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
        raise ClientDisconnected()

    async def _next_chunk(self) -> Chunk | JobResult:
        """The next chunk, or the result if it comes first."""
        assert self._result is not None
        getting = asyncio.ensure_future(self._queue.get())
        try:
            done, _ = await asyncio.wait(
                {getting, self._result}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            if not getting.done():
                getting.cancel()
        if getting in done:
            return getting.result()
        return self._finished()

    async def _overtaken(self, result: JobResult) -> Chunk | JobResult:
        """The result came before the first chunk it counts (core NATS may deliver chunks
        after the stored result): the answer's beginning, if it comes soon, else the result."""
        try:
            async with asyncio.timeout(STRAGGLER_WAIT_S):
                while True:
                    chunk = await self._queue.get()
                    if chunk.delivery == result.delivery:
                        return chunk
        except TimeoutError:
            log.warning("stream_chunks_lost", extra={"missing": result.chunks})
            return result

    def _finished(self) -> JobResult:
        assert self._result is not None
        try:
            return self._result.result()
        except BusTimeout:
            raise ResultTimeout() from None
        except BusError as exc:
            raise QueueUnavailable(str(exc)) from exc

    async def _rest(self, first: Chunk) -> AsyncIterator[bytes]:
        """The answer's bytes after the head; on the client's departure the worker is told."""
        cancelled = True
        is_sse = _content_type(first).startswith(SSE)
        try:
            yield first.data
            received = 1
            while True:
                step = await self._next_chunk()
                if isinstance(step, JobResult):
                    async for data in self._stragglers(step, received):
                        yield data
                    if not step.ok and is_sse:
                        yield _error_event(step)
                    cancelled = False
                    return
                if step.delivery != first.delivery:
                    # A new delivery of the job started over: its answer cannot be spliced on.
                    log.warning("stream_restarted", extra={"delivery": step.delivery})
                    if is_sse:
                        yield _error_event(None)
                    return
                received += 1
                yield step.data
        except (ResultTimeout, QueueUnavailable):
            if is_sse:
                yield _error_event(None)
        finally:
            await self.close(cancelled=cancelled)

    async def _stragglers(self, result: JobResult, received: int) -> AsyncIterator[bytes]:
        """Chunks the result counts that have not arrived yet (core NATS may deliver them after
        the stored result)."""
        missing = result.chunks - received
        while missing > 0:
            try:
                chunk = await asyncio.wait_for(self._queue.get(), STRAGGLER_WAIT_S)
            except TimeoutError:
                log.warning("stream_chunks_lost", extra={"missing": missing})
                return
            if chunk.delivery == result.delivery:
                missing -= 1
                yield chunk.data


async def answer_streamed(
    bus: JobBus,
    names: Names,
    inbox: Inbox,
    chunks: ChunkInbox,
    job: AiJob,
    timeout_s: float,
    media_base_url: str,
    request: Request,
) -> Response:
    """Publish a streamed job; its answer as it comes, or its error if it failed first."""
    job_run = StreamedJob(bus, names, inbox, chunks, job, timeout_s)
    started = await job_run.start(client_gone(request))
    if not isinstance(started, Started):
        return json_reply(reply_for_result(started, media_base_url))
    return streaming_response(started)


async def client_gone(request: Request) -> None:
    """Returns when the client disconnects. The body has been read, so the only message the
    server can still deliver is the disconnect."""
    while (await request.receive())["type"] != "http.disconnect":
        continue


def streaming_response(started: Started) -> StreamingResponse:
    head = started.first.head
    status = head.status if head is not None else 200
    headers = dict(head.headers) if head is not None else {}
    media_type = headers.pop("Content-Type", None) or headers.pop("content-type", None)
    if media_type and media_type.startswith(SSE):
        headers.setdefault("Cache-Control", "no-cache")
        headers.setdefault("X-Accel-Buffering", "no")
    return StreamingResponse(
        started.rest, status_code=status, headers=headers, media_type=media_type
    )


def _content_type(chunk: Chunk) -> str:
    if chunk.head is None:
        return ""
    headers = {k.lower(): v for k, v in chunk.head.headers.items()}
    return headers.get("content-type", "").lower()


def _error_event(result: JobResult | None) -> bytes:
    """The end of a stream that failed after it started: an SSE `error` event clients can
    tell from tokens."""
    message = "the stream was interrupted"
    if result is not None and result.error is not None and passes_through(result.error.status):
        message = result.error.message
    return f"event: error\ndata: {json.dumps(error_body(message))}\n\n".encode()
