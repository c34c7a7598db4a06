"""Passthrough transcoding for load tests: every rendition is the input itself.

Each rendition is charged what a real transcode to its profile would produce: the profile's
width × height × the source's video frames (counted by demuxing only), so a load test pays as
much as real work would. The frames come from a short probe (the first 64 KiB, which holds the
first SPS); only a segment where that finds no picture is probed fully.
"""

import io
from collections.abc import Sequence

import av
from av.error import FFmpegError
from lpgw.devnet.transcoding.errors import TranscodeFailed
from lpgw.devnet.transcoding.renditions import Rendition
from lpgw.video.profiles import VideoProfile

SHORT_PROBE = {"probesize": "65536", "analyzeduration": "0"}


def _frames(data: bytes, options: dict[str, str] | None) -> int | None:
    """Video frames of the source, or None when the probe found no picture size."""
    with av.open(io.BytesIO(data), "r", options=options) as source:
        if not source.streams:
            raise TranscodeFailed("no streams in the segment")
        if not source.streams.video:
            return 0
        video = source.streams.video[0]
        if video.codec_context.width * video.codec_context.height == 0:
            return None
        return sum(1 for packet in source.demux(video) if packet.size > 0)


def source_frames(data: bytes) -> int:
    """Frames of the first video stream; 0 without video."""
    try:
        frames = _frames(data, SHORT_PROBE)
        if frames is None:
            frames = _frames(data, None) or 0
    except (FFmpegError, ValueError) as exc:
        raise TranscodeFailed.of(exc) from exc
    return frames


def passthrough(data: bytes, profiles: Sequence[VideoProfile]) -> list[Rendition]:
    frames = source_frames(data)
    return [Rendition(p, data, p.width * p.height * frames) for p in profiles]
