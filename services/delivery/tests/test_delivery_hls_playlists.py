"""HLS playlist text, written from plain records: what a player reads."""

import math
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lpgw.delivery.video.hls import WINDOW, Kind, master_playlist, media_playlist
from lpgw.delivery.video.lineup import Variant, lineup
from lpgw.delivery.video.timeline import Mark, fold, timeline
from lpgw.video.profiles import PRESETS, SOURCE
from lpgw.video.records import Rendition, SegmentRecord

P240 = PRESETS["P240p30fps16x9"]
P360 = PRESETS["P360p30fps16x9"]
NAMES = (P240.name, P360.name, SOURCE)
T0 = 1_700_000_000.0


def rendition(name: str, seq: int, *, size: int = 250_000, codecs: str = "") -> Rendition:
    return Rendition(name=name, key=f"s1/{name}/{seq}.ts", size=size, codecs=codecs)


def record(
    seq: int,
    duration_ms: int = 2000,
    *,
    discontinuity: bool = False,
    transcoded: bool = True,
    received_at: float | None = None,
) -> SegmentRecord:
    files = [rendition(SOURCE, seq)]
    if transcoded:
        files += [rendition(P240.name, seq), rendition(P360.name, seq)]
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


@dataclass
class Segment:
    uri: str
    duration: float
    discontinuity: bool


@dataclass
class Playlist:
    """What a player takes from a media playlist."""

    tags: dict[str, str] = field(default_factory=dict)
    segments: list[Segment] = field(default_factory=list)
    ended: bool = False


def parse(text: str) -> Playlist:
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    playlist = Playlist()
    discontinuity, duration = False, None
    for line in lines[1:]:
        if line == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif line == "#EXT-X-ENDLIST":
            playlist.ended = True
        elif line.startswith("#EXTINF:"):
            duration = float(line.removeprefix("#EXTINF:").rstrip(","))
        elif line.startswith("#EXT-X-"):
            name, _, value = line[1:].partition(":")
            playlist.tags[name] = value
        else:
            assert duration is not None, f"URI without EXTINF: {line}"
            playlist.segments.append(Segment(line, duration, discontinuity))
            discontinuity, duration = False, None
    return playlist


def live(records: list[SegmentRecord], name: str = P240.name, *, ended: bool = False) -> Playlist:
    window = timeline(Mark(), records, NAMES).tail(WINDOW)
    return parse(media_playlist(window, name, Kind.LIVE, ended=ended))


def test_a_live_playlist_is_a_window_of_the_last_six_segments() -> None:
    playlist = live([record(seq) for seq in range(10)])
    assert [s.uri for s in playlist.segments] == [f"P240p30fps16x9/{n}.ts" for n in range(4, 10)]
    assert playlist.tags["EXT-X-MEDIA-SEQUENCE"] == "4"
    assert playlist.tags["EXT-X-VERSION"] == "3"
    assert playlist.tags["EXT-X-DISCONTINUITY-SEQUENCE"] == "0"
    assert "EXT-X-PLAYLIST-TYPE" not in playlist.tags
    assert not playlist.ended


def test_a_short_stream_lists_what_there_is() -> None:
    playlist = live([record(0), record(1)])
    assert [s.uri for s in playlist.segments] == ["P240p30fps16x9/0.ts", "P240p30fps16x9/1.ts"]
    assert playlist.tags["EXT-X-MEDIA-SEQUENCE"] == "0"


def test_a_stream_with_no_segment_yet_has_an_empty_playlist() -> None:
    playlist = live([])
    assert playlist.segments == []
    assert playlist.tags["EXT-X-TARGETDURATION"] == "2"


def test_durations_have_three_decimals() -> None:
    text = media_playlist(
        timeline(Mark(), [record(0, 2002), record(1, 1966)], NAMES),
        P240.name,
        Kind.LIVE,
        ended=False,
    )
    assert "#EXTINF:2.002,\n" in text
    assert "#EXTINF:1.966,\n" in text


@pytest.mark.parametrize(
    ("durations", "target"),
    [
        pytest.param([2000] * 6, 2, id="exactly two seconds"),
        pytest.param([2000, 2002, 1990], 3, id="just over two seconds rounds up"),
        pytest.param([400, 300], 1, id="short segments"),
        pytest.param([2000] * 3 + [5600] + [2000] * 2, 6, id="one long segment sets it"),
    ],
)
def test_target_duration_is_the_longest_segment_rounded_up(
    durations: list[int], target: int
) -> None:
    playlist = live([record(seq, d) for seq, d in enumerate(durations)])
    assert playlist.tags["EXT-X-TARGETDURATION"] == str(target)


