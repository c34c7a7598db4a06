"""Live streams in Redis: opening under the cap, numbering input, recording delivered segments,
playlist windows, ending, reviving and listing; against a real Valkey."""

import asyncio
import time

import pytest
import redis.asyncio as aioredis
from lpgw.state import Keys
from lpgw.video.profiles import DEFAULT_LADDER, presets, to_json
from lpgw.video.records import Rendition, SegmentRecord
from lpgw.video.streams import StreamEnded, StreamsFull, VideoStreams

RETENTION_S = 60.0
PROFILES = [to_json(profile) for profile in presets(DEFAULT_LADDER)]
ORCH = "https://o1.example:8935"


@pytest.fixture
def streams(redis: aioredis.Redis, prefix: str) -> VideoStreams:
    return VideoStreams(redis, Keys(prefix), retention_s=RETENTION_S)


def _segment(
    stream_id: str,
    seq: int,
    *,
    transcoded: bool = True,
    orchestrator: str | None = ORCH,
    discontinuity: bool = False,
) -> SegmentRecord:
    source = Rendition(name="source", key=f"{stream_id}/source/{seq}.ts", size=250_000)
    renditions = [source]
    if transcoded:
        renditions += [
            Rendition(
                name=name,
                key=f"{stream_id}/{name}/{seq}.ts",
                size=150_000,
                width=426,
                height=240,
                bandwidth=600_000,
                codecs="avc1.64001e,mp4a.40.2",
            )
            for name in DEFAULT_LADDER
        ]
    now = time.time()
    return SegmentRecord(
        stream_id=stream_id,
        seq=seq,
        duration_ms=2000,
        discontinuity=discontinuity,
        renditions=renditions,
        transcoded=transcoded,
        orchestrator=orchestrator if transcoded else None,
        error=None if transcoded else "no orchestrator",
        received_at=now - 0.5,
        delivered_at=now,
    )


async def _warm(redis: aioredis.Redis, connections: int = 10) -> None:
    """Open several pooled connections, so concurrent calls really overlap in the server."""
    await asyncio.gather(*(redis.ping() for _ in range(connections)))


async def _open(streams: VideoStreams, stream_id: str, max_live: int = 0) -> tuple[bool, int]:
    return await streams.open(stream_id, "rtmp", PROFILES, max_live)


# Opening ---------------------------------------------------------------------------------------
async def test_a_new_stream_opens_live(streams: VideoStreams) -> None:
    before = time.time()
    assert await streams.open("cam-1", "http", PROFILES, max_live=10) == (False, -1)
    record = await streams.get("cam-1")
    assert record is not None
    assert (record.stream_id, record.kind, record.state) == ("cam-1", "http", "live")
    assert record.profiles == PROFILES
    assert before <= record.created_at <= time.time()
    assert (record.last_seq, record.segments_in, record.segments_out) == (-1, 0, 0)
    assert (record.ended_at, record.end_reason, record.worker) == (None, None, None)
    assert await streams.live_ids() == ["cam-1"]


async def test_opening_a_live_stream_again_resumes_it(streams: VideoStreams) -> None:
    await _open(streams, "cam-1")
    for _ in range(3):
        await streams.take_seq("cam-1")
    other_profiles = [to_json(profile) for profile in presets(["P720p30fps16x9"])]
    assert await streams.open("cam-1", "http", other_profiles, max_live=0) == (True, 2)
    record = await streams.get("cam-1")
    assert record is not None
    assert (record.kind, record.profiles) == ("rtmp", PROFILES)  # the first open's
    assert await streams.live_ids() == ["cam-1"]


async def test_the_cap_refuses_a_stream_past_max_live(streams: VideoStreams) -> None:
    await _open(streams, "a", max_live=2)
    await _open(streams, "b", max_live=2)
    with pytest.raises(StreamsFull) as full:
        await _open(streams, "c", max_live=2)
    assert full.value.limit == 2
    assert await streams.get("c") is None
    assert await streams.live_ids() == ["a", "b"]


