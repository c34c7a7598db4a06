"""Live video over HTTP from a real delivery app (uvicorn on a free port) over real NATS and
Valkey: records written with VideoStreams, files with the video BlobStore, as the session
writes them; then what players fetch."""

import asyncio
import contextlib
import io
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import av
import httpx
import nats.errors
import pytest
import redis.asyncio as aioredis
import uvicorn
from lpgw.blobs import BlobStore
from lpgw.bus import Bus
from lpgw.delivery.app import create_app
from lpgw.delivery.settings import DeliverySettings
from lpgw.state import Keys
from lpgw.video.codecs import segment_codecs
from lpgw.video.profiles import PRESETS, SOURCE, to_json
from lpgw.video.records import Rendition, SegmentRecord
from lpgw.video.streams import VideoStreams
from nats.js.errors import NotFoundError

pytestmark = pytest.mark.integration

Media = dict[str, list[bytes]]
LOW = "P144p30fps16x9"
FPS, SAMPLE_RATE = 30, 48_000
RETENTION_S = 600
NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the test process keeps its own signal handlers

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()


@contextlib.asynccontextmanager
async def delivery(nats_url: str, redis_url: str, prefix: str) -> AsyncIterator[str]:
    """A delivery app on a free loopback port; its base URL."""
    settings = DeliverySettings.model_validate(
        {
            "nats_url": nats_url,
            "redis_url": redis_url,
            "bus_prefix": prefix,
            "video_retention_s": RETENTION_S,
        }
    )
    server = _Server(uvicorn.Config(create_app(settings), log_config=None, access_log=False))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        async with asyncio.timeout(10):
            await server.listening.wait()
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving
        listener.close()


@dataclass
class Publisher:
    """Writes a stream's records and files the way intake and the session do."""

    streams: VideoStreams
    store: BlobStore
    media: Media

    async def start(self, stream_id: str) -> None:
        await self.streams.open(stream_id, "rtmp", [to_json(PRESETS[LOW])], max_live=0)

    async def deliver(
        self,
        stream_id: str,
        seq: int,
        *,
        index: int | None = None,
        transcoded: bool = True,
        discontinuity: bool = False,
    ) -> SegmentRecord:
        """Segment `seq` with the media of test segment `index` (default: seq)."""
        await self.streams.take_seq(stream_id, seq=seq, discontinuity=discontinuity)
        names = [SOURCE, LOW] if transcoded else [SOURCE]
        renditions = []
        for name in names:
            data = self.media[name][seq if index is None else index]
            key = f"{stream_id}/{name}/{seq}.ts"
            await self.store.put(key, data, "video/mp2t")
            width, height = (256, 144) if name == LOW else (320, 180)
            renditions.append(
                Rendition(
                    name=name,
                    key=key,
                    size=len(data),
                    width=width,
                    height=height,
                    bandwidth=len(data) * 8 // 2,
                    codecs=segment_codecs(data),
                )
            )
        now = time.time()
        record = SegmentRecord(
            stream_id=stream_id,
            seq=seq,
            duration_ms=2000,
            discontinuity=discontinuity,
            renditions=renditions,
            transcoded=transcoded,
            orchestrator="https://o1" if transcoded else None,
            received_at=now - 0.5,
            delivered_at=now,
        )
        assert await self.streams.deliver(record, spend_wei=0)
        return record

    async def end(self, stream_id: str) -> None:
        assert await self.streams.end(stream_id, "test")


@pytest.fixture
async def publisher(
    bus: Bus, redis: aioredis.Redis, prefix: str, media: Media
) -> AsyncIterator[Publisher]:
    store = await BlobStore.open(bus.nc, bus.names, ttl_s=RETENTION_S, space=bus.names.video_media)
    try:
        yield Publisher(VideoStreams(redis, Keys(prefix), RETENTION_S), store, media)
    finally:
        for name in (bus.names.video_media_stream, f"OBJ_{bus.names.video_media_bucket}"):
            with contextlib.suppress(NotFoundError, nats.errors.Error):
                await bus.js.delete_stream(name)


@pytest.fixture
async def base_url(nats_url: str, redis_url: str, prefix: str) -> AsyncIterator[str]:
    async with delivery(nats_url, redis_url, prefix) as url:
        yield url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        yield http


def segment_uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def tags(playlist: str) -> dict[str, str]:
    found = {}
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-") and ":" in line:
            name, _, value = line[1:].partition(":")
            found[name] = value
    return found


