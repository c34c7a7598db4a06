"""Test media for the video tests: real MPEG-TS segments made with PyAV from synthetic frames.

Each segment is 2 s of H.264 (one keyframe at its start, as intake cuts them) and AAC, with
timestamps that continue from the previous segment, like a live stream's.
"""

import fractions
import io
import math
import struct

import av
import pytest
from lpgw.video.profiles import SOURCE

FPS = 30
SEGMENT_S = 2
SAMPLE_RATE = 48_000
SEGMENTS = 4


LOW = "P144p30fps16x9"


def _video_frame(width: int, height: int, index: int) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane_index, plane in enumerate(frame.planes):
        value = (index * 4) % 255 if plane_index == 0 else 128
        plane.update(bytes([value]) * plane.buffer_size)
    frame.pts = index
    frame.time_base = fractions.Fraction(1, FPS)
    return frame


def _audio_frame(start: int, samples: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
    tone = (
        int(6000 * math.sin(2 * math.pi * 440 * (start + k) / SAMPLE_RATE)) for k in range(samples)
    )
    frame.planes[0].update(b"".join(struct.pack("<h", v) for v in tone))
    frame.sample_rate = SAMPLE_RATE
    frame.pts = start
    frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
    return frame


def make_segment(index: int, width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mpegts") as output:
        video = output.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "g": str(FPS * SEGMENT_S)}
        audio = output.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "mono"
        frames = FPS * SEGMENT_S
        for n in range(index * frames, (index + 1) * frames):
            output.mux(video.encode(_video_frame(width, height, n)))
        output.mux(video.encode(None))
        total = SAMPLE_RATE * SEGMENT_S
        for offset in range(0, total, 1024):
            output.mux(
                audio.encode(_audio_frame(index * total + offset, min(1024, total - offset)))
            )
        output.mux(audio.encode(None))
    return buffer.getvalue()


@pytest.fixture(scope="session")
def media() -> dict[str, list[bytes]]:
    """Segments by rendition: `source` (320×180) and `P144p30fps16x9` (256×144, the same
    frames), both with audio; 2 s at 30 fps and 48 kHz each."""
    return {
        SOURCE: [make_segment(i, 320, 180) for i in range(SEGMENTS)],
        LOW: [make_segment(i, 256, 144) for i in range(SEGMENTS)],
    }
