"""Streamed answers: the bytes of an answer sent to the waiting intake process as they come.

An LLM stream or a BYOC response cannot wait for the job's stored result: its tokens must
reach the client while the orchestrator still produces them. So the session worker publishes
them on core NATS (`names.chunk(inbox, job_id)`, not stored, no acknowledgement, a few
microseconds each) and the job's stored `JobResult` follows with the number of chunks sent,
so intake knows when it has them all. The first chunk carries the answer's status and headers.

A chunk is raw bytes with three headers, not a JSON event: a token is a few bytes, and base64
in JSON would cost more than the token. Chunks are numbered per delivery of the job; if the
worker dies mid-stream and JetStream redelivers the job, intake sees chunks of a new delivery
and ends the client's stream instead of splicing two answers.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from lpgw.bus.client import Bus, unsubscribe_quietly
from lpgw.bus.errors import BusError
from lpgw.bus.translate import translated
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

logger = logging.getLogger("lpgw.bus")
T = TypeVar("T")

SEQ_HEADER = "Lpgw-Chunk-Seq"
DELIVERY_HEADER = "Lpgw-Chunk-Delivery"
HEAD_HEADER = "Lpgw-Chunk-Head"
MAX_CHUNK_BYTES = 512 * 1024
"""Well under NATS' max_payload; a larger piece is sent as several chunks."""


@dataclass(frozen=True)
class Head:
    """The status and headers of a streamed answer, sent with its first chunk."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    seq: int
    delivery: int
    data: bytes
    head: Head | None = None


class ChunkSender:
    """The worker's end of one job's stream (for one delivery of the job)."""

    def __init__(self, bus: Bus, inbox: str, job_id: str, delivery: int) -> None:
        self._bus = bus
        self._subject = bus.names.chunk(inbox, job_id)
        self.delivery = delivery
        self.sent = 0

    @property
    def started(self) -> bool:
        return self.sent > 0

    async def start(self, head: Head, data: bytes = b"") -> None:
        """The first chunk: status and headers (and maybe the first bytes)."""
        encoded = json.dumps({"status": head.status, "headers": head.headers})
        await self._publish(data[:MAX_CHUNK_BYTES], {HEAD_HEADER: encoded})
        await self.send(data[MAX_CHUNK_BYTES:])

    async def send(self, data: bytes) -> None:
        for at in range(0, len(data), MAX_CHUNK_BYTES):
            await self._publish(data[at : at + MAX_CHUNK_BYTES], {})

    async def _publish(self, data: bytes, headers: dict[str, str]) -> None:
        headers |= {SEQ_HEADER: str(self.sent), DELIVERY_HEADER: str(self.delivery)}
        with translated(self._subject):
            await self._bus.nc.publish(self._subject, data, headers=headers)
        self.sent += 1


class ChunkInbox:
    """One subscription per intake process for the chunks of every job it streams."""

    def __init__(self, bus: Bus, inbox: str) -> None:
        self._bus = bus
        self._inbox = inbox
        self._queues: dict[str, asyncio.Queue[Chunk]] = {}
        self._sub: Subscription | None = None

    async def start(self) -> None:
        subject = self._bus.names.inbox_chunks(self._inbox)
        with translated(subject):
            self._sub = await self._bus.nc.subscribe(subject, cb=self._on_message)

    async def close(self) -> None:
        if self._sub is not None:
            await unsubscribe_quietly(self._sub)
            self._sub = None

    def expect(self, job_id: str) -> "asyncio.Queue[Chunk]":
        """Start collecting `job_id`'s chunks (call before publishing the job)."""
        queue: asyncio.Queue[Chunk] = asyncio.Queue()
        self._queues[job_id] = queue
        return queue

    def forget(self, job_id: str) -> None:
        self._queues.pop(job_id, None)

    async def cancel(self, job_id: str) -> None:
        """Tell the worker the client went away. Best effort: a lost cancel only means the
        worker runs the job to its end."""
        subject = self._bus.names.cancel(job_id)
        try:
            with translated(subject):
                await self._bus.nc.publish(subject, b"")
        except BusError as exc:
            logger.warning("cancel_not_sent", extra={"job_id": job_id, "error": str(exc)})

    async def _on_message(self, msg: Msg) -> None:
        queue = self._queues.get(msg.subject.rpartition(".")[2])
        if queue is None:
            return
        try:
            queue.put_nowait(parse_chunk(msg.data, msg.headers or {}))
        except ValueError as exc:
            logger.warning("chunk_rejected", extra={"subject": msg.subject, "reason": str(exc)})


def parse_chunk(data: bytes, headers: Mapping[str, str]) -> Chunk:
    try:
        seq = int(headers[SEQ_HEADER])
        delivery = int(headers[DELIVERY_HEADER])
        head = None
        if HEAD_HEADER in headers:
            raw = json.loads(headers[HEAD_HEADER])
            head = Head(int(raw["status"]), {str(k): str(v) for k, v in raw["headers"].items()})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"malformed chunk headers: {exc}") from None
    return Chunk(seq=seq, delivery=delivery, data=data, head=head)


class CancelWatch:
    """The worker's ear for its client going away: `cancelled` is set when intake says so."""

    def __init__(self, bus: Bus, job_id: str) -> None:
        self._bus = bus
        self._subject = bus.names.cancel(job_id)
        self.cancelled = asyncio.Event()
        self._sub: Subscription | None = None

    async def __aenter__(self) -> "CancelWatch":
        async def on_cancel(_: Msg) -> None:
            self.cancelled.set()

        with translated(self._subject):
            self._sub = await self._bus.nc.subscribe(self._subject, cb=on_cancel)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._sub is not None:
            await unsubscribe_quietly(self._sub)

    async def unless_cancelled(self, work: Awaitable[T]) -> T | None:
        """`work`'s result, or None when the client went first: the work is then cancelled
        (its connection to the orchestrator closes, which stops the work and its charge)."""
        running = asyncio.ensure_future(work)
        gone = asyncio.ensure_future(self.cancelled.wait())
        try:
            await asyncio.wait({running, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
        if running.done():
            return running.result()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        return None