async def test_a_live_stream_reopening_does_not_count_against_the_cap(
    streams: VideoStreams,
) -> None:
    await _open(streams, "a", max_live=2)
    await _open(streams, "b", max_live=2)
    assert await _open(streams, "a", max_live=2) == (True, -1)
    assert await _open(streams, "b", max_live=1) == (True, -1)


async def test_an_ended_stream_frees_its_place(streams: VideoStreams) -> None:
    await _open(streams, "a", max_live=1)
    assert await streams.end("a", "publisher left")
    assert await _open(streams, "b", max_live=1) == (False, -1)
    with pytest.raises(StreamsFull):
        await _open(streams, "a", max_live=1)  # reviving counts: it is live again


async def test_no_cap_when_max_live_is_zero(streams: VideoStreams) -> None:
    for index in range(20):
        await _open(streams, f"s{index}", max_live=0)
    assert len(await streams.live_ids()) == 20


async def test_concurrent_opens_never_pass_the_cap(
    streams: VideoStreams, redis: aioredis.Redis
) -> None:
    await _warm(redis)
    results = await asyncio.gather(
        *(_open(streams, f"s{index}", max_live=3) for index in range(10)),
        return_exceptions=True,
    )
    assert sum(isinstance(result, StreamsFull) for result in results) == 7
    assert len(await streams.live_ids()) == 3


# Input sequence numbers ------------------------------------------------------------------------
async def test_take_seq_numbers_input_in_order_and_counts_it(streams: VideoStreams) -> None:
    await _open(streams, "cam")
    before = time.time()
    assert [await streams.take_seq("cam") for _ in range(3)] == [0, 1, 2]
    assert await streams.take_seq("cam", discontinuity=True) == 3
    assert await streams.take_seq("cam") == 4
    record = await streams.get("cam")
    assert record is not None
    assert (record.last_seq, record.segments_in, record.discontinuities) == (4, 5, 1)
    assert record.last_input_at is not None
    assert before <= record.last_input_at <= time.time()


async def test_publisher_numbers_out_of_order_keep_the_highest(streams: VideoStreams) -> None:
    await _open(streams, "push")
    assert [await streams.take_seq("push", seq=seq) for seq in (5, 3, 7, 6)] == [5, 3, 7, 6]
    record = await streams.get("push")
    assert record is not None
    assert (record.last_seq, record.segments_in) == (7, 4)
    assert await streams.take_seq("push") == 8
    assert await _open(streams, "push") == (True, 8)


async def test_seq_zero_is_a_publisher_number(streams: VideoStreams) -> None:
    await _open(streams, "push")
    assert await streams.take_seq("push", seq=0) == 0
    assert await streams.take_seq("push") == 1


async def test_a_negative_publisher_number_is_refused_and_not_counted(
    streams: VideoStreams,
) -> None:
    await _open(streams, "push")
    with pytest.raises(ValueError):
        await streams.take_seq("push", seq=-1)
    record = await streams.get("push")
    assert record is not None
    assert (record.segments_in, record.last_seq, record.state) == (0, -1, "live")


async def test_an_ended_stream_takes_no_input(streams: VideoStreams) -> None:
    await _open(streams, "cam")
    await streams.take_seq("cam")
    await streams.end("cam", "api")
    with pytest.raises(StreamEnded):
        await streams.take_seq("cam")
    with pytest.raises(StreamEnded):
        await streams.take_seq("cam", seq=9)
    record = await streams.get("cam")
    assert record is not None
    assert (record.segments_in, record.last_seq) == (1, 0)


async def test_an_unknown_stream_takes_no_input(streams: VideoStreams) -> None:
    with pytest.raises(StreamEnded):
        await streams.take_seq("nobody")
    assert await streams.get("nobody") is None


