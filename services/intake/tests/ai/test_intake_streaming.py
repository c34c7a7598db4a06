"""`/llm` with `stream: true`: server-sent events relayed as the session sends them (over a real
NATS, through a real HTTP server where timing or a departing client matters). The test plays
the session's part with `ChunkSender` and `CancelWatch`, as the session worker does."""

import asyncio
import contextlib
import json
from typing import Any

import httpx
import pytest
from lpgw.bus import AiJob, Bus, JobError, JobResult
from lpgw.bus.chunks import CancelWatch, ChunkSender, Head

pytestmark = pytest.mark.integration

WAIT_S = 5.0
PAUSE_S = 0.05
"""Between two tokens of the session's answer."""
MESSAGES = [{"role": "user", "content": "say hello"}]
STREAM_REQUEST = {"messages": MESSAGES, "stream": True, "max_tokens": 12}
SSE_HEAD = Head(200, {"Content-Type": "text/event-stream", "X-Orchestrator-Url": "https://o"})
WORDS = ("Hel", "lo", " the", "re")


def token(word: str, finish: str = "") -> bytes:
    choice = {"index": 0, "finish_reason": finish, "delta": {"role": "assistant", "content": word}}
    return f"data: {json.dumps({'id': 'c1', 'model': 'm', 'choices': [choice]})}\n\n".encode()


DONE = b"data: [DONE]\n\n"


def events_of(text: str) -> list[str]:
    return [event for event in text.split("\n\n") if event]


def finished(job: AiJob, sender: ChunkSender, error: JobError | None = None) -> JobResult:
    return JobResult(
        job_id=job.job_id,
        ok=error is None,
        response={} if error is None else None,
        error=error,
        orchestrator="https://o",
        chunks=sender.sent,
        delivery=1,
    )


async def test_tokens_reach_the_client_as_they_come(
    served_intake: Any, play_session: Any, bus: Bus
) -> None:
    client_has_first = asyncio.Event()
    last_sent = asyncio.Event()

    async def stream(job: AiJob) -> JobResult:
        sender = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        await sender.start(SSE_HEAD, token(WORDS[0]))
        # The rest waits until the client holds the first event: a buffering intake would
        # make this wait run out, and the client would see the last event first.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(client_has_first.wait(), WAIT_S)
        for word in WORDS[1:-1]:
            await asyncio.sleep(PAUSE_S)
            await sender.send(token(word))
        await asyncio.sleep(PAUSE_S)
        last_sent.set()
        await sender.send(token(WORDS[-1], finish="stop"))
        await sender.send(DONE)
        return finished(job, sender)

    session = await play_session(stream)
    received: list[str] = []
    first_before_last = False
    async with (
        served_intake() as base,
        httpx.AsyncClient(base_url=base, timeout=WAIT_S) as client,
        asyncio.timeout(WAIT_S * 2),
        client.stream("POST", "/llm", json=STREAM_REQUEST) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-orchestrator-url"] == "https://o"
        buffer = ""
        async for text in response.aiter_text():
            buffer += text
            while "\n\n" in buffer:
                event, buffer = buffer.split("\n\n", 1)
                if not received:
                    first_before_last = not last_sent.is_set()
                    client_has_first.set()
                received.append(event)
    job = await session.next_job()
    assert first_before_last, "the first event came only after the last was sent"
    expected = [token(w).decode() for w in WORDS[:-1]] + [token(WORDS[-1], "stop").decode()]
    assert received == [*events_of("".join(expected)), "data: [DONE]"]
    assert job.stream is True
    assert job.units == STREAM_REQUEST["max_tokens"]
    assert job.request["stream"] is True


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        pytest.param(
            JobError(status=503, message="no orchestrator available for llm/m"),
            503,
            "no orchestrator available for llm/m",
            id="no orchestrator: 503",
        ),
        pytest.param(
            JobError(status=400, message="orchestrator returned 400: bad messages"),
            400,
            "orchestrator returned 400: bad messages",
            id="an orchestrator's 400",
        ),
        pytest.param(
            JobError(status=500, message="KeyError"),
            500,
            "Internal Server Error (request {job})",
            id="500 masked",
        ),
    ],
)
async def test_a_failure_before_any_token_is_an_ordinary_error(
    error: JobError, status: int, message: str, ai_intake: Any, play_session: Any
) -> None:
    async def fail(job: AiJob) -> JobResult:
        return JobResult(job_id=job.job_id, ok=False, error=error, chunks=0, delivery=1)

    await play_session(fail)
    async with ai_intake() as intake:
        response = await intake.client.post("/llm", json=STREAM_REQUEST)
    expected = message.format(job=response.headers["x-request-id"])
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": {"message": expected}, "detail": {"msg": expected}}


