"""Real transcoding with PyAV: decode the segment once, scale and encode every profile with
libx264 in lockstep, copy the audio packets, and keep the input's timestamps.

Renditions of consecutive segments must play as one stream in HLS, so every output frame
keeps its input pts (`mpegts_copyts`; fragmented MP4 with `frag_discont` and no edit list).
B-frames are off: with them x264's first dts would fall before the first pts, below the
input's timeline. A segment without any video frame is returned as it came, as every
rendition. Runs in a worker thread; PyAV releases the GIL inside codec calls.
"""

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import av.container
from av.audio.stream import AudioStream
from av.bitstream import BitStreamFilterContext
from av.error import FFmpegError, InvalidDataError
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream
from lpgw.devnet.transcoding.errors import TranscodeFailed
from lpgw.devnet.transcoding.frame_rate import FrameRate, Timed
from lpgw.devnet.transcoding.renditions import Rendition
from lpgw.video.adts import audio_specific_config, is_adts
from lpgw.video.profiles import VideoProfile

MAX_SIDE = 8192
FALLBACK_RATE = Fraction(30)
MPEGTS_TIME_BASE = Fraction(1, 90000)
INTRA_ONLY_GOP = -1
"""A negative `gop` is a flag in the reference; -1 asks for every frame to be a keyframe."""

_H264_PROFILES = {1: "baseline", 2: "main", 3: "high", 4: "high"}
_MPEGTS_OPTIONS = {"mpegts_copyts": "1"}
_MP4_OPTIONS = {
    "movflags": "frag_keyframe+empty_moov+default_base_moof+frag_discont",
    "use_editlist": "0",
    "avoid_negative_ts": "disabled",
}


@dataclass
class _Output:
    """One rendition being written: its container, streams and frame-rate rule."""

    profile: VideoProfile
    buffer: io.BytesIO
    container: av.container.OutputContainer
    video: VideoStream
    audio: AudioStream | None
    adts_to_asc: BitStreamFilterContext | None
    rate: FrameRate[VideoFrame] | None
    frames: int = 0

    def encode(self, frame: VideoFrame, pts: int, time_base: Fraction) -> None:
        profile = self.profile
        out = frame.reformat(width=profile.width, height=profile.height, format="yuv420p")
        out.pts = pts
        out.time_base = time_base
        out.pict_type = PictureType.NONE  # a decoded I-frame would force a keyframe here
        for packet in self.video.encode(out):
            self.container.mux(packet)
        self.frames += 1

    def copy_audio(self, packet: "av.Packet[AudioStream]") -> None:
        if self.audio is None:
            return
        copy = av.Packet(bytes(packet))
        copy.pts, copy.dts, copy.time_base = packet.pts, packet.dts, packet.time_base
        packets = [copy] if self.adts_to_asc is None else self.adts_to_asc.filter(copy)
        for out in packets:
            out.stream = self.audio
            self.container.mux(out)

    def close(self) -> Rendition:
        for packet in self.video.encode(None):
            self.container.mux(packet)
        self.container.close()
        pixels = self.profile.width * self.profile.height * self.frames
        return Rendition(self.profile, self.buffer.getvalue(), pixels)


def _check(profile: VideoProfile) -> None:
    if not (0 < profile.width <= MAX_SIDE and 0 < profile.height <= MAX_SIDE):
        raise TranscodeFailed(
            f"profile {profile.name}: unsupported size {profile.width}x{profile.height}"
        )
    if profile.bitrate < 0:
        raise TranscodeFailed(f"profile {profile.name}: negative bitrate")


def _time_base(stream: VideoStream) -> Fraction:
    return stream.time_base or MPEGTS_TIME_BASE


def _output_rate(profile: VideoProfile) -> Fraction | None:
    """The profile's frame rate, or None to keep the source's (fps 0)."""
    if profile.fps <= 0:
        return None
    return Fraction(profile.fps, profile.fps_den or 1)


def _gop_frames(profile: VideoProfile, rate: Fraction) -> int | None:
    if profile.gop_ms == INTRA_ONLY_GOP:
        return 1
    if profile.gop_ms <= 0:
        return None
    return max(1, round(Fraction(profile.gop_ms, 1000) * rate))


def _first_adts_frame(data: bytes, audio_index: int) -> bytes | None:
    with av.open(io.BytesIO(data), "r") as probe:
        for packet in probe.demux(probe.streams[audio_index]):
            if packet.size:
                return bytes(packet)
    return None


def _audio_config(data: bytes, source: AudioStream) -> bytes | None:
    """The AudioSpecificConfig an MP4 rendition needs when the source AAC is in ADTS form."""
    if source.codec_context.name != "aac" or source.codec_context.extradata:
        return None
    first = _first_adts_frame(data, source.index)
    return audio_specific_config(first) if first is not None and is_adts(first) else None


