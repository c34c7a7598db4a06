"""The DASH manifest's XML, written from plain records: what a DASH client reads."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from lpgw.delivery.video.hls import WINDOW
from lpgw.delivery.video.lineup import lineup
from lpgw.delivery.video.mpd import manifest
from lpgw.delivery.video.timeline import Mark, timeline
from lpgw.video.profiles import PRESETS, SOURCE
from lpgw.video.records import Rendition, SegmentRecord

P240 = PRESETS["P240p30fps16x9"]
NAMES = (P240.name, SOURCE)
NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}
T0 = 1_700_000_000.0
NOW = T0 + 100


def record(
    seq: int,
    duration_ms: int = 2000,
    *,
    transcoded: bool = True,
    audio: bool = True,
    discontinuity: bool = False,
    received_at: float | None = None,
) -> SegmentRecord:
    codecs = "avc1.64001e,mp4a.40.2" if audio else "avc1.64001e"
    files = [Rendition(name=SOURCE, key="k", size=500_000, width=640, height=360, codecs=codecs)]
    if transcoded:
        files.append(
            Rendition(name=P240.name, key="k", size=150_000, width=426, height=240, codecs=codecs)
        )
    at = T0 + 2 * (seq + 1) if received_at is None else received_at
    return SegmentRecord(
        stream_id="s1",
        seq=seq,
        duration_ms=duration_ms,
        discontinuity=discontinuity,
        renditions=files,
        transcoded=transcoded,
        received_at=at,
        delivered_at=at + 0.5,
    )


def mpd(records: list[SegmentRecord], *, live: bool = True) -> ET.Element:
    shown = timeline(Mark(), records, NAMES)
    if live:
        shown = shown.tail(WINDOW)
    variants = lineup([P240], [e.record for e in shown.entries])
    text = manifest("s1", shown, variants, live=live, now=NOW)
    assert text.startswith("<?xml")
    return ET.fromstring(text)


def seconds(duration: str) -> float:
    assert duration.startswith("PT") and duration.endswith("S")
    return float(duration[2:-1])


def segments(template: ET.Element) -> list[tuple[int, int]]:
    """(start, duration) of every segment of a SegmentTimeline, `r` expanded."""
    out: list[tuple[int, int]] = []
    for s in template.findall("d:SegmentTimeline/d:S", NS):
        start = int(s.get("t", out[-1][0] + out[-1][1] if out else 0))
        duration = int(s.attrib["d"])
        for _ in range(int(s.get("r", "0")) + 1):
            out.append((start, duration))
            start += duration
    return out


def representation(root: ET.Element, rid: str) -> ET.Element:
    found = root.find(f"d:Period/d:AdaptationSet/d:Representation[@id='{rid}']", NS)
    assert found is not None, rid
    return found


def test_live_manifest_is_dynamic_over_the_window() -> None:
    root = mpd([record(seq) for seq in range(10)])
    assert root.tag == "{urn:mpeg:dash:schema:mpd:2011}MPD"
    assert root.get("profiles") == "urn:mpeg:dash:profile:isoff-live:2011"
    assert root.get("type") == "dynamic"
    start = datetime.fromisoformat(root.attrib["availabilityStartTime"].replace("Z", "+00:00"))
    assert start == datetime.fromtimestamp(T0, UTC), "the first segment began at T0"
    assert seconds(root.attrib["timeShiftBufferDepth"]) == 12.0
    assert 0 < seconds(root.attrib["minimumUpdatePeriod"]) <= 2
    assert "mediaPresentationDuration" not in root.attrib
    timing = root.find("d:UTCTiming", NS)
    assert timing is not None and timing.get("schemeIdUri") == "urn:mpeg:dash:utc:direct:2014"


def test_video_has_a_representation_per_rendition_in_order() -> None:
    root = mpd([record(seq) for seq in range(10)])
    sets = root.findall("d:Period/d:AdaptationSet", NS)
    assert [s.get("contentType") for s in sets] == ["video", "audio"]
    video = sets[0]
    assert video.get("mimeType") == "video/mp4"
    reps = video.findall("d:Representation", NS)
    assert [r.get("id") for r in reps] == [P240.name, SOURCE]
    assert {k: reps[0].get(k) for k in ("width", "height", "codecs", "bandwidth")} == {
        "width": "426",
        "height": "240",
        "codecs": "avc1.64001e",
        "bandwidth": "600000",
    }
    template = reps[0].find("d:SegmentTemplate", NS)
    assert template is not None
    assert template.get("timescale") == "1000"
    assert template.get("initialization") == "s1/P240p30fps16x9/init.mp4"
    assert template.get("media") == "s1/P240p30fps16x9/$Time$.m4s"
    assert segments(template) == [(t, 2000) for t in range(8000, 20000, 2000)]


def test_audio_comes_from_the_source() -> None:
    root = mpd([record(seq) for seq in range(3)])
    audio = representation(root, "audio")
    assert audio.get("codecs") == "mp4a.40.2"
    template = audio.find("d:SegmentTemplate", NS)
    assert template is not None
    assert template.get("initialization") == "s1/source/audio-init.mp4"
    assert template.get("media") == "s1/source/audio-$Time$.m4s"
    assert segments(template) == [(0, 2000), (2000, 2000), (4000, 2000)]


def test_no_audio_set_without_audio() -> None:
    root = mpd([record(seq, audio=False) for seq in range(3)])
    sets = root.findall("d:Period/d:AdaptationSet", NS)
    assert [s.get("contentType") for s in sets] == ["video"]


def test_a_rendition_that_lacks_a_segment_has_a_hole_there() -> None:
    root = mpd([record(seq, transcoded=seq != 2) for seq in range(5)])
    p240 = representation(root, P240.name).find("d:SegmentTemplate", NS)
    source = representation(root, SOURCE).find("d:SegmentTemplate", NS)
    assert p240 is not None and source is not None
    assert segments(p240) == [(0, 2000), (2000, 2000), (6000, 2000), (8000, 2000)]
    assert segments(source) == [(t, 2000) for t in range(0, 10000, 2000)]


def test_ended_manifest_is_static_with_every_segment() -> None:
    records = [record(seq, 2000 + seq) for seq in range(10)]
    root = mpd(records, live=False)
    assert root.get("type") == "static"
    assert seconds(root.attrib["mediaPresentationDuration"]) == pytest.approx(20.045)
    assert "availabilityStartTime" not in root.attrib
    template = representation(root, SOURCE).find("d:SegmentTemplate", NS)
    assert template is not None
    assert len(segments(template)) == 10


def test_the_timeline_adds_durations_and_jumps_to_the_wall_clock_after_a_discontinuity() -> None:
    records = [record(0, 2000), record(1, 1900), record(2, 2100)]
    # The publisher was away for about 30 s: seq 3 began 36 s after the first segment did.
    records.append(record(3, 2000, discontinuity=True, received_at=T0 + 38))
    records.append(record(4, 2000, received_at=T0 + 40))
    starts = [e.start_ms for e in timeline(Mark(), records, NAMES).entries]
    assert starts == [0, 2000, 3900, 36000, 38000]


def test_a_discontinuity_never_moves_the_timeline_back() -> None:
    records = [record(0), record(1, discontinuity=True, received_at=T0 + 1)]
    assert [e.start_ms for e in timeline(Mark(), records, NAMES).entries] == [0, 2000]
