"""Transcoding profiles: the reference's presets and the auth webhook's JSON profiles."""

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lpgw.video.profiles import (
    DEFAULT_LADDER,
    PRESETS,
    SOURCE,
    InvalidProfile,
    VideoProfile,
    from_json,
    presets,
    to_json,
    unique,
)

WEBHOOK_PROFILES: list[dict[str, Any]] = [
    {
        "name": "low",
        "width": 426,
        "height": 240,
        "bitrate": 600000,
        "fps": 30,
        "fpsDen": 1,
        "profile": "H264Baseline",
        "gop": "2",
    },
    {
        "name": "hi_fps-2",
        "width": 1280,
        "height": 720,
        "bitrate": 4000000,
        "fps": 60000,
        "fpsDen": 1001,
        "profile": "H264ConstrainedHigh",
        "gop": "0.5",
    },
]
"""As the reference's auth webhook (or `Livepeer-Transcode-Configuration`) gives them."""


def _profile(**changes: Any) -> dict[str, Any]:
    return {**WEBHOOK_PROFILES[0], **changes}


# Presets ----------------------------------------------------------------------------------------
def test_presets_come_back_in_the_order_asked() -> None:
    names = ["P720p30fps16x9", "P144p30fps16x9", "P360p30fps16x9"]
    assert [profile.name for profile in presets(names)] == names
    assert presets(names)[0] == VideoProfile("P720p30fps16x9", 1280, 720, 4_000_000, 30)


def test_the_default_ladder_is_the_reference_gateways() -> None:
    ladder = presets(DEFAULT_LADDER)
    assert [(p.name, p.width, p.height, p.bitrate) for p in ladder] == [
        ("P240p30fps16x9", 426, 240, 600_000),
        ("P360p30fps16x9", 640, 360, 1_200_000),
    ]
    assert all(p.container == "mpegts" and p.extension == ".ts" for p in ladder)


def test_unknown_presets_are_all_named_in_the_error() -> None:
    with pytest.raises(InvalidProfile) as error:
        presets(["P240p30fps16x9", "P4Kp30", "P360p30fps16x9", "nope"])
    assert "P4Kp30" in str(error.value)
    assert "nope" in str(error.value)


def test_a_preset_named_twice_is_refused() -> None:
    with pytest.raises(InvalidProfile, match="P240p30fps16x9"):
        presets(["P240p30fps16x9", "P360p30fps16x9", "P240p30fps16x9"])


def test_no_presets_is_an_empty_ladder() -> None:
    assert presets([]) == []


# Webhook JSON ----------------------------------------------------------------------------------
def test_the_reference_webhooks_profiles_are_read() -> None:
    low, high = (from_json(data) for data in WEBHOOK_PROFILES)
    assert low == VideoProfile(
        "low", 426, 240, 600_000, fps=30, fps_den=1, gop_ms=2000, h264_profile=1
    )
    assert high == VideoProfile(
        "hi_fps-2", 1280, 720, 4_000_000, fps=60000, fps_den=1001, gop_ms=500, h264_profile=4
    )
    assert low.container == "mpegts"


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        pytest.param("", 0, id="empty-is-encoder-default"),
        pytest.param("H264Baseline", 1, id="baseline"),
        pytest.param("H264Main", 2, id="main"),
        pytest.param("H264High", 3, id="high"),
        pytest.param("H264ConstrainedHigh", 4, id="constrained-high"),
        pytest.param("h264_constrained high", 4, id="case-underscores-spaces-ignored"),
    ],
)
def test_h264_profile_names_map_to_the_wire_enum(text: str, wire: int) -> None:
    assert from_json(_profile(profile=text)).h264_profile == wire


def test_optional_fields_take_their_defaults() -> None:
    profile = from_json({"name": "p", "width": 640, "height": 360, "bitrate": 1_000_000})
    assert profile == VideoProfile("p", 640, 360, 1_000_000)


def test_mp4_output_is_kept() -> None:
    profile = from_json(_profile(format="mp4"))
    assert profile.container == "mp4"
    assert profile.extension == ".mp4"


@pytest.mark.parametrize(
    ("fps", "fps_den"),
    [
        pytest.param(0, 0, id="source-rate"),
        pytest.param(240, 0, id="fastest-whole"),
        pytest.param(30000, 1001, id="ntsc-30"),
        pytest.param(240_240, 1001, id="fastest-ntsc"),
    ],
)
def test_frame_rates_up_to_240_are_read(fps: int, fps_den: int) -> None:
    profile = from_json(_profile(fps=fps, fpsDen=fps_den))
    assert (profile.fps, profile.fps_den) == (fps, fps_den)


def test_integers_written_as_digit_strings_are_read() -> None:
    assert from_json(_profile(width="640", height="360", bitrate="900000")).width == 640