async def test_master_playlist_lists_the_profile_then_the_source(
    publisher: Publisher, client: httpx.AsyncClient
) -> None:
    await publisher.start("s1")
    for seq in range(2):
        await publisher.deliver("s1", seq)
    response = await client.get("/stream/s1.m3u8")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert response.headers["cache-control"] == "public, max-age=1"
    assert response.headers["access-control-allow-origin"] == "*"
    lines = response.text.splitlines()
    assert lines[:2] == ["#EXTM3U", "#EXT-X-VERSION:3"]
    infos = [line for line in lines if line.startswith("#EXT-X-STREAM-INF:")]
    assert segment_uris(response.text) == [f"s1/{LOW}.m3u8", "s1/source.m3u8"]
    codecs = segment_codecs(publisher.media[LOW][0])
    assert codecs.startswith("avc1.") and codecs.endswith(",mp4a.40.2")
    peak = max(len(publisher.media[LOW][i]) * 8 // 2 for i in range(2))
    assert infos[0].startswith(f"#EXT-X-STREAM-INF:BANDWIDTH={peak},")
    assert f'RESOLUTION=256x144,CODECS="{codecs}"' in infos[0]
    assert "RESOLUTION=320x180" in infos[1]


async def test_media_playlist_and_its_segments(
    publisher: Publisher, client: httpx.AsyncClient
) -> None:
    await publisher.start("s1")
    for seq in range(4):
        await publisher.deliver("s1", seq)
    response = await client.get(f"/stream/s1/{LOW}.m3u8")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=1"
    assert tags(response.text)["EXT-X-TARGETDURATION"] == "2"
    assert tags(response.text)["EXT-X-MEDIA-SEQUENCE"] == "0"
    assert "#EXT-X-ENDLIST" not in response.text
    uris = segment_uris(response.text)
    assert uris == [f"{LOW}/{seq}.ts" for seq in range(4)]
    segment = await client.get(urljoin(str(response.url), uris[2]))
    assert segment.url.path == f"/stream/s1/{LOW}/2.ts"
    assert segment.status_code == 200
    assert segment.content == publisher.media[LOW][2]
    assert segment.headers["content-type"] == "video/mp2t"
    assert segment.headers["cache-control"] == f"public, max-age={RETENTION_S}, immutable"
    assert segment.headers["accept-ranges"] == "bytes"
    head = await client.head(f"/stream/s1/{LOW}/2.ts")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(publisher.media[LOW][2]))


async def test_the_live_window_slides(publisher: Publisher, client: httpx.AsyncClient) -> None:
    await publisher.start("s1")
    for seq in range(8):
        await publisher.deliver("s1", seq, index=seq % 4)
    text = (await client.get("/stream/s1/source.m3u8")).text
    assert segment_uris(text) == [f"source/{seq}.ts" for seq in range(2, 8)]
    assert tags(text)["EXT-X-MEDIA-SEQUENCE"] == "2"
    await publisher.deliver("s1", 8, index=0, discontinuity=True)
    text = (await client.get("/stream/s1/source.m3u8")).text
    assert tags(text)["EXT-X-MEDIA-SEQUENCE"] == "3"
    assert text.splitlines()[-3:] == ["#EXT-X-DISCONTINUITY", "#EXTINF:2.000,", "source/8.ts"]


async def test_a_segment_no_orchestrator_produced_plays_from_the_source(
    publisher: Publisher, client: httpx.AsyncClient
) -> None:
    await publisher.start("s1")
    await publisher.deliver("s1", 0)
    await publisher.deliver("s1", 1, transcoded=False)
    await publisher.deliver("s1", 2)
    text = (await client.get(f"/stream/s1/{LOW}.m3u8")).text
    assert segment_uris(text) == [f"{LOW}/0.ts", "source/1.ts", f"{LOW}/2.ts"]
    assert text.count("#EXT-X-DISCONTINUITY\n") == 2
    fallback = await client.get(f"/stream/s1/{segment_uris(text)[1]}")
    assert fallback.content == publisher.media[SOURCE][1]


async def test_byte_ranges(publisher: Publisher, client: httpx.AsyncClient) -> None:
    await publisher.start("s1")
    await publisher.deliver("s1", 0)
    data = publisher.media[SOURCE][0]
    probe = await client.get("/stream/s1/source/0.ts", headers={"Range": "bytes=0-1"})
    assert probe.status_code == 206
    assert probe.content == data[:2]
    assert probe.headers["content-range"] == f"bytes 0-1/{len(data)}"
    assert probe.headers["content-length"] == "2"
    tail = await client.get("/stream/s1/source/0.ts", headers={"Range": "bytes=-188"})
    assert tail.status_code == 206 and tail.content == data[-188:]
    past = await client.get("/stream/s1/source/0.ts", headers={"Range": f"bytes={len(data)}-"})
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{len(data)}"


