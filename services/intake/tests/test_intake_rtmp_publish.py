"""FFmpeg's own RTMP client (PyAV) publishes to the server: what the authorize callback and the
publisher see.

The publisher runs in a child process: PyAV 18 holds the GIL while it connects an output
(`avio_open`, which does the whole RTMP handshake and publish negotiation), so a publisher on
a thread of this process would stall the event loop the server runs on.
"""

import asyncio
import io
import struct
import sys
import uuid
from collections.abc import AsyncIterator

import av
import pytest
from lpgw.intake.rtmp import (
    BAD_NAME,
    FlvTag,
    Publisher,
    PublishRequest,
    RtmpRefused,
    RtmpServer,
)

PUBLISH = r"""
import fractions, logging, sys
import av, av.logging

logging.basicConfig(level=logging.ERROR)
av.logging.set_level(av.logging.ERROR)  # FFmpeg's own errors to stderr
url, seconds = sys.argv[1], float(sys.argv[2])
width, height, fps, rate = 320, 180, 30, 44100
with av.open(url, mode="w", format="flv") as out:
    video = out.add_stream("libx264", rate=fps, options={"tune": "zerolatency"})
    video.width, video.height, video.pix_fmt, video.gop_size = width, height, "yuv420p", 30
    audio = out.add_stream("aac", rate=rate)
    audio.layout = "mono"
    samples = 0
    for n in range(int(seconds * fps)):
        frame = av.VideoFrame(width, height, "yuv420p")
        frame.planes[0].update(bytes((x + 4 * n) & 0xFF for x in range(width)) * height)
        frame.planes[1].update(bytes([128]) * (width * height // 4))
        frame.planes[2].update(bytes([(2 * n) & 0xFF]) * (width * height // 4))
        frame.pts, frame.time_base = n, fractions.Fraction(1, fps)
        for packet in video.encode(frame):
            out.mux(packet)
        while samples < (n + 1) * rate / fps:
            sound = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            sound.planes[0].update(bytes(4096))
            sound.sample_rate, sound.pts = rate, samples
            sound.time_base = fractions.Fraction(1, rate)
            samples += 1024
            for packet in audio.encode(sound):
                out.mux(packet)
    for stream in (video, audio):
        for packet in stream.encode(None):
            out.mux(packet)
"""


