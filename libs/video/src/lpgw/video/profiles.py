"""Transcoding profiles: the reference's named presets and the auth webhook's JSON form.

A profile is plain data here; `lpgw.wire` turns it into the protobuf `VideoProfile` the
orchestrator reads. Names matter: they are signed (SegData Flatten) and name the renditions in
playlists and URLs.
"""

import re
from dataclasses import dataclass
from typing import Any, Literal

Container = Literal["mpegts", "mp4"]
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
"""A profile name is one URL path segment and one NATS/Redis key token (`\\Z`, not `$`, which
would let a trailing newline through)."""
MAX_FPS = 240
"""Frames per second, fps/fpsDen: NTSC rates come as 30000/1001 or 60000/1001."""
SOURCE = "source"
"""The rendition name of the original stream in playlists."""


class InvalidProfile(ValueError):
    """A profile name or JSON profile the gateway cannot use."""


@dataclass(frozen=True)
class VideoProfile:
    name: str
    width: int
    height: int
    bitrate: int
    """Bits per second of video."""
    fps: int = 0
    """Frame-rate numerator; 0 keeps the source rate."""
    fps_den: int = 0
    container: Container = "mpegts"
    gop_ms: int = 0
    h264_profile: int = 0
    """wire enum VideoProfile.Profile: 0 encoder default, 1 baseline, 2 main, 3 high,
    4 constrained high."""

    @property
    def extension(self) -> str:
        return ".mp4" if self.container == "mp4" else ".ts"


PRESETS: dict[str, VideoProfile] = {
    profile.name: profile
    for profile in (
        VideoProfile("P144p30fps16x9", 256, 144, 400_000, 30),
        VideoProfile("P240p30fps16x9", 426, 240, 600_000, 30),
        VideoProfile("P360p30fps16x9", 640, 360, 1_200_000, 30),
        VideoProfile("P720p30fps16x9", 1280, 720, 4_000_000, 30),
        VideoProfile("P720p60fps16x9", 1280, 720, 6_000_000, 60),
        VideoProfile("P1080p30fps16x9", 1920, 1080, 6_000_000, 30),
    )
}
DEFAULT_LADDER = ("P240p30fps16x9", "P360p30fps16x9")
"""The reference gateway's default `-transcodingOptions`."""

_H264_PROFILES = {
    "": 0,
    "h264baseline": 1,
    "h264main": 2,
    "h264high": 3,
    "h264constrainedhigh": 4,
}


def presets(names: list[str] | tuple[str, ...]) -> list[VideoProfile]:
    """The named presets, in order; InvalidProfile names the unknown ones."""
    unknown = [name for name in names if name not in PRESETS]
    if unknown:
        raise InvalidProfile(f"unknown preset {', '.join(unknown)}; known: {', '.join(PRESETS)}")
    return unique([PRESETS[name] for name in names])


def from_json(data: Any) -> VideoProfile:
    """One profile in the auth webhook's / `Livepeer-Transcode-Configuration` form:
    `{"name", "width", "height", "bitrate", "fps", "fpsDen", "profile", "gop", "format"}`."""
    if not isinstance(data, dict):
        raise InvalidProfile("a profile must be a JSON object")
    name = data.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or name == SOURCE:
        raise InvalidProfile(f"profile name {name!r} must match {NAME_PATTERN.pattern}, not source")
    width, height = _int(data, "width", 16, 7680), _int(data, "height", 16, 4320)
    bitrate = _int(data, "bitrate", 1, 200_000_000)
    fps, fps_den = _int(data, "fps", 0, MAX_FPS * 1001, 0), _int(data, "fpsDen", 0, 1001, 0)
    if fps > MAX_FPS * max(fps_den, 1):
        raise InvalidProfile(f"profile {name}: frame rate fps/fpsDen above {MAX_FPS}")
    container: Container = "mp4" if data.get("format") == "mp4" else "mpegts"
    if data.get("format", "mpegts") not in ("mpegts", "mp4", "", None):
        raise InvalidProfile(f"profile {name}: format must be mpegts or mp4")
    h264 = str(data.get("profile", "")).lower().replace("_", "").replace(" ", "")
    if h264 not in _H264_PROFILES:
        raise InvalidProfile(f"profile {name}: unknown H.264 profile {data.get('profile')!r}")
    gop = data.get("gop", 0)
    gop_ms = _gop_ms(name, gop)
    return VideoProfile(
        name, width, height, bitrate, fps, fps_den, container, gop_ms, _H264_PROFILES[h264]
    )


def unique(profiles: list[VideoProfile]) -> list[VideoProfile]:
    """Refuse two profiles of one name: a rendition's URL and signature name must be unique."""
    names = [profile.name for profile in profiles]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidProfile(f"profile names must be unique: {', '.join(duplicates)}")
    if len(profiles) > 8:
        raise InvalidProfile("at most 8 profiles per stream")
    return profiles


def to_json(profile: VideoProfile) -> dict[str, Any]:
    """The inverse of `from_json` (stored with the stream)."""
    h264 = {value: key for key, value in _H264_PROFILES.items()}[profile.h264_profile]
    return {
        "name": profile.name,
        "width": profile.width,
        "height": profile.height,
        "bitrate": profile.bitrate,
        "fps": profile.fps,
        "fpsDen": profile.fps_den,
        "format": profile.container,
        "gop": f"{profile.gop_ms / 1000:g}" if profile.gop_ms else "",
        "profile": h264,
    }


def _int(data: dict[str, Any], key: str, low: int, high: int, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidProfile(f"profile field {key} must be an integer from {low} to {high}")
    return value


def _gop_ms(name: str, gop: Any) -> int:
    """The reference's `gop` is seconds as text ("2", "0.5"), or "intra"; we keep milliseconds."""
    if gop in (0, "", None):
        return 0
    try:
        seconds = float(gop)
    except (TypeError, ValueError):
        raise InvalidProfile(f"profile {name}: gop must be a number of seconds") from None
    if not 0 < seconds <= 60:
        raise InvalidProfile(f"profile {name}: gop must be between 0 and 60 seconds")
    return round(seconds * 1000)
