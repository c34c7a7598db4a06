"""A test publisher: a synthetic H.264 + AAC test pattern, sent to an RTMP URL in real time.

`make demo`, the end-to-end tests and `bench/video.py` publish the way a broadcaster's ffmpeg
or OBS does (FLV over RTMP, a keyframe every `gop_s` seconds), with PyAV and no system FFmpeg.
Encoding is done once, into an FLV file; publishing remuxes that file's packets to the RTMP
URL at the pace of their timestamps, which costs a publisher little CPU, so many can run.
"""

import contextlib
import threading
import time
from fractions import Fraction
from pathlib import Path

import av

AUDIO_RATE = 44100
AUDIO_SAMPLES = 1024


class PublishError(Exception):
    """The RTMP server refused the stream or the connection broke."""


def encode_test_pattern(
    path: Path,
    *,
    seconds: float,
    width: int = 640,
    height: int = 360,
    fps: int = 30,
    gop_s: float = 2.0,
    audio: bool = True,
    keyframes: bool = True,
) -> Path:
    """Write an FLV file of moving bars (and a silent AAC track). `keyframes=False` makes only
    the first frame a keyframe (a publisher whose stream never offers a cut point)."""
    gop = max(1, round(gop_s * fps)) if keyframes else 100_000
    with av.open(str(path), "w", format="flv") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "g": str(gop),
            "keyint_min": str(gop),
            "sc_threshold": "0",
        }
        video.codec_context.open()
        sound = None
        if audio:
            sound = out.add_stream("aac", rate=AUDIO_RATE)
            sound.layout = "mono"
            sound.codec_context.open()
        pattern = _frames(width, height, fps)
        audio_pts = 0
        for n in range(round(seconds * fps)):
            frame = pattern[n % len(pattern)]
            frame.pts, frame.time_base = n, Fraction(1, fps)
            out.mux(video.encode(frame))
            while sound is not None and audio_pts < (n + 1) * AUDIO_RATE // fps:
                out.mux(sound.encode(_silence(audio_pts)))
                audio_pts += AUDIO_SAMPLES
        out.mux(video.encode(None))
        if sound is not None:
            out.mux(sound.encode(None))
    return path


def publish(
    url: str,
    flv: Path,
    *,
    realtime: bool = True,
    stop: threading.Event | None = None,
    truncate_after_s: float | None = None,
) -> float:
    """Send the FLV file's packets to `url` (blocking; run it in a thread). Returns the seconds
    of media sent. `truncate_after_s` drops the connection mid-stream without closing it
    cleanly, as a crashed encoder does."""
    try:
        source = av.open(str(flv))
        sink = av.open(url, "w", format="flv")
    except av.FFmpegError as exc:
        raise PublishError(f"cannot publish to the RTMP server: {exc}") from exc
    started = time.monotonic()
    sent = 0.0
    try:
        streams = {s.index: sink.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if packet.dts is None or packet.stream.time_base is None:
                continue
            at = float(packet.dts * packet.stream.time_base)
            if stop is not None and stop.is_set():
                break
            if truncate_after_s is not None and at >= truncate_after_s:
                sink.close()
                return at
            if realtime:
                time.sleep(max(0.0, at - (time.monotonic() - started)))
            packet.stream = streams[packet.stream.index]
            sink.mux(packet)
            sent = max(sent, at)
    except av.FFmpegError as exc:
        raise PublishError(f"the RTMP connection broke: {exc}") from exc
    finally:
        source.close()
        with contextlib.suppress(av.FFmpegError):
            sink.close()
    return sent


def _frames(width: int, height: int, fps: int) -> list[av.VideoFrame]:
    """One second of moving vertical bars whose colour changes with time."""
    frames = []
    for n in range(fps):
        frame = av.VideoFrame(width, height, "yuv420p")
        shift = n * 256 // fps
        frame.planes[0].update(bytes((x * 2 + shift) % 256 for x in range(width)) * height)
        half = (width // 2) * (height // 2)
        frame.planes[1].update(bytes([128]) * half)
        frame.planes[2].update(bytes([shift]) * half)
        frames.append(frame)
    return frames


def _silence(pts: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="fltp", layout="mono", samples=AUDIO_SAMPLES)
    frame.planes[0].update(bytes(AUDIO_SAMPLES * 4))
    frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, pts, Fraction(1, AUDIO_RATE)
    return frame
