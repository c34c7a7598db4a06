"""HTTP push ingest (facts 56–62): `PUT`/`POST /live/{stream}/{seq}.ts|.mp4`, one segment a
request, answered once the session has stored its renditions.

The first push of a stream creates it (after auth); later ones join it. The publisher numbers
the segments (ffmpeg's HLS muxer sends them out of order), and the number in the URL is the
segment's sequence number. A segment is probed before anything is stored: a body PyAV cannot
read is refused with nothing published. The answer waits on `video_done(stream, seq)`,
subscribed before the segment is published so the answer cannot slip by; a segment delivered
before (a retried push) is answered from its record. A stream nobody pushed to for
`INTAKE_PUSH_IDLE_S` ends (`Endings`).
"""

import asyncio
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import nats.errors
from lpgw.blobs import BlobError, BlobStore
from lpgw.bus import Bus
from lpgw.intake import metrics
from lpgw.intake.video.auth import Authorizer, Grant
from lpgw.intake.video.endings import Endings
from lpgw.intake.video.errors import (
    BadPush,
    IngestUnavailable,
    TranscodeTimeout,
    VideoRefused,
)
from lpgw.intake.video.ingest import CutSegment, Ingest, Publishing
from lpgw.intake.video.keys import STREAM_ID
from lpgw.intake.video.multipart import Part, parts_of
from lpgw.intake.video.probe import PushContainer, probe
from lpgw.intake.video.transcode_config import (
    InvalidTranscodeConfig,
    TranscodeConfig,
    parse_transcode_config,
)
from lpgw.service.logs import get_logger
from lpgw.video.records import IngestKind, SegmentRecord
from lpgw.video.streams import StreamEnded
from nats.aio.subscription import Subscription
from pydantic import ValidationError
from redis.exceptions import RedisError

KIND: IngestKind = "http"
DEFAULT_DURATION_MS = 2000
EXTENSIONS: Mapping[str, PushContainer] = {"ts": "mpegts", "mp4": "mp4"}
MAX_CACHED_GRANTS = 1024
_RESOLUTION = re.compile(r"^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$")
log = get_logger(__name__)


@dataclass(frozen=True)
class PushRequest:
    stream_id: str
    seq: int
    container: PushContainer
    duration_ms: int | None
    resolution: tuple[int, int] | None
    config: TranscodeConfig | None
    key: str | None
    multipart: bool
    url: str
    query: str


def parse_push(stream: str, name: str, headers: Mapping[str, str], url: str) -> PushRequest:
    """The request's path and headers, checked; BadPush (400) names what is wrong."""
    seq_text, _, extension = name.rpartition(".")
    if extension not in EXTENSIONS:
        raise BadPush("ignoring file extension")
    if not seq_text.isdigit() or len(seq_text) > 18:
        raise BadPush(f"bad sequence number {seq_text!r}")
    if not STREAM_ID.match(stream):
        raise BadPush(f"stream name must match {STREAM_ID.pattern}")
    for slice_header in ("content-slice-from", "content-slice-to"):
        if slice_header in headers and not headers[slice_header].isdigit():
            raise BadPush(f"bad {slice_header.title()}")
    return PushRequest(
        stream_id=stream,
        seq=int(seq_text),
        container=EXTENSIONS[extension],
        duration_ms=_duration(headers.get("content-duration")),
        resolution=_resolution(headers.get("content-resolution")),
        config=_config(headers.get("livepeer-transcode-configuration")),
        key=_bearer(headers.get("authorization")),
        multipart="multipart/mixed" in headers.get("accept", "").lower(),
        url=url,
        query=url.partition("?")[2],
    )


