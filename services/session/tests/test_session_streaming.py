"""Streamed LLM answers through the job handler: the chunks intake receives, and the client
leaving mid-stream.

Intake's end is a real `ChunkInbox` on the job's inbox; the orchestrator is an off-chain devnet
that streams one token every TOKEN_DELAY_MS; the selector is a stub responder.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from lpgw.blobs import BlobStore
from lpgw.bus import Bus
from lpgw.bus.chunks import Chunk, ChunkInbox, Head
from lpgw.bus.events import (
    AiJob,
    Candidate,
    JobResult,
    SelectionReply,
    SelectionRequest,
)
from lpgw.devnet.launcher import RunningDevnet, start_devnet
from lpgw.pipelines import PIPELINES, LLMRequest, LLMResponse
from lpgw.session.ai_worker import AiWorker, new_http_client
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.orchestrator_info import OrchestratorInfos
from lpgw.session.outcomes import OutcomeReporter
from lpgw.session.paid_attempt import PaidAttempt
from lpgw.session.payments import OffChainPayments
from lpgw.signer_client import OFF_CHAIN
from lpgw.wire.client import OrchestratorClient

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


class Delivery:
    def __init__(self, attempt: int) -> None:
        self.attempt = attempt

    async def in_progress(self) -> None:
        return None


@pytest.fixture
async def offered(bus: Bus) -> AsyncIterator[list[str]]:
    """The URLs the stub selector offers, in order (set in place)."""
    urls: list[str] = []

    async def answer(request: SelectionRequest) -> SelectionReply:
        chosen = [u for u in urls if u not in request.exclude][: request.limit]
        return SelectionReply(
            candidates=[
                Candidate(
                    url=u, address="", price_per_unit=0, pixels_per_unit=1, latency_ms=1, score=1
                )
                for u in chosen
            ]
        )

    sub = await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, answer)
    try:
        yield urls
    finally:
        await sub.unsubscribe()


@pytest.fixture
async def runner(bus: Bus) -> AsyncIterator[JobRunner]:
    media = await BlobStore.open(bus.nc, bus.names, ttl_s=600)
    async with new_http_client() as http, OutcomeReporter(bus, interval_s=0.05) as outcomes:
        yield JobRunner(
            bus=bus,
            attempt=PaidAttempt(
                infos=OrchestratorInfos(OrchestratorClient(), OFF_CHAIN),
                payments=OffChainPayments(),
                worker=AiWorker(http, max_response_bytes=1 << 20),
                media=media,
                attempt_timeout_s=20,
            ),
            inputs=media,
            outcomes=outcomes,
            limits=JobLimits(max_attempts=3, keepalive_s=1),
        )


@pytest.fixture
async def inbox(bus: Bus) -> AsyncIterator[ChunkInbox]:
    """Intake's end of the streams sent to INBOX."""
    opened = ChunkInbox(bus, INBOX)
    await opened.start()
    try:
        yield opened
    finally:
        await opened.close()


class Arrivals:
    """The chunks of one job as they arrive, with the time each came."""

    def __init__(self, queue: "asyncio.Queue[Chunk]") -> None:
        self.queue = queue
        self.chunks: list[Chunk] = []
        self.times: list[float] = []
        self.first = asyncio.Event()
        self._came = asyncio.Event()

    async def collect(self) -> None:
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


async def result_of(bus: Bus, job_id: str) -> JobResult:
    return await bus.wait_for(
        bus.names.result(INBOX, job_id), JobResult, timeout=5, stream=bus.names.results_stream
    )


async def test_a_stream_reaches_intake_event_by_event_and_ends_with_done(
    runner: JobRunner,
    bus: Bus,
    inbox: ChunkInbox,
    slow_llm: RunningDevnet,
    offered: list[str],
) -> None:
    offered[:] = [slow_llm.url]
    arrivals = Arrivals(inbox.expect("s1"))
    collecting = asyncio.create_task(arrivals.collect())

    started = time.monotonic()
    await runner.handle(llm_job("s1", max_tokens=12), Delivery(attempt=2))
    finished = time.monotonic()

    result = await result_of(bus, "s1")
    chunks = await arrivals.until(result.chunks)
    collecting.cancel()
    assert result.ok and result.error is None
    assert (result.orchestrator, result.attempts) == (slow_llm.url, 1)
    assert (result.chunks, result.delivery) == (len(chunks), 2)
    assert [(c.seq, c.delivery) for c in chunks] == [(n, 2) for n in range(len(chunks))]
    assert chunks[0].head == Head(
        200, {"Content-Type": "text/event-stream", "X-Orchestrator-Url": slow_llm.url}
    )
    assert all(c.head is None for c in chunks[1:])
    *events, last = [c.data for c in chunks]
    assert last == DONE
    assert result.response == {"events": len(events)}
    assert len(events) >= 12, "a chunk per token at least"
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
    bus: Bus,
    inbox: ChunkInbox,
    slow_llm: RunningDevnet,
    offered: list[str],
) -> None:
    offered[:] = [slow_llm.url]
    arrivals = Arrivals(inbox.expect("s2"))
    collecting = asyncio.create_task(arrivals.collect())
    whole_stream_s = 200 * TOKEN_DELAY_MS / 1000

    handling = asyncio.create_task(runner.handle(llm_job("s2", max_tokens=200), Delivery(1)))
    async with asyncio.timeout(5):
        await arrivals.first.wait()
    await inbox.cancel("s2")
    left = time.monotonic()
    async with asyncio.timeout(whole_stream_s / 2):
        await handling
    stopped_after = time.monotonic() - left

    result = await result_of(bus, "s2")
    chunks = await arrivals.until(result.chunks)
    collecting.cancel()
    assert stopped_after < 1.0, f"the handler went on {stopped_after:.2f} s after the cancel"
    assert not result.ok and result.error is not None
    assert result.error.status == 499
    assert result.attempts == 0
    assert 1 <= result.chunks < 200
    assert result.delivery == 1
    assert DONE not in [c.data for c in chunks], "a stream cut short does not claim to be whole"


async def test_a_stream_fails_over_before_its_first_event(
    runner: JobRunner,
    bus: Bus,
    inbox: ChunkInbox,
    failing_devnet: RunningDevnet,
    slow_llm: RunningDevnet,
    offered: list[str],
) -> None:
    offered[:] = [failing_devnet.url, slow_llm.url]
    arrivals = Arrivals(inbox.expect("s3"))
    collecting = asyncio.create_task(arrivals.collect())

    await runner.handle(llm_job("s3", max_tokens=3), Delivery(1))

    result = await result_of(bus, "s3")
    chunks = await arrivals.until(result.chunks)
    collecting.cancel()
    assert result.ok and (result.orchestrator, result.attempts) == (slow_llm.url, 2)
    assert chunks[0].head is not None
    assert chunks[0].head.headers["X-Orchestrator-Url"] == slow_llm.url
    assert chunks[-1].data == DONE