# Delivered segments ----------------------------------------------------------------------------
async def test_a_segment_is_recorded_once(streams: VideoStreams) -> None:
    await _open(streams, "cam")
    segment = _segment("cam", 0)
    assert await streams.deliver(segment, spend_wei=1_000)
    assert not await streams.deliver(segment, spend_wei=1_000)
    assert not await streams.deliver(_segment("cam", 0, transcoded=False), spend_wei=5)
    record = await streams.get("cam")
    assert record is not None
    assert (record.segments_out, record.gaps, record.spend_wei) == (1, 0, 1_000)
    assert record.last_delivered_at == segment.delivered_at
    assert await streams.segment("cam", 0) == segment


async def test_counters_sum_spend_and_count_gaps(streams: VideoStreams) -> None:
    await _open(streams, "cam")
    assert await streams.deliver(_segment("cam", 0), spend_wei=10**15)
    assert await streams.deliver(_segment("cam", 1, transcoded=False), spend_wei=0)
    assert await streams.deliver(_segment("cam", 2, orchestrator="https://o2:8935"), 2 * 10**15)
    assert await streams.deliver(_segment("cam", 3, transcoded=False), spend_wei=0)
    record = await streams.get("cam")
    assert record is not None
    assert (record.segments_out, record.gaps, record.spend_wei) == (4, 2, 3 * 10**15)
    assert record.orchestrator == "https://o2:8935"  # the last one; source-only keeps it
    gap = await streams.segment("cam", 1)
    assert gap is not None
    assert (gap.transcoded, [r.name for r in gap.renditions]) == (False, ["source"])


async def test_concurrent_retries_of_one_segment_record_it_once(
    streams: VideoStreams, redis: aioredis.Redis
) -> None:
    await _warm(redis)
    await _open(streams, "cam")
    segment = _segment("cam", 4)
    results = await asyncio.gather(*(streams.deliver(segment, 7) for _ in range(10)))
    assert sorted(results) == [False] * 9 + [True]
    record = await streams.get("cam")
    assert record is not None
    assert (record.segments_out, record.spend_wei) == (1, 7)


async def test_the_window_is_the_last_segments_in_seq_order(streams: VideoStreams) -> None:
    await _open(streams, "cam")
    for seq in (3, 0, 10, 4, 1, 2, 5):
        assert await streams.deliver(_segment("cam", seq), spend_wei=1)
    assert [s.seq for s in await streams.window("cam", 3)] == [4, 5, 10]
    assert [s.seq for s in await streams.window("cam", 1)] == [10]
    assert [s.seq for s in await streams.window("cam", 50)] == [0, 1, 2, 3, 4, 5, 10]
    assert await streams.window("cam", 0) == []
    assert await streams.window("other", 6) == []


async def test_segments_are_the_whole_recording_in_order(streams: VideoStreams) -> None:
    await _open(streams, "cam")
    delivered = {seq: _segment("cam", seq, transcoded=seq % 3 != 0) for seq in (2, 0, 1, 12)}
    for segment in delivered.values():
        await streams.deliver(segment, spend_wei=1)
    assert await streams.segments("cam") == [delivered[seq] for seq in (0, 1, 2, 12)]
    assert await streams.segment("cam", 7) is None
    assert await streams.segments("other") == []


