"""Which session worker owns a stream (a Redis lease), and the state it hands on to the next."""

import asyncio

import pytest
import redis.asyncio as aioredis
from lpgw.state import Keys
from lpgw.video.streams import VideoStreams

TTL_S = 0.2
"""Short enough for a test to wait out; long enough for the calls within it."""


@pytest.fixture
async def streams(redis: aioredis.Redis, prefix: str) -> VideoStreams:
    streams = VideoStreams(redis, Keys(prefix), retention_s=60.0)
    await streams.open("cam", "rtmp", [], max_live=0)
    return streams


async def test_a_lease_has_one_holder(streams: VideoStreams) -> None:
    assert await streams.claim("cam", "worker-a", ttl_s=5)
    assert not await streams.claim("cam", "worker-b", ttl_s=5)
    assert not await streams.claim("cam", "worker-a", ttl_s=5)  # not re-entrant either
    record = await streams.get("cam")
    assert record is not None
    assert record.worker == "worker-a"


async def test_concurrent_claims_have_one_winner(streams: VideoStreams) -> None:
    won = await asyncio.gather(*(streams.claim("cam", f"w{i}", ttl_s=5) for i in range(10)))
    assert won.count(True) == 1
    record = await streams.get("cam")
    assert record is not None
    assert record.worker == f"w{won.index(True)}"


async def test_only_the_holder_renews(
    streams: VideoStreams, redis: aioredis.Redis, prefix: str
) -> None:
    await streams.claim("cam", "worker-a", ttl_s=TTL_S)
    assert not await streams.renew("cam", "worker-b", ttl_s=30)
    assert await redis.pttl(Keys(prefix).video_lease("cam")) <= TTL_S * 1000
    assert await streams.renew("cam", "worker-a", ttl_s=30)
    assert await redis.pttl(Keys(prefix).video_lease("cam")) > TTL_S * 1000


async def test_only_the_holder_releases(streams: VideoStreams) -> None:
    await streams.claim("cam", "worker-a", ttl_s=5)
    await streams.release("cam", "worker-b")
    assert not await streams.claim("cam", "worker-b", ttl_s=5)
    await streams.release("cam", "worker-a")
    assert await streams.claim("cam", "worker-b", ttl_s=5)
    assert not await streams.renew("cam", "worker-a", ttl_s=5)


async def test_an_expired_lease_lets_another_worker_take_over(streams: VideoStreams) -> None:
    assert await streams.claim("cam", "worker-a", ttl_s=TTL_S)
    assert await streams.renew("cam", "worker-a", ttl_s=TTL_S)
    await asyncio.sleep(TTL_S + 0.1)
    assert not await streams.renew("cam", "worker-a", ttl_s=TTL_S)
    assert await streams.claim("cam", "worker-b", ttl_s=TTL_S)
    assert not await streams.renew("cam", "worker-a", ttl_s=TTL_S)
    record = await streams.get("cam")
    assert record is not None
    assert record.worker == "worker-b"


async def test_renewing_keeps_the_lease_past_its_first_ttl(streams: VideoStreams) -> None:
    assert await streams.claim("cam", "worker-a", ttl_s=TTL_S)
    for _ in range(4):
        await asyncio.sleep(TTL_S / 2)
        assert await streams.renew("cam", "worker-a", ttl_s=TTL_S)
    assert not await streams.claim("cam", "worker-b", ttl_s=TTL_S)


async def test_claiming_an_unknown_stream_makes_no_stream_record(streams: VideoStreams) -> None:
    assert await streams.claim("gone", "worker-a", ttl_s=5)
    assert await streams.get("gone") is None
    assert [s.stream_id for s in await streams.list()] == ["cam"]


async def test_worker_state_is_saved_and_loaded(streams: VideoStreams) -> None:
    assert await streams.worker_state("cam") is None
    state = {"orchestrators": ["https://o1:8935"], "scores": {"https://o1:8935": 0.5}}
    await streams.save_worker_state("cam", state)
    assert await streams.worker_state("cam") == state
    await streams.save_worker_state("cam", {"orchestrators": []})
    assert await streams.worker_state("cam") == {"orchestrators": []}
    assert await streams.worker_state("other") is None


async def test_worker_state_is_kept_for_the_retention(redis: aioredis.Redis, prefix: str) -> None:
    short = VideoStreams(redis, Keys(prefix), retention_s=0.5)
    await short.save_worker_state("cam", {"n": 1})
    assert 0 < await redis.pttl(Keys(prefix).video_worker_state("cam")) <= 500


async def test_renew_all_extends_the_leases_held_and_names_the_lost_ones(
    streams: VideoStreams, redis: aioredis.Redis, prefix: str
) -> None:
    await streams.open("other", "rtmp", [], max_live=0)
    assert await streams.claim("cam", "worker-a", ttl_s=TTL_S)
    assert await streams.claim("other", "worker-b", ttl_s=5)

    lost = await streams.renew_all(["cam", "other"], "worker-a", ttl_s=5)

    assert lost == ["other"]
    await asyncio.sleep(TTL_S * 2)  # past the first TTL: only the renewal keeps it
    assert await redis.get(Keys(prefix).video_lease("cam")) == b"worker-a"
    assert await streams.renew_all([], "worker-a", ttl_s=5) == []
