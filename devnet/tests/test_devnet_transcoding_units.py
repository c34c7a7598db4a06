"""The devnet's transcoding pieces without a server: frame-rate and capacity rules, AAC config,
credentials, and PyAV transcoding of synthetic segments in-process."""

import dataclasses
import io
from collections.abc import Iterator
from fractions import Fraction

import av
import pytest
from lpgw.devnet.auth_tokens import AuthTokens
from lpgw.devnet.cli import load_settings
from lpgw.devnet.node import Node, build_node
from lpgw.devnet.transcoding.errors import InvalidDuration, OrchestratorCapped, TranscodeFailed
from lpgw.devnet.transcoding.failures import InjectedFailures
from lpgw.devnet.transcoding.frame_rate import FrameRate
from lpgw.devnet.transcoding.passthrough import passthrough
from lpgw.devnet.transcoding.pattern import pattern_segment
from lpgw.devnet.transcoding.segment import Segments
from lpgw.devnet.transcoding.service import asks_for_transcoding
from lpgw.devnet.transcoding.sessions import TranscodingSessions
from lpgw.devnet.transcoding.x264 import transcode
from lpgw.eth import PrivateKey
from lpgw.video.adts import audio_specific_config, is_adts
from lpgw.video.profiles import PRESETS, VideoProfile
from lpgw.wire.capabilities import ai_discovery_capabilities, ai_job_capabilities
from lpgw.wire.errors import ExpiredAuthToken
from lpgw.wire.headers import encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.transcoding import (
    UnsupportedProfile,
    profile_to_pb,
    transcode_segdata,
    transcoding_capabilities,
)
from pydantic import ValidationError

TB = Fraction(1, 90000)
P240 = PRESETS["P240p30fps16x9"]
START = 900_000  # the pattern's first video pts: 10 s
FRAME = 3000  # one frame at 30 fps in 1/90000 s


# --- settings -----------------------------------------------------------------------------


def test_transcoding_flags() -> None:
    settings = load_settings(
        [
            *("--transcode-price", "7", "--pixels-per-unit", "2"),
            *("--transcode-mode", "passthrough", "--x264-preset", "ultrafast"),
            *("--transcode-workers", "3", "--max-sessions", "4"),
            *("--transcode-session-idle-s", "5", "--segment-failure-kind", "http"),
        ]
    )

    assert settings.transcoding_price_per_unit == Fraction(7, 2)
    assert (settings.transcode_mode, settings.x264_preset) == ("passthrough", "ultrafast")
    assert (settings.transcode_workers, settings.max_sessions) == (3, 4)
    assert (settings.transcode_session_idle_s, settings.segment_failure_kind) == (5.0, "http")


def test_transcoding_defaults() -> None:
    settings = load_settings([])

    assert (settings.transcode_mode, settings.x264_preset, settings.max_sessions) == (
        "x264",
        "veryfast",
        10,
    )
    assert (settings.transcode_workers, settings.segment_failure_kind) == (None, "alternate")


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--x264-preset", "warp"], id="unknown preset"),
        pytest.param(["--max-sessions", "0"], id="no session at all"),
        pytest.param(["--transcode-workers", "0"], id="no worker"),
    ],
)
def test_bad_transcoding_settings_are_refused(argv: list[str]) -> None:
    with pytest.raises(ValidationError):
        load_settings(argv)


# --- frame rate ---------------------------------------------------------------------------


def convert(pts: list[int], rate: int, end: int) -> list[tuple[int, int]]:
    """(input index, output pts) of every output frame."""
    conversion: FrameRate[int] = FrameRate(Fraction(rate), TB)
    out = [(t.item, t.pts) for n, p in enumerate(pts) for t in conversion.push(n, p)]
    return out + [(t.item, t.pts) for t in conversion.finish(end)]