# Ending and reviving ---------------------------------------------------------------------------
async def test_end_marks_the_stream_and_starts_retention(
    streams: VideoStreams, redis: aioredis.Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    await _open(streams, "cam")
    await streams.take_seq("cam")
    await streams.deliver(_segment("cam", 0), spend_wei=1)
    await streams.save_worker_state("cam", {"orchestrators": [ORCH]})
    before = time.time()
    assert await streams.end("cam", "idle timeout")
    record = await streams.get("cam")
    assert record is not None
    assert (record.state, record.end_reason) == ("ended", "idle timeout")
    assert record.ended_at is not None
    assert before <= record.ended_at <= time.time()
    assert await streams.live_ids() == []
    for key in (
        keys.video_stream("cam"),
        keys.video_segments("cam"),
        keys.video_order("cam"),
        keys.video_worker_state("cam"),
    ):
        assert RETENTION_S - 5 < await redis.ttl(key) <= RETENTION_S, key
    assert await streams.end("cam", "again") is False
    record = await streams.get("cam")
    assert record is not None
    assert record.end_reason == "idle timeout"


async def test_ending_an_unknown_stream_is_false(streams: VideoStreams) -> None:
    assert await streams.end("nobody", "api") is False
    assert await streams.get("nobody") is None


async def test_concurrent_ends_end_the_stream_once(
    streams: VideoStreams, redis: aioredis.Redis
) -> None:
    await _open(streams, "cam")
    await _warm(redis)
    results = await asyncio.gather(*(streams.end("cam", f"reason {i}") for i in range(10)))
    assert sorted(results) == [False] * 9 + [True]
    record = await streams.get("cam")
    assert record is not None
    assert record.end_reason == f"reason {results.index(True)}"


async def test_reopening_an_ended_stream_revives_it(
    streams: VideoStreams, redis: aioredis.Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    await _open(streams, "cam")
    for seq in range(3):
        assert await streams.take_seq("cam") == seq
        await streams.deliver(_segment("cam", seq), spend_wei=2)
    await streams.save_worker_state("cam", {"n": 1})
    await streams.end("cam", "publisher left")
    assert await _open(streams, "cam") == (True, 2)
    record = await streams.get("cam")
    assert record is not None
    assert (record.state, record.ended_at, record.end_reason) == ("live", None, None)
    assert (record.segments_out, record.spend_wei, record.last_seq) == (3, 6, 2)
    assert await streams.live_ids() == ["cam"]
    for key in (
        keys.video_stream("cam"),
        keys.video_segments("cam"),
        keys.video_order("cam"),
        keys.video_worker_state("cam"),
    ):
        assert await redis.ttl(key) == -1, key  # kept for good again
    assert await streams.take_seq("cam", discontinuity=True) == 3
    assert [s.seq for s in await streams.segments("cam")] == [0, 1, 2]
    assert await streams.worker_state("cam") == {"n": 1}


async def test_a_segment_finishing_after_the_end_is_kept_and_expires_with_the_stream(
    streams: VideoStreams, redis: aioredis.Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    await _open(streams, "cam")
    await streams.take_seq("cam")
    await streams.end("cam", "publisher left")
    assert await streams.deliver(_segment("cam", 0), spend_wei=3)
    assert [s.seq for s in await streams.segments("cam")] == [0]
    for key in (keys.video_segments("cam"), keys.video_order("cam")):
        assert 0 < await redis.ttl(key) <= RETENTION_S, key  # no key left without a TTL


async def test_a_segment_of_an_unknown_stream_is_not_recorded(
    streams: VideoStreams, redis: aioredis.Redis, prefix: str
) -> None:
    assert not await streams.deliver(_segment("gone", 0), spend_wei=3)
    assert await streams.get("gone") is None
    assert await redis.exists(Keys(prefix).video_segments("gone")) == 0


# Listing ---------------------------------------------------------------------------------------
async def test_list_is_newest_first(streams: VideoStreams) -> None:
    for stream_id in ("first", "second", "third"):
        await _open(streams, stream_id)
        await asyncio.sleep(0.005)
    await streams.end("second", "api")
    assert [s.stream_id for s in await streams.list()] == ["third", "second", "first"]
    assert [s.stream_id for s in await streams.list(limit=2)] == ["third", "second"]
    assert await streams.list(limit=0) == []


async def test_list_drops_streams_whose_retention_passed(
    redis: aioredis.Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    short = VideoStreams(redis, keys, retention_s=0.2)
    for stream_id in ("kept", "expires", "live"):
        await _open(short, stream_id)
        await asyncio.sleep(0.005)
    await short.end("expires", "api")
    await asyncio.sleep(0.35)
    assert await short.get("expires") is None
    assert [s.stream_id for s in await short.list()] == ["live", "kept"]
    assert await redis.zscore(keys.video_streams, "expires") is None
    assert await redis.zscore(keys.video_streams, "kept") is not None
