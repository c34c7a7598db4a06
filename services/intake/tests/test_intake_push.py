"""HTTP push (facts 56–62) end to end over real NATS and Valkey; where a segment must be
transcoded, the test plays the session: it stores a rendition, records the segment with
`VideoStreams.deliver` and publishes `video_done`, as the session does."""

import asyncio
import contextlib
import io
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import av
import pytest
from aiohttp import web
from lpgw.blobs import BlobStore
from lpgw.bus import Bus
from lpgw.bus.events import VideoInput
from lpgw.intake.video.keys import key_hash
from lpgw.state import Keys
from lpgw.video.records import Rendition, SegmentRecord
from lpgw.video.streams import VideoStreams
from nats.js.api import DeliverPolicy

pytestmark = pytest.mark.integration

KEY = "push-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
KEYS = {"show": key_hash(KEY)}
PROFILE = "P240p30fps16x9"


def segment(media: Any, seq: int, container: str = "mpegts") -> bytes:
    data: bytes = media.encode(
        container=container, seconds=2.0, first_frame=seq * 60, gop=60, bframes=0
    ).data
    return data


@contextlib.asynccontextmanager
async def session(
    bus: Bus, redis: Any, prefix: str, stream_id: str, transcoded: bool = True
) -> AsyncIterator[list[VideoInput]]:
    """Play the session for one stream: every segment gets one rendition (its source bytes,
    stored under the profile's name), a record, and `video_done`."""
    store = await BlobStore.open(bus.nc, bus.names, ttl_s=600, space=bus.names.video_media)
    streams = VideoStreams(redis, Keys(prefix), 600)
    seen: list[VideoInput] = []

    async def work() -> None:
        sub = await bus.js.subscribe(
            bus.names.video_input(stream_id),
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL,
        )
        while True:
            event = VideoInput.model_validate_json((await sub.next_msg(timeout=None)).data)
            seen.append(event)
            if event.ended or event.source is None:
                continue
            data, _ = await store.get(event.source.key)
            source = Rendition(name="source", key=event.source.key, size=len(data))
            renditions = [source]
            if transcoded:
                key = f"{stream_id}/{PROFILE}/{event.seq}.ts"
                await store.put(key, data[::-1], "video/mp2t")  # bytes the test can tell apart
                renditions.append(Rendition(name=PROFILE, key=key, size=len(data)))
            record = SegmentRecord(
                stream_id=stream_id,
                seq=event.seq,
                duration_ms=event.duration_ms,
                renditions=renditions,
                transcoded=transcoded,
                received_at=event.received_at,
                delivered_at=time.time(),
            )
            await streams.deliver(record, spend_wei=1000)
            done = bus.names.video_done(stream_id, event.seq)
            await bus.nc.publish(done, record.model_dump_json().encode())

    task = asyncio.create_task(work())
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def parts(body: bytes, content_type: str) -> list[tuple[dict[str, str], bytes]]:
    boundary = content_type.split("boundary=", 1)[1]
    found = []
    for chunk in body.split(f"--{boundary}".encode())[1:-1]:
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        found.append((headers, data.removesuffix(b"\r\n")))
    return found


async def test_multipart_answer_has_one_part_per_rendition(
    start_intake: Any, media: Any, video_bus: Bus, redis: Any, prefix: str
) -> None:
    body = segment(media, 7)
    async with (
        start_intake(intake_stream_keys=KEYS) as intake,
        session(video_bus, redis, prefix, "show"),
    ):
        response = await intake.client.put(
            "/live/show/7.ts",
            content=body,
            headers={**AUTH, "Accept": "multipart/mixed", "Content-Duration": "2000"},
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("multipart/mixed; boundary=")
    ((headers, data),) = parts(response.content, response.headers["content-type"])
    assert headers == {
        "Content-Type": f'video/MP2T; name="{PROFILE}_7.ts"',
        "Content-Length": str(len(body)),
        "Content-Disposition": f'attachment; filename="{PROFILE}_7.ts"',
        "Rendition-Name": PROFILE,
    }
    assert data == body[::-1]


async def test_segments_are_published_by_their_numbers_out_of_order(
    start_intake: Any, media: Any, video_bus: Bus, redis: Any, prefix: str
) -> None:
    async with (
        start_intake(intake_stream_keys=KEYS) as intake,
        session(video_bus, redis, prefix, "show") as seen,
    ):
        answers = [
            await intake.client.post(
                f"/live/show/{seq}.ts", content=segment(media, seq), headers=AUTH
            )
            for seq in (3, 1, 2)
        ]
        record = await intake.video.ingest.streams.get("show")
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.content for a in answers] == [b"", b"", b""]
    assert [e.seq for e in seen] == [3, 1, 2]
    assert [e.source.key for e in seen if e.source] == [f"show/source/{n}.ts" for n in (3, 1, 2)]
    assert all(e.info.width == 640 and e.duration_ms == 2000 for e in seen)
    assert record is not None
    assert (record.kind, record.segments_in, record.segments_out, record.last_seq) == (
        "http",
        3,
        3,
        3,
    )


