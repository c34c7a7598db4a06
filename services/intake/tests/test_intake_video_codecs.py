"""The byte work under the segmenter: AVCC → Annex B, the SPS picture size, AAC's
AudioSpecificConfig and ADTS headers, FLV tag bodies. Pure: nothing is started."""

import subprocess
import sys
from typing import Any

import pytest
from lpgw.intake.video.aac import (
    AacConfig,
    InvalidAac,
    adts_frame,
    parse_audio_specific_config,
)
from lpgw.intake.video.flv import AudioFrame, VideoConfig, VideoFrame, parse_audio, parse_video
from lpgw.intake.video.h264 import (
    START_CODE,
    AvcConfig,
    InvalidH264,
    parse_avc_config,
    sps_size,
    to_annex_b,
)


def bits(*fields: tuple[int, int]) -> bytes:
    """(value, width) fields, big-endian, padded to whole bytes."""
    value, width = 0, 0
    for field, size in fields:
        value, width = (value << size) | field, width + size
    pad = -width % 8
    return (value << pad).to_bytes((width + pad) // 8, "big")


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        pytest.param(bits((2, 5), (4, 4), (2, 4)), AacConfig(2, 4, 2), id="AAC LC 44.1 kHz stereo"),
        pytest.param(bits((2, 5), (3, 4), (1, 4)), AacConfig(2, 3, 1), id="AAC LC 48 kHz mono"),
        pytest.param(
            bits((5, 5), (6, 4), (2, 4), (3, 4), (2, 5)),
            AacConfig(2, 6, 2),
            id="HE-AAC explicit SBR names the core",
        ),
        pytest.param(
            bits((31, 5), (0, 6), (4, 4), (2, 4)), None, id="escaped object type 32 refused"
        ),
        pytest.param(bits((2, 5), (15, 4), (44100, 24), (2, 4)), None, id="explicit rate refused"),
        pytest.param(bits((2, 5), (4, 4), (0, 4)), None, id="PCE channels refused"),
        pytest.param(b"\x12", None, id="truncated"),
    ],
)
def test_audio_specific_config(config: bytes, expected: AacConfig | None) -> None:
    if expected is None:
        with pytest.raises(InvalidAac):
            parse_audio_specific_config(config)
    else:
        assert parse_audio_specific_config(config) == expected


def test_adts_header_carries_the_configuration_and_length() -> None:
    frame = adts_frame(b"\xaa" * 300, AacConfig(2, 4, 2))
    assert frame[:2] == b"\xff\xf1"
    assert frame[2] >> 6 == 1  # profile = object type - 1
    assert (frame[2] >> 2) & 0xF == 4
    assert ((frame[2] & 1) << 2) | (frame[3] >> 6) == 2
    assert ((frame[3] & 3) << 11) | (frame[4] << 3) | (frame[5] >> 5) == 307
    assert frame[7:] == b"\xaa" * 300
    with pytest.raises(InvalidAac):
        adts_frame(b"\x00" * 9000, AacConfig(2, 4, 2))


SPS = bytes.fromhex("674d401eeca05017fcb080000003008000001e078b16cb")  # x264, main, 640x360
PPS = bytes.fromhex("68ce0fc8")


def avcc(*nals: bytes) -> bytes:
    return b"".join(len(nal).to_bytes(4, "big") + nal for nal in nals)


def record(sps: bytes = SPS, pps: bytes = PPS) -> bytes:
    return (
        bytes((1, sps[1], sps[2], sps[3], 0xFF, 0xE1))
        + len(sps).to_bytes(2, "big")
        + sps
        + b"\x01"
        + len(pps).to_bytes(2, "big")
        + pps
    )


@pytest.mark.parametrize(
    ("sps", "size"),
    [
        pytest.param(SPS, (640, 360), id="main profile, 8 rows cropped"),
        pytest.param(
            "67640015acd941b1fe4e10000003001000000303c0f162d960", (426, 240), id="high, odd width"
        ),
        pytest.param(
            "67640028acd940780227e584000003000400000300f03c60c658", (1920, 1080), id="high 1080p"
        ),
    ],
)
def test_sps_size(sps: bytes | str, size: tuple[int, int]) -> None:
    """Real x264 parameter sets, emulation prevention bytes included."""
    assert sps_size(bytes.fromhex(sps) if isinstance(sps, str) else sps) == size