@pytest.mark.parametrize(
    ("error", "message"),
    [
        pytest.param(
            JobError(status=502, message="orchestrator https://o reset the connection"),
            "the stream was interrupted",
            id="a 5xx says only that the stream broke",
        ),
        pytest.param(
            JobError(status=429, message="insufficient balance"),
            "insufficient balance",
            id="a 4xx keeps its message",
        ),
    ],
)
async def test_a_failure_after_tokens_ends_the_stream_with_an_error_event(
    error: JobError, message: str, ai_intake: Any, play_session: Any, bus: Bus
) -> None:
    async def break_off(job: AiJob) -> JobResult:
        sender = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        await sender.start(SSE_HEAD, token("Hel"))
        await sender.send(token("lo"))
        return finished(job, sender, error)

    await play_session(break_off)
    async with ai_intake() as intake:
        response = await intake.client.post("/llm", json=STREAM_REQUEST)
    assert response.status_code == 200
    *tokens, last = events_of(response.text)
    assert tokens == events_of((token("Hel") + token("lo")).decode())
    body = json.dumps({"error": {"message": message}, "detail": {"msg": message}})
    assert last == f"event: error\ndata: {body}"


async def test_chunks_counted_by_an_early_result_are_still_relayed(
    ai_intake: Any, play_session: Any, bus: Bus
) -> None:
    """Chunks travel on core NATS, the result on JetStream: the result may overtake them."""

    async def result_first(job: AiJob) -> None:
        sender = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        await sender.start(SSE_HEAD, token("a"))
        ahead = finished(job, sender).model_copy(update={"chunks": 3})
        await bus.publish(bus.names.result(job.inbox, job.job_id), ahead, msg_id=job.job_id)
        await asyncio.sleep(PAUSE_S)
        await sender.send(token("b"))
        await sender.send(DONE)

    await play_session(result_first)
    async with ai_intake() as intake:
        response = await intake.client.post("/llm", json=STREAM_REQUEST)
    assert response.status_code == 200
    assert response.text == (token("a") + token("b") + DONE).decode()


async def test_a_result_that_overtakes_the_first_chunk_still_streams(
    ai_intake: Any, play_session: Any, bus: Bus
) -> None:
    """A result counting chunks means the answer started, even if none has arrived yet: the
    client gets the stream, not the result's JSON."""

    async def result_first(job: AiJob) -> None:
        sender = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        ahead = JobResult(job_id=job.job_id, ok=True, response={}, chunks=2, delivery=1)
        await bus.publish(bus.names.result(job.inbox, job.job_id), ahead, msg_id=job.job_id)
        await asyncio.sleep(PAUSE_S)
        await sender.start(SSE_HEAD, token("a"))
        await sender.send(DONE)

    await play_session(result_first)
    async with ai_intake() as intake:
        response = await intake.client.post("/llm", json=STREAM_REQUEST)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == (token("a") + DONE).decode()


async def test_a_redelivered_job_does_not_splice_two_answers(
    ai_intake: Any, play_session: Any, bus: Bus
) -> None:
    async def start_over(job: AiJob) -> JobResult:
        first = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        await first.start(SSE_HEAD, token("from the first worker"))
        await asyncio.sleep(PAUSE_S)
        second = ChunkSender(bus, job.inbox, job.job_id, delivery=2)
        await second.start(SSE_HEAD, token("from the second"))
        await second.send(DONE)
        return finished(job, second).model_copy(update={"delivery": 2})

    await play_session(start_over)
    async with ai_intake() as intake:
        response = await intake.client.post("/llm", json=STREAM_REQUEST)
    events = events_of(response.text)
    assert events[0] == events_of(token("from the first worker").decode())[0]
    assert events[-1].startswith("event: error\n")
    assert "from the second" not in response.text


async def test_a_client_that_goes_away_stops_the_worker(
    served_intake: Any, play_session: Any, bus: Bus
) -> None:
    told = asyncio.Event()

    async def keep_talking(job: AiJob) -> JobResult:
        sender = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        async with CancelWatch(bus, job.job_id) as watch:
            await sender.start(SSE_HEAD, token("first"))
            async with asyncio.timeout(WAIT_S):
                while not watch.cancelled.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(watch.cancelled.wait(), PAUSE_S)
                    if not watch.cancelled.is_set():
                        await sender.send(token("more"))
            told.set()
        return finished(job, sender, JobError(status=499, message="the client closed"))

    await play_session(keep_talking)
    async with served_intake() as base, httpx.AsyncClient(base_url=base, timeout=WAIT_S) as client:
        async with client.stream("POST", "/llm", json=STREAM_REQUEST) as response:
            assert response.status_code == 200
            async for text in response.aiter_text():
                assert text.startswith("data: ")
                break  # the client has seen enough and hangs up
        await asyncio.wait_for(told.wait(), WAIT_S)


async def test_a_client_leaving_before_the_first_event_is_told_to_the_worker(
    served_intake: Any, play_session: Any, bus: Bus
) -> None:
    """A BYOC container (or a slow model) may work, and be paid, a long time before its first
    byte: the worker hears of the client leaving then too."""
    told = asyncio.Event()

    async def think_long(job: AiJob) -> JobResult:
        sender = ChunkSender(bus, job.inbox, job.job_id, delivery=1)
        async with CancelWatch(bus, job.job_id) as watch:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watch.cancelled.wait(), WAIT_S)
            if watch.cancelled.is_set():
                told.set()
        return finished(job, sender, JobError(status=499, message="the client closed"))

    await play_session(think_long)
    async with served_intake() as base, httpx.AsyncClient(base_url=base) as client:
        with contextlib.suppress(httpx.TimeoutException):
            await client.post("/llm", json=STREAM_REQUEST, timeout=0.5)
        await asyncio.wait_for(told.wait(), WAIT_S)
