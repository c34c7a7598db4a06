"""Handing a live stream's segments to the session: the one place intake writes video state.

Per segment, in this order: a sequence number from Redis (`take_seq`, counting the segment in
the stream's record), the bytes as blob `{stream}/source/{seq}.ts` in the video media space,
then the `VideoInput` event on the stream's subject, deduplicated by `{stream}.{seq}` so a
retried publish is stored once. The first segment of a publishing is also announced on
`video_started` (core NATS), so a session worker claims the stream at once.

A segment is handed over before the next one is cut, so an intake that dies loses only what
it had not cut yet. The end of a stream is one more `VideoInput` with `ended` after the last
segment; the session worker that owns the stream calls `VideoStreams.end` once it has
processed everything before it.
"""

import time
from dataclasses import dataclass

import nats.errors
from lpgw.blobs import BlobError, BlobStore
from lpgw.bus import BlobRef, Bus, BusError
from lpgw.bus.events import SourceInfo, VideoInput
from lpgw.intake import metrics
from lpgw.intake.video.auth import Grant
from lpgw.intake.video.errors import IngestUnavailable, TooManyStreams
from lpgw.service.logs import get_logger
from lpgw.video.profiles import to_json
from lpgw.video.records import IngestKind
from lpgw.video.streams import StreamsFull, VideoStreams
from redis.exceptions import RedisError

SOURCE_CONTENT_TYPE = "video/mp2t"
log = get_logger(__name__)


@dataclass(frozen=True)
class CutSegment:
    """A segment ready to publish."""

    data: bytes
    duration_ms: int
    info: SourceInfo
    received_at: float
    """When its last byte reached intake."""


def source_key(stream_id: str, seq: int) -> str:
    return f"{stream_id}/source/{seq}.ts"


class Ingest:
    """Shared by the RTMP and HTTP push paths of one process."""

    def __init__(self, bus: Bus, store: BlobStore, streams: VideoStreams, max_live: int) -> None:
        self._bus = bus
        self._store = store
        self.streams = streams
        self._max_live = max_live

    async def open(self, grant: Grant, kind: IngestKind) -> "Publishing":
        """Start or resume the stream under the cap (TooManyStreams past it). Whether a resumed
        stream's next segment is a discontinuity is the caller's decision."""
        profiles = [to_json(profile) for profile in grant.profiles]
        try:
            resumed, _ = await self.streams.open(grant.stream_id, kind, profiles, self._max_live)
        except StreamsFull as exc:
            raise TooManyStreams(str(exc)) from None
        except (RedisError, OSError) as exc:
            raise IngestUnavailable(f"stream state unavailable: {type(exc).__name__}") from None
        return Publishing(self, grant.stream_id, kind, resumed)

    async def end(self, stream_id: str) -> bool:
        """Publish the end of a live stream after its last segment; False if it is not live."""
        try:
            record = await self.streams.get(stream_id)
            if record is None or record.state != "live":
                return False
            seq = record.last_seq + 1
            event = VideoInput(stream_id=stream_id, seq=seq, ended=True, received_at=time.time())
            subject = self._bus.names.video_input(stream_id)
            await self._bus.publish(subject, event, msg_id=f"{stream_id}.{seq}.end")
        except (RedisError, OSError, BusError) as exc:
            raise IngestUnavailable(f"cannot end {stream_id}: {type(exc).__name__}") from None
        log.info("stream_end_published", extra={"stream_id": stream_id, "seq": seq})
        return True

    async def announce_ended(self, stream_id: str) -> None:
        """Ask whichever intake holds the stream's RTMP publisher to disconnect it."""
        try:
            await self._bus.nc.publish(self._bus.names.video_ended, stream_id.encode())
        except (nats.errors.Error, OSError) as exc:
            raise IngestUnavailable(f"cannot announce the end: {type(exc).__name__}") from None

    async def publish(
        self, stream_id: str, kind: IngestKind, segment: CutSegment, discontinuity: bool, seq: int
    ) -> BlobRef:
        started = time.perf_counter()
        try:
            stored = await self._store.put(
                source_key(stream_id, seq), segment.data, SOURCE_CONTENT_TYPE
            )
            source = BlobRef(
                key=stored.key,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
            )
            event = VideoInput(
                stream_id=stream_id,
                seq=seq,
                duration_ms=segment.duration_ms,
                source=source,
                info=segment.info,
                discontinuity=discontinuity,
                received_at=segment.received_at,
            )
            subject = self._bus.names.video_input(stream_id)
            await self._bus.publish(subject, event, msg_id=f"{stream_id}.{seq}")
        except (BlobError, BusError) as exc:
            raise IngestUnavailable(f"cannot publish segment {seq}: {exc}") from None
        metrics.VIDEO_SEGMENTS.labels(stream=stream_id).inc()
        metrics.VIDEO_BYTES.labels(stream=stream_id).inc(len(segment.data))
        metrics.VIDEO_PUBLISH_SECONDS.labels(kind=kind).observe(time.perf_counter() - started)
        return source

    async def announce_started(self, stream_id: str) -> None:
        try:
            await self._bus.nc.publish(self._bus.names.video_started, stream_id.encode())
        except (nats.errors.Error, OSError) as exc:  # the worker claims it at its next scan
            log.warning("started_not_announced", extra={"error": type(exc).__name__})

    async def take_seq(self, stream_id: str, discontinuity: bool, seq: int | None) -> int:
        """StreamEnded (from lpgw.video) passes through: the caller decides what it means."""
        try:
            return await self.streams.take_seq(stream_id, discontinuity=discontinuity, seq=seq)
        except (RedisError, OSError) as exc:
            raise IngestUnavailable(f"stream state unavailable: {type(exc).__name__}") from None


class Publishing:
    """One publisher's run of segments through this process."""

    def __init__(self, ingest: Ingest, stream_id: str, kind: IngestKind, resumed: bool) -> None:
        self._ingest = ingest
        self.stream_id = stream_id
        self.kind = kind
        self.resumed = resumed
        """`open` found the stream live or retained: a reconnection or a restart."""
        self._discontinuity = False
        self._announced = False
        self.last_seq: int | None = None

    async def add(self, segment: CutSegment, seq: int | None = None) -> tuple[int, BlobRef]:
        """Publish one segment (numbered by the publisher when `seq` is given); its number and
        stored source. StreamEnded if the stream was ended meanwhile; IngestUnavailable."""
        discontinuity = self._discontinuity
        taken = await self._ingest.take_seq(self.stream_id, discontinuity, seq)
        source = await self._ingest.publish(
            self.stream_id, self.kind, segment, discontinuity, taken
        )
        self._discontinuity = False
        self.last_seq = taken
        if not self._announced:
            self._announced = True
            await self._ingest.announce_started(self.stream_id)
        return taken, source

    def mark_discontinuity(self) -> None:
        """The next segment does not follow the previous one (the stream restarted)."""
        self._discontinuity = True
