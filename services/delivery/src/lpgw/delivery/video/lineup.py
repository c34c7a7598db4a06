"""The renditions a stream offers players, in the order they are listed, with what a player
needs to choose between them: bandwidth, resolution, codecs.

Order: the stream's profiles as configured (the ladder, usually lowest first, so a player that
starts with the first variant starts light), then `source`, the original as published.

Bandwidth is what was delivered, not what was asked for: real renditions carry audio and
10–17 % MPEG-TS overhead over the profile's video bitrate. Peak and average are taken over the
segments given (the live window); with nothing measured yet a profile declares its bitrate
plus 20 %, and the source a fixed guess.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lpgw.video.profiles import SOURCE, InvalidProfile, VideoProfile, from_json
from lpgw.video.records import Rendition, SegmentRecord

OVERHEAD = 1.2
"""Declared bandwidth of a profile not measured yet: its video bitrate plus container and audio."""
UNMEASURED_SOURCE_BPS = 2_000_000
"""Declared bandwidth of the source before any segment was measured."""


@dataclass(frozen=True)
class Variant:
    name: str
    bandwidth: int
    """Peak bits per second over the segments measured."""
    average_bandwidth: int | None
    """Mean bits per second; None when nothing was measured."""
    width: int
    height: int
    """0 when unknown (the source before its first segment)."""
    codecs: str
    """RFC 6381 codecs, empty when unknown."""

    @property
    def video_codec(self) -> str:
        return next((c for c in self.codecs.split(",") if c and not c.startswith("mp4a")), "")

    @property
    def audio_codec(self) -> str:
        return next((c for c in self.codecs.split(",") if c.startswith("mp4a")), "")


def profiles(stored: list[dict[str, Any]]) -> list[VideoProfile]:
    """The stream's stored profiles; one that no longer parses is left out rather than
    breaking playback of the others."""
    parsed = []
    for data in stored:
        try:
            parsed.append(from_json(data))
        except InvalidProfile:
            continue
    return parsed


def rendition_names(ladder: Sequence[VideoProfile]) -> tuple[str, ...]:
    return (*(profile.name for profile in ladder), SOURCE)


def lineup(ladder: Sequence[VideoProfile], records: Sequence[SegmentRecord]) -> list[Variant]:
    """One variant per profile, then the source, measured over `records`."""
    variants = [_variant(p.name, records, p) for p in ladder]
    return [*variants, _variant(SOURCE, records, None)]


def measured_bps(rendition: Rendition, duration_ms: int) -> int:
    """The rendition's bandwidth as recorded, or computed from its size when not recorded."""
    if rendition.bandwidth > 0:
        return rendition.bandwidth
    if rendition.size > 0 and duration_ms > 0:
        return rendition.size * 8000 // duration_ms
    return 0


def _variant(name: str, records: Sequence[SegmentRecord], profile: VideoProfile | None) -> Variant:
    files = [(r.rendition(name), r.duration_ms) for r in records]
    found = [(file, duration) for file, duration in files if file is not None]
    rates = [bps for bps in (measured_bps(f, d) for f, d in found) if bps > 0]
    if rates:
        peak, average = max(rates), round(sum(rates) / len(rates))
    else:
        peak = round(profile.bitrate * OVERHEAD) if profile else UNMEASURED_SOURCE_BPS
        average = None
    latest = found[-1][0] if found else None
    width, height = (profile.width, profile.height) if profile else (0, 0)
    if latest is not None and latest.width and latest.height:
        width, height = latest.width, latest.height
    codecs = next((f.codecs for f, _ in reversed(found) if f.codecs), "")
    return Variant(name, peak, average, width, height, codecs)