@given(st.lists(st.integers(min_value=1, max_value=12_000), min_size=1, max_size=20))
def test_target_duration_is_never_below_a_listed_segment(durations: list[int]) -> None:
    playlist = live([record(seq, d) for seq, d in enumerate(durations)])
    target = int(playlist.tags["EXT-X-TARGETDURATION"])
    assert all(round(s.duration) <= target and s.duration <= target for s in playlist.segments)
    assert target == max(1, max(math.ceil(s.duration) for s in playlist.segments))


def test_the_window_slides_out_the_oldest_segment() -> None:
    before = live([record(seq) for seq in range(8)])
    after = live([record(seq) for seq in range(9)])
    assert int(after.tags["EXT-X-MEDIA-SEQUENCE"]) == int(before.tags["EXT-X-MEDIA-SEQUENCE"]) + 1
    assert after.segments[:-1] == before.segments[1:]


def test_a_flagged_segment_is_a_discontinuity_until_it_slides_out() -> None:
    records = [record(seq, discontinuity=seq == 7) for seq in range(16)]
    while_listed = live(records[:10])
    assert [s.discontinuity for s in while_listed.segments] == [False] * 3 + [True] + [False] * 2
    assert while_listed.tags["EXT-X-DISCONTINUITY-SEQUENCE"] == "0"
    still_first = live(records[:13])
    assert still_first.segments[0].discontinuity
    assert still_first.tags["EXT-X-DISCONTINUITY-SEQUENCE"] == "0"
    slid_out = live(records[:14])
    assert not any(s.discontinuity for s in slid_out.segments)
    assert slid_out.tags["EXT-X-DISCONTINUITY-SEQUENCE"] == "1"


def test_a_gap_in_sequence_numbers_is_a_discontinuity() -> None:
    records = [record(seq) for seq in (0, 1, 2, 3, 4, 6, 7, 8)]
    playlist = live(records)
    assert [s.uri.split("/")[1] for s in playlist.segments] == [
        f"{n}.ts" for n in (2, 3, 4, 6, 7, 8)
    ]
    assert [s.discontinuity for s in playlist.segments] == [False] * 3 + [True] + [False] * 2


def test_media_sequence_stays_consistent_after_a_gap_slides_out() -> None:
    """Players number segments MEDIA-SEQUENCE + position: a skipped seq must not shift them."""
    seqs = [0, 1, 2, 4, 5, 6, 7, 8, 9, 10]
    numbers: dict[str, int] = {}
    for end in range(6, len(seqs) + 1):
        playlist = live([record(seq) for seq in seqs[:end]])
        first = int(playlist.tags["EXT-X-MEDIA-SEQUENCE"])
        for position, segment in enumerate(playlist.segments):
            assert numbers.setdefault(segment.uri, first + position) == first + position
    assert numbers["P240p30fps16x9/4.ts"] == 3


def test_a_segment_without_the_rendition_plays_the_source() -> None:
    records = [record(seq, transcoded=seq != 5) for seq in range(8)]
    profile = live(records)
    assert [s.uri for s in profile.segments] == [
        "P240p30fps16x9/2.ts",
        "P240p30fps16x9/3.ts",
        "P240p30fps16x9/4.ts",
        "source/5.ts",
        "P240p30fps16x9/6.ts",
        "P240p30fps16x9/7.ts",
    ]
    assert [s.discontinuity for s in profile.segments] == [False, False, False, True, True, False]
    source = live(records, SOURCE)
    assert [s.uri for s in source.segments] == [f"source/{n}.ts" for n in range(2, 8)]
    assert not any(s.discontinuity for s in source.segments)


def test_discontinuity_sequence_counts_per_rendition() -> None:
    records = [record(seq, transcoded=seq != 2) for seq in range(12)]
    assert live(records).tags["EXT-X-DISCONTINUITY-SEQUENCE"] == "2"
    assert live(records, SOURCE).tags["EXT-X-DISCONTINUITY-SEQUENCE"] == "0"


def test_an_ended_stream_ends_its_live_playlist() -> None:
    assert live([record(seq) for seq in range(3)], ended=True).ended


@pytest.mark.parametrize(
    ("kind", "ended", "playlist_type", "has_endlist"),
    [
        pytest.param(Kind.EVENT, False, "EVENT", False, id="recording while live"),
        pytest.param(Kind.VOD, True, "VOD", True, id="recording once ended"),
    ],
)
def test_a_recording_lists_every_segment(
    kind: Kind, ended: bool, playlist_type: str, has_endlist: bool
) -> None:
    records = [record(seq) for seq in range(20)]
    text = media_playlist(timeline(Mark(), records, NAMES), P360.name, kind, ended=ended)
    playlist = parse(text)
    assert [s.uri for s in playlist.segments] == [f"P360p30fps16x9/{n}.ts" for n in range(20)]
    assert playlist.tags["EXT-X-PLAYLIST-TYPE"] == playlist_type
    assert playlist.tags["EXT-X-MEDIA-SEQUENCE"] == "0"
    assert playlist.ended is has_endlist


