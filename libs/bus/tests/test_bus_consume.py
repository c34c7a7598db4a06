"""Consuming a work queue: ack on success, redelivery on failure, rejection of bad payloads."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
from lpgw.bus import AiJob, Bus, Received


def make_job(job_id: str) -> AiJob:
    now = time.time()
    return AiJob(
        inbox="intake1",
        job_id=job_id,
        pipeline="text-to-image",
        model_id="ByteDance/SDXL-Lightning",
        request={"prompt": "a cat"},
        submitted_at=now,
        deadline=now + 60,
    )


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def stream_messages(bus: Bus, stream: str) -> int:
    info = await bus.js.stream_info(stream)
    return int(info.state.messages)


async def test_published_job_is_handled_once_and_acked(bus: Bus) -> None:
    names = bus.names
    received: asyncio.Queue[tuple[AiJob, int, dict[str, str]]] = asyncio.Queue()

    async def handle(job: AiJob, delivery: Received) -> None:
        await received.put((job, delivery.attempt, dict(delivery.headers)))

    await bus.consume(
        stream=names.jobs_stream,
        durable=names.session_consumer,
        filter_subject=names.ai_jobs,
        model=AiJob,
        handler=handle,
    )
    await bus.publish(names.ai_job("text-to-image"), make_job("job1"), msg_id="job1")

    job, attempt, headers = await asyncio.wait_for(received.get(), 5)
    assert job == make_job("job1").model_copy(
        update={"submitted_at": job.submitted_at, "deadline": job.deadline}
    )
    assert attempt == 1
    assert headers["Lpgw-Job-Id"] == "job1"
    assert headers["Lpgw-Schema"] == "1"

    async def queue_empty() -> bool:
        return await stream_messages(bus, names.jobs_stream) == 0

    await eventually(queue_empty)


async def test_same_msg_id_is_stored_once(bus: Bus) -> None:
    names = bus.names
    subject = names.ai_job("text-to-image")
    await bus.publish(subject, make_job("dup"), msg_id="dup")
    await bus.publish(subject, make_job("dup"), msg_id="dup")
    assert await stream_messages(bus, names.jobs_stream) == 1


async def test_failing_handler_gets_the_job_again_as_attempt_two(bus: Bus) -> None:
    names = bus.names
    attempts: list[int] = []
    done = asyncio.Event()

    async def handle(job: AiJob, delivery: Received) -> None:
        attempts.append(delivery.attempt)
        if delivery.attempt == 1:
            raise RuntimeError("orchestrator went away")
        done.set()

    await bus.consume(
        stream=names.jobs_stream,
        durable="retrying",
        filter_subject=names.ai_jobs,
        model=AiJob,
        handler=handle,
        ack_wait=30.0,
    )
    await bus.publish(names.ai_job("text-to-image"), make_job("job2"))
    await asyncio.wait_for(done.wait(), 10)
    assert attempts == [1, 2]


async def test_invalid_payload_is_rejected_and_never_redelivered(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    names = bus.names
    handled: list[str] = []

    async def handle(job: AiJob, delivery: Received) -> None:
        handled.append(job.job_id)

    consumer = await bus.consume(
        stream=names.jobs_stream,
        durable="strict",
        filter_subject=names.ai_jobs,
        model=AiJob,
        handler=handle,
        ack_wait=1.0,
    )
    subject = names.ai_job("text-to-image")
    await bus.js.publish(subject, b'{"job_id": "broken"}')
    future = make_job("future").model_dump_json().encode()
    await bus.js.publish(subject, future, headers={"Lpgw-Schema": "99"})
    await bus.publish(subject, make_job("good"))

    async def good_handled() -> bool:
        return handled == ["good"]

    await eventually(good_handled)
    await asyncio.sleep(2.0)  # past ack_wait: a message left pending would be back by now
    assert handled == ["good"]
    info = await bus.js.consumer_info(names.jobs_stream, consumer.durable)
    assert info.num_ack_pending == 0
    assert info.num_redelivered == 0
    reasons = [r.__dict__.get("reason", "") for r in caplog.records if r.msg == "message_rejected"]
    assert len(reasons) == 2
    assert any("invalid AiJob" in reason for reason in reasons)
    assert any("unknown schema version" in reason for reason in reasons)


async def test_work_cut_short_by_stop_is_redelivered_to_the_next_consumer(bus: Bus) -> None:
    names = bus.names
    started = asyncio.Event()
    redelivered: asyncio.Queue[int] = asyncio.Queue()

    async def hang(job: AiJob, delivery: Received) -> None:
        started.set()
        await asyncio.Event().wait()

    async def finish(job: AiJob, delivery: Received) -> None:
        await redelivered.put(delivery.attempt)

    first = await bus.consume(
        stream=names.jobs_stream,
        durable="handover",
        filter_subject=names.ai_jobs,
        model=AiJob,
        handler=hang,
        ack_wait=1.0,
    )
    await bus.publish(names.ai_job("text-to-image"), make_job("job3"))
    await asyncio.wait_for(started.wait(), 5)
    await first.stop(grace_s=0.2)

    await bus.consume(
        stream=names.jobs_stream,
        durable="handover",
        filter_subject=names.ai_jobs,
        model=AiJob,
        handler=finish,
        ack_wait=1.0,
    )
    assert await asyncio.wait_for(redelivered.get(), 10) == 2


async def test_in_progress_keeps_long_work_from_being_redelivered(bus: Bus) -> None:
    names = bus.names
    attempts: list[int] = []
    done = asyncio.Event()

    async def slow(job: AiJob, delivery: Received) -> None:
        attempts.append(delivery.attempt)
        for _ in range(6):
            await asyncio.sleep(0.4)
            await delivery.in_progress()
        done.set()

    await bus.consume(
        stream=names.jobs_stream,
        durable="slow",
        filter_subject=names.ai_jobs,
        model=AiJob,
        handler=slow,
        ack_wait=1.0,
    )
    await bus.publish(names.ai_job("text-to-image"), make_job("job4"))
    await asyncio.wait_for(done.wait(), 10)
    await asyncio.sleep(1.2)
    assert attempts == [1]
