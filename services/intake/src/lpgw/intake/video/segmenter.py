"""FLV tags in, standalone MPEG-TS segments out, cut at keyframes, without re-encoding.

Each segment is its own MPEG-TS file (PAT/PMT first, a keyframe with SPS/PPS in-band first,
AAC in ADTS), so any one of them can be fetched, transcoded and played alone; timestamps are
the publisher's own, so consecutive segments play as one stream. A segment is cut at the
first keyframe at or after the target duration, and a new sequence header cuts at the next
keyframe whatever the duration (the picture size may have changed).

The packets are muxed by PyAV's mpegts muxer as they arrive; the H.264 and AAC framing is done
by `h264`/`aac` beforehand, so the muxer needs no codec state and a segment costs one small
container. A stream that misbehaves raises a `SegmentError` naming why; the caller closes
that stream only.
"""

import io
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import av
import av.error
from av.container import OutputContainer
from av.stream import Stream
from lpgw.bus.events import SourceInfo
from lpgw.intake.video.aac import AacConfig, InvalidAac, adts_frame
from lpgw.intake.video.flv import (
    AudioConfig,
    AudioFrame,
    MalformedTag,
    UnsupportedCodec,
    VideoConfig,
    VideoFrame,
    parse_audio,
    parse_video,
)
from lpgw.intake.video.h264 import AvcConfig, InvalidH264, to_annex_b
from lpgw.service.logs import get_logger

TagKind = Literal["audio", "video", "script"]
MS = Fraction(1, 1000)
DEFAULT_FRAME_MS = 33
MAX_SEGMENT_BYTES = 64 * 1024 * 1024
"""A publisher whose timestamps stand still could otherwise fill memory without a cut."""

log = get_logger(__name__)


class SegmentError(Exception):
    """The stream cannot be cut any further; the message says why (logged, never secret)."""


class BadMedia(SegmentError):
    """A malformed tag or H.264 bitstream (truncated FLV, garbage)."""


class UnsupportedMedia(SegmentError):
    """Video of a codec intake does not cut."""


class NoKeyframe(SegmentError):
    """No keyframe for longer than the longest segment allowed."""


class SegmentTooLarge(SegmentError):
    """More bytes than any segment may hold, with no keyframe to cut at."""


@dataclass(frozen=True)
class Segment:
    data: bytes
    start_ms: int
    """Presentation time of its first keyframe, in the publisher's timeline."""
    duration_ms: int
    frames: int
    info: SourceInfo


@dataclass
class _Open:
    """The segment being written."""

    buffer: io.BytesIO
    container: OutputContainer
    video: Stream
    audio: Stream | None
    config: AvcConfig
    start_pts: int
    first_dts: int
    last_dts: int
    max_pts: int
    frames: int = 0
    size: int = 0
    audio_frames: int = field(default=0)


