"""The CODECS of an MPEG-TS segment, read from segments PyAV encodes from synthetic frames."""

import functools
import io

import av
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lpgw.video.codecs import TS_PACKET, segment_codecs

WIDTH, HEIGHT, FPS = 320, 240, 30
"""Level 1.3 (0x0d) is the lowest H.264 level for 320×240 at 30 fps: x264 picks it."""


@functools.cache
def _segment(
    video: str | None = "libx264",
    audio: str | None = None,
    h264_profile: str = "high",
    level: str | None = None,
    frames: int = 6,
) -> bytes:
    """A short MPEG-TS segment of grey frames and silence."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mpegts") as output:
        # Every stream is added before the first packet is muxed (PyAV crashes otherwise).
        picture = output.add_stream(video, rate=FPS) if video else None
        sound = output.add_stream(audio, rate=48_000, layout="stereo") if audio else None
        if isinstance(picture, av.VideoStream):
            picture.width, picture.height, picture.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            if video == "libx264":
                # veryfast, not ultrafast: ultrafast drops CABAC and 8×8 transforms, so x264
                # would write a baseline stream whatever profile is asked.
                options: dict[str, object] = {"preset": "veryfast", "profile": h264_profile}
                if level:
                    options["level"] = level
                picture.options = options
            for index in range(frames):
                frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
                for plane in frame.planes:
                    plane.update(bytes([(index * 20) % 256]) * plane.buffer_size)
                frame.pts = index
                output.mux(picture.encode(frame))
            output.mux(picture.encode(None))
        if isinstance(sound, av.AudioStream):
            sample_format = (sound.codec_context.codec.audio_formats or [])[0].name
            for index in range(8):
                samples = av.AudioFrame(format=sample_format, layout="stereo", samples=1152)
                for audio_plane in samples.planes:
                    audio_plane.update(bytes(audio_plane.buffer_size))
                samples.sample_rate, samples.pts = 48_000, index * 1152
                output.mux(sound.encode(samples))
            output.mux(sound.encode(None))
    return buffer.getvalue()


def _avc(codecs: str) -> tuple[str, str, str]:
    """(profile_idc, constraint flags, level_idc) as hex, from `avc1.PPCCLL[,…]`."""
    avc = codecs.split(",")[0]
    assert avc.startswith("avc1.") and len(avc) == 11, codecs
    return avc[5:7], avc[7:9], avc[9:11]


@pytest.mark.parametrize(
    ("h264_profile", "profile_idc"),
    [
        pytest.param("baseline", "42", id="baseline"),
        pytest.param("main", "4d", id="main"),
        pytest.param("high", "64", id="high"),
    ],
)
@pytest.mark.parametrize("audio", [None, "aac"], ids=["video-only", "with-aac"])
def test_h264_profile_and_level_are_read(
    h264_profile: str, profile_idc: str, audio: str | None
) -> None:
    codecs = segment_codecs(_segment(audio=audio, h264_profile=h264_profile))
    profile, _, level = _avc(codecs)
    assert (profile, level) == (profile_idc, "0d")
    assert codecs.endswith(",mp4a.40.2") == (audio == "aac")
    assert codecs.count(",") == (1 if audio else 0)


@pytest.mark.parametrize(
    ("level", "level_idc"),
    [pytest.param("3.1", "1f", id="3.1"), pytest.param("4.0", "28", id="4.0")],
)
def test_the_level_is_the_encoders(level: str, level_idc: str) -> None:
    assert _avc(segment_codecs(_segment(audio="aac", level=level))) == ("64", "00", level_idc)


def test_baseline_is_marked_constrained() -> None:
    """x264's baseline is Constrained Baseline (constraint_set1): the common `avc1.42c0…`."""
    assert _avc(segment_codecs(_segment(h264_profile="baseline")))[1] == "c0"


@pytest.mark.parametrize(
    ("audio", "expected"),
    [
        pytest.param("aac", "mp4a.40.2", id="aac"),
        pytest.param("libmp3lame", "mp4a.40.34", id="mp3"),
        pytest.param("ac3", "ac-3", id="ac3"),
    ],
)
def test_audio_only_segments_name_their_audio(audio: str, expected: str) -> None:
    assert segment_codecs(_segment(video=None, audio=audio)) == expected


@pytest.mark.parametrize("video", ["libx265", "mpeg2video"])
def test_video_it_cannot_name_gives_no_codecs_not_audio_only(video: str) -> None:
    """A player told `mp4a.40.2` alone would take an HEVC or MPEG-2 variant for audio only."""
    assert segment_codecs(_segment(video=video, audio="aac")) == ""


def test_an_sps_is_not_mistaken_for_the_pes_header() -> None:
    """PES stream id 0xE7 (a valid video stream id) ends in NAL type 7 bits like an SPS."""
    data = bytearray(_segment(audio="aac"))
    start = data.find(b"\x00\x00\x01\xe0")
    assert start > 0
    data[start + 3] = 0xE7
    assert _avc(segment_codecs(bytes(data)))[0::2] == ("64", "0d")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not a video at all" * 100, id="text"),
        pytest.param(bytes(range(256)) * 40, id="counting"),
        pytest.param(b"\x47" * 5000, id="sync-bytes-only"),
        pytest.param(b"\x47" + bytes(TS_PACKET * 30), id="empty-packets"),
        pytest.param(b"\x00" * 4 + _segment(), id="misaligned"),
    ],
)
def test_garbage_gives_no_codecs(data: bytes) -> None:
    assert segment_codecs(data) == ""


def test_a_truncated_segment_gives_all_or_nothing() -> None:
    whole = _segment(audio="aac")
    answer = segment_codecs(whole)
    for end in range(0, len(whole), 61):
        assert segment_codecs(whole[:end]) in ("", answer)
    assert segment_codecs(whole[: TS_PACKET * 2]) == ""  # the tables, no picture yet


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_corrupt_segments_never_raise(data: st.DataObject) -> None:
    segment = bytearray(_segment(audio="aac"))
    for _ in range(data.draw(st.integers(1, 40))):
        at = data.draw(st.integers(0, len(segment) - 1))
        segment[at] = data.draw(st.integers(0, 255))
    for packet in range(0, len(segment), TS_PACKET):  # keep sync so parsing goes deep
        segment[packet] = 0x47
    codecs = segment_codecs(bytes(segment))
    assert isinstance(codecs, str)
