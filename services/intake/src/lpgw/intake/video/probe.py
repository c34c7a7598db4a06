"""What an HTTP push body holds, read with PyAV (demux only, nothing decoded beyond what the
demuxer needs to know the picture size), and MP4 bodies remuxed to MPEG-TS.

A body PyAV cannot open, or one without H.264/HEVC video, is refused (422) before anything is
stored or published. CPU-bound: the caller runs it in a worker thread.
"""

import io
from dataclasses import dataclass
from typing import Literal

import av
import av.error
from av.container import InputContainer
from lpgw.bus.events import SourceInfo
from lpgw.intake.video.errors import UnprobeableMedia

PushContainer = Literal["mpegts", "mp4"]
VIDEO_CODECS = frozenset({"h264", "hevc"})
PROBE_OPTIONS = {"probesize": "5000000", "analyzeduration": "5000000"}


@dataclass(frozen=True)
class Probed:
    data: bytes
    """The segment as MPEG-TS."""
    info: SourceInfo
    duration_ms: int | None
    """From the frames' timestamps; None when they do not say."""


def probe(body: bytes, container: PushContainer) -> Probed:
    try:
        with av.open(io.BytesIO(body), "r", format=container, options=PROBE_OPTIONS) as source:
            info, duration_ms = _inspect(source)
        data = body if container == "mpegts" else _to_mpegts(body)
    except av.error.FFmpegError as exc:
        raise UnprobeableMedia(f"cannot read the segment: {exc.strerror or exc}") from None
    return Probed(data, info, duration_ms)


def _inspect(source: InputContainer) -> tuple[SourceInfo, int | None]:
    if not source.streams.video:
        raise UnprobeableMedia("the segment has no video stream")
    video = source.streams.video[0]
    codec = video.codec_context.name
    if codec not in VIDEO_CODECS:
        raise UnprobeableMedia(f"unsupported video codec {codec}; use H.264 or HEVC")
    width, height = video.codec_context.width, video.codec_context.height
    if not width or not height:
        raise UnprobeableMedia("cannot tell the picture size of the segment")
    frames, first, last, step = 0, None, None, 0.0
    for packet in source.demux(video):
        if packet.pts is None or packet.size == 0:
            continue
        frames += 1
        pts = float(packet.pts * packet.time_base)
        first = pts if first is None else min(first, pts)
        last = pts if last is None else max(last, pts)
        if packet.duration:
            step = float(packet.duration * packet.time_base)
    if frames == 0 or first is None or last is None:
        raise UnprobeableMedia("the segment has no video frames")
    if frames > 1 and not step:
        step = (last - first) / (frames - 1)
    duration = last - first + step
    duration_ms = round(duration * 1000) if duration > 0 else None
    fps = round(frames / duration, 3) if duration > 0 else 0.0
    has_audio = bool(source.streams.audio)
    return SourceInfo(
        video_codec=codec, width=width, height=height, fps=fps, has_audio=has_audio
    ), duration_ms


def _to_mpegts(body: bytes) -> bytes:
    """MP4 → MPEG-TS without re-encoding (the muxer puts H.264 in Annex B, AAC in ADTS)."""
    out = io.BytesIO()
    with (
        av.open(io.BytesIO(body), "r", format="mp4") as source,
        av.open(out, "w", format="mpegts") as target,
    ):
        kept = [s for s in source.streams if s.type in ("video", "audio")]
        mapping = {s.index: target.add_stream_from_template(s) for s in kept}
        for packet in source.demux(kept):
            if packet.dts is None:
                continue
            packet.stream = mapping[packet.stream.index]
            target.mux(packet)
    return out.getvalue()