async def test_cors_for_players(publisher: Publisher, client: httpx.AsyncClient) -> None:
    await publisher.start("s1")
    await publisher.deliver("s1", 0)
    preflight = await client.options(
        "/stream/s1/source/0.ts",
        headers={
            "Origin": "https://player.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "range"
    ranged = await client.get(
        "/stream/s1/source/0.ts",
        headers={"Origin": "https://player.example", "Range": "bytes=0-9"},
    )
    assert ranged.headers["access-control-allow-origin"] == "*"
    exposed = ranged.headers["access-control-expose-headers"]
    assert "Content-Length" in exposed and "Content-Range" in exposed


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param("/stream/nope.m3u8", "no stream nope", id="unknown stream master"),
        pytest.param("/stream/nope/source.m3u8", "no stream nope", id="unknown stream media"),
        pytest.param("/stream/s1/P9000p.m3u8", "stream s1 has no rendition P9000p", id="rendition"),
        pytest.param("/stream/nope.mpd", "no stream nope", id="unknown stream manifest"),
        pytest.param("/recordings/nope/index.m3u8", "no stream nope", id="unknown recording"),
        pytest.param("/stream/s1/source/7.ts", "not found: /stream/s1/source/7.ts", id="segment"),
        pytest.param("/stream/s.1.m3u8", "no stream s.1", id="impossible stream id"),
        pytest.param("/stream/s1/source/999.m4s", "no segment of s1/source at 999 ms", id="m4s"),
    ],
)
async def test_what_does_not_exist_is_a_404(
    publisher: Publisher, client: httpx.AsyncClient, path: str, message: str
) -> None:
    await publisher.start("s1")
    await publisher.deliver("s1", 0)
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(message)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["access-control-allow-origin"] == "*"


async def test_recordings_end_when_the_stream_ends(
    publisher: Publisher, client: httpx.AsyncClient
) -> None:
    await publisher.start("s1")
    for seq in range(8):
        await publisher.deliver("s1", seq, index=seq % 4)
    master = await client.get("/recordings/s1/index.m3u8")
    assert segment_uris(master.text) == [f"{LOW}.m3u8", "source.m3u8"]
    growing = await client.get("/recordings/s1/source.m3u8")
    assert tags(growing.text)["EXT-X-PLAYLIST-TYPE"] == "EVENT"
    assert "#EXT-X-ENDLIST" not in growing.text
    assert growing.headers["cache-control"] == "public, max-age=1"
    assert segment_uris(growing.text) == [f"source/{seq}.ts" for seq in range(8)]
    file = await client.get(urljoin(str(growing.url), f"source/{5}.ts"))
    assert file.url.path == "/recordings/s1/source/5.ts"
    assert file.content == publisher.media[SOURCE][1]

    await publisher.end("s1")
    ended = await client.get(f"/recordings/s1/{LOW}.m3u8")
    assert tags(ended.text)["EXT-X-PLAYLIST-TYPE"] == "VOD"
    assert ended.text.endswith("#EXT-X-ENDLIST\n")
    assert ended.headers["cache-control"] == "public, max-age=60"
    assert segment_uris(ended.text) == [f"{LOW}/{seq}.ts" for seq in range(8)]
    live = await client.get(f"/stream/s1/{LOW}.m3u8")
    assert live.text.endswith("#EXT-X-ENDLIST\n")


async def test_any_replica_serves_any_stream(
    publisher: Publisher, client: httpx.AsyncClient, nats_url: str, redis_url: str, prefix: str
) -> None:
    await publisher.start("s1")
    for seq in range(8):
        await publisher.deliver("s1", seq, index=seq % 4)
    first = await client.get(f"/stream/s1/{LOW}.m3u8")
    async with (
        delivery(nats_url, redis_url, prefix) as other,
        httpx.AsyncClient(base_url=other) as second,
    ):
        again = await second.get(f"/stream/s1/{LOW}.m3u8")
        recording = await second.get(f"/recordings/s1/{LOW}.m3u8")
        segment = await second.get(f"/stream/s1/{LOW}/7.ts")
    assert again.text == first.text
    assert len(segment_uris(recording.text)) == 8
    assert segment.content == publisher.media[LOW][3]