@pytest.mark.parametrize(
    "gop",
    [pytest.param(0, id="int-0"), pytest.param("", id="empty"), pytest.param(None, id="null")],
)
def test_no_gop_keeps_the_encoders(gop: Any) -> None:
    assert from_json(_profile(gop=gop)).gop_ms == 0


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("a.b", id="dot"),
        pytest.param("a/b", id="slash"),
        pytest.param("..", id="dots"),
        pytest.param(SOURCE, id="source"),
        pytest.param("", id="empty"),
        pytest.param("x" * 65, id="too-long"),
        pytest.param("with space", id="space"),
        pytest.param("low\n", id="trailing-newline"),
        pytest.param("é", id="non-ascii"),
        pytest.param(None, id="missing"),
        pytest.param(7, id="number"),
    ],
)
def test_bad_names_are_refused(name: Any) -> None:
    with pytest.raises(InvalidProfile):
        from_json(_profile(name=name))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"width": 15}, id="width-too-small"),
        pytest.param({"width": 7681}, id="width-too-large"),
        pytest.param({"height": 4321}, id="height-too-large"),
        pytest.param({"height": 0}, id="height-zero"),
        pytest.param({"bitrate": 0}, id="bitrate-zero"),
        pytest.param({"bitrate": 200_000_001}, id="bitrate-too-large"),
        pytest.param({"fps": 241, "fpsDen": 0}, id="fps-too-large"),
        pytest.param({"fps": 241, "fpsDen": 1}, id="fps-over-one-too-large"),
        pytest.param({"fps": 240_241, "fpsDen": 1001}, id="fps-over-1001-too-large"),
        pytest.param({"fps": -1}, id="fps-negative"),
        pytest.param({"fpsDen": 1002}, id="fps-den-too-large"),
        pytest.param({"width": True}, id="width-boolean"),
        pytest.param({"fps": True}, id="fps-boolean"),
        pytest.param({"bitrate": False}, id="bitrate-boolean"),
        pytest.param({"width": 640.0}, id="width-float"),
        pytest.param({"width": "640px"}, id="width-text"),
        pytest.param({"width": "²"}, id="width-superscript-digit"),
        pytest.param({"height": None}, id="height-null"),
        pytest.param({"width": None, "height": None}, id="no-size"),
        pytest.param({"format": "webm"}, id="format-unknown"),
        pytest.param({"profile": "H265Main"}, id="h264-profile-unknown"),
        pytest.param({"gop": "intra"}, id="gop-intra"),
        pytest.param({"gop": "0"}, id="gop-zero-text"),
        pytest.param({"gop": "-1"}, id="gop-negative"),
        pytest.param({"gop": "61"}, id="gop-too-long"),
        pytest.param({"gop": "nan"}, id="gop-nan"),
        pytest.param({"gop": [2]}, id="gop-list"),
    ],
)
def test_out_of_range_or_mistyped_fields_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidProfile):
        from_json(_profile(**changes))


@pytest.mark.parametrize("data", [None, [], "low", 3])
def test_a_profile_must_be_an_object(data: Any) -> None:
    with pytest.raises(InvalidProfile):
        from_json(data)


# A stream's profiles ---------------------------------------------------------------------------
def test_duplicate_names_are_refused() -> None:
    profiles = [from_json(_profile(name=name)) for name in ("a", "b", "a", "c", "b")]
    with pytest.raises(InvalidProfile) as error:
        unique(profiles)
    assert "a, b" in str(error.value)


def test_at_most_eight_profiles() -> None:
    eight = [from_json(_profile(name=f"p{i}")) for i in range(8)]
    assert unique(eight) == eight
    with pytest.raises(InvalidProfile):
        unique([*eight, from_json(_profile(name="p8"))])


# Round trip ------------------------------------------------------------------------------------
def test_presets_survive_a_round_trip() -> None:
    for profile in PRESETS.values():
        assert from_json(to_json(profile)) == profile


def test_to_json_writes_the_webhook_form() -> None:
    data = to_json(from_json(WEBHOOK_PROFILES[1]))
    assert {key: data[key] for key in WEBHOOK_PROFILES[1] if key != "profile"} == {
        key: value for key, value in WEBHOOK_PROFILES[1].items() if key != "profile"
    }
    assert data["format"] == "mpegts"
    assert to_json(PRESETS["P360p30fps16x9"])["gop"] == ""


def test_webhook_profiles_survive_a_round_trip() -> None:
    for data in WEBHOOK_PROFILES:
        profile = from_json(data)
        assert from_json(to_json(profile)) == profile


profiles = st.builds(
    VideoProfile,
    name=st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True).filter(lambda n: n != SOURCE),
    width=st.integers(16, 7680),
    height=st.integers(16, 4320),
    bitrate=st.integers(1, 200_000_000),
    fps=st.integers(0, 240),
    fps_den=st.just(0),
    container=st.sampled_from(["mpegts", "mp4"]),
    gop_ms=st.one_of(st.just(0), st.integers(1, 60_000)),
    h264_profile=st.integers(0, 4),
)


@given(profiles, st.integers(0, 1001))
def test_every_valid_profile_survives_a_round_trip(profile: VideoProfile, fps_den: int) -> None:
    profile = replace(profile, fps=profile.fps * max(fps_den, 1), fps_den=fps_den)
    assert from_json(to_json(profile)) == profile
