"""The job handler against real NATS, Valkey, the blob store and devnet orchestrators.

The selector is stood in for by a responder on the `select` subject that answers a fixed list
(services do not import each other); the handler is called directly, as the consumer would.
"""

import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from lpgw.blobs import BlobStore
from lpgw.bus import Bus
from lpgw.bus.events import (
    AiJob,
    Candidate,
    JobResult,
    Outcomes,
    SelectionReply,
    SelectionRequest,
)
from lpgw.devnet.launcher import RunningDevnet
from lpgw.session.ai_worker import AiWorker, new_http_client
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.orchestrator_info import OrchestratorInfos
from lpgw.session.outcomes import OutcomeReporter
from lpgw.session.paid_attempt import PaidAttempt
from lpgw.session.payments import OffChainPayments
from lpgw.signer_client import OFF_CHAIN
from lpgw.wire.client import OrchestratorClient

pytestmark = pytest.mark.integration

MODEL = "stabilityai/sdxl-turbo"
INBOX = "intake1"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Beats:
    """Stands in for lpgw.bus.Received: counts in_progress calls."""

    def __init__(self, attempt: int = 1) -> None:
        self.count = 0
        self.attempt = attempt

    async def in_progress(self) -> None:
        self.count += 1


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{s.getsockname()[1]}"


def _candidate(url: str) -> Candidate:
    return Candidate(
        url=url, address="", price_per_unit=0, pixels_per_unit=1, latency_ms=1.0, score=1.0
    )


def _job(job_id: str, **request: Any) -> AiJob:
    now = time.time()
    body = {"prompt": "a lighthouse", "width": 64, "height": 48, "model_id": MODEL, **request}
    return AiJob(
        inbox=INBOX,
        job_id=job_id,
        pipeline="text-to-image",
        model_id=MODEL,
        request=body,
        units=body["width"] * body["height"] * body.get("num_images_per_prompt", 1),
        submitted_at=now,
        deadline=now + 60,
    )


SelectorStub = Callable[[list[str]], None]


@pytest.fixture
async def selector(bus: Bus) -> AsyncIterator[tuple[SelectorStub, list[SelectionRequest]]]:
    """Set the URLs the stub selector offers; the list records every request it got."""
    offered: list[str] = []
    asked: list[SelectionRequest] = []

    async def answer(request: SelectionRequest) -> SelectionReply:
        asked.append(request)
        urls = [u for u in offered if u not in request.exclude][: request.limit]
        return SelectionReply(candidates=[_candidate(u) for u in urls])

    def offer(urls: list[str]) -> None:
        offered[:] = urls

    sub = await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, answer)
    try:
        yield offer, asked
    finally:
        await sub.unsubscribe()


@pytest.fixture
async def media(bus: Bus) -> BlobStore:
    return await BlobStore.open(bus.nc, bus.names, ttl_s=600)


@pytest.fixture
async def runner(bus: Bus, media: BlobStore) -> AsyncIterator[JobRunner]:
    async with new_http_client() as http, OutcomeReporter(bus, interval_s=0.02) as outcomes:
        yield JobRunner(
            bus=bus,
            attempt=PaidAttempt(
                infos=OrchestratorInfos(OrchestratorClient(), OFF_CHAIN),
                payments=OffChainPayments(),
                worker=AiWorker(http, max_response_bytes=1 << 20),
                media=media,
                attempt_timeout_s=20,
                media_timeout_s=4,
            ),
            inputs=media,
            outcomes=outcomes,
            limits=JobLimits(max_attempts=3, keepalive_s=0.05),
        )


async def _result(bus: Bus, job_id: str) -> JobResult:
    return await bus.wait_for(
        bus.names.result(INBOX, job_id), JobResult, timeout=5, stream=bus.names.results_stream
    )