@pytest.mark.parametrize(
    ("step", "count", "rate", "expected_items"),
    [
        pytest.param(3000, 6, 30, [0, 1, 2, 3, 4, 5], id="same rate passes every frame"),
        pytest.param(1500, 12, 30, [0, 2, 4, 6, 8, 10], id="60 to 30 keeps every second frame"),
        pytest.param(6000, 3, 30, [0, 0, 1, 1, 2, 2], id="15 to 30 repeats every frame"),
        pytest.param(3600, 5, 30, [0, 1, 2, 2, 3, 4], id="25 to 30 repeats one frame in six"),
    ],
)
def test_frame_rate_conversion(step: int, count: int, rate: int, expected_items: list[int]) -> None:
    pts = [START + n * step for n in range(count)]

    out = convert(pts, rate, START + count * step)

    assert [item for item, _ in out] == expected_items
    assert [p for _, p in out] == [START + n * (90000 // rate) for n in range(len(out))]


def test_a_frame_rate_keeps_jittered_timestamps_on_its_grid() -> None:
    out = convert([0, 3001, 5999, 9002], 30, 12000)

    assert out == [(0, 0), (1, 3000), (2, 6000), (3, 9000)]


# --- capacity -----------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sessions_past_the_cap_are_refused_until_one_ends_or_idles() -> None:
    clock = Clock()
    sessions = TranscodingSessions(2, idle_s=60, clock=clock)
    sessions.admit("a")
    sessions.admit("b")

    with pytest.raises(OrchestratorCapped):
        sessions.admit("c")
    sessions.admit("a")  # a counted session is always served
    assert sessions.full()
    sessions.end("a")
    sessions.admit("c")
    clock.now += 30
    sessions.touch("c")
    clock.now += 31  # b idle 61 s, c 31 s
    assert sessions.active() == 1
    sessions.admit("d")
    assert sessions.full()


@pytest.mark.parametrize(
    ("capabilities", "transcoding"),
    [
        pytest.param(None, True, id="general info"),
        pytest.param(transcoding_capabilities("h264", [P240]), True, id="transcoding job"),
        pytest.param(pb.Capabilities(), True, id="empty set"),
        pytest.param(ai_discovery_capabilities("text-to-image", "m"), False, id="AI discovery"),
        pytest.param(ai_job_capabilities("llm", "m"), False, id="AI job"),
        pytest.param(
            pb.Capabilities(capacities={35: 1}), False, id="live video named in capacities"
        ),
    ],
)
def test_which_requests_ask_for_transcoding(
    capabilities: pb.Capabilities | None, transcoding: bool
) -> None:
    assert asks_for_transcoding(capabilities) is transcoding


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        pytest.param("alternate", [False, True, False, True], id="alternate"),
        pytest.param("http", [True] * 4, id="http"),
        pytest.param("result", [False] * 4, id="result"),
    ],
)
def test_injected_failure_kinds(kind: str, expected: list[bool]) -> None:
    failures = InjectedFailures(kind)  # type: ignore[arg-type]

    assert [failures.next_is_http() for _ in range(4)] == expected


# --- AAC ----------------------------------------------------------------------------------


def first_audio_packet(data: bytes) -> bytes:
    with av.open(io.BytesIO(data), "r") as container:
        return next(bytes(p) for p in container.demux(container.streams.audio[0]) if p.size)


def test_audio_specific_config_of_the_pattern_aac() -> None:
    frame = first_audio_packet(pattern_segment(video=False))

    assert is_adts(frame)
    assert audio_specific_config(frame) == bytes([0x11, 0x90])  # AAC LC, 48 kHz, stereo
    assert not is_adts(b"\x00" * 16)


# --- credentials --------------------------------------------------------------------------


@pytest.fixture
def node() -> Iterator[Node]:
    settings = load_settings(["--no-payments", "--max-sessions", "1"])
    built = build_node(settings, "http://127.0.0.1:1", PrivateKey.generate())
    yield built
    built.transcoding.close()


def header(node: Node, token: pb.AuthToken, **changes: int) -> str:
    seg = transcode_segdata(
        "s", 1, b"\x00" * 32, [P240], 2000, token, transcoding_capabilities("h264", [P240]), None
    )
    for name, value in changes.items():
        setattr(seg, name, value)
    return encode_segment(seg)


def test_an_expired_token_is_refused(node: Node) -> None:
    secret = b"k" * 32
    token = AuthTokens(secret, clock=lambda: 1_000_000.0).issue()
    now = dataclasses.replace(node, auth_tokens=AuthTokens(secret))

    with pytest.raises(ExpiredAuthToken):
        Segments(now).check_credentials(header(now, token), pb.Payment())


@pytest.mark.parametrize("duration", [-1, 300_001])
def test_durations_out_of_range_are_refused(node: Node, duration: int) -> None:
    with pytest.raises(InvalidDuration):
        Segments(node).check_credentials(
            header(node, node.auth_tokens.issue(), duration=duration), pb.Payment()
        )


def test_credentials_read_full_profiles_3_then_2_and_default_the_duration(node: Node) -> None:
    seg = pb.SegData(auth_token=node.auth_tokens.issue())
    seg.fullProfiles2.append(profile_to_pb(P240))

    _, profiles, duration = Segments(node).check_credentials(encode_segment(seg), pb.Payment())

    assert (profiles, duration) == ([P240], 2000)


