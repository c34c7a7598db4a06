"""Streamed LLM answers through the job handler: the chunks intake receives, and the client
leaving mid-stream.

Intake's end is a real `ChunkInbox` on the job's inbox; the orchestrator is an off-chain devnet
that streams one token every TOKEN_DELAY_MS; the selector is a stub responder.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest
from lpgw.bus.chunks import Chunk, ChunkInbox, Head
from lpgw.bus.events import AiJob, JobResult
from lpgw.devnet.launcher import RunningDevnet, start_devnet
from lpgw.pipelines import PIPELINES, LLMRequest, LLMResponse
from lpgw.session.jobs import JobRunner
from lpgw.session.keepalive import Progress
from lpgw.session.sse import split_events

pytestmark = pytest.mark.integration

INBOX = "intake7"
TOKEN_DELAY_MS = 40
LLM = PIPELINES["llm"]
DONE = b"data: [DONE]\n\n"


@pytest.fixture(scope="module")
def slow_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDevnet]:
    """Off-chain, streaming a token every TOKEN_DELAY_MS."""
    flags = ("--no-payments", "--llm-token-delay-ms", str(TOKEN_DELAY_MS))
    started = start_devnet(flags, tmp_path_factory.mktemp("slow-llm") / "devnet.log")
    try:
        yield started
    finally:
        started.stop()


def llm_job(job_id: str, max_tokens: int) -> AiJob:
    params = LLMRequest.model_validate(
        {
            "messages": [{"role": "user", "content": "tell me a long story about boats"}],
            "max_tokens": max_tokens,
            "stream": True,
        }
    )
    model = LLM.resolve_model(params)
    now = time.time()
    return AiJob(
        inbox=INBOX,
        job_id=job_id,
        pipeline="llm",
        model_id=model,
        request=LLM.forwarded_fields(params, model),
        units=LLM.units(params),
        stream=True,
        submitted_at=now,
        deadline=now + 30,
    )


@pytest.fixture
def runner(make_runner: Callable[..., JobRunner]) -> JobRunner:
    return make_runner()


class Arrivals:
    """The chunks of one job as they arrive, with the time each came."""

    def __init__(self, queue: "asyncio.Queue[Chunk]") -> None:
        self.queue = queue
        self.chunks: list[Chunk] = []
        self.times: list[float] = []
        self.first = asyncio.Event()
        self._came = asyncio.Event()
        self._collecting = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        while True:
            chunk = await self.queue.get()
            self.chunks.append(chunk)
            self.times.append(time.monotonic())
            self.first.set()
            self._came.set()

    async def until(self, count: int, timeout_s: float = 2.0) -> list[Chunk]:
        """Every chunk, once `count` came (chunks are core NATS: they may trail the result)."""
        async with asyncio.timeout(timeout_s):
            while len(self.chunks) < count:
                self._came.clear()
                await self._came.wait()
        return self.chunks

    async def with_result(self, result: Awaitable[JobResult]) -> tuple[JobResult, list[Chunk]]:
        """The job's result, and every chunk it counts; collecting stops."""
        try:
            answered = await result
            return answered, await self.until(answered.chunks)
        finally:
            self._collecting.cancel()


async def test_a_stream_reaches_intake_event_by_event_and_ends_with_done(
    runner: JobRunner,
    inbox: ChunkInbox,
    slow_llm: RunningDevnet,
    offered: list[str],
    delivery: Callable[..., Progress],
    result_of: Callable[[str], Awaitable[JobResult]],
) -> None:
    offered[:] = [slow_llm.url]
    arrivals = Arrivals(inbox.expect("s1"))

    started = time.monotonic()
    await runner.handle(llm_job("s1", max_tokens=12), delivery(attempt=2))
    finished = time.monotonic()

    result, chunks = await arrivals.with_result(result_of("s1"))
    assert result.ok and result.error is None
    assert (result.orchestrator, result.attempts) == (slow_llm.url, 1)
    assert (result.chunks, result.delivery) == (len(chunks), 2)
    assert [(c.seq, c.delivery) for c in chunks] == [(n, 2) for n in range(len(chunks))]
    assert chunks[0].head == Head(
        200, {"Content-Type": "text/event-stream", "X-Orchestrator-Url": slow_llm.url}
    )
    assert all(c.head is None for c in chunks[1:])
    *pieces, last = [c.data for c in chunks]
    assert last == DONE
    # Events that arrive together travel as one chunk; slow tokens each in their own.
    events, rest = split_events(b"".join(pieces))
    assert rest == b""
    assert result.response == {"events": len(events)}
    assert len(events) >= 12, "an event per token at least"
    assert len(pieces) > 1
    for event in events:
        assert event.startswith(b"data: {") and event.endswith(b"\n\n")
        LLMResponse.model_validate(json.loads(event.removeprefix(b"data: ")))
    text = "".join(
        choice["delta"]["content"]
        for event in events
        for choice in json.loads(event.removeprefix(b"data: "))["choices"]
        if choice.get("delta")
    )
    assert text.strip(), "the tokens make a text"
    first_wait = arrivals.times[0] - started
    assert finished - arrivals.times[0] > 6 * TOKEN_DELAY_MS / 1000, (
        f"the first token came {first_wait:.3f} s in, the result {finished - started:.3f} s in"
    )


async def test_the_client_leaving_mid_stream_ends_the_job_at_once_with_499(
    runner: JobRunner,
    inbox: ChunkInbox,
    slow_llm: RunningDevnet,
    offered: list[str],
    delivery: Callable[..., Progress],
    result_of: Callable[[str], Awaitable[JobResult]],
) -> None:
    offered[:] = [slow_llm.url]
    arrivals = Arrivals(inbox.expect("s2"))
    whole_stream_s = 200 * TOKEN_DELAY_MS / 1000

    handling = asyncio.create_task(runner.handle(llm_job("s2", max_tokens=200), delivery(1)))
    async with asyncio.timeout(5):
        await arrivals.first.wait()
    await inbox.cancel("s2")
    left = time.monotonic()
    async with asyncio.timeout(whole_stream_s / 2):
        await handling
    stopped_after = time.monotonic() - left

    result, chunks = await arrivals.with_result(result_of("s2"))
    assert stopped_after < 1.0, f"the handler went on {stopped_after:.2f} s after the cancel"
    assert not result.ok and result.error is not None
    assert result.error.status == 499
    assert result.attempts == 0
    assert 1 <= result.chunks < 200
    assert result.delivery == 1
    assert DONE not in [c.data for c in chunks], "a stream cut short does not claim to be whole"


async def test_a_stream_fails_over_before_its_first_event(
    runner: JobRunner,
    inbox: ChunkInbox,
    failing_devnet: RunningDevnet,
    slow_llm: RunningDevnet,
    offered: list[str],
    delivery: Callable[..., Progress],
    result_of: Callable[[str], Awaitable[JobResult]],
) -> None:
    offered[:] = [failing_devnet.url, slow_llm.url]
    arrivals = Arrivals(inbox.expect("s3"))

    await runner.handle(llm_job("s3", max_tokens=3), delivery(1))

    result, chunks = await arrivals.with_result(result_of("s3"))
    assert result.ok and (result.orchestrator, result.attempts) == (slow_llm.url, 2)
    assert chunks[0].head is not None
    assert chunks[0].head.headers["X-Orchestrator-Url"] == slow_llm.url
    assert chunks[-1].data == DONE
