"""`/streams`: status of live and retained streams, and ending one from the API."""

from collections.abc import Callable
from typing import Any

import pytest
from lpgw.bus import Bus
from lpgw.intake.rtmp import FlvTag, PublishRequest
from lpgw.intake.video.keys import key_hash

pytestmark = pytest.mark.integration

KEY = "api-key-0123456789"
KEYS = {"cam": key_hash(KEY)}
BASE = "https://media.example"


async def publish(intake: Any, media: Any, disconnects: list[bool]) -> Any:
    request = PublishRequest(
        app="live",
        stream_key=KEY,
        query={},
        tc_url="rtmp://127.0.0.1/live",
        peer="127.0.0.1:1",
        disconnect=lambda: disconnects.append(True),
    )
    publisher = await intake.video.rtmp.authorize(request)
    for tag in media.read_flv_tags(media.encode(seconds=5.0).data):
        await publisher.on_tag(FlvTag(tag.kind, tag.timestamp_ms, tag.data))
    return publisher


async def test_list_and_get_show_state_counters_and_playback(start_intake: Any, media: Any) -> None:
    async with start_intake(intake_stream_keys=KEYS) as intake:
        empty = await intake.client.get("/streams")
        await publish(intake, media, [])
        listed = await intake.client.get("/streams")
        one = await intake.client.get("/streams/cam")
    assert empty.json() == {"streams": []}
    assert listed.json()["streams"] == [one.json()]
    status = one.json()
    assert {k: status[k] for k in ("stream_id", "kind", "state", "segments_in", "last_seq")} == {
        "stream_id": "cam",
        "kind": "rtmp",
        "state": "live",
        "segments_in": 2,
        "last_seq": 1,
    }
    assert (status["segments_out"], status["gaps"], status["spend_wei"]) == (0, 0, 0)
    assert [p["name"] for p in status["profiles"]] == ["P240p30fps16x9", "P360p30fps16x9"]
    assert status["playback"] == {
        "hls": f"{BASE}/stream/cam.m3u8",
        "dash": f"{BASE}/stream/cam.mpd",
        "recording": f"{BASE}/recordings/cam/index.m3u8",
    }


@pytest.mark.parametrize("path", ["/streams/nobody", "/streams/a.b"])
async def test_unknown_streams_are_404(start_intake: Any, path: str) -> None:
    async with start_intake() as intake:
        response = await intake.client.get(path)
        deleted = await intake.client.delete(path)
    assert (response.status_code, deleted.status_code) == (404, 404)
    assert response.json()["error"]["message"].startswith("unknown stream")


async def test_ending_a_stream_disconnects_its_publisher_and_publishes_its_end(
    start_intake: Any, media: Any, video_bus: Bus, inputs: Callable[..., Any]
) -> None:
    disconnects: list[bool] = []
    async with start_intake(intake_stream_keys=KEYS) as intake:
        publisher = await publish(intake, media, disconnects)
        ended = await intake.client.delete("/streams/cam")
        events = await inputs(video_bus, "cam", 3)
        await publisher.on_close(None)
        await intake.video.ingest.streams.end("cam", "ended by the session")  # as the session does
        again = await intake.client.delete("/streams/cam")
        status = await intake.client.get("/streams/cam")
    assert ended.status_code == 202
    assert ended.json()["stream_id"] == "cam"
    assert disconnects == [True]
    assert [(e.seq, e.ended) for e in events] == [(0, False), (1, False), (2, True)]
    assert again.status_code == 409
    assert status.json()["state"] == "ended"


async def test_a_token_protects_the_streams_api(start_intake: Any) -> None:
    async with start_intake(intake_streams_api_token="t0ken") as intake:
        without = await intake.client.get("/streams")
        wrong = await intake.client.get("/streams", headers={"Authorization": "Bearer nope"})
        right = await intake.client.get("/streams", headers={"Authorization": "Bearer t0ken"})
    assert (without.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert without.headers["www-authenticate"] == "Bearer"


async def test_openapi_documents_streams_and_push(start_intake: Any) -> None:
    async with start_intake() as intake:
        document = (await intake.client.get("/openapi.json")).json()
        ready = await intake.client.get("/readyz")
    assert set(document["paths"]["/streams/{stream_id}"]) == {"get", "delete"}
    assert set(document["paths"]["/live/{stream}/{name}"]) == {"put", "post"}
    schema = document["components"]["schemas"]["StreamStatus"]
    assert {"state", "segments_in", "segments_out", "gaps", "spend_wei", "playback"} <= set(
        schema["properties"]
    )
    assert ready.json() == {"status": "ok", "checks": {"nats": "ok", "redis": "ok", "rtmp": "ok"}}
