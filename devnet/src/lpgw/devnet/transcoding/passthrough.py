"""Passthrough transcoding for load tests: every rendition is the input itself.

The segment is still charged as if transcoded at the source's size: width × height × video
frames of the source, counted by demuxing only. The size comes from a short probe (the first
64 KiB, which holds the first SPS); only a segment where that finds no size is probed fully.
"""

import io
from collections.abc import Sequence

import av
from av.error import FFmpegError
from lpgw.devnet.transcoding.errors import TranscodeFailed
from lpgw.devnet.transcoding.renditions import Rendition
from lpgw.video.profiles import VideoProfile

SHORT_PROBE = {"probesize": "65536", "analyzeduration": "0"}


def _pixels(data: bytes, options: dict[str, str] | None) -> int | None:
    """Source pixels, or None when the probe found no picture size."""
    with av.open(io.BytesIO(data), "r", options=options) as source:
        if not source.streams:
            raise TranscodeFailed("no streams in the segment")
        if not source.streams.video:
            return 0
        video = source.streams.video[0]
        area = video.codec_context.width * video.codec_context.height
        if area == 0:
            return None
        return area * sum(1 for packet in source.demux(video) if packet.size > 0)


def source_pixels(data: bytes) -> int:
    """width × height × frames of the first video stream; 0 without video."""
    try:
        pixels = _pixels(data, SHORT_PROBE)
        if pixels is None:
            pixels = _pixels(data, None) or 0
    except (FFmpegError, ValueError) as exc:
        raise TranscodeFailed.of(exc) from exc
    return pixels


def passthrough(data: bytes, profiles: Sequence[VideoProfile]) -> list[Rendition]:
    pixels = source_pixels(data)
    return [Rendition(profile, data, pixels) for profile in profiles]
