"""RTMP ingest: many publishers on one port, each stream handed on as FLV tags.

`RtmpServer(authorize)` accepts FFmpeg's and OBS's RTMP clients; for each `publish` it awaits
`authorize(PublishRequest)`, which returns the `Publisher` that receives the stream's
`FlvTag`s (or raises `RtmpRefused`).
"""

from lpgw.intake.rtmp.publishing import (
    BAD_NAME,
    DENIED,
    Authorize,
    FlvTag,
    Publisher,
    PublishRequest,
    RtmpRefused,
    StopPublishing,
)
from lpgw.intake.rtmp.server import RtmpServer

__all__ = [
    "BAD_NAME",
    "DENIED",
    "Authorize",
    "FlvTag",
    "PublishRequest",
    "Publisher",
    "RtmpRefused",
    "RtmpServer",
    "StopPublishing",
]
