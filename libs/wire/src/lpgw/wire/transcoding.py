"""Transcoding on the wire: profiles, the job's capabilities, segment credentials, result signature.

A gateway describes each output as a protobuf `VideoProfile` (wire §3.7), asks for the
capabilities the job needs (§6.5, the transcoding row), signs `SegData` over the profile names
(§4.2) and checks the orchestrator's signature over the renditions it gets back (§4.5). The
orchestrator side decodes the same messages. Pure: protobuf and lpgw.video's plain profiles.
"""

from collections.abc import Sequence

from lpgw.eth import InvalidSignature, keccak256, recover_sign
from lpgw.video.profiles import VideoProfile
from lpgw.wire.capabilities import GATEWAY_VERSION, Capability, encode_bitstring
from lpgw.wire.errors import WireError
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import LEGACY_PROFILES, sign_segdata
from lpgw.wire.signers import MessageSigner

_FORMATS = {"mpegts": pb.VideoProfile.MPEGTS, "mp4": pb.VideoProfile.MP4}
_CONTAINERS = {value: name for name, value in _FORMATS.items()}
_H264_PROFILES = frozenset(pb.VideoProfile.Profile.values())
_CHROMA = frozenset(pb.VideoProfile.ChromaSubsampling.values())
_PROFILE_CAPABILITY: dict[int, Capability] = {
    pb.VideoProfile.H264_BASELINE: Capability.PROFILE_H264_BASELINE,
    pb.VideoProfile.H264_MAIN: Capability.PROFILE_H264_MAIN,
    pb.VideoProfile.H264_HIGH: Capability.PROFILE_H264_HIGH,
    pb.VideoProfile.H264_CONSTRAINED_HIGH: Capability.PROFILE_H264_CONSTRAINED_HIGH,
}
_DECODE_CAPABILITY = {
    "h264": Capability.H264,
    "avc": Capability.H264,
    "avc1": Capability.H264,
    "avc3": Capability.H264,
    "hevc": Capability.HEVC_DECODE,
    "h265": Capability.HEVC_DECODE,
    "hvc1": Capability.HEVC_DECODE,
    "hev1": Capability.HEVC_DECODE,
    "vp8": Capability.VP8_DECODE,
    "vp9": Capability.VP9_DECODE,
}
_CONTAINER_CAPABILITY = {"mpegts": Capability.MPEGTS, "mp4": Capability.MP4}


class UnsupportedProfile(WireError, ValueError):
    """A protobuf VideoProfile with an unknown enum value, or one lpgw cannot describe (an
    encoder other than H.264). An orchestrator refuses such segment credentials (HTTP 403)."""


class UnsupportedCodec(WireError, ValueError):
    """An input video codec with no decode capability on the wire."""


def derived_name(message: pb.VideoProfile) -> str:
    """The name an orchestrator gives a profile sent without one (never signed that way)."""
    return f"net_{message.width}x{message.height}_{message.bitrate}"


def profile_to_pb(profile: VideoProfile) -> pb.VideoProfile:
    """The wire form of a profile; the encoder is always H.264."""
    return pb.VideoProfile(
        name=profile.name,
        width=profile.width,
        height=profile.height,
        bitrate=profile.bitrate,
        fps=profile.fps,
        fpsDen=profile.fps_den,
        format=_FORMATS[profile.container],
        profile=pb.VideoProfile.Profile.Name(profile.h264_profile),
        gop=profile.gop_ms,
        encoder=pb.VideoProfile.H264,
    )


def profile_from_pb(message: pb.VideoProfile) -> VideoProfile:
    """The profile a protobuf describes; raises UnsupportedProfile.

    An empty name becomes `derived_name`. Colour depth, chroma subsampling and quality have no
    place in lpgw's profile and are dropped once their enums are known to be valid.
    """
    if message.format not in _CONTAINERS:
        raise UnsupportedProfile(f"unknown VideoProfile format {message.format}")
    if message.profile not in _H264_PROFILES:
        raise UnsupportedProfile(f"unknown VideoProfile profile {message.profile}")
    if message.chromaFormat not in _CHROMA:
        raise UnsupportedProfile(f"unknown VideoProfile chroma format {message.chromaFormat}")
    if message.encoder != pb.VideoProfile.H264:
        raise UnsupportedProfile(f"unsupported VideoProfile encoder {message.encoder}")
    return VideoProfile(
        name=message.name or derived_name(message),
        width=message.width,
        height=message.height,
        bitrate=message.bitrate,
        fps=message.fps,
        fps_den=message.fpsDen,
        container="mp4" if _CONTAINERS[message.format] == "mp4" else "mpegts",
        gop_ms=message.gop,
        h264_profile=message.profile,
    )


