"""A stream's publishing as the session sees it: one VideoInput per segment, in order, blobs
that decode, a discontinuity after a reconnection, the end after the grace period. The test
plays the RTMP server's part (it hands FLV tags to the publisher) over real NATS and Valkey."""

import asyncio
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av
import pytest
from lpgw.bus import Bus
from lpgw.intake.rtmp import BAD_NAME, DENIED, FlvTag, Publisher, PublishRequest, RtmpRefused
from lpgw.intake.video.keys import key_hash
from lpgw.video.profiles import DEFAULT_LADDER, presets, to_json

pytestmark = pytest.mark.integration

KEY, OTHER_KEY = "cam-key-0123456789", "other-key-0123456789"
KEYS = {"cam": key_hash(KEY), "other": key_hash(OTHER_KEY)}


@dataclass
class Client:
    """What the RTMP server would know of a connection."""

    key: str
    app: str = "live"
    disconnects: list[bool] = field(default_factory=list)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)

    def disconnect(self) -> None:
        self.disconnects.append(True)
        self.disconnected.set()

    def request(self) -> PublishRequest:
        return PublishRequest(
            app=self.app,
            stream_key=self.key,
            query={},
            tc_url=f"rtmp://127.0.0.1:1935/{self.app}",
            peer="127.0.0.1:50000",
            disconnect=self.disconnect,
        )


async def feed(publisher: Publisher, tags: list[Any], shift_ms: int = 0) -> None:
    for tag in tags:
        await publisher.on_tag(FlvTag(tag.kind, tag.timestamp_ms + shift_ms, tag.data))


async def decodes(intake: Any, key: str) -> int:
    data, content_type = await intake.video.store.get(key)
    assert content_type == "video/mp2t"
    with av.open(io.BytesIO(data)) as container:
        return len(list(container.decode(video=0)))


async def test_segments_reach_the_bus_in_order_and_the_stream_ends_after_the_grace(
    start_intake: Any, media: Any, inputs: Callable[..., Any], video_bus: Bus
) -> None:
    tags = media.read_flv_tags(media.encode(seconds=7.0).data)
    started = await video_bus.nc.subscribe(video_bus.names.video_started)
    async with start_intake(intake_stream_keys=KEYS, intake_reconnect_grace_s=0.5) as intake:
        publisher = await intake.video.rtmp.authorize(Client(KEY).request())
        await feed(publisher, tags)
        await publisher.on_close(None)
        events = await inputs(video_bus, "cam", 5)
        frames = [await decodes(intake, e.source.key) for e in events[:4]]
        record = await intake.video.ingest.streams.get("cam")
    assert [(e.seq, e.ended, e.discontinuity) for e in events] == [
        (0, False, False),
        (1, False, False),
        (2, False, False),
        (3, False, False),
        (4, True, False),
    ]
    assert [e.duration_ms for e in events[:4]] == [2000, 2000, 2000, 1000]
    assert [e.source.key for e in events[:4]] == [f"cam/source/{n}.ts" for n in range(4)]
    assert frames == [60, 60, 60, 30]
    assert events[0].info.model_dump() == {
        "video_codec": "h264",
        "width": 640,
        "height": 360,
        "fps": 30.0,
        "has_audio": True,
    }
    assert (await started.next_msg(timeout=5)).data == b"cam"
    assert record is not None
    assert (record.kind, record.state, record.segments_in, record.last_seq) == (
        "rtmp",
        "live",
        4,
        3,
    )
    assert record.profiles == [to_json(p) for p in presets(DEFAULT_LADDER)]


async def test_a_quick_reconnection_resumes_with_a_discontinuity(
    start_intake: Any, media: Any, inputs: Callable[..., Any], video_bus: Bus
) -> None:
    tags = media.read_flv_tags(media.encode(seconds=4.0).data)
    async with start_intake(intake_stream_keys=KEYS, intake_reconnect_grace_s=30) as intake:
        first = await intake.video.rtmp.authorize(Client(KEY).request())
        await feed(first, tags)
        await first.on_close("connection error: ConnectionResetError")
        again = await intake.video.rtmp.authorize(Client(KEY).request())
        await feed(again, tags, shift_ms=60_000)  # a new connection starts its own clock
        await again.on_close(None)
        events = await inputs(video_bus, "cam", 4)
        record = await intake.video.ingest.streams.get("cam")
    assert [(e.seq, e.discontinuity, e.ended) for e in events] == [
        (0, False, False),
        (1, False, False),
        (2, True, False),
        (3, False, False),
    ]
    assert record is not None and record.discontinuities == 1


