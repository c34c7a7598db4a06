"""HLS playlists as text, from a stream's variants and timeline (RFC 8216, version 3).

URIs are relative, so the same text works behind any host or path prefix:
- master `/stream/{stream}.m3u8` lists `{stream}/{rendition}.m3u8`;
  recording master `/recordings/{stream}/index.m3u8` lists `{rendition}.m3u8`;
- a media playlist `…/{stream}/{rendition}.m3u8` lists `{rendition}/{seq}.ts`, which resolves
  to `…/{stream}/{rendition}/{seq}.ts`. A segment the rendition lacks (no orchestrator produced
  it) is listed as `source/{seq}.ts`: the player keeps playing the original, after a
  discontinuity tag because its encoding differs.
"""

import math
from collections.abc import Sequence
from enum import Enum

from lpgw.delivery.video.lineup import Variant
from lpgw.delivery.video.timeline import Timeline, rendition_discontinuity, substituted
from lpgw.video.profiles import SOURCE

VERSION = 3
"""Floating-point EXTINF needs 3; nothing here needs more."""
WINDOW = 6
"""Segments in a live media playlist (the reference's LIVE_LIST_LENGTH)."""
EMPTY_TARGET_S = 2
"""Target duration of a playlist with no segment yet (the segmenter's nominal length)."""


class Kind(Enum):
    LIVE = "live"
    """A sliding window; `#EXT-X-ENDLIST` once the stream ended."""
    EVENT = "event"
    """A recording still growing: every retained segment."""
    VOD = "vod"
    """A recording of an ended stream: complete."""


def master_playlist(variants: Sequence[Variant], uri_prefix: str) -> str:
    """One `#EXT-X-STREAM-INF` per variant, its URI `{uri_prefix}{name}.m3u8`."""
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{VERSION}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for variant in variants:
        attributes = [f"BANDWIDTH={variant.bandwidth}"]
        if variant.average_bandwidth is not None:
            attributes.append(f"AVERAGE-BANDWIDTH={variant.average_bandwidth}")
        if variant.width and variant.height:
            attributes.append(f"RESOLUTION={variant.width}x{variant.height}")
        if variant.codecs:
            attributes.append(f'CODECS="{variant.codecs}"')
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attributes))
        lines.append(f"{uri_prefix}{variant.name}.m3u8")
    return "\n".join(lines) + "\n"


def target_duration(timeline: Timeline) -> int:
    """Whole seconds, never below any listed segment's duration."""
    if not timeline.entries:
        return EMPTY_TARGET_S
    return max(1, max(math.ceil(e.duration_ms / 1000) for e in timeline.entries))


def media_playlist(timeline: Timeline, rendition: str, kind: Kind, *, ended: bool) -> str:
    """The segments of `timeline` for `rendition`. A live playlist gets its window passed in
    (`Timeline.tail(WINDOW)`), a recording every retained segment."""
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{VERSION}"]
    if kind is Kind.EVENT:
        lines.append("#EXT-X-PLAYLIST-TYPE:EVENT")
    elif kind is Kind.VOD:
        lines.append("#EXT-X-PLAYLIST-TYPE:VOD")
    lines.append(f"#EXT-X-TARGETDURATION:{target_duration(timeline)}")
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{timeline.media_sequence()}")
    if kind is Kind.LIVE:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{timeline.discontinuity_sequence(rendition)}")
    previous = timeline.before.last
    for entry in timeline.entries:
        record = entry.record
        if rendition_discontinuity(record, previous, rendition):
            lines.append("#EXT-X-DISCONTINUITY")
        folder = SOURCE if substituted(record, rendition) else rendition
        lines.append(f"#EXTINF:{record.duration_ms / 1000:.3f},")
        lines.append(f"{folder}/{record.seq}.ts")
        previous = record
    if ended or kind is Kind.VOD:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