def decode_capability(video_codec: str) -> Capability:
    """The decode capability of an input codec: `h264`, `hevc`, `vp8`, `vp9` (PyAV names),
    their aliases, or an RFC 6381 string such as `avc1.64001f`."""
    name = video_codec.strip().lower()
    capability = _DECODE_CAPABILITY.get(name, _DECODE_CAPABILITY.get(name.split(".")[0]))
    if capability is None:
        raise UnsupportedCodec(f"no decode capability for video codec {video_codec!r}")
    return capability


def transcoding_capabilities(
    video_codec: str,
    profiles: Sequence[VideoProfile],
    *,
    version: str = GATEWAY_VERSION,
    min_version: str = "",
) -> pb.Capabilities:
    """What a transcoding job needs (wire §6.5): the auth token, the input's decode capability,
    and per output its container, the H.264 encoder, its H.264 profile unless the encoder's
    default, fractional frame rates when `fps_den` > 0 and GOP when set. Capacity 1 each.

    Sent as OrchestratorRequest.capabilities and as SegData.capabilities. The input is assumed
    4:2:0 8-bit (no chroma/bit-depth decode capability).
    """
    ids: set[int] = {Capability.AUTH_TOKEN, decode_capability(video_codec)}
    for profile in profiles:
        ids.add(_CONTAINER_CAPABILITY[profile.container])
        ids.add(Capability.H264)
        if profile.h264_profile in _PROFILE_CAPABILITY:
            ids.add(_PROFILE_CAPABILITY[profile.h264_profile])
        if profile.fps_den > 0:
            ids.add(Capability.FRACTIONAL_FRAMERATES)
        if profile.gop_ms != 0:
            ids.add(Capability.GOP)
    ordered = sorted(ids)
    caps = pb.Capabilities(
        bitstring=encode_bitstring(ordered), capacities=dict.fromkeys(ordered, 1), version=version
    )
    if min_version:
        caps.constraints.minVersion = min_version
    return caps


def transcode_segdata(
    manifest_id: str,
    seq: int,
    segment_hash: bytes,
    profiles: Sequence[VideoProfile],
    duration_ms: int,
    auth_token: pb.AuthToken,
    capabilities: pb.Capabilities | None,
    signer: MessageSigner | None,
) -> pb.SegData:
    """Credentials of one segment to transcode: profiles in `fullProfiles3` (always read by
    current orchestrators), `profiles` = the legacy `invalid`, signed last when a signer is
    given (an off-chain gateway sends no signature)."""
    seg = pb.SegData(
        manifestId=manifest_id.encode(),
        seq=seq,
        hash=segment_hash,
        profiles=LEGACY_PROFILES,
        duration=duration_ms,
    )
    seg.fullProfiles3.extend(profile_to_pb(profile) for profile in profiles)
    seg.auth_token.CopyFrom(auth_token)
    if capabilities is not None:
        seg.capabilities.CopyFrom(capabilities)
    if signer is not None:
        sign_segdata(seg, signer)
    return seg


def renditions_message(renditions: Sequence[bytes]) -> bytes:
    """keccak256(r₁) ‖ keccak256(r₂) ‖ …, in profile order. TranscodeData.sig is
    PersonalSign(keccak256(this)), which is Sign(this) (wire §4.5)."""
    return b"".join(keccak256(rendition) for rendition in renditions)


def transcode_data_sig(renditions: Sequence[bytes], signer: MessageSigner) -> bytes:
    """The orchestrator's signature over the rendition bytes it returns."""
    return signer.sign(renditions_message(renditions))


def verify_transcode_data_sig(sig: bytes, renditions: Sequence[bytes], address: bytes) -> bool:
    """Whether `sig` is the orchestrator at `address` signing these renditions."""
    try:
        return recover_sign(renditions_message(renditions), sig) == address
    except InvalidSignature:
        return False
