"""The DASH manifest (ISO 23009-1, live profile) of a stream, as XML text.

One period. One video adaptation set with a representation per rendition (profiles, then the
source) and, when the source carries AAC, one audio adaptation set with the source's audio.
Each representation has its own `SegmentTemplate` and `SegmentTimeline` in milliseconds, so a
rendition that lacks a segment (no orchestrator produced it) simply has a hole there; fMP4
cannot borrow the source's file the way an HLS playlist does, because a representation's init
segment describes one encoding.

URLs are relative to `/stream/{stream}.mpd` and carry the segment's timeline time:
`{stream}/{rendition}/init.mp4`, `{stream}/{rendition}/$Time$.m4s`, and for audio
`{stream}/source/audio-init.mp4`, `{stream}/source/audio-$Time$.m4s`.

Live (`dynamic`): the same window as HLS, `availabilityStartTime` = the wall-clock time of
timeline time 0, `timeShiftBufferDepth` = the window's duration. Ended (`static`): every
retained segment and the total duration.
"""

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime

from lpgw.delivery.video.lineup import Variant
from lpgw.delivery.video.timeline import Entry, Timeline
from lpgw.video.profiles import SOURCE

NAMESPACE = "urn:mpeg:dash:schema:mpd:2011"
LIVE_PROFILE = "urn:mpeg:dash:profile:isoff-live:2011"
UTC_DIRECT = "urn:mpeg:dash:utc:direct:2014"
TIMESCALE = 1000
AUDIO_BANDWIDTH = 128_000
"""Declared for the audio representation: AAC at a typical broadcast rate (not measured)."""
AUDIO = "audio"
MIN_BUFFER_MS = 2000


def manifest(
    stream_id: str, timeline: Timeline, variants: Sequence[Variant], *, live: bool, now: float
) -> str:
    """A `dynamic` MPD over `timeline` (the live window) while `live`, else a `static` one
    (`timeline` holding the whole recording)."""
    mpd = ET.Element(
        "MPD",
        {
            "xmlns": NAMESPACE,
            "profiles": LIVE_PROFILE,
            "type": "dynamic" if live else "static",
            "minBufferTime": _duration(MIN_BUFFER_MS),
        },
    )
    longest = max((e.duration_ms for e in timeline.entries), default=MIN_BUFFER_MS)
    if live:
        mpd.set("availabilityStartTime", _datetime(timeline.origin))
        mpd.set("publishTime", _datetime(now))
        mpd.set("minimumUpdatePeriod", _duration(min(longest, MIN_BUFFER_MS)))
        mpd.set("timeShiftBufferDepth", _duration(max(timeline.duration_ms, longest)))
        mpd.set("suggestedPresentationDelay", _duration(3 * longest))
    else:
        mpd.set("mediaPresentationDuration", _duration(timeline.duration_ms))
    period = ET.SubElement(mpd, "Period", {"id": "0", "start": "PT0S"})
    offset = 0 if live or not timeline.entries else timeline.entries[0].start_ms
    video = ET.SubElement(
        period,
        "AdaptationSet",
        {
            "id": "0",
            "contentType": "video",
            "mimeType": "video/mp4",
            "segmentAlignment": "true",
            "startWithSAP": "1",
        },
    )
    for variant in variants:
        representation = ET.SubElement(
            video, "Representation", {"id": variant.name, "bandwidth": str(variant.bandwidth)}
        )
        if variant.width and variant.height:
            representation.set("width", str(variant.width))
            representation.set("height", str(variant.height))
        if variant.video_codec:
            representation.set("codecs", variant.video_codec)
        entries = [e for e in timeline.entries if e.record.rendition(variant.name) is not None]
        prefix = f"{stream_id}/{variant.name}/"
        _template(representation, prefix + "init.mp4", prefix + "$Time$.m4s", entries, offset)
    source = next((v for v in variants if v.name == SOURCE), None)
    if source is not None and source.audio_codec:
        audio = ET.SubElement(
            period,
            "AdaptationSet",
            {
                "id": "1",
                "contentType": "audio",
                "mimeType": "audio/mp4",
                "lang": "und",
                "segmentAlignment": "true",
                "startWithSAP": "1",
            },
        )
        representation = ET.SubElement(
            audio,
            "Representation",
            {"id": AUDIO, "bandwidth": str(AUDIO_BANDWIDTH), "codecs": source.audio_codec},
        )
        entries = [e for e in timeline.entries if e.record.rendition(SOURCE) is not None]
        prefix = f"{stream_id}/{SOURCE}/{AUDIO}-"
        _template(representation, prefix + "init.mp4", prefix + "$Time$.m4s", entries, offset)
    if live:
        ET.SubElement(mpd, "UTCTiming", {"schemeIdUri": UTC_DIRECT, "value": _datetime(now)})
    ET.indent(mpd)
    return ET.tostring(mpd, encoding="unicode", xml_declaration=True) + "\n"


def _template(
    parent: ET.Element, init: str, media: str, entries: Sequence[Entry], offset: int
) -> None:
    template = ET.SubElement(
        parent,
        "SegmentTemplate",
        {"timescale": str(TIMESCALE), "initialization": init, "media": media},
    )
    if offset:
        template.set("presentationTimeOffset", str(offset))
    timeline = ET.SubElement(template, "SegmentTimeline")
    for start, duration, repeat in _runs(entries):
        attributes = {"t": str(start), "d": str(duration)}
        if repeat:
            attributes["r"] = str(repeat)
        ET.SubElement(timeline, "S", attributes)


def _runs(entries: Sequence[Entry]) -> list[tuple[int, int, int]]:
    """(start, duration, repeats) runs: contiguous segments of one duration share an `S`."""
    runs: list[tuple[int, int, int]] = []
    for entry in entries:
        if runs:
            start, duration, repeat = runs[-1]
            if entry.duration_ms == duration and entry.start_ms == start + duration * (repeat + 1):
                runs[-1] = (start, duration, repeat + 1)
                continue
        runs.append((entry.start_ms, entry.duration_ms, 0))
    return runs


def _duration(ms: int) -> str:
    return f"PT{ms / 1000:.3f}S"


def _datetime(epoch_s: float) -> str:
    moment = datetime.fromtimestamp(math.floor(epoch_s * 1000) / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
