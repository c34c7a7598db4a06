"""Which live streams this session worker works: leases in Redis, one StreamWorker each.

A stream is claimed by whoever takes its lease first (`SET NX` with a TTL): at once when intake
says a stream has input (`video_started`), or at the next scan of the live streams, which is
how a stream whose worker died is taken over: its lease runs out after `lease_s`, the next
scan claims it, and the stream's durable consumer hands the new worker the first segment not
acknowledged. Every scan renews the leases held; a lease that cannot be renewed means another
worker has the stream, and this one stops working it at once.

A stream whose input stopped for `idle_end_s` (its publisher went away and the intake process
that would have ended it died too) is ended here, through its own input subject, so the end
comes after every segment already queued.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass

from lpgw.bus.consumer import Consumer
from lpgw.bus.errors import BusError
from lpgw.bus.events import VideoInput
from lpgw.session.video.choice import StreamChoice
from lpgw.session.video.stream_worker import StreamWorker, VideoDeps
from lpgw.video import profiles as video_profiles
from lpgw.video.records import StreamRecord
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from redis.exceptions import RedisError

logger = logging.getLogger("lpgw.session.video")

IDLE_CHECK_EVERY = 5
"""Scans between two checks of the owned streams' last input (one Redis read per stream)."""
STOP_GRACE_S = 10.0
MAX_DELIVER = 1000
"""A segment is retried while Redis or NATS are briefly away; orchestrator failures never
make it fail (it is delivered as source only)."""


@dataclass(frozen=True)
class ManagerLimits:
    lease_s: float = 3.0
    scan_s: float = 1.0
    idle_end_s: float = 120.0
    max_streams: int = 100
    ack_wait_s: float = 4.0


@dataclass
class _Owned:
    worker: StreamWorker
    consumer: Consumer[VideoInput]


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class VideoManager:
    def __init__(self, deps: VideoDeps, limits: ManagerLimits, worker: str | None = None) -> None:
        self._deps = deps
        self._limits = limits
        self.worker = worker or worker_id()
        self._owned: dict[str, _Owned] = {}
        self._claiming: set[str] = set()
        self._scans = 0

    @property
    def streams(self) -> list[str]:
        return sorted(self._owned)

    async def run(self, stop: asyncio.Event) -> None:
        names = self._deps.bus.names
        sub: Subscription = await self._deps.bus.nc.subscribe(
            names.video_started, cb=self._on_started
        )
        try:
            while not stop.is_set():
                try:
                    await self._scan()
                except (RedisError, BusError, OSError) as exc:
                    logger.warning("video_scan_failed", extra={"error": type(exc).__name__})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._limits.scan_s)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
            await asyncio.gather(
                *(self._let_go(stream_id, release=True) for stream_id in list(self._owned))
            )

    async def _on_started(self, msg: Msg) -> None:
        stream_id = msg.data.decode(errors="replace")
        with contextlib.suppress(RedisError, BusError, OSError):
            await self._claim(stream_id)

    async def _scan(self) -> None:
        self._scans += 1
        for stream_id, owned in list(self._owned.items()):
            if owned.worker.finished:
                await self._let_go(stream_id, release=True, delete=True)
        lost = await self._deps.streams.renew_all(
            list(self._owned), self.worker, self._limits.lease_s
        )
        for stream_id in lost:
            logger.warning("stream_lease_lost", extra={"stream_id": stream_id})
            await self._let_go(stream_id, release=False)
        for stream_id in await self._deps.streams.live_ids():
            await self._claim(stream_id)
        if self._scans % IDLE_CHECK_EVERY == 0:
            await self._end_idle()

    async def _claim(self, stream_id: str) -> None:
        if stream_id in self._owned or stream_id in self._claiming:
            return
        if len(self._owned) >= self._limits.max_streams:
            return
        self._claiming.add(stream_id)
        try:
            if await self._deps.streams.claim(stream_id, self.worker, self._limits.lease_s):
                await self._start(stream_id)
        finally:
            self._claiming.discard(stream_id)

    async def _start(self, stream_id: str) -> None:
        streams = self._deps.streams
        record = await streams.get(stream_id)
        if record is None or record.state != "live":
            await streams.release(stream_id, self.worker)
            return
        choice = StreamChoice.from_json(await streams.worker_state(stream_id) or {})
        worker = StreamWorker(stream_id, self._deps, _profiles(record), choice)
        names = self._deps.bus.names
        try:
            consumer = await self._deps.bus.consume(
                stream=names.video_input_stream,
                durable=names.video_consumer(stream_id),
                filter_subject=names.video_input(stream_id),
                model=VideoInput,
                handler=worker.handle,
                ack_wait=self._limits.ack_wait_s,
                max_deliver=MAX_DELIVER,
                concurrency=1,
                max_ack_pending=1,
            )
        except BusError:
            await streams.release(stream_id, self.worker)
            raise
        self._owned[stream_id] = _Owned(worker, consumer)
        logger.info("stream_claimed", extra={"stream_id": stream_id, "worker": self.worker})

    async def _let_go(self, stream_id: str, *, release: bool, delete: bool = False) -> None:
        owned = self._owned.pop(stream_id, None)
        if owned is None:
            return
        grace = STOP_GRACE_S if release else 0.5
        with contextlib.suppress(BusError):
            await self._deps.bus.stop_consumer(owned.consumer, grace, delete=delete)
        await owned.worker.close()
        if release:
            with contextlib.suppress(RedisError, OSError):
                await self._deps.streams.release(stream_id, self.worker)

    async def _end_idle(self) -> None:
        now = time.time()
        for stream_id in list(self._owned):
            record = await self._deps.streams.get(stream_id)
            if record is None or record.state != "live":
                continue
            last = record.last_input_at or record.created_at
            if now - last < self._limits.idle_end_s:
                continue
            logger.info("stream_idle", extra={"stream_id": stream_id, "idle_s": round(now - last)})
            end = VideoInput(
                stream_id=stream_id, seq=record.last_seq + 1, ended=True, received_at=now
            )
            await self._deps.bus.publish(
                self._deps.bus.names.video_input(stream_id),
                end,
                msg_id=f"{stream_id}.end.{record.last_seq}",
            )


def _profiles(record: StreamRecord) -> list[video_profiles.VideoProfile]:
    """The stream's renditions as intake stored them; the default ladder if none."""
    if not record.profiles:
        return video_profiles.presets(video_profiles.DEFAULT_LADDER)
    return [video_profiles.from_json(profile) for profile in record.profiles]
