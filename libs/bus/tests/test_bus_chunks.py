"""Streamed answers: chunks reach the waiting inbox in order, with their head; cancels reach the
worker."""

import asyncio

import pytest
from lpgw.bus import Bus
from lpgw.bus.chunks import (
    MAX_CHUNK_BYTES,
    CancelWatch,
    ChunkInbox,
    ChunkSender,
    Head,
    parse_chunk,
)


async def drain(queue: "asyncio.Queue", count: int) -> list:
    return [await asyncio.wait_for(queue.get(), 2.0) for _ in range(count)]


async def test_chunks_arrive_in_order_with_the_head_first(bus: Bus) -> None:
    inbox = ChunkInbox(bus, "in1")
    await inbox.start()
    try:
        queue = inbox.expect("job1")
        sender = ChunkSender(bus, "in1", "job1", delivery=1)
        await sender.start(Head(200, {"Content-Type": "text/event-stream"}), b"data: a\n\n")
        for n in range(20):
            await sender.send(f"data: {n}\n\n".encode())
        chunks = await drain(queue, 21)
        assert sender.sent == 21
        assert [c.seq for c in chunks] == list(range(21))
        assert chunks[0].head == Head(200, {"Content-Type": "text/event-stream"})
        assert all(c.head is None for c in chunks[1:])
        assert b"".join(c.data for c in chunks).startswith(b"data: a\n\ndata: 0\n\n")
        assert {c.delivery for c in chunks} == {1}
    finally:
        await inbox.close()


async def test_a_large_piece_is_split_under_the_payload_limit(bus: Bus) -> None:
    inbox = ChunkInbox(bus, "in2")
    await inbox.start()
    try:
        queue = inbox.expect("job2")
        sender = ChunkSender(bus, "in2", "job2", delivery=2)
        body = bytes(range(256)) * (MAX_CHUNK_BYTES // 256 * 2 + 3)
        await sender.start(Head(200), body)
        chunks = await drain(queue, sender.sent)
        assert sender.sent == 3
        assert b"".join(c.data for c in chunks) == body
        assert max(len(c.data) for c in chunks) <= MAX_CHUNK_BYTES
    finally:
        await inbox.close()


async def test_chunks_of_other_jobs_and_forgotten_jobs_are_not_delivered(bus: Bus) -> None:
    inbox = ChunkInbox(bus, "in3")
    await inbox.start()
    try:
        mine = inbox.expect("mine")
        inbox.expect("gone")
        inbox.forget("gone")
        await ChunkSender(bus, "in3", "gone", 1).start(Head(200), b"x")
        await ChunkSender(bus, "other", "mine", 1).start(Head(200), b"y")
        await ChunkSender(bus, "in3", "mine", 1).start(Head(201), b"z")
        (chunk,) = await drain(mine, 1)
        assert chunk.data == b"z" and chunk.head == Head(201)
        await asyncio.sleep(0.1)
        assert mine.empty()
    finally:
        await inbox.close()


async def test_cancel_reaches_the_worker_watching_that_job(bus: Bus) -> None:
    inbox = ChunkInbox(bus, "in4")
    async with CancelWatch(bus, "job4") as watch, CancelWatch(bus, "job5") as other:
        await inbox.cancel("job4")
        await asyncio.wait_for(watch.cancelled.wait(), 2.0)
        await asyncio.sleep(0.05)
        assert not other.cancelled.is_set()


def test_malformed_chunk_headers_are_refused() -> None:
    with pytest.raises(ValueError, match="malformed"):
        parse_chunk(b"", {"Lpgw-Chunk-Seq": "x", "Lpgw-Chunk-Delivery": "1"})
    with pytest.raises(ValueError, match="malformed"):
        parse_chunk(
            b"", {"Lpgw-Chunk-Seq": "0", "Lpgw-Chunk-Delivery": "1", "Lpgw-Chunk-Head": "{"}
        )


async def test_work_is_cancelled_when_the_client_goes_first(bus: Bus) -> None:
    inbox = ChunkInbox(bus, "in5")
    stopped = asyncio.Event()

    async def endless() -> str:
        try:
            await asyncio.sleep(60)
        finally:
            stopped.set()
        return "never"

    async with CancelWatch(bus, "job6") as watch:
        asyncio.get_running_loop().call_later(
            0.1, lambda: asyncio.ensure_future(inbox.cancel("job6"))
        )
        assert await asyncio.wait_for(watch.unless_cancelled(endless()), 2.0) is None
    assert stopped.is_set()


async def test_work_that_ends_first_gives_its_result(bus: Bus) -> None:
    async def quick() -> str:
        return "done"

    async with CancelWatch(bus, "job7") as watch:
        assert await watch.unless_cancelled(quick()) == "done"