def _duration(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 0 < int(value) <= 300_000:
        raise BadPush("bad Content-Duration: milliseconds from 1 to 300000")
    return int(value)


def _resolution(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    found = _RESOLUTION.match(value)
    if found is None:
        raise BadPush("bad Content-Resolution: WIDTHxHEIGHT")
    return int(found[1]), int(found[2])


def _config(value: str | None) -> TranscodeConfig | None:
    if value is None:
        return None
    try:
        return parse_transcode_config(value, require_stream_id=False)
    except InvalidTranscodeConfig as exc:
        raise BadPush(f"bad Livepeer-Transcode-Configuration: {exc}") from None


def _bearer(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class PushIngest:
    """The HTTP push side of one intake process."""

    def __init__(
        self,
        auth: Authorizer,
        ingest: Ingest,
        endings: Endings,
        bus: Bus,
        store: BlobStore,
        idle_s: float,
        wait_s: float,
    ) -> None:
        self._auth = auth
        self._ingest = ingest
        self._endings = endings
        self._bus = bus
        self._store = store
        self._idle_s = idle_s
        self._wait_s = wait_s
        self._grants: dict[tuple[str, str], Grant] = {}
        """Webhook answers by (URL stream, query): the webhook is asked once per stream."""
        self._publishings: dict[str, Publishing] = {}

    async def admit(self, request: PushRequest) -> Grant:
        """May this request push to its stream? UnknownKey, AuthDenied, AuthUnavailable."""
        cache_key = (request.stream_id, request.query)
        cached = self._grants.get(cache_key)
        if cached is not None and request.key is None:
            return cached
        try:
            grant = await self._auth.push(
                request.url, request.stream_id, request.key, request.config
            )
        except VideoRefused as exc:
            metrics.VIDEO_REFUSED.labels(kind=KIND, reason=type(exc).__name__).inc()
            raise
        if grant.how == "webhook":
            if len(self._grants) >= MAX_CACHED_GRANTS:
                self._grants.pop(next(iter(self._grants)))
            self._grants[cache_key] = grant
        return grant

    async def take(
        self, request: PushRequest, grant: Grant, body: bytes, received_at: float
    ) -> SegmentRecord:
        """Probe, publish and wait for the segment's renditions: its delivered record.
        UnprobeableMedia, TooManyStreams, IngestUnavailable, TranscodeTimeout."""
        probed = await asyncio.to_thread(probe, body, request.container)
        duration_ms = request.duration_ms or probed.duration_ms or DEFAULT_DURATION_MS
        segment = CutSegment(probed.data, duration_ms, probed.info, received_at)
        stream_id = grant.stream_id
        publishing = await self._publishing(grant)
        try:
            done = await self._bus.nc.subscribe(self._bus.names.video_done(stream_id, request.seq))
        except nats.errors.Error as exc:
            raise IngestUnavailable(f"bus unavailable: {type(exc).__name__}") from None
        try:
            seq = await self._add(publishing, grant, segment, request.seq)
            self._endings.schedule(stream_id, self._idle_s, "push idle")
            delivered = await self._ingest.streams.segment(stream_id, seq)
            return delivered or await self._wait(done, seq)
        finally:
            try:
                await done.unsubscribe()
            except nats.errors.Error as exc:
                log.debug("unsubscribe_failed", extra={"error": type(exc).__name__})

    async def renditions(self, record: SegmentRecord) -> list[tuple[Part, bytes]]:
        """The transcoded files of `record`, read from the blob store."""
        parts = parts_of(record)
        try:
            files = await asyncio.gather(*(self._store.get(part.key) for part in parts))
        except BlobError as exc:
            raise IngestUnavailable(f"cannot read the renditions: {exc}") from None
        return [(part, data) for part, (data, _) in zip(parts, files, strict=True)]

    def forget(self, stream_id: str) -> None:
        """The stream ended here: the next push starts it again (after auth)."""
        if self._publishings.pop(stream_id, None) is not None:
            metrics.VIDEO_PUBLISHERS.labels(kind=KIND).dec()
        for cache_key in [k for k, grant in self._grants.items() if grant.stream_id == stream_id]:
            del self._grants[cache_key]

    async def _publishing(self, grant: Grant) -> Publishing:
        known = self._publishings.get(grant.stream_id)
        if known is not None:
            return known
        try:
            before = await self._ingest.streams.get(grant.stream_id)
        except (RedisError, OSError) as exc:
            raise IngestUnavailable(f"stream state unavailable: {type(exc).__name__}") from None
        publishing = await self._ingest.open(grant, KIND)
        if before is not None and before.state == "ended":
            publishing.mark_discontinuity()
        log.info(
            "push_stream_started",
            extra={"stream_id": grant.stream_id, "resumed": publishing.resumed, "auth": grant.how},
        )
        kept = self._publishings.setdefault(grant.stream_id, publishing)
        if kept is publishing:
            metrics.VIDEO_PUBLISHERS.labels(kind=KIND).inc()
        return kept

    async def _add(
        self, publishing: Publishing, grant: Grant, segment: CutSegment, seq: int
    ) -> int:
        try:
            taken, _ = await publishing.add(segment, seq)
        except StreamEnded:
            # Ended meanwhile (idle, or from the API): a new push starts it again.
            self._publishings.pop(grant.stream_id, None)
            publishing = await self._ingest.open(grant, KIND)
            publishing.mark_discontinuity()
            self._publishings[grant.stream_id] = publishing
            taken, _ = await publishing.add(segment, seq)
        return taken

    async def _wait(self, done: Subscription, seq: int) -> SegmentRecord:
        deadline = time.monotonic() + self._wait_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await done.next_msg(timeout=left)
            except nats.errors.TimeoutError:
                break
            try:
                return SegmentRecord.model_validate_json(message.data)
            except ValidationError:
                log.warning("bad_segment_record", extra={"seq": seq})
        raise TranscodeTimeout(f"segment {seq} not transcoded within {self._wait_s:g} s")
