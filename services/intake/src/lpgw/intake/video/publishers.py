"""RTMP publishers: who may publish (`authorize`, the RTMP server's callback) and what happens
to their tags (`RtmpPublisher`: cut, then hand each segment over).

One publisher per stream per process: a second one is refused while the first publishes.
A publisher that goes away (cleanly or not) leaves its stream live for
`INTAKE_RECONNECT_GRACE_S`, so a quick reconnection resumes it with a discontinuity; after
that its end is published. A stream ended from the API is disconnected at once, and its tail
(the frames after the last cut) is dropped, as its end is already published.
"""

import time
from urllib.parse import urlencode

from lpgw.intake import metrics
from lpgw.intake.rtmp.publishing import (
    BAD_NAME,
    DENIED,
    FlvTag,
    Publisher,
    PublishRequest,
    RtmpRefused,
    StopPublishing,
)
from lpgw.intake.video.auth import Authorizer
from lpgw.intake.video.endings import Endings
from lpgw.intake.video.errors import IngestUnavailable, StreamBusy, UnknownKey, VideoRefused
from lpgw.intake.video.ingest import CutSegment, Ingest, Publishing
from lpgw.intake.video.segmenter import Segment, Segmenter, SegmentError
from lpgw.service.logs import bind_log_context, get_logger
from lpgw.video.records import IngestKind
from lpgw.video.streams import StreamEnded

APP = "live"
"""The one RTMP application: `rtmp://HOST:PORT/live/{stream key}`."""
KIND: IngestKind = "rtmp"
log = get_logger(__name__)


class StreamClosed(StopPublishing):
    """Raised from `on_tag` to close the connection; already logged with its reason."""


def ingest_url(request: PublishRequest) -> str:
    """The URL the publisher used, as the auth webhook receives it (key and query included)."""
    url = f"{request.tc_url.rstrip('/')}/{request.stream_key}"
    return f"{url}?{urlencode(request.query)}" if request.query else url


def rtmp_code(refusal: VideoRefused) -> str:
    return BAD_NAME if isinstance(refusal, UnknownKey | StreamBusy) else DENIED


class RtmpIngest:
    """The RTMP side of one intake process."""

    def __init__(
        self,
        auth: Authorizer,
        ingest: Ingest,
        endings: Endings,
        segment_ms: int,
        max_segment_ms: int,
        grace_s: float,
    ) -> None:
        self._auth = auth
        self._ingest = ingest
        self._endings = endings
        self._segment_ms = segment_ms
        self._max_segment_ms = max_segment_ms
        self._grace_s = grace_s
        self._active: dict[str, RtmpPublisher | None] = {}
        """Stream id → its publisher here (None while it is being opened)."""

    async def authorize(self, request: PublishRequest) -> Publisher:
        try:
            if request.app != APP:
                raise UnknownKey(f"unknown application {request.app!r}: publish to /{APP}/<key>")
            grant = await self._auth.rtmp(ingest_url(request), request.stream_key)
            stream_id = grant.stream_id
            if stream_id in self._active:
                raise StreamBusy(f"stream {stream_id} is already publishing")
            self._active[stream_id] = None
            returning = self._endings.pending(stream_id)
            self._endings.cancel(stream_id)  # before any await: the timer must not fire now
            try:
                publishing = await self._ingest.open(grant, KIND)
            except BaseException:
                del self._active[stream_id]
                if returning:
                    self._endings.schedule(stream_id, self._grace_s, "publisher gone")
                raise
        except VideoRefused as refusal:
            metrics.VIDEO_REFUSED.labels(kind=KIND, reason=type(refusal).__name__).inc()
            log.info("rtmp_refused", extra={"reason": str(refusal), "peer": request.peer})
            raise RtmpRefused(str(refusal), rtmp_code(refusal)) from None
        if publishing.resumed:
            publishing.mark_discontinuity()
        segmenter = Segmenter(self._segment_ms, self._max_segment_ms)
        publisher = RtmpPublisher(self, publishing, segmenter, request)
        self._active[stream_id] = publisher
        metrics.VIDEO_PUBLISHERS.labels(kind=KIND).inc()
        log.info(
            "rtmp_stream_started",
            extra={"stream_id": stream_id, "resumed": publishing.resumed, "auth": grant.how},
        )
        return publisher

    def disconnect(self, stream_id: str) -> bool:
        """End the stream's publisher here, if it has one (the stream was ended elsewhere)."""
        publisher = self._active.get(stream_id)
        if publisher is None:
            return False
        publisher.ended_elsewhere = True
        publisher.request.disconnect()
        return True

    @property
    def publishing(self) -> list[str]:
        return sorted(self._active)

    def release(self, publisher: "RtmpPublisher") -> None:
        """The publisher's connection closed: watch for its return, unless the stream ended."""
        stream_id = publisher.publishing.stream_id
        if self._active.get(stream_id) is publisher:
            del self._active[stream_id]
            metrics.VIDEO_PUBLISHERS.labels(kind=KIND).dec()
        if not publisher.ended_elsewhere:
            self._endings.schedule(stream_id, self._grace_s, "publisher gone")


class RtmpPublisher:
    """One publishing connection: tags in, segments out, in order."""

    def __init__(
        self,
        owner: RtmpIngest,
        publishing: Publishing,
        segmenter: Segmenter,
        request: PublishRequest,
    ) -> None:
        self._owner = owner
        self.publishing = publishing
        self._segmenter = segmenter
        self.request = request
        self.ended_elsewhere = False
        self._failed = False

    async def on_tag(self, tag: FlvTag) -> None:
        if self._failed:
            raise StreamClosed("the stream already failed")
        try:
            segment = self._segmenter.push(tag.kind, tag.timestamp_ms, tag.data)
        except SegmentError as exc:
            self._fail(type(exc).__name__, str(exc))
            raise StreamClosed(str(exc)) from None
        if segment is not None:
            await self._hand_over(segment)

    async def on_close(self, error: str | None) -> None:
        stream_id = self.publishing.stream_id
        try:
            if self._failed or self.ended_elsewhere:
                self._segmenter.abort()
            else:
                await self._flush()
        finally:
            self._owner.release(self)
            log.info(
                "rtmp_stream_closed",
                extra={
                    "stream_id": stream_id,
                    "error": error,
                    "last_seq": self.publishing.last_seq,
                },
            )

    async def _flush(self) -> None:
        """The tail since the last cut is a segment too: publish it, or log why it is lost."""
        try:
            segment = self._segmenter.flush()
            if segment is not None:
                await self._hand_over(segment)
        except (SegmentError, StreamClosed) as exc:
            log.warning(
                "rtmp_tail_lost",
                extra={"stream_id": self.publishing.stream_id, "reason": str(exc)},
            )

    async def _hand_over(self, segment: Segment) -> None:
        cut = CutSegment(segment.data, segment.duration_ms, segment.info, time.time())
        with bind_log_context(stream_id=self.publishing.stream_id):
            try:
                await self.publishing.add(cut)
            except StreamEnded:
                self.ended_elsewhere = True
                self._fail("StreamEnded", "the stream was ended")
                raise StreamClosed("the stream was ended") from None
            except IngestUnavailable as exc:
                self._fail("IngestUnavailable", str(exc))
                raise StreamClosed(str(exc)) from None

    def _fail(self, reason: str, message: str) -> None:
        self._failed = True
        self._segmenter.abort()
        metrics.VIDEO_FAILED.labels(reason=reason).inc()
        log.warning(
            "rtmp_stream_failed",
            extra={"stream_id": self.publishing.stream_id, "reason": message},
        )