def _open_output(
    profile: VideoProfile,
    source: VideoStream,
    audio: AudioStream | None,
    asc: bytes | None,
    preset: str,
) -> _Output:
    buffer = io.BytesIO()
    mp4 = profile.container == "mp4"
    container = av.open(
        buffer,
        "w",
        format="mp4" if mp4 else "mpegts",
        options=_MP4_OPTIONS if mp4 else _MPEGTS_OPTIONS,
    )
    rate = _output_rate(profile)
    encoder_rate: Fraction = rate or source.average_rate or source.guessed_rate or FALLBACK_RATE
    video = container.add_stream("libx264", rate=encoder_rate)
    context = video.codec_context
    context.width, context.height, context.pix_fmt = profile.width, profile.height, "yuv420p"
    context.time_base = _time_base(source)
    if profile.bitrate:
        context.bit_rate = profile.bitrate
    gop = _gop_frames(profile, Fraction(encoder_rate))
    if gop is not None:
        context.gop_size = gop
    options = {"preset": preset, "bf": "0"}
    if profile.h264_profile in _H264_PROFILES:
        options["profile"] = _H264_PROFILES[profile.h264_profile]
    context.options = options
    out_audio = None
    adts_to_asc = None
    if audio is not None:
        out_audio = container.add_stream_from_template(audio)
        if mp4 and asc is not None:
            out_audio.codec_context.extradata = asc
            adts_to_asc = BitStreamFilterContext("aac_adtstoasc", audio)
    return _Output(
        profile=profile,
        buffer=buffer,
        container=container,
        video=video,
        audio=out_audio,
        adts_to_asc=adts_to_asc,
        rate=None if rate is None else FrameRate(rate, _time_base(source)),
    )


def _frames(packets: Iterator[Any], video: VideoStream, audio: AudioStream | None) -> Iterator[Any]:
    """Decoded video frames and audio packets, in demux order. A packet the decoder refuses is
    skipped, as FFmpeg's own tools do, so a damaged segment keeps its good frames."""
    for packet in packets:
        if packet.stream is video:
            try:
                yield from packet.decode()
            except InvalidDataError:
                continue
        elif audio is not None and packet.stream is audio and packet.size:
            yield packet


def transcode(data: bytes, profiles: Sequence[VideoProfile], preset: str) -> list[Rendition]:
    """One rendition per profile, in order; raises TranscodeFailed."""
    for profile in profiles:
        _check(profile)
    try:
        return _transcode(data, profiles, preset)
    except (FFmpegError, ValueError) as exc:
        raise TranscodeFailed.of(exc) from exc


def copies(data: bytes, profiles: Sequence[VideoProfile]) -> list[Rendition]:
    """The input as every rendition, no pixels produced (a segment without video frames)."""
    return [Rendition(profile, data, 0) for profile in profiles]


def _transcode(data: bytes, profiles: Sequence[VideoProfile], preset: str) -> list[Rendition]:
    with av.open(io.BytesIO(data), "r") as source:
        if not source.streams:
            raise TranscodeFailed("no streams in the segment")
        if not source.streams.video:
            return copies(data, profiles)
        video = source.streams.video[0]
        video.thread_type = "AUTO"
        audio = source.streams.audio[0] if source.streams.audio else None
        time_base = _time_base(video)
        asc = (
            _audio_config(data, audio)
            if audio is not None and any(p.container == "mp4" for p in profiles)
            else None
        )
        outputs = [_open_output(p, video, audio, asc, preset) for p in profiles]
        decoded, last_pts, step = 0, None, None
        streams = [video] if audio is None else [video, audio]
        for item in _frames(source.demux(streams), video, audio):
            if isinstance(item, VideoFrame):
                pts = item.pts if item.pts is not None else (last_pts or 0) + (step or 0)
                if last_pts is not None and pts > last_pts:
                    step = pts - last_pts
                last_pts = pts
                decoded += 1
                for output in outputs:
                    _feed(output, item, pts, time_base)
            else:
                for output in outputs:
                    output.copy_audio(item)
        if decoded == 0:
            for output in outputs:
                output.container.close()
            return copies(data, profiles)
        end = (last_pts or 0) + (step or _frame_step(video, time_base))
        for output in outputs:
            if output.rate is not None:
                for timed in output.rate.finish(end):
                    output.encode(timed.item, timed.pts, time_base)
        return [output.close() for output in outputs]


def _feed(output: _Output, frame: VideoFrame, pts: int, time_base: Fraction) -> None:
    if output.rate is None:
        output.encode(frame, pts, time_base)
        return
    ready: list[Timed[VideoFrame]] = output.rate.push(frame, pts)
    for timed in ready:
        output.encode(timed.item, timed.pts, time_base)


def _frame_step(video: VideoStream, time_base: Fraction) -> int:
    """One frame's duration in the stream's time base, for a segment of a single frame."""
    rate = video.average_rate or video.guessed_rate or FALLBACK_RATE
    return max(1, round(1 / (Fraction(rate) * time_base)))