async def test_mp4_is_remuxed_to_mpeg_ts(
    start_intake: Any, media: Any, video_bus: Bus, redis: Any, prefix: str
) -> None:
    async with (
        start_intake(intake_stream_keys=KEYS) as intake,
        session(video_bus, redis, prefix, "show") as seen,
    ):
        response = await intake.client.put(
            "/live/show/0.mp4", content=segment(media, 0, "mp4"), headers=AUTH
        )
        source, content_type = await intake.video.store.get("show/source/0.ts")
    assert response.status_code == 200
    assert source[0] == 0x47 and content_type == "video/mp2t"
    with av.open(io.BytesIO(source), format="mpegts") as container:
        assert len(list(container.decode(video=0))) == 60
    assert seen[0].info.has_audio


async def test_no_orchestrator_is_a_503(
    start_intake: Any, media: Any, video_bus: Bus, redis: Any, prefix: str
) -> None:
    async with (
        start_intake(intake_stream_keys=KEYS) as intake,
        session(video_bus, redis, prefix, "show", transcoded=False),
    ):
        response = await intake.client.put(
            "/live/show/0.ts", content=segment(media, 0), headers=AUTH
        )
    assert (response.status_code, response.text) == (503, "No sessions available")
    assert response.headers["content-type"].startswith("text/plain")


async def test_no_answer_in_time_is_a_504_and_the_segment_stays_queued(
    start_intake: Any, media: Any, video_bus: Bus, inputs: Callable[..., Any]
) -> None:
    async with start_intake(intake_stream_keys=KEYS, intake_push_wait_s=0.5) as intake:
        response = await intake.client.put(
            "/live/show/0.ts", content=segment(media, 0), headers=AUTH
        )
    assert (response.status_code, response.text) == (504, "segment 0 not transcoded within 0.5 s")
    assert [e.seq for e in await inputs(video_bus, "show", 1)] == [0]


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "text"),
    [
        pytest.param("GET", "/live/show/0.ts", AUTH, 405, "method not allowed", id="GET"),
        pytest.param("DELETE", "/live/show/0.ts", AUTH, 405, "method not allowed", id="DELETE"),
        pytest.param("PUT", "/live/show/0.m3u8", AUTH, 400, "ignoring file extension", id="ext"),
        pytest.param("PUT", "/live/show/x.ts", AUTH, 400, "bad sequence number", id="seq"),
        pytest.param("PUT", "/live/a.b/0.ts", AUTH, 400, "stream name", id="stream name"),
        pytest.param(
            "PUT",
            "/live/show/0.ts",
            {**AUTH, "Livepeer-Transcode-Configuration": "{nope"},
            400,
            "bad Livepeer-Transcode-Configuration",
            id="bad configuration header",
        ),
        pytest.param(
            "PUT",
            "/live/show/0.ts",
            {**AUTH, "Livepeer-Transcode-Configuration": '{"presets": ["P9000p"]}'},
            400,
            "unknown preset",
            id="unknown preset in the header",
        ),
        pytest.param(
            "PUT",
            "/live/show/0.ts",
            {**AUTH, "Content-Duration": "2s"},
            400,
            "Content-Duration",
            id="bad duration",
        ),
        pytest.param(
            "PUT",
            "/live/show/0.ts",
            {**AUTH, "Content-Resolution": "big"},
            400,
            "Content-Resolution",
            id="bad resolution",
        ),
        pytest.param("PUT", "/live/show/0.ts", {}, 403, "Authorization: Bearer", id="no key"),
        pytest.param(
            "PUT",
            "/live/show/0.ts",
            {"Authorization": "Bearer guess"},
            403,
            "wrong key",
            id="wrong key",
        ),
    ],
)
async def test_refused_pushes_publish_nothing(
    start_intake: Any,
    media: Any,
    video_bus: Bus,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
    text: str,
) -> None:
    async with start_intake(intake_stream_keys=KEYS) as intake:
        response = await intake.client.request(
            method, path, content=segment(media, 0), headers=headers
        )
        listed = await intake.video.ingest.streams.list()
    assert response.status_code == status
    assert text in response.text
    assert response.headers["content-type"].startswith("text/plain")
    info = await video_bus.js.stream_info(video_bus.names.video_input_stream)
    assert (info.state.messages, listed) == (0, [])


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"garbage" * 1000, id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\x47" + b"\x00" * 187 * 20, id="sync bytes, nothing else"),
    ],
)
async def test_unreadable_bodies_are_422_and_publish_nothing(
    start_intake: Any, video_bus: Bus, body: bytes
) -> None:
    async with start_intake(intake_stream_keys=KEYS) as intake:
        response = await intake.client.put("/live/show/0.ts", content=body, headers=AUTH)
        listed = await intake.video.ingest.streams.list()
    assert response.status_code == 422
    assert response.text.startswith(("cannot read the segment", "the segment has no"))
    info = await video_bus.js.stream_info(video_bus.names.video_input_stream)
    assert (info.state.messages, listed) == (0, [])