async def publish(url: str, seconds: float = 3.0) -> tuple[int, str]:
    """Publish synthetic H.264 + AAC with PyAV; the child's exit code and stderr."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PUBLISH,
        url,
        str(seconds),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(child.communicate(), 30)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode is not None
    return child.returncode, err.decode(errors="replace")


class RecordingPublisher:
    def __init__(self) -> None:
        self.tags: list[FlvTag] = []
        self.closes: list[str | None] = []

    async def on_tag(self, tag: FlvTag) -> None:
        self.tags.append(tag)

    async def on_close(self, error: str | None) -> None:
        self.closes.append(error)


class Gatekeeper:
    """The authorize callback: records requests, refuses keys starting with "bad"."""

    def __init__(self) -> None:
        self.requests: list[PublishRequest] = []
        self.publishers: dict[str, RecordingPublisher] = {}

    async def authorize(self, request: PublishRequest) -> Publisher:
        self.requests.append(request)
        if request.stream_key.startswith("bad"):
            raise RtmpRefused("unknown stream key", BAD_NAME)
        publisher = RecordingPublisher()
        self.publishers[request.stream_key] = publisher
        return publisher


@pytest.fixture
def gatekeeper() -> Gatekeeper:
    return Gatekeeper()


@pytest.fixture
async def server(gatekeeper: Gatekeeper) -> AsyncIterator[tuple[RtmpServer, int]]:
    rtmp = RtmpServer(gatekeeper.authorize)
    port = await rtmp.start("127.0.0.1", 0)
    try:
        yield rtmp, port
    finally:
        await rtmp.close()


def new_key() -> str:
    return "k" + uuid.uuid4().hex[:12]


async def until_closed(rtmp: RtmpServer) -> None:
    for _ in range(250):
        if not rtmp.connections:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{rtmp.connections} connections still open")


def as_flv(tags: list[FlvTag]) -> bytes:
    """An FLV file of the tags, to check they are FLV tag bodies indeed."""
    out = bytearray(b"FLV\x01\x05\x00\x00\x00\x09" + bytes(4))
    types = {"audio": 8, "video": 9, "script": 18}
    for tag in tags:
        ts = tag.timestamp_ms
        out += bytes((types[tag.kind],)) + len(tag.data).to_bytes(3, "big")
        out += (ts & 0xFFFFFF).to_bytes(3, "big") + bytes((ts >> 24,)) + bytes(3)
        out += tag.data + struct.pack(">I", 11 + len(tag.data))
    return bytes(out)


def check_stream(tags: list[FlvTag]) -> None:
    kinds = [tag.kind for tag in tags]
    assert {"script", "audio", "video"} <= set(kinds)
    assert tags[0].kind == "script"
    assert tags[0].data.startswith(b"\x02\x00\x0aonMetaData")
    for kind in ("audio", "video"):
        stamps = [tag.timestamp_ms for tag in tags if tag.kind == kind]
        assert stamps == sorted(stamps), f"{kind} timestamps go backwards"
    video = [tag.data for tag in tags if tag.kind == "video"]
    assert video[0][0] & 0x0F == 7 and video[0][1] == 0  # AVC sequence header first
    keyframes = [data for data in video if data[0] >> 4 == 1 and data[1] == 1]
    assert len(keyframes) >= 3  # 90 frames, one GOP every 30
    audio = [tag.data for tag in tags if tag.kind == "audio"]
    assert audio[0][0] >> 4 == 10 and audio[0][1] == 0  # AAC sequence header first
    assert max(tag.timestamp_ms for tag in tags if tag.kind == "video") >= 2900


async def test_a_pyav_publish_arrives_as_flv_tags(
    server: tuple[RtmpServer, int], gatekeeper: Gatekeeper
) -> None:
    rtmp, port = server
    key = new_key()
    code, err = await publish(f"rtmp://127.0.0.1:{port}/live/{key}?region=eu")
    assert code == 0, err
    await until_closed(rtmp)

    (request,) = gatekeeper.requests
    assert (request.app, request.stream_key, request.query) == ("live", key, {"region": "eu"})
    assert request.tc_url == f"rtmp://127.0.0.1:{port}/live"
    assert request.peer.startswith("127.0.0.1:")
    publisher = gatekeeper.publishers[key]
    assert publisher.closes == [None]
    check_stream(publisher.tags)

    with av.open(io.BytesIO(as_flv(publisher.tags)), mode="r", format="flv") as flv:
        video = flv.streams.video[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", 320, 180)
        assert flv.streams.audio[0].codec_context.name == "aac"
        frames = sum(1 for packet in flv.demux(video) if packet.size)
    assert frames == 90


async def test_two_publishers_at_once(
    server: tuple[RtmpServer, int], gatekeeper: Gatekeeper
) -> None:
    rtmp, port = server
    keys = [new_key(), new_key()]
    results = await asyncio.gather(
        *(publish(f"rtmp://127.0.0.1:{port}/live/{key}") for key in keys)
    )
    assert [code for code, _ in results] == [0, 0], results
    await until_closed(rtmp)
    assert sorted(r.stream_key for r in gatekeeper.requests) == sorted(keys)
    for key in keys:
        publisher = gatekeeper.publishers[key]
        assert publisher.closes == [None]
        check_stream(publisher.tags)


async def test_a_refused_key_fails_the_client_and_delivers_nothing(
    server: tuple[RtmpServer, int], gatekeeper: Gatekeeper
) -> None:
    rtmp, port = server
    code, err = await publish(f"rtmp://127.0.0.1:{port}/live/bad-key", seconds=0.5)
    assert code != 0
    assert "Server error: unknown stream key" in err  # FFmpeg read our onStatus
    await until_closed(rtmp)
    assert [r.stream_key for r in gatekeeper.requests] == ["bad-key"]
    assert gatekeeper.publishers == {}
