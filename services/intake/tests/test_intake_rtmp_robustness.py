"""Misbehaving peers close only their own connection, with a log record; publishers hear
`on_close` exactly once; reading keeps pace with `on_tag`; stream keys never reach the logs."""

import asyncio
import contextlib
import logging
import struct
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from lpgw.intake.rtmp import (
    DENIED,
    FlvTag,
    Publisher,
    PublishRequest,
    RtmpServer,
    amf0,
    commands,
    messages,
)
from lpgw.intake.rtmp.chunks import ChunkDecoder, ChunkEncoder
from lpgw.intake.rtmp.connection import key_id
from lpgw.intake.rtmp.messages import Message, MessageType, UserControlEvent

LOGGER = "lpgw.intake.rtmp"


class RawClient:
    """A minimal publishing client built from the package's own codecs."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self._encoder = ChunkEncoder()
        self._decoder = ChunkDecoder()
        self.user_control: list[tuple[int, bytes]] = []

    @classmethod
    async def open(cls, port: int) -> "RawClient":
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def handshake(self) -> None:
        self.writer.write(b"\x03" + bytes(1536))
        answer = await self.reader.readexactly(1 + 2 * 1536)
        assert answer[0] == 3
        self.writer.write(answer[1:1537])
        await self.writer.drain()

    def write(self, message: Message) -> None:
        self.writer.write(self._encoder.encode(message))

    async def send(self, *sent: Message) -> None:
        for message in sent:
            self.write(message)
        await self.writer.drain()

    async def expect(self, name: str) -> list[amf0.Value]:
        """Read until a command called `name` arrives; its values."""
        async with asyncio.timeout(5):
            while True:
                for message in self._decoder.messages():
                    if message.type_id == MessageType.COMMAND_AMF0:
                        values = amf0.decode(message.payload)
                        if values[0] == name:
                            return values
                    elif message.type_id == MessageType.USER_CONTROL:
                        self.user_control.append(messages.parse_user_control(message))
                data = await self.reader.read(65536)
                assert data, f"closed before {name}"
                self._decoder.feed(data)

    async def publish(self, key: str) -> dict[str, amf0.Value]:
        """Handshake, connect, createStream, publish: the onStatus object we get back."""
        await self.handshake()
        await self.send(command("connect", 1, {"app": "live", "tcUrl": "rtmp://x/live"}))
        await self.expect("_result")
        await self.send(command("createStream", 2, None))
        await self.expect("_result")
        await self.send(command("publish", 3, None, key, "live", stream_id=1))
        info = (await self.expect("onStatus"))[3]
        assert isinstance(info, dict)
        return info

    async def closed_by_server(self, within: float = 3) -> bool:
        try:
            async with asyncio.timeout(within):
                while await self.reader.read(65536):
                    pass
        except TimeoutError:
            return False
        except ConnectionError:
            pass
        return True

    def close(self) -> None:
        self.writer.close()


def command(name: str, transaction: float, *values: amf0.Value, stream_id: int = 0) -> Message:
    return commands.command(name, transaction, *values, stream_id=stream_id, csid=3)


def audio(timestamp: int, payload: bytes = b"\xaf\x01frame") -> Message:
    return Message(MessageType.AUDIO, payload, timestamp, stream_id=1, csid=4)


class RecordingPublisher:
    def __init__(self, gate: asyncio.Event | None, fail: bool) -> None:
        self.tags: list[FlvTag] = []
        self.closes: list[str | None] = []
        self.first_tag = asyncio.Event()
        self.closed = asyncio.Event()
        self._gate = gate
        self._fail = fail

    async def on_tag(self, tag: FlvTag) -> None:
        self.tags.append(tag)
        self.first_tag.set()
        if self._fail:
            raise ValueError("cannot take this tag")
        if self._gate is not None:
            await self._gate.wait()

    async def on_close(self, error: str | None) -> None:
        self.closes.append(error)
        self.closed.set()


class Gatekeeper:
    """Keys starting "fail" get a publisher whose on_tag raises; "crash" makes authorize
    itself raise; `gate`, while clear, holds every on_tag."""

    def __init__(self) -> None:
        self.gate: asyncio.Event | None = None
        self.requests: list[PublishRequest] = []
        self.publishers: dict[str, RecordingPublisher] = {}

    async def authorize(self, request: PublishRequest) -> Publisher:
        self.requests.append(request)
        if request.stream_key.startswith("crash"):
            raise RuntimeError("the webhook is down")
        publisher = RecordingPublisher(self.gate, fail=request.stream_key.startswith("fail"))
        self.publishers[request.stream_key] = publisher
        return publisher


ServerFactory = Callable[..., Awaitable[tuple[RtmpServer, int]]]


@pytest.fixture
def gatekeeper() -> Gatekeeper:
    return Gatekeeper()


@pytest.fixture
async def make_server(gatekeeper: Gatekeeper) -> AsyncIterator[ServerFactory]:
    servers: list[RtmpServer] = []

    async def make(**limits: float) -> tuple[RtmpServer, int]:
        rtmp = RtmpServer(gatekeeper.authorize, **limits)  # type: ignore[arg-type]
        servers.append(rtmp)
        return rtmp, await rtmp.start("127.0.0.1", 0)

    yield make
    for rtmp in servers:
        await rtmp.close()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    return caplog


def closed_reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        str(getattr(record, "reason", ""))
        for record in caplog.records
        if record.getMessage() == "rtmp_connection_closed"
    ]


def new_key(prefix: str = "k") -> str:
    return prefix + uuid.uuid4().hex[:12]


async def eventually(check: Callable[[], bool], within_s: float = 5) -> None:
    """Poll `check` (the server offers no event for what tests watch) until it holds."""
    for _ in range(int(within_s / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached in time")


async def settle(rtmp: RtmpServer, connections: int) -> None:
    await eventually(lambda: rtmp.connections == connections)


PUBLISH = r"""
import fractions, sys
import av

