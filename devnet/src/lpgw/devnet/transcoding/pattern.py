"""Synthetic segments: FFmpeg's moving `testsrc2` picture and a sine tone, encoded H.264 + AAC
into MPEG-TS with PyAV, for tests, demos and measurements on machines without a camera or an
ffmpeg binary. The picture moves, so x264 has real work to do (a flat frame would cost
nothing to encode and make measurements meaningless).
"""

import io
from fractions import Fraction

import av
import av.filter
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.video.frame import PictureType, VideoFrame
from av.video.stream import VideoStream

TIME_BASE = Fraction(1, 90000)
SAMPLE_RATE = 48000


def _source(description: str, source: str, args: str, sink: str) -> av.filter.Graph:
    graph = av.filter.Graph()
    head = graph.add(source, args)
    convert = graph.add(*description.split("=", 1))
    tail = graph.add(sink)
    head.link_to(convert)
    convert.link_to(tail)
    graph.configure()
    return graph


def pattern_segment(
    width: int = 320,
    height: int = 180,
    *,
    seconds: float = 2.0,
    fps: int = 30,
    start_s: float = 10.0,
    gop_frames: int = 60,
    video: bool = True,
    audio: bool = True,
) -> bytes:
    """One MPEG-TS segment whose first video frame is at `start_s` (pts in 1/90000 s)."""
    out = io.BytesIO()
    with av.open(out, "w", format="mpegts", options={"mpegts_copyts": "1"}) as container:
        # Every stream exists before the first packet: the header is written with it.
        video_stream = _video_stream(container, width, height, fps, gop_frames) if video else None
        audio_stream = (
            container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo") if audio else None
        )
        if video_stream is not None:
            _write_video(container, video_stream, seconds, fps, start_s)
        if audio_stream is not None:
            _write_audio(container, audio_stream, seconds, start_s)
    return out.getvalue()


def _video_stream(
    container: av.container.OutputContainer, width: int, height: int, fps: int, gop_frames: int
) -> VideoStream:
    stream = container.add_stream("libx264", rate=fps)
    context = stream.codec_context
    context.width, context.height, context.pix_fmt = width, height, "yuv420p"
    context.time_base = TIME_BASE
    context.gop_size = gop_frames
    context.options = {"preset": "ultrafast", "bf": "0"}
    return stream


def _write_video(
    container: av.container.OutputContainer,
    stream: VideoStream,
    seconds: float,
    fps: int,
    start_s: float,
) -> None:
    context = stream.codec_context
    graph = _source(
        "format=pix_fmts=yuv420p",
        "testsrc2",
        f"size={context.width}x{context.height}:rate={fps}",
        "buffersink",
    )
    start = round(start_s / TIME_BASE)
    for n in range(round(seconds * fps)):
        frame = graph.pull()
        assert isinstance(frame, VideoFrame)
        frame.pts = start + round(Fraction(n, fps) / TIME_BASE)
        frame.time_base = TIME_BASE
        frame.pict_type = PictureType.NONE  # testsrc2 marks every frame I: x264 would obey
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def _write_audio(
    container: av.container.OutputContainer, stream: AudioStream, seconds: float, start_s: float
) -> None:
    graph = _source(
        "aformat=sample_fmts=fltp:channel_layouts=stereo",
        "sine",
        f"frequency=440:sample_rate={SAMPLE_RATE}:samples_per_frame=1024",
        "abuffersink",
    )
    written = 0
    while written < seconds * SAMPLE_RATE:
        frame = graph.pull()
        assert isinstance(frame, AudioFrame)
        frame.pts = round(start_s * SAMPLE_RATE) + written
        frame.time_base = Fraction(1, SAMPLE_RATE)
        container.mux(stream.encode(frame))
        written += frame.samples
    container.mux(stream.encode(None))