@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.booleans(), st.booleans(), st.integers(500, 4000)),
        min_size=0,
        max_size=30,
    ),
    st.integers(0, 30),
)
def test_folding_the_past_gives_the_playlist_of_reading_everything(
    steps: list[tuple[int, bool, bool, int]], split: int
) -> None:
    """What a replica computes from a remembered mark equals what it computes from scratch."""
    records, seq = [], 0
    for jump, flagged, transcoded, duration in steps:
        seq += jump
        records.append(record(seq, duration, discontinuity=flagged, transcoded=transcoded))
    split = min(split, max(len(records) - WINDOW, 0))
    mark = fold(Mark(), records[:split], NAMES)
    for name in NAMES:
        whole = timeline(Mark(), records, NAMES).tail(WINDOW)
        resumed = timeline(mark, records[split:], NAMES).tail(WINDOW)
        assert media_playlist(whole, name, Kind.LIVE, ended=False) == media_playlist(
            resumed, name, Kind.LIVE, ended=False
        )
        assert [e.start_ms for e in whole.entries] == [e.start_ms for e in resumed.entries]


def master_lines(text: str) -> list[tuple[dict[str, str], str]]:
    lines = text.splitlines()
    assert lines[:3] == ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    variants = []
    for info, uri in zip(lines[3::2], lines[4::2], strict=True):
        assert info.startswith("#EXT-X-STREAM-INF:")
        attributes: dict[str, str] = {}
        for part in info.removeprefix("#EXT-X-STREAM-INF:").split(",", 3):
            if part.startswith("CODECS="):
                attributes["CODECS"] = part.removeprefix("CODECS=").strip('"')
            else:
                key, _, value = part.partition("=")
                attributes[key] = value
        variants.append((attributes, uri))
    return variants


def test_master_lists_profiles_in_order_then_the_source() -> None:
    text = master_playlist(lineup([P240, P360], []), "s1/")
    variants = master_lines(text)
    assert [uri for _, uri in variants] == [
        "s1/P240p30fps16x9.m3u8",
        "s1/P360p30fps16x9.m3u8",
        "s1/source.m3u8",
    ]


def test_master_declares_profile_bitrate_plus_overhead_before_anything_is_measured() -> None:
    (p240, _), (p360, _), (source, _) = master_lines(master_playlist(lineup([P240, P360], []), ""))
    assert p240 == {"BANDWIDTH": "720000", "RESOLUTION": "426x240"}
    assert p360 == {"BANDWIDTH": "1440000", "RESOLUTION": "640x360"}
    assert source == {"BANDWIDTH": "2000000"}


def test_master_declares_measured_bandwidth_resolution_and_codecs() -> None:
    def measured(seq: int, p240_bps: int) -> SegmentRecord:
        return SegmentRecord(
            stream_id="s1",
            seq=seq,
            duration_ms=2000,
            renditions=[
                Rendition(
                    name=SOURCE,
                    key=f"s1/source/{seq}.ts",
                    size=1_000_000,
                    width=1280,
                    height=720,
                    codecs="avc1.64001f,mp4a.40.2",
                ),
                Rendition(
                    name=P240.name,
                    key=f"s1/P240p30fps16x9/{seq}.ts",
                    size=p240_bps // 4,
                    width=426,
                    height=240,
                    bandwidth=p240_bps,
                    codecs="avc1.4d401e,mp4a.40.2",
                ),
            ],
            received_at=T0 + seq,
            delivered_at=T0 + seq,
        )

    records = [measured(0, 700_000), measured(1, 800_000), measured(2, 750_000)]
    (p240, _), (p360, _), (source, _) = master_lines(
        master_playlist(lineup([P240, P360], records), "")
    )
    assert p240 == {
        "BANDWIDTH": "800000",
        "AVERAGE-BANDWIDTH": "750000",
        "RESOLUTION": "426x240",
        "CODECS": "avc1.4d401e,mp4a.40.2",
    }
    assert p360 == {"BANDWIDTH": "1440000", "RESOLUTION": "640x360"}, "never produced: profile"
    assert source == {
        "BANDWIDTH": "4000000",
        "AVERAGE-BANDWIDTH": "4000000",
        "RESOLUTION": "1280x720",
        "CODECS": "avc1.64001f,mp4a.40.2",
    }, "no bandwidth recorded: size × 8 / duration"


def test_variant_codecs_split_into_video_and_audio() -> None:
    variant = Variant("x", 1, None, 0, 0, "avc1.64001f,mp4a.40.2")
    assert (variant.video_codec, variant.audio_codec) == ("avc1.64001f", "mp4a.40.2")
