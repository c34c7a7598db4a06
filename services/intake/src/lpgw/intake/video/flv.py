"""FLV tag bodies (what RTMP carries) as typed media: sequence headers and frames.

Only H.264 video (codec id 7) and AAC audio (sound format 10) are media here; script data
(`onMetaData`) and the end-of-sequence and video-info packets carry nothing a segment needs.
The picture size comes from the SPS, not from metadata a publisher may get wrong.
"""

from dataclasses import dataclass

from lpgw.intake.video.aac import AacConfig, parse_audio_specific_config
from lpgw.intake.video.h264 import AvcConfig, parse_avc_config

AVC_CODEC_ID = 7
AAC_SOUND_FORMAT = 10
_KEYFRAME, _VIDEO_INFO = 1, 5
_ENHANCED = 0x80


class MalformedTag(ValueError):
    """A tag body too short or inconsistent to be what its header says."""


class UnsupportedCodec(ValueError):
    """Media of a codec intake does not cut (the message names it)."""


@dataclass(frozen=True)
class VideoConfig:
    config: AvcConfig


@dataclass(frozen=True)
class VideoFrame:
    dts_ms: int
    pts_ms: int
    keyframe: bool
    data: bytes
    """AVCC: length-prefixed NAL units."""


@dataclass(frozen=True)
class AudioConfig:
    config: AacConfig


@dataclass(frozen=True)
class AudioFrame:
    dts_ms: int
    data: bytes
    """One raw AAC frame."""


Media = VideoConfig | VideoFrame | AudioConfig | AudioFrame


def parse_video(timestamp_ms: int, body: bytes) -> VideoConfig | VideoFrame | None:
    if not body:
        raise MalformedTag("empty video tag")
    if body[0] & _ENHANCED:
        raise UnsupportedCodec("enhanced RTMP video (HEVC, AV1, VP9) is not supported; use H.264")
    frame_type, codec = body[0] >> 4, body[0] & 0x0F
    if frame_type == _VIDEO_INFO:
        return None
    if codec != AVC_CODEC_ID:
        raise UnsupportedCodec(f"FLV video codec {codec} is not supported; use H.264")
    if len(body) < 5:
        raise MalformedTag("video tag shorter than its AVC header")
    packet_type = body[1]
    if packet_type == 0:
        return VideoConfig(parse_avc_config(body[5:]))
    if packet_type != 1 or len(body) == 5:
        return None  # end of sequence, or an empty frame
    offset = int.from_bytes(body[2:5], "big", signed=True)
    return VideoFrame(timestamp_ms, timestamp_ms + offset, frame_type == _KEYFRAME, body[5:])


def parse_audio(timestamp_ms: int, body: bytes) -> AudioConfig | AudioFrame | None:
    if not body:
        raise MalformedTag("empty audio tag")
    sound_format = body[0] >> 4
    if sound_format != AAC_SOUND_FORMAT:
        raise UnsupportedCodec(f"FLV sound format {sound_format} is not supported; use AAC")
    if len(body) < 2:
        raise MalformedTag("audio tag shorter than its AAC header")
    if body[1] == 0:
        return AudioConfig(parse_audio_specific_config(body[2:]))
    if len(body) == 2:
        return None
    return AudioFrame(timestamp_ms, body[2:])