def test_not_an_sps() -> None:
    with pytest.raises(InvalidH264):
        sps_size(PPS)
    with pytest.raises(InvalidH264):
        sps_size(SPS[:6])


def test_configuration_record() -> None:
    config = parse_avc_config(record())
    assert (config.nal_length_size, config.sps, config.pps) == (4, (SPS,), (PPS,))
    assert (config.width, config.height) == (640, 360)
    assert config.parameter_sets == START_CODE + SPS + START_CODE + PPS
    for broken in (b"", record()[:-3], b"\x02" + record()[1:], record()[:5] + b"\xe0\x00"):
        with pytest.raises(InvalidH264):
            parse_avc_config(broken)


@pytest.mark.parametrize(
    ("frame", "keyframe", "expected"),
    [
        pytest.param(
            avcc(b"\x65\x88"),
            True,
            START_CODE + SPS + START_CODE + PPS + START_CODE + b"\x65\x88",
            id="parameter sets before a keyframe",
        ),
        pytest.param(
            avcc(b"\x09\xf0", b"\x65\x88"),
            True,
            START_CODE
            + b"\x09\xf0"
            + START_CODE
            + SPS
            + START_CODE
            + PPS
            + START_CODE
            + b"\x65\x88",
            id="after the access unit delimiter",
        ),
        pytest.param(
            avcc(SPS, PPS, b"\x65\x88"),
            True,
            START_CODE + SPS + START_CODE + PPS + START_CODE + b"\x65\x88",
            id="in-band sets are not repeated",
        ),
        pytest.param(avcc(b"\x41\x9a"), False, START_CODE + b"\x41\x9a", id="inter frame as is"),
    ],
)
def test_annex_b(frame: bytes, keyframe: bool, expected: bytes) -> None:
    assert to_annex_b(frame, parse_avc_config(record()), keyframe) == expected


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(b"\x00\x00", id="short length"),
        pytest.param(b"\x00\x00\x00\x09\x41", id="NAL longer than the frame"),
        pytest.param(b"\x00\x00\x00\x00", id="empty NAL"),
    ],
)
def test_broken_frames(frame: bytes) -> None:
    config: AvcConfig = parse_avc_config(record())
    with pytest.raises(InvalidH264):
        to_annex_b(frame, config, False)


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        pytest.param(
            "video",
            b"\x17\x01\x00\x00\x43" + avcc(b"\x65"),
            VideoFrame(100, 167, True, avcc(b"\x65")),
            id="keyframe with composition offset",
        ),
        pytest.param(
            "video",
            b"\x27\x01\xff\xff\xf6" + avcc(b"\x41"),
            VideoFrame(100, 90, False, avcc(b"\x41")),
            id="negative composition offset",
        ),
        pytest.param("video", b"\x17\x02\x00\x00\x00", None, id="end of sequence"),
        pytest.param("video", b"\x57\x00", None, id="video info frame"),
        pytest.param("audio", b"\xaf\x01\x21\x10", AudioFrame(100, b"\x21\x10"), id="AAC frame"),
        pytest.param("audio", b"\xaf\x01", None, id="empty AAC frame"),
    ],
)
def test_flv_tag_bodies(kind: str, body: bytes, expected: Any) -> None:
    parse = parse_video if kind == "video" else parse_audio
    assert parse(100, body) == expected


def test_sequence_header_tag() -> None:
    parsed = parse_video(0, b"\x17\x00\x00\x00\x00" + record())
    assert isinstance(parsed, VideoConfig)
    assert parsed.config.width == 640


def test_the_byte_work_imports_no_media_or_io_library() -> None:
    modules = ["h264", "aac", "flv", "keys", "transcode_config", "multipart", "status"]
    code = (
        "import sys\n"
        + "".join(f"import lpgw.intake.video.{name}\n" for name in modules)
        + "io = ('av', 'nats', 'redis', 'httpx', 'fastapi')\n"
        + "print(sorted(m for m in io if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