async def test_a_job_produces_a_png_blob_and_a_rewritten_response(
    runner: JobRunner,
    bus: Bus,
    media: BlobStore,
    devnet: RunningDevnet,
    selector: tuple[SelectorStub, list[SelectionRequest]],
) -> None:
    offer, asked = selector
    offer([devnet.url])
    beats = Beats()

    await runner.handle(_job("job1", num_images_per_prompt=2), beats)

    result = await _result(bus, "job1")
    assert result.ok and result.error is None
    assert result.orchestrator == devnet.url
    assert result.attempts == 1
    assert result.response is not None
    images = result.response["images"]
    assert [i["url"] for i in images] == ["/stream/job1/0.png", "/stream/job1/1.png"]
    assert all("seed" in i and "nsfw" in i for i in images)
    assert [m.key for m in result.media] == ["job1/0.png", "job1/1.png"]
    data, content_type = await media.get("job1/0.png")
    assert data.startswith(PNG_MAGIC)
    assert content_type == "image/png"
    batch = await bus.wait_for(
        bus.names.outcome("ai"), Outcomes, timeout=5, stream=bus.names.outcomes_stream
    )
    (outcome,) = batch.outcomes
    assert outcome.ok and outcome.orchestrator == devnet.url
    assert asked[0].capability == 27 and asked[0].model_id == MODEL

    await runner.handle(_job("job1"), Beats(attempt=2))
    assert len(asked) == 1, "a finished job delivered again is not worked again"


async def test_failover_to_the_next_orchestrator(
    runner: JobRunner,
    bus: Bus,
    devnet: RunningDevnet,
    failing_devnet: RunningDevnet,
    selector: tuple[SelectorStub, list[SelectionRequest]],
) -> None:
    offer, _ = selector
    dead = _closed_port_url()
    offer([dead, failing_devnet.url, devnet.url])

    await runner.handle(_job("job2"), Beats())

    result = await _result(bus, "job2")
    assert result.ok
    assert result.attempts == 3
    assert result.orchestrator == devnet.url


async def test_no_orchestrator_is_a_503(
    runner: JobRunner, bus: Bus, selector: tuple[SelectorStub, list[SelectionRequest]]
) -> None:
    offer, _ = selector
    offer([])

    await runner.handle(_job("job3"), Beats())

    result = await _result(bus, "job3")
    assert not result.ok and result.error is not None
    assert result.error.status == 503
    assert result.error.message == f"no orchestrator available for text-to-image/{MODEL}"


async def test_attempts_run_out_is_a_503(
    runner: JobRunner,
    bus: Bus,
    failing_devnet: RunningDevnet,
    selector: tuple[SelectorStub, list[SelectionRequest]],
) -> None:
    offer, _ = selector
    offer([_closed_port_url(), failing_devnet.url])

    await runner.handle(_job("job4"), Beats())

    result = await _result(bus, "job4")
    assert result.error is not None and result.error.status == 503
    assert result.attempts == 2


async def test_a_bad_request_stops_at_the_first_orchestrator(
    runner: JobRunner,
    bus: Bus,
    devnet: RunningDevnet,
    selector: tuple[SelectorStub, list[SelectionRequest]],
) -> None:
    offer, _ = selector
    offer([devnet.url, devnet.url + "/"])

    await runner.handle(_job("job5", width=100000), Beats())

    result = await _result(bus, "job5")
    assert result.error is not None and result.error.status == 400
    assert "width" in result.error.message
    assert result.attempts == 1


async def test_a_job_past_its_deadline_is_not_worked(
    runner: JobRunner,
    bus: Bus,
    devnet: RunningDevnet,
    selector: tuple[SelectorStub, list[SelectionRequest]],
) -> None:
    offer, asked = selector
    offer([devnet.url])
    job = _job("job6").model_copy(update={"deadline": time.time() - 1})

    await runner.handle(job, Beats())

    result = await _result(bus, "job6")
    assert result.error is not None and result.error.status == 504
    assert asked == []
