"""Transcoding on the wire: profiles both ways, the job's capabilities, credentials, result sigs."""

import subprocess
import sys

import pytest
from lpgw.eth import PrivateKey, keccak256, recover_personal
from lpgw.video.profiles import PRESETS, VideoProfile
from lpgw.wire.capabilities import Capability, decode_bitstring, is_compatible
from lpgw.wire.errors import InvalidSegmentSignature
from lpgw.wire.headers import decode_segment, encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import flatten, verify_segdata
from lpgw.wire.transcoding import (
    UnsupportedCodec,
    UnsupportedProfile,
    profile_from_pb,
    profile_to_pb,
    transcode_data_sig,
    transcode_segdata,
    transcoding_capabilities,
    verify_transcode_data_sig,
)

KEY = PrivateKey(bytes.fromhex("11" * 32))
OTHER = PrivateKey(bytes.fromhex("22" * 32))
TOKEN = pb.AuthToken(token=b"\x01" * 32, session_id="f1405ced", expiration=1700001800)
P240 = PRESETS["P240p30fps16x9"]
P360 = PRESETS["P360p30fps16x9"]
CUSTOM = VideoProfile(
    name="custom",
    width=854,
    height=480,
    bitrate=1_600_000,
    fps=30000,
    fps_den=1001,
    container="mp4",
    gop_ms=2000,
    h264_profile=3,
)


def test_a_preset_on_the_wire() -> None:
    assert profile_to_pb(P240) == pb.VideoProfile(
        name="P240p30fps16x9",
        width=426,
        height=240,
        bitrate=600_000,
        fps=30,
        format=pb.VideoProfile.MPEGTS,
        encoder=pb.VideoProfile.H264,
    )


@pytest.mark.parametrize("profile", [P240, P360, CUSTOM], ids=lambda p: p.name)
def test_profiles_survive_the_round_trip(profile: VideoProfile) -> None:
    assert profile_from_pb(profile_to_pb(profile)) == profile


def test_every_field_of_a_custom_profile_is_carried() -> None:
    message = profile_to_pb(CUSTOM)

    assert (message.fps, message.fpsDen, message.gop) == (30000, 1001, 2000)
    assert (message.format, message.profile) == (pb.VideoProfile.MP4, pb.VideoProfile.H264_HIGH)


def test_an_unnamed_profile_gets_a_derived_name() -> None:
    message = profile_to_pb(P360)
    message.name = ""

    assert profile_from_pb(message).name == "net_640x360_1200000"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("format", 7, id="unknown format"),
        pytest.param("profile", 9, id="unknown H.264 profile"),
        pytest.param("chromaFormat", 5, id="unknown chroma subsampling"),
        pytest.param("encoder", 11, id="unknown encoder"),
        pytest.param("encoder", pb.VideoProfile.H265, id="an encoder other than H.264"),
    ],
)
def test_profiles_lpgw_cannot_describe_are_refused(field: str, value: int) -> None:
    message = profile_to_pb(P240)
    setattr(message, field, value)

    with pytest.raises(UnsupportedProfile):
        profile_from_pb(message)


def caps_of(caps: pb.Capabilities) -> set[int]:
    return set(decode_bitstring(caps.bitstring))


@pytest.mark.parametrize(
    ("codec", "profiles", "expected"),
    [
        pytest.param(
            "h264",
            [P240, P360],
            {Capability.H264, Capability.MPEGTS, Capability.AUTH_TOKEN},
            id="default ladder from H.264",
        ),
        pytest.param(
            "hevc",
            [P240],
            {Capability.HEVC_DECODE, Capability.H264, Capability.MPEGTS, Capability.AUTH_TOKEN},
            id="HEVC input",
        ),
        pytest.param(
            "avc1.64001f",
            [CUSTOM],
            {
                Capability.H264,
                Capability.MP4,
                Capability.PROFILE_H264_HIGH,
                Capability.FRACTIONAL_FRAMERATES,
                Capability.GOP,
                Capability.AUTH_TOKEN,
            },
            id="MP4, high profile, fractional rate and GOP",
        ),
        pytest.param("VP9", [], {Capability.VP9_DECODE, Capability.AUTH_TOKEN}, id="no outputs"),
    ],
)
def test_transcoding_capabilities_follow_the_reference_table(
    codec: str, profiles: list[VideoProfile], expected: set[int]
) -> None:
    caps = transcoding_capabilities(codec, profiles)

    assert caps_of(caps) == expected
    assert dict(caps.capacities) == dict.fromkeys(expected, 1)
    assert not caps.constraints.PerCapability