with av.open(sys.argv[1], mode="w", format="flv") as out:
    video = out.add_stream("libx264", rate=30, options={"tune": "zerolatency"})
    video.width, video.height, video.pix_fmt, video.gop_size = 320, 180, "yuv420p", 30
    for n in range(90):
        frame = av.VideoFrame(320, 180, "yuv420p")
        frame.planes[0].update(bytes((x + 4 * n) & 0xFF for x in range(320)) * 180)
        frame.planes[1].update(bytes([128]) * (320 * 180 // 4))
        frame.planes[2].update(bytes([128]) * (320 * 180 // 4))
        frame.pts, frame.time_base = n, fractions.Fraction(1, 30)
        for packet in video.encode(frame):
            out.mux(packet)
    for packet in video.encode(None):
        out.mux(packet)
"""


async def pyav_publish(url: str) -> int:
    """Publish 3 s of H.264 from a child process (PyAV holds the GIL while connecting)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PUBLISH, url, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        return await asyncio.wait_for(child.wait(), 30)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


async def test_bad_connections_close_alone_while_a_publisher_carries_on(
    make_server: ServerFactory, gatekeeper: Gatekeeper, logs: pytest.LogCaptureFixture
) -> None:
    rtmp, port = await make_server(handshake_timeout_s=1.0, idle_timeout_s=5.0)
    gatekeeper.gate = asyncio.Event()  # hold the publisher mid-stream meanwhile
    key = new_key()
    publishing = asyncio.create_task(pyav_publish(f"rtmp://127.0.0.1:{port}/live/{key}"))
    await eventually(lambda: key in gatekeeper.publishers, within_s=15)
    await asyncio.wait_for(gatekeeper.publishers[key].first_tag.wait(), 5)

    garbage = await RawClient.open(port)
    garbage.writer.write(b"GET / HTTP/1.1\r\nHost: rtmp\r\n\r\n")
    truncated = await RawClient.open(port)
    truncated.writer.write(b"\x03" + bytes(700))
    truncated.writer.write_eof()
    stalled = await RawClient.open(port)
    stalled.writer.write(b"\x03" + bytes(700))
    bad_chunks = await RawClient.open(port)
    await bad_chunks.handshake()
    bad_chunks.writer.write(b"\xff" * 64)  # format 3 on a chunk stream never opened
    for client in (garbage, truncated, stalled, bad_chunks):
        assert await client.closed_by_server()
        client.close()
    await settle(rtmp, 1)

    gatekeeper.gate.set()
    assert await publishing == 0
    await settle(rtmp, 0)
    publisher = gatekeeper.publishers[key]
    assert publisher.closes == [None]
    video = [tag.timestamp_ms for tag in publisher.tags if tag.kind == "video"]
    assert len(video) >= 91 and video == sorted(video)
    reasons = closed_reasons(logs)
    assert any(reason.startswith("HandshakeError") for reason in reasons)
    assert "closed during the handshake" in reasons
    assert "handshake timeout" in reasons
    assert any(reason.startswith("ChunkError") for reason in reasons)


async def test_a_publisher_that_stops_sending_times_out(
    make_server: ServerFactory, gatekeeper: Gatekeeper, logs: pytest.LogCaptureFixture
) -> None:
    rtmp, port = await make_server(idle_timeout_s=0.5)
    client = await RawClient.open(port)
    key = new_key()
    assert (await client.publish(key))["code"] == "NetStream.Publish.Start"
    await client.send(audio(0))
    assert await client.closed_by_server()
    publisher = gatekeeper.publishers[key]
    await publisher.closed.wait()
    assert publisher.closes == ["idle timeout"]
    assert [tag.timestamp_ms for tag in publisher.tags] == [0]
    assert closed_reasons(logs) == ["idle timeout"]
    await settle(rtmp, 0)


async def test_an_oversize_message_closes_the_connection(
    make_server: ServerFactory, gatekeeper: Gatekeeper, logs: pytest.LogCaptureFixture
) -> None:
    _, port = await make_server(max_message_bytes=64 * 1024)
    client = await RawClient.open(port)
    key = new_key()
    await client.publish(key)
    await client.send(audio(0, bytes(100 * 1024)))
    assert await client.closed_by_server()
    publisher = gatekeeper.publishers[key]
    await publisher.closed.wait()
    (error,) = publisher.closes
    assert error is not None and "exceeds the limit" in error
    assert publisher.tags == []
    assert closed_reasons(logs)[0].startswith("MessageTooLarge")


async def test_a_chunk_size_out_of_range_closes_the_connection(
    make_server: ServerFactory, logs: pytest.LogCaptureFixture
) -> None:
    _, port = await make_server()
    client = await RawClient.open(port)
    await client.handshake()
    await client.send(messages.set_chunk_size(0))
    assert await client.closed_by_server()
    assert closed_reasons(logs)[0].startswith("ChunkSizeOutOfRange")


async def test_reading_keeps_pace_with_on_tag(
    make_server: ServerFactory, gatekeeper: Gatekeeper
) -> None:
    _, port = await make_server()
    gatekeeper.gate = asyncio.Event()
    client = await RawClient.open(port)
    key = new_key()
    await client.publish(key)
    frame = bytes(1024 * 1024)
    for n in range(24):  # far more than socket buffers hold
        client.write(audio(n * 23, frame))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.writer.drain(), 1.0)
    publisher = gatekeeper.publishers[key]
    assert len(publisher.tags) == 1  # the server read no further than on_tag let it

    gatekeeper.gate.set()
    await asyncio.wait_for(client.writer.drain(), 10)
    await eventually(lambda: len(publisher.tags) == 24)
    assert [tag.timestamp_ms for tag in publisher.tags] == [n * 23 for n in range(24)]
    client.close()


async def test_disconnect_ends_the_stream_from_outside(
    make_server: ServerFactory, gatekeeper: Gatekeeper, logs: pytest.LogCaptureFixture
) -> None:
    rtmp, port = await make_server()
    client = await RawClient.open(port)
    key = new_key()
    await client.publish(key)
    await client.send(audio(0))
    publisher = gatekeeper.publishers[key]
    await publisher.first_tag.wait()
    gatekeeper.requests[0].disconnect()
    assert await client.closed_by_server()
    await publisher.closed.wait()
    assert publisher.closes == [None]
    assert closed_reasons(logs) == ["disconnected"]
    await settle(rtmp, 0)


async def test_close_gives_every_publisher_on_close(
    make_server: ServerFactory, gatekeeper: Gatekeeper
) -> None:
    rtmp, port = await make_server()
    clients = [await RawClient.open(port) for _ in range(2)]
    keys = [new_key(), new_key()]
    for client, key in zip(clients, keys, strict=True):
        await client.publish(key)
        await client.send(audio(0))
    idle = await RawClient.open(port)  # not even handshaken
    await settle(rtmp, 3)
    await rtmp.close()
    assert rtmp.connections == 0
    for client in [*clients, idle]:
        assert await client.closed_by_server()
    for key in keys:
        assert gatekeeper.publishers[key].closes == ["server closing"]


async def test_a_failing_publisher_closes_only_its_connection(
    make_server: ServerFactory, gatekeeper: Gatekeeper, logs: pytest.LogCaptureFixture
) -> None:
    rtmp, port = await make_server()
    healthy, failing = await RawClient.open(port), await RawClient.open(port)
    good_key, bad_key = new_key(), new_key("fail")
    await healthy.publish(good_key)
    await failing.publish(bad_key)
    await failing.send(audio(0))
    assert await failing.closed_by_server()
    await gatekeeper.publishers[bad_key].closed.wait()
    assert gatekeeper.publishers[bad_key].closes == ["publisher failed: ValueError"]

    await healthy.send(audio(0), audio(23))
    good = gatekeeper.publishers[good_key]
    await eventually(lambda: len(good.tags) == 2)
    assert rtmp.connections == 1
    assert any(r.getMessage() == "rtmp_publisher_failed" and r.exc_info for r in logs.records)
    healthy.close()


async def test_an_authorize_crash_denies_the_publish(
    make_server: ServerFactory, logs: pytest.LogCaptureFixture
) -> None:
    _, port = await make_server()
    client = await RawClient.open(port)
    info = await client.publish(new_key("crash"))
    assert (info["level"], info["code"]) == ("error", DENIED)
    assert "webhook" not in str(info["description"])  # internals stay in our logs
    assert await client.closed_by_server()
    assert any(r.getMessage() == "rtmp_authorize_failed" for r in logs.records)


async def test_ping_requests_are_answered(make_server: ServerFactory) -> None:
    _, port = await make_server()
    client = await RawClient.open(port)
    await client.publish(new_key())
    await client.send(messages.user_control(UserControlEvent.PING_REQUEST, b"\0\0\0\x07"))
    await client.send(command("_checkbw", 4, None), command("marker", 5, None))
    await client.send(command("createStream", 6, None))
    await client.expect("_result")  # unknown commands got no answer, the next one did
    assert (UserControlEvent.PING_RESPONSE, b"\0\0\0\x07") in client.user_control
    assert (UserControlEvent.STREAM_BEGIN, struct.pack(">I", 1)) in client.user_control
    client.close()


async def test_logs_never_show_the_stream_key(
    make_server: ServerFactory, gatekeeper: Gatekeeper, logs: pytest.LogCaptureFixture
) -> None:
    rtmp, port = await make_server()
    keys = [new_key(), new_key("fail"), new_key("crash")]
    for key in keys:
        client = await RawClient.open(port)
        await client.publish(f"{key}?token=secret-{key}")
        with contextlib.suppress(ConnectionError):  # "fail" and "crash" are closed by now
            await client.send(audio(0), command("FCUnpublish", 0, None, key))
        await client.closed_by_server(within=0.2)
        client.close()
    await settle(rtmp, 0)

    text = [record.getMessage() + repr(vars(record)) for record in logs.records]
    assert text
    for key in keys:
        assert not any(key in line for line in text)
        assert any(key_id(key) in line for line in text)