async def test_readiness_includes_redis(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")
    assert ready.json() == {"status": "ok", "checks": {"nats": "ok", "redis": "ok"}}


def play(url: str) -> list[av.VideoFrame]:
    """Every video frame a player (FFmpeg's HLS demuxer) decodes from `url`."""
    with av.open(url, "r", options={"http_persistent": "0"}) as container:
        return list(container.decode(video=0))


async def test_an_ended_stream_plays_in_ffmpeg(publisher: Publisher, base_url: str) -> None:
    await publisher.start("s1")
    for seq in range(4):
        await publisher.deliver("s1", seq)
    await publisher.end("s1")
    frames = await asyncio.to_thread(play, f"{base_url}/recordings/s1/{LOW}.m3u8")
    assert len(frames) == 4 * 2 * FPS
    assert (frames[0].width, frames[0].height) == (256, 144)


# DASH ------------------------------------------------------------------------------------------


def template_urls(mpd_url: str, root: ET.Element, rid: str) -> tuple[str, list[str]]:
    """A DASH client's view of one representation: its init URL and media URLs in order."""
    rep = root.find(f"d:Period/d:AdaptationSet/d:Representation[@id='{rid}']", NS)
    assert rep is not None, rid
    template = rep.find("d:SegmentTemplate", NS)
    assert template is not None
    times: list[int] = []
    for s in template.findall("d:SegmentTimeline/d:S", NS):
        start, duration = int(s.attrib["t"]), int(s.attrib["d"])
        times += [start + k * duration for k in range(int(s.get("r", "0")) + 1)]
    media = template.attrib["media"]
    return urljoin(mpd_url, template.attrib["initialization"]), [
        urljoin(mpd_url, media.replace("$Time$", str(t))) for t in times
    ]


def decode_all(data: bytes) -> list[Any]:
    with av.open(io.BytesIO(data), "r") as container:
        return list(container.decode(container.streams[0]))


async def fetch(client: httpx.AsyncClient, url: str) -> bytes:
    response = await client.get(url)
    assert response.status_code == 200, (url, response.text)
    return response.content


async def test_live_dash_plays_two_consecutive_segments(
    publisher: Publisher, client: httpx.AsyncClient, base_url: str
) -> None:
    await publisher.start("s1")
    for seq in range(4):
        await publisher.deliver("s1", seq)
    mpd_url = f"{base_url}/stream/s1.mpd"
    response = await client.get(mpd_url)
    assert response.headers["content-type"] == "application/dash+xml"
    assert response.headers["cache-control"] == "public, max-age=1"
    root = ET.fromstring(response.text)
    assert root.get("type") == "dynamic"

    init_url, media_urls = template_urls(mpd_url, root, LOW)
    assert [u.rsplit("/", 1)[1] for u in media_urls] == [
        "0.m4s",
        "2000.m4s",
        "4000.m4s",
        "6000.m4s",
    ]
    init = await client.get(init_url)
    assert init.headers["content-type"] == "video/mp4"
    second = await client.get(media_urls[1])
    assert second.headers["cache-control"] == f"public, max-age={RETENTION_S}, immutable"
    frames = decode_all(init.content + second.content + await fetch(client, media_urls[2]))
    assert len(frames) == 2 * 2 * FPS
    assert (frames[0].width, frames[0].height) == (256, 144)
    assert frames[0].time == pytest.approx(2.0)
    assert frames[-1].time - frames[0].time == pytest.approx(4.0 - 1 / FPS, abs=0.01)

    audio_init, audio_urls = template_urls(mpd_url, root, "audio")
    assert audio_init.endswith("/stream/s1/source/audio-init.mp4")
    init_bytes = await fetch(client, audio_init)
    samples = decode_all(
        init_bytes + await fetch(client, audio_urls[1]) + await fetch(client, audio_urls[2])
    )
    assert samples[0].time == pytest.approx(2.0, abs=0.05)
    assert sum(f.samples for f in samples) == pytest.approx(2 * 2 * SAMPLE_RATE, rel=0.05)


async def test_ended_dash_is_static_and_complete(
    publisher: Publisher, client: httpx.AsyncClient, base_url: str
) -> None:
    await publisher.start("s1")
    for seq in range(8):
        await publisher.deliver("s1", seq, index=seq % 4)
    await publisher.end("s1")
    mpd_url = f"{base_url}/stream/s1.mpd"
    root = ET.fromstring((await client.get(mpd_url)).text)
    assert root.get("type") == "static"
    assert root.get("mediaPresentationDuration") == "PT16.000S"
    init_url, media_urls = template_urls(mpd_url, root, SOURCE)
    assert len(media_urls) == 8
    data = await fetch(client, init_url)
    for url in media_urls[:2]:
        data += await fetch(client, url)
    frames = decode_all(data)
    assert len(frames) == 2 * 2 * FPS
    assert frames[0].time == pytest.approx(0.0, abs=0.01)