def test_a_profile_with_an_unknown_enum_is_refused(node: Node) -> None:
    seg = pb.SegData(auth_token=node.auth_tokens.issue())
    seg.fullProfiles3.append(profile_to_pb(P240))
    seg.fullProfiles3[0].format = 5  # type: ignore[assignment]

    with pytest.raises(UnsupportedProfile):
        Segments(node).check_credentials(encode_segment(seg), pb.Payment())


def test_admission_counts_the_session(node: Node) -> None:
    segments = Segments(node)
    segments.check_credentials(header(node, node.auth_tokens.issue()), pb.Payment())

    with pytest.raises(OrchestratorCapped):
        segments.check_credentials(header(node, node.auth_tokens.issue()), pb.Payment())


# --- PyAV ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def source() -> bytes:
    return pattern_segment(320, 180)


@dataclasses.dataclass
class Probe:
    format: str
    size: tuple[int, int]
    frames: int
    keyframes: int
    first_pts: int
    last_pts: int
    audio_packets: int


def probe(data: bytes) -> Probe:
    with av.open(io.BytesIO(data), "r") as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        frames = list(container.decode(video))
        keyframes = sum(1 for f in frames if f.key_frame)
        pts = [f.pts for f in frames if f.pts is not None]
    with av.open(io.BytesIO(data), "r") as container:
        packets = 0 if audio is None else sum(1 for p in container.demux(audio=0) if p.size)
        return Probe(
            container.format.name,
            (frames[0].width, frames[0].height),
            len(frames),
            keyframes,
            pts[0],
            pts[-1],
            packets,
        )


def test_a_profile_frame_rate_gop_and_mp4_container(source: bytes) -> None:
    profile = VideoProfile("half", 256, 144, 300_000, fps=15, container="mp4", gop_ms=500)

    [rendition] = transcode(source, [profile], "ultrafast")

    seen = probe(rendition.data)
    assert seen.format.startswith("mov,mp4")
    assert (seen.size, seen.frames, seen.keyframes) == ((256, 144), 30, 4)
    assert (seen.first_pts, seen.last_pts) == (START, START + 29 * 2 * FRAME)
    assert seen.audio_packets > 90
    assert rendition.pixels == 256 * 144 * 30
    assert rendition.content_type == "video/mp4"


def test_fractional_rates_and_h264_profiles(source: bytes) -> None:
    profile = VideoProfile("ntsc", 320, 180, 300_000, fps=30000, fps_den=1001, h264_profile=1)

    [rendition] = transcode(source, [profile], "ultrafast")

    seen = probe(rendition.data)
    assert seen.frames == 60
    with av.open(io.BytesIO(rendition.data), "r") as container:
        assert container.streams.video[0].codec_context.profile in (
            "Baseline",
            "Constrained Baseline",
        )


def test_a_segment_without_video_is_copied_to_every_rendition() -> None:
    audio_only = pattern_segment(video=False)

    renditions = transcode(audio_only, [P240, PRESETS["P360p30fps16x9"]], "ultrafast")

    assert [(r.data, r.pixels) for r in renditions] == [(audio_only, 0)] * 2


def test_a_damaged_segment_keeps_the_frames_that_decode() -> None:
    video_only = pattern_segment(audio=False)
    damaged = bytearray(video_only)
    for at in range(len(damaged) // 3, len(damaged) // 3 + 20_000, 7):
        damaged[at] ^= 0x55
    no_whole_frame = video_only[: 188 * 6]

    [kept] = transcode(bytes(damaged), [P240], "ultrafast")
    [copied] = transcode(no_whole_frame, [P240], "ultrafast")

    assert kept.pixels == 426 * 240 * 60
    assert (copied.data, copied.pixels) == (no_whole_frame, 0)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"not a transport stream " * 500, id="garbage"),
        pytest.param(b"", id="empty"),
    ],
)
def test_undecodable_input_fails_as_a_transcode_error(data: bytes) -> None:
    with pytest.raises(TranscodeFailed):
        transcode(data, [P240], "ultrafast")
    with pytest.raises(TranscodeFailed):
        passthrough(data, [P240])


def test_an_oversized_profile_fails_before_any_work(source: bytes) -> None:
    with pytest.raises(TranscodeFailed, match="unsupported size"):
        transcode(source, [VideoProfile("huge", 100_000, 100, 1)], "ultrafast")


def test_passthrough_charges_what_the_profiles_would_produce(source: bytes) -> None:
    renditions = passthrough(source, [P240, PRESETS["P360p30fps16x9"]])

    assert [(r.data, r.pixels) for r in renditions] == [
        (source, 426 * 240 * 60),
        (source, 640 * 360 * 60),
    ]
