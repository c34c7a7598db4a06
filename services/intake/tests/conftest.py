"""Test media made with PyAV (H.264 + AAC, synthetic pictures and a tone), a small FLV tag
reader, and a running intake app with its live video side (real NATS and Valkey).

Helpers are handed out as fixtures: with `--import-mode=importlib` test modules cannot import
each other.
"""

import asyncio
import contextlib
import io
import math
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import av
import httpx
import nats.errors
import pytest
from fastapi import FastAPI
from lpgw.bus import Bus
from lpgw.bus.events import VideoInput
from lpgw.intake.app import create_app
from lpgw.intake.settings import IntakeSettings
from lpgw.intake.video.assembly import VideoIntake
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

TagKind = Literal["audio", "video", "script"]
FLV_KINDS: dict[int, TagKind] = {8: "audio", 9: "video", 18: "script"}


@dataclass(frozen=True)
class Tag:
    kind: TagKind
    timestamp_ms: int
    data: bytes


@dataclass(frozen=True)
class Clip:
    """An encoded test clip and what it was made with."""

    data: bytes
    seconds: float
    width: int
    height: int
    fps: int
    gop: int
    audio: bool


def encode(
    container: str = "flv",
    seconds: float = 6.0,
    width: int = 640,
    height: int = 360,
    fps: int = 30,
    gop: int = 30,
    audio: bool = True,
    bframes: int = 2,
    first_frame: int = 0,
) -> Clip:
    """H.264 (libx264 ultrafast, keyframes every `gop` frames exactly) + AAC 44.1 kHz stereo."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        params = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={bframes}"
        video.codec_context.options = {"preset": "ultrafast", "x264-params": params}
        sound = out.add_stream("aac", rate=44100) if audio else None
        if sound is not None:
            sound.layout = "stereo"
        frames = round(seconds * fps)
        for index in range(first_frame, first_frame + frames):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane_index, plane in enumerate(frame.planes):
                row = bytes(
                    (x + index * 4 + plane_index * 50) % 256 for x in range(plane.line_size)
                )
                plane.update(row * (plane.buffer_size // plane.line_size))
            frame.pts, frame.time_base = index, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            rate, start = 44100, round(first_frame / fps * 44100)
            for at in range(start, start + round(seconds * rate), 1024):
                samples = struct.pack(
                    "<1024f",
                    *(0.2 * math.sin(2 * math.pi * 440 * (at + i) / rate) for i in range(1024)),
                )
                chunk = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
                for plane in chunk.planes:
                    plane.update(samples)
                chunk.sample_rate, chunk.pts, chunk.time_base = rate, at, Fraction(1, rate)
                out.mux(sound.encode(chunk))
            out.mux(sound.encode(None))
    return Clip(buffer.getvalue(), seconds, width, height, fps, gop, audio)


def read_flv_tags(data: bytes) -> list[Tag]:
    """The tags of an FLV file, in order; a truncated last tag is left out."""
    assert data[:3] == b"FLV", "not an FLV file"
    at = struct.unpack(">I", data[5:9])[0] + 4
    tags = []
    while at + 11 <= len(data):
        kind = data[at] & 0x1F
        size = int.from_bytes(data[at + 1 : at + 4], "big")
        timestamp = int.from_bytes(data[at + 4 : at + 7], "big") | data[at + 7] << 24
        body = data[at + 11 : at + 11 + size]
        if len(body) < size:
            break
        if kind in FLV_KINDS:
            tags.append(Tag(FLV_KINDS[kind], timestamp, body))
        at += 11 + size + 4
    return tags


@dataclass(frozen=True)
class MediaKit:
    encode: Callable[..., Clip]
    read_flv_tags: Callable[[bytes], list[Tag]]


@pytest.fixture(scope="session")
def media() -> MediaKit:
    """`media.encode(...)` (cached by arguments) and `media.read_flv_tags(data)`."""
    cache: dict[tuple[Any, ...], Clip] = {}

    def cached(*args: Any, **kwargs: Any) -> Clip:
        key = (args, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = encode(*args, **kwargs)
        return cache[key]

    return MediaKit(cached, read_flv_tags)


# A running intake -------------------------------------------------------------------------------


@dataclass
class RunningIntake:
    client: httpx.AsyncClient
    app: FastAPI
    bus: Bus

    @property
    def video(self) -> VideoIntake:
        video: VideoIntake = self.app.state.video
        return video

    @property
    def rtmp_url(self) -> str:
        return f"rtmp://127.0.0.1:{self.video.rtmp_port}/live"


StartIntake = Callable[..., Any]


@pytest.fixture
async def video_bus(bus: Bus) -> AsyncIterator[Bus]:
    """`bus`, and the video streams of its prefix deleted afterwards."""
    try:
        yield bus
    finally:
        names = bus.names
        for stream in (
            names.video_input_stream,
            names.video_media_stream,
            f"OBJ_{names.video_media_bucket}",
        ):
            with contextlib.suppress(NotFoundError, nats.errors.Error):
                await bus.js.delete_stream(stream)


@pytest.fixture
async def start_intake(
    video_bus: Bus, nats_url: str, redis_url: str, prefix: str, redis: Any
) -> AsyncIterator[Callable[..., Any]]:
    """`async with start_intake(**settings) as intake:` the app with its lifespan running,
    RTMP on a free port, and an HTTP client for it."""

    def settings(**overrides: Any) -> IntakeSettings:
        values: dict[str, Any] = {
            "nats_url": nats_url,
            "redis_url": redis_url,
            "bus_prefix": prefix,
            "intake_media_base_url": "https://media.example",
            "intake_rtmp_port": 0,
            **overrides,
        }
        return IntakeSettings.model_validate(values)

    @asynccontextmanager
    async def running(**overrides: Any) -> AsyncIterator[RunningIntake]:
        app = create_app(settings(**overrides))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
                yield RunningIntake(client, app, app.state.bus)

    yield running


async def read_inputs(
    bus: Bus, stream_id: str, count: int, within_s: float = 20.0
) -> list[VideoInput]:
    """The first `count` events on the stream's input subject (waiting for them)."""
    subject = bus.names.video_input(stream_id)
    sub = await bus.js.subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    events: list[VideoInput] = []
    try:
        async with asyncio.timeout(within_s):
            while len(events) < count:
                message = await sub.next_msg(timeout=within_s)
                events.append(VideoInput.model_validate_json(message.data))
    finally:
        await sub.unsubscribe()
    return events


@pytest.fixture
def inputs() -> Callable[..., Any]:
    """`await inputs(bus, stream_id, count)`: the stream's first `count` VideoInput events."""
    return read_inputs