class Segmenter:
    """One publishing's cutter. `push` every tag in order; `flush` at the end."""

    def __init__(
        self,
        target_ms: int = 2000,
        max_ms: int = 30_000,
        max_bytes: int = MAX_SEGMENT_BYTES,
    ) -> None:
        self._target_ms = target_ms
        self._max_ms = max_ms
        self._max_bytes = max_bytes
        self._video: AvcConfig | None = None
        self._audio: AacConfig | None = None
        self._audio_off = False
        self._config_changed = False
        self._open: _Open | None = None
        self._waiting_since: int | None = None
        self._last_video_dts = -1
        self._last_audio_dts = -1

    def push(self, kind: TagKind, timestamp_ms: int, body: bytes) -> Segment | None:
        """Take one FLV tag; the segment it completed, if any. Raises SegmentError."""
        if kind == "video":
            return self._push_video(timestamp_ms, body)
        if kind == "audio":
            self._push_audio(timestamp_ms, body)
        return None

    def flush(self) -> Segment | None:
        """The segment in progress at the end of the stream, its last frame counted whole."""
        current, self._open = self._open, None
        if current is None or current.frames == 0:
            return None
        frame_ms = _frame_ms(current)
        return self._close(current, current.max_pts + frame_ms)

    def abort(self) -> None:
        """Drop the segment in progress (the stream failed)."""
        current, self._open = self._open, None
        if current is not None:
            _quietly_close(current.container)

    # Video ------------------------------------------------------------------------------------
    def _push_video(self, timestamp_ms: int, body: bytes) -> Segment | None:
        try:
            media = parse_video(timestamp_ms, body)
        except UnsupportedCodec as exc:
            raise UnsupportedMedia(str(exc)) from None
        except (MalformedTag, InvalidH264) as exc:
            raise BadMedia(f"bad video tag at {timestamp_ms} ms: {exc}") from None
        if isinstance(media, VideoConfig):
            if self._video is not None and media.config != self._video:
                self._config_changed = True
            self._video = media.config
            return None
        if media is None:
            return None
        return self._video_frame(media)

    def _video_frame(self, frame: VideoFrame) -> Segment | None:
        dts = max(frame.dts_ms, self._last_video_dts + 1)
        pts = max(frame.pts_ms, dts)
        self._last_video_dts = dts
        done = None
        current = self._open
        if frame.keyframe and self._video is not None:
            if current is None:
                current = self._start(pts, dts)
            elif self._config_changed or pts - current.start_pts >= self._target_ms:
                done = self._close(current, pts)
                current = self._start(pts, dts)
        if current is None:
            self._wait(dts)
            return None
        if dts - current.first_dts >= self._max_ms:
            raise NoKeyframe(f"no keyframe for {self._max_ms / 1000:g} s")
        try:
            data = to_annex_b(frame.data, current.config, frame.keyframe)
        except InvalidH264 as exc:
            raise BadMedia(f"bad H.264 frame at {frame.dts_ms} ms: {exc}") from None
        self._mux(current, current.video, data, pts, dts, frame.keyframe)
        current.frames += 1
        current.last_dts = dts
        current.max_pts = max(current.max_pts, pts)
        return done

    def _wait(self, dts: int) -> None:
        """Before the first keyframe: give up once waiting lasts a whole longest segment."""
        if self._waiting_since is None:
            self._waiting_since = dts
        elif dts - self._waiting_since >= self._max_ms:
            what = "H.264 sequence header" if self._video is None else "keyframe"
            raise NoKeyframe(f"no {what} within {self._max_ms / 1000:g} s")

    # Audio ------------------------------------------------------------------------------------
    def _push_audio(self, timestamp_ms: int, body: bytes) -> None:
        if self._audio_off:
            return
        try:
            media = parse_audio(timestamp_ms, body)
        except (UnsupportedCodec, InvalidAac) as exc:
            self._audio_off = True
            log.warning("audio_dropped", extra={"reason": str(exc)})
            return
        except MalformedTag as exc:
            raise BadMedia(f"bad audio tag at {timestamp_ms} ms: {exc}") from None
        if isinstance(media, AudioConfig):
            self._audio = media.config
        elif isinstance(media, AudioFrame):
            self._audio_frame(media)

    def _audio_frame(self, frame: AudioFrame) -> None:
        current = self._open
        if current is None or current.audio is None or self._audio is None:
            return  # before the first keyframe, or audio configured after this segment began
        dts = max(frame.dts_ms, self._last_audio_dts + 1)
        self._last_audio_dts = dts
        try:
            data = adts_frame(frame.data, self._audio)
        except InvalidAac as exc:
            raise BadMedia(f"bad AAC frame at {frame.dts_ms} ms: {exc}") from None
        self._mux(current, current.audio, data, dts, dts, True)
        current.audio_frames += 1

    # Containers -------------------------------------------------------------------------------
    def _start(self, pts: int, dts: int) -> _Open:
        assert self._video is not None
        config = self._video
        self._config_changed = False
        self._waiting_since = None
        buffer = io.BytesIO()
        container = av.open(buffer, "w", format="mpegts")
        video = container.add_mux_stream("h264", width=config.width, height=config.height)
        audio = None
        if self._audio is not None:
            audio = container.add_mux_stream("aac", rate=self._audio.sample_rate)
        self._open = _Open(buffer, container, video, audio, config, pts, dts, dts, pts)
        return self._open

    def _mux(
        self, current: _Open, stream: Stream, data: bytes, pts: int, dts: int, key: bool
    ) -> None:
        current.size += len(data)
        if current.size > self._max_bytes:
            raise SegmentTooLarge(f"segment past {self._max_bytes} bytes without a keyframe")
        packet = av.Packet(data)
        packet.stream = stream
        packet.time_base = MS
        packet.pts, packet.dts = pts, dts
        packet.is_keyframe = key
        try:
            current.container.mux_one(packet)
        except av.error.FFmpegError as exc:
            raise BadMedia(f"cannot mux the frame at {dts} ms: {exc}") from None

    def _close(self, current: _Open, end_pts: int) -> Segment:
        try:
            current.container.close()
        except av.error.FFmpegError as exc:
            raise BadMedia(f"cannot finish the segment: {exc}") from None
        duration = max(end_pts - current.start_pts, 1)
        info = SourceInfo(
            video_codec="h264",
            width=current.config.width,
            height=current.config.height,
            fps=round(current.frames * 1000 / duration, 3),
            has_audio=current.audio is not None and current.audio_frames > 0,
        )
        data = current.buffer.getvalue()
        return Segment(data, current.start_pts, duration, current.frames, info)


def _frame_ms(current: _Open) -> int:
    if current.frames < 2:
        return DEFAULT_FRAME_MS
    return max(round((current.last_dts - current.first_dts) / (current.frames - 1)), 1)


def _quietly_close(container: OutputContainer) -> None:
    try:
        container.close()
    except av.error.FFmpegError as exc:
        log.debug("segment_abandoned", extra={"error": str(exc)})