async def test_bodies_past_the_limit_are_413_even_when_chunked(
    start_intake: Any, media: Any, video_bus: Bus
) -> None:
    body = segment(media, 0)

    async def chunked() -> AsyncIterator[bytes]:
        for at in range(0, len(body), 16_384):
            yield body[at : at + 16_384]

    async with start_intake(intake_stream_keys=KEYS, intake_push_max_bytes=100_000) as intake:
        declared = await intake.client.put("/live/show/0.ts", content=body, headers=AUTH)
        streamed = await intake.client.put("/live/show/1.ts", content=chunked(), headers=AUTH)
    assert len(body) > 100_000
    assert (declared.status_code, streamed.status_code) == (413, 413)
    assert streamed.text == "request body larger than 100000 bytes"
    info = await video_bus.js.stream_info(video_bus.names.video_input_stream)
    assert info.state.messages == 0


async def test_an_idle_push_stream_ends(
    start_intake: Any, media: Any, video_bus: Bus, inputs: Callable[..., Any]
) -> None:
    async with start_intake(
        intake_stream_keys=KEYS, intake_push_idle_s=0.5, intake_push_wait_s=0.2
    ) as intake:
        await intake.client.put("/live/show/4.ts", content=segment(media, 4), headers=AUTH)
        events = await inputs(video_bus, "show", 2)
    assert [(e.seq, e.ended) for e in events] == [(4, False), (5, True)]


async def test_the_auth_webhook_names_the_stream_and_the_header_its_renditions(
    start_intake: Any,
    media: Any,
    video_bus: Bus,
    redis: Any,
    prefix: str,
    serve_app: Callable[..., Any],
) -> None:
    asked: list[dict[str, Any]] = []

    async def auth(request: web.Request) -> web.Response:
        asked.append(await request.json())
        ok = "token=good" in asked[-1]["url"]
        return web.json_response({"manifestID": "renamed"}) if ok else web.Response(status=403)

    app = web.Application()
    app.router.add_post("/auth", auth)
    hook = await serve_app(app) + "/auth"
    config = json.dumps({"presets": ["P144p30fps16x9"]})
    async with (
        start_intake(intake_auth_webhook_url=hook) as intake,
        session(video_bus, redis, prefix, "renamed") as seen,
    ):
        denied = await intake.client.put("/live/cam/0.ts?token=bad", content=segment(media, 0))
        first = await intake.client.put(
            "/live/cam/0.ts?token=good",
            content=segment(media, 0),
            headers={"Livepeer-Transcode-Configuration": config},
        )
        second = await intake.client.put("/live/cam/1.ts?token=good", content=segment(media, 1))
        record = await intake.video.ingest.streams.get("renamed")
    assert (denied.status_code, first.status_code, second.status_code) == (403, 200, 200)
    assert len(asked) == 2  # asked once per stream, not per segment
    assert asked[1] == {"url": "http://intake/live/cam/0.ts?token=good"}
    assert [e.seq for e in seen] == [0, 1]
    assert record is not None and [p["name"] for p in record.profiles] == ["P144p30fps16x9"]


async def test_push_can_be_turned_off(start_intake: Any, media: Any) -> None:
    async with start_intake(intake_stream_keys=KEYS, intake_http_push=False) as intake:
        response = await intake.client.put("/live/show/0.ts", content=b"x", headers=AUTH)
    assert response.status_code == 404