def test_constrained_high_and_baseline_have_their_own_capabilities() -> None:
    baseline = VideoProfile("b", 426, 240, 600_000, h264_profile=1)
    constrained = VideoProfile("c", 426, 240, 600_000, h264_profile=4)

    caps = caps_of(transcoding_capabilities("h264", [baseline, constrained]))

    assert {Capability.PROFILE_H264_BASELINE, Capability.PROFILE_H264_CONSTRAINED_HIGH} <= caps


def test_min_version_is_a_constraint() -> None:
    caps = transcoding_capabilities("h264", [P240], min_version="0.8.0")

    assert caps.constraints.minVersion == "0.8.0"


def test_an_unknown_codec_is_refused() -> None:
    with pytest.raises(UnsupportedCodec):
        transcoding_capabilities("prores", [P240])


def test_a_transcoding_job_fits_an_orchestrator_with_the_default_capabilities() -> None:
    offered = pb.Capabilities(
        bitstring=[0x0000000004005FFF], version="0.9.1", capacities={n: 1 for n in range(13)}
    )

    assert is_compatible(transcoding_capabilities("h264", [P240, CUSTOM]), offered)
    assert not is_compatible(transcoding_capabilities("hevc", [P240]), offered)


def test_segdata_carries_full_profiles_3_and_is_signed_over_their_names() -> None:
    segment_hash = keccak256(b"segment bytes")
    caps = transcoding_capabilities("h264", [P240, P360])

    seg = transcode_segdata("stream-1", 7, segment_hash, [P240, P360], 2002, TOKEN, caps, KEY)

    received = decode_segment(encode_segment(seg))
    assert [profile_from_pb(p) for p in received.fullProfiles3] == [P240, P360]
    assert not received.fullProfiles and not received.fullProfiles2
    assert (received.manifestId, received.seq, received.hash) == (b"stream-1", 7, segment_hash)
    assert (received.duration, received.profiles) == (2002, b"invalid")
    assert received.auth_token == TOKEN and received.capabilities == caps
    verify_segdata(received, KEY.address)
    assert recover_personal(
        keccak256(flatten(b"stream-1", 7, segment_hash, ["P240p30fps16x9", "P360p30fps16x9"])),
        received.sig,
    ) == (KEY.address)


def test_the_signature_covers_the_profiles() -> None:
    seg = transcode_segdata("s", 1, keccak256(b""), [P240], 0, TOKEN, None, KEY)
    seg.fullProfiles3[0].name = "P360p30fps16x9"

    with pytest.raises(InvalidSegmentSignature):
        verify_segdata(seg, KEY.address)


def test_off_chain_segdata_is_unsigned_and_without_capabilities() -> None:
    seg = transcode_segdata("s", 1, keccak256(b""), [P240], 0, TOKEN, None, None)

    assert seg.sig == b""
    assert not seg.HasField("capabilities")


def test_transcode_data_sig_is_personal_sign_of_the_hash_of_rendition_hashes() -> None:
    renditions = [b"first rendition", b"second rendition"]

    sig = transcode_data_sig(renditions, KEY)

    digest = keccak256(keccak256(renditions[0]) + keccak256(renditions[1]))
    assert recover_personal(digest, sig) == KEY.address
    assert verify_transcode_data_sig(sig, renditions, KEY.address)
    assert not verify_transcode_data_sig(sig, renditions[::-1], KEY.address)
    assert not verify_transcode_data_sig(sig, renditions, OTHER.address)
    assert not verify_transcode_data_sig(b"short", renditions, KEY.address)


def test_the_module_loads_no_io_or_media_library() -> None:
    code = (
        "import sys, lpgw.wire.transcoding\n"
        "print(','.join(m for m in ('grpc', 'av', 'redis', 'asyncio', 'socket') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