@pytest.mark.parametrize(
    ("client", "code", "message"),
    [
        pytest.param(Client("wrong-key"), BAD_NAME, "unknown stream key", id="wrong key"),
        pytest.param(Client(KEY, app="vod"), BAD_NAME, "unknown application", id="other app"),
    ],
)
async def test_refused_before_any_media(
    start_intake: Any, client: Client, code: str, message: str
) -> None:
    async with start_intake(intake_stream_keys=KEYS) as intake:
        with pytest.raises(RtmpRefused, match=message) as refused:
            await intake.video.rtmp.authorize(client.request())
        listed = await intake.video.ingest.streams.list()
    assert refused.value.code == code
    assert "wrong-key" not in str(refused.value)
    assert listed == []


async def test_one_publisher_per_stream_and_a_cap_on_streams(start_intake: Any) -> None:
    async with start_intake(intake_stream_keys=KEYS, intake_max_streams=1) as intake:
        await intake.video.rtmp.authorize(Client(KEY).request())
        with pytest.raises(RtmpRefused, match="already publishing") as busy:
            await intake.video.rtmp.authorize(Client(KEY).request())
        with pytest.raises(RtmpRefused, match=r"too many live streams \(limit 1\)") as full:
            await intake.video.rtmp.authorize(Client(OTHER_KEY).request())
    assert (busy.value.code, full.value.code) == (BAD_NAME, DENIED)


async def test_bad_media_closes_that_stream_only(
    start_intake: Any, media: Any, inputs: Callable[..., Any], video_bus: Bus
) -> None:
    good = media.read_flv_tags(media.encode(seconds=6.0).data)
    bad = list(good)
    broken = next(i for i, t in enumerate(bad) if i > 40 and t.kind == "video")
    bad[broken] = type(bad[broken])(bad[broken].kind, bad[broken].timestamp_ms, b"\x27\x01\x00")
    async with start_intake(intake_stream_keys=KEYS, intake_max_segment_s=3) as intake:
        healthy = await intake.video.rtmp.authorize(Client(KEY).request())
        failing = await intake.video.rtmp.authorize(Client(OTHER_KEY).request())
        failed = None
        for index, tag in enumerate(good):
            await healthy.on_tag(FlvTag(tag.kind, tag.timestamp_ms, tag.data))
            if failed is None:
                try:
                    await failing.on_tag(
                        FlvTag(bad[index].kind, bad[index].timestamp_ms, bad[index].data)
                    )
                except Exception as exc:
                    failed = exc
        await failing.on_close("publisher failed")
        await healthy.on_close(None)
        events = await inputs(video_bus, "cam", 3)
    assert failed is not None and "bad video tag" in str(failed)
    assert [e.seq for e in events] == [0, 1, 2]


async def test_a_stream_ended_elsewhere_is_disconnected_without_its_tail(
    start_intake: Any, media: Any, video_bus: Bus
) -> None:
    tags = media.read_flv_tags(media.encode(seconds=3.0).data)
    client = Client(KEY)
    async with start_intake(intake_stream_keys=KEYS, intake_reconnect_grace_s=0.2) as intake:
        publisher = await intake.video.rtmp.authorize(client.request())
        await feed(publisher, tags)
        await video_bus.nc.publish(video_bus.names.video_ended, b"cam")
        await asyncio.wait_for(client.disconnected.wait(), 5)
        await publisher.on_close(None)
        await asyncio.sleep(0.5)
        record = await intake.video.ingest.streams.get("cam")
        again = await intake.video.rtmp.authorize(client.request())
    assert record is not None and record.last_seq == 0  # the tail (1 s) was not published
    assert again is not None  # the stream can be published again
