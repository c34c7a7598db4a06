"""Broken or hostile orchestrator answers end the attempt as failed, never the job's delivery.

A stub orchestrator (an HTTP server on 127.0.0.2 at the port of `unreachable_service_devnet`,
whose GetOrchestrator answers name that address as the service URI) answers the job request
and serves its media; GetOrchestrator itself is the real devnet's.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from lpgw.blobs import BlobNotFound, BlobStore
from lpgw.bus import Bus
from lpgw.bus.events import AiJob, Candidate, JobResult, Outcomes, SelectionReply, SelectionRequest
from lpgw.devnet.launcher import RunningDevnet
from lpgw.service.runner import serve_http
from lpgw.session.ai_worker import AiWorker, new_http_client
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.orchestrator_info import OrchestratorInfos
from lpgw.session.outcomes import OutcomeReporter
from lpgw.session.paid_attempt import PaidAttempt
from lpgw.session.payments import OffChainPayments
from lpgw.signer_client import OFF_CHAIN
from lpgw.wire.client import OrchestratorClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

pytestmark = pytest.mark.integration

MODEL = "stabilityai/sdxl-turbo"
INBOX = "intake1"
MAX_RESPONSE_BYTES = 64 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@dataclass
class StubOrchestrator:
    url: str = ""
    """What the selector offers (GetOrchestrator goes to the devnet there)."""
    answer: bytes = b""
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    """File name → (bytes, content type) served at /media/{name}."""
    drip_s: float = 0.0
    """Pause before each 16-byte piece of a media file."""

    async def text_to_image(self, request: Request) -> Response:
        return Response(self.answer, media_type="application/json")

    async def file(self, request: Request) -> Response:
        data, content_type = self.media[request.path_params["name"]]

        async def pieces() -> AsyncIterator[bytes]:
            for start in range(0, len(data), 16):
                await asyncio.sleep(self.drip_s)
                yield data[start : start + 16]

        return StreamingResponse(pieces(), media_type=content_type)

    def answer_images(self, *names: str) -> None:
        images = [{"url": f"/media/{name}", "seed": 1, "nsfw": False} for name in names]
        self.answer = json.dumps({"images": images}).encode()


@pytest.fixture
async def orchestrator(
    unreachable_service_devnet: RunningDevnet,
) -> AsyncIterator[StubOrchestrator]:
    stub = StubOrchestrator(url=f"http://127.0.0.1:{unreachable_service_devnet.port}")
    app = Starlette(
        routes=[
            Route("/text-to-image", stub.text_to_image, methods=["POST"]),
            Route("/media/{name}", stub.file),
        ]
    )
    stop = asyncio.Event()
    port = unreachable_service_devnet.port
    server = asyncio.create_task(serve_http(app, "127.0.0.2", port, stop))
    try:
        async with httpx.AsyncClient() as http, asyncio.timeout(10):
            while True:
                try:
                    await http.get(f"http://127.0.0.2:{port}/")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        yield stub
    finally:
        stop.set()
        await server


@pytest.fixture
async def media(bus: Bus) -> BlobStore:
    return await BlobStore.open(bus.nc, bus.names, ttl_s=600)


@pytest.fixture
async def runner(
    bus: Bus,
    media: BlobStore,
    orchestrator: StubOrchestrator,
) -> AsyncIterator[JobRunner]:
    async def answer(request: SelectionRequest) -> SelectionReply:
        urls = [u for u in [orchestrator.url] if u not in request.exclude]
        return SelectionReply(
            candidates=[
                Candidate(
                    url=u, address="", price_per_unit=0, pixels_per_unit=1, latency_ms=1, score=1
                )
                for u in urls
            ]
        )

    sub = await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, answer)
    try:
        async with (
            new_http_client() as http,
            OutcomeReporter(bus, interval_s=0.02) as outcomes,
        ):
            yield JobRunner(
                bus=bus,
                attempt=PaidAttempt(
                    infos=OrchestratorInfos(OrchestratorClient(), OFF_CHAIN),
                    payments=OffChainPayments(),
                    worker=AiWorker(http, max_response_bytes=MAX_RESPONSE_BYTES),
                    media=media,
                    attempt_timeout_s=20,
                    media_timeout_s=4,
                ),
                inputs=media,
                outcomes=outcomes,
                limits=JobLimits(max_attempts=3, keepalive_s=1),
            )
    finally:
        await sub.unsubscribe()


class Beats:
    attempt = 1

    async def in_progress(self) -> None:
        return None


def _job(job_id: str, deadline_s: float = 30) -> AiJob:
    now = time.time()
    return AiJob(
        inbox=INBOX,
        job_id=job_id,
        pipeline="text-to-image",
        model_id=MODEL,
        request={"prompt": "a lighthouse", "width": 64, "height": 48, "model_id": MODEL},
        units=64 * 48,
        submitted_at=now,
        deadline=now + deadline_s,
    )


async def _failed_attempt(bus: Bus, job_id: str) -> str:
    """The job's answer is a 503 after one attempt; the attempt's OUTCOMES `error_kind`."""
    result = await bus.wait_for(
        bus.names.result(INBOX, job_id), JobResult, timeout=5, stream=bus.names.results_stream
    )
    assert result.error is not None and result.error.status == 503
    assert result.attempts == 1
    batch = await bus.wait_for(
        bus.names.outcome("ai"), Outcomes, timeout=5, stream=bus.names.outcomes_stream
    )
    (outcome,) = batch.outcomes
    assert not outcome.ok and outcome.error_kind is not None
    return outcome.error_kind


def _nested_answer(levels: int) -> bytes:
    extra = b"[" * levels + b"]" * levels
    return b'{"images": [{"url": "/media/a.png", "extra": ' + extra + b"}]}"


@pytest.mark.parametrize(
    "levels",
    [
        pytest.param(1000, id="deeper than the JSON decoder goes"),
        pytest.param(400, id="deeper than copying and publishing go"),
    ],
)
async def test_a_deeply_nested_answer_is_an_invalid_response(
    runner: JobRunner, bus: Bus, orchestrator: StubOrchestrator, levels: int
) -> None:
    orchestrator.answer = _nested_answer(levels)
    orchestrator.media["a.png"] = (PNG, "image/png")

    await runner.handle(_job("deep"), Beats())

    assert await _failed_attempt(bus, "deep") == "invalid_response"


async def test_a_stub_answer_that_is_fine_succeeds(
    runner: JobRunner, bus: Bus, media: BlobStore, orchestrator: StubOrchestrator
) -> None:
    orchestrator.answer_images("a.png")
    orchestrator.media["a.png"] = (PNG, "image/webp")

    await runner.handle(_job("fine"), Beats())

    result = await bus.wait_for(
        bus.names.result(INBOX, "fine"), JobResult, timeout=5, stream=bus.names.results_stream
    )
    assert result.ok
    assert await media.get("fine/0.png") == (PNG, "image/webp")


async def test_an_answer_larger_than_the_cap_is_an_invalid_response(
    runner: JobRunner, bus: Bus, orchestrator: StubOrchestrator
) -> None:
    orchestrator.answer_images("a.png")
    orchestrator.answer = (
        orchestrator.answer[:-1] + b', "pad": "' + b"x" * MAX_RESPONSE_BYTES + b'"}'
    )
    orchestrator.media["a.png"] = (PNG, "image/png")

    await runner.handle(_job("big"), Beats())

    assert await _failed_attempt(bus, "big") == "invalid_response"


async def test_more_images_than_asked_for_are_an_invalid_response(
    runner: JobRunner, bus: Bus, media: BlobStore, orchestrator: StubOrchestrator
) -> None:
    orchestrator.answer_images("a.png", "a.png")
    orchestrator.media["a.png"] = (PNG, "image/png")

    await runner.handle(_job("many"), Beats())

    assert await _failed_attempt(bus, "many") == "invalid_response"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(SVG, "image/svg+xml", id="svg, which can carry script"),
        pytest.param(PNG + b"\x00" * MAX_RESPONSE_BYTES, "image/png", id="larger than the cap"),
    ],
)
async def test_unacceptable_media_are_an_invalid_response_and_not_stored(
    runner: JobRunner,
    bus: Bus,
    media: BlobStore,
    orchestrator: StubOrchestrator,
    data: bytes,
    content_type: str,
) -> None:
    orchestrator.answer_images("a.png")
    orchestrator.media["a.png"] = (data, content_type)

    await runner.handle(_job("media"), Beats())

    assert await _failed_attempt(bus, "media") == "invalid_response"
    with pytest.raises(BlobNotFound):
        await media.get("media/0.png")


async def test_media_downloads_stop_at_the_job_deadline(
    runner: JobRunner, bus: Bus, orchestrator: StubOrchestrator
) -> None:
    orchestrator.answer_images("a.png")
    orchestrator.media["a.png"] = (PNG, "image/png")  # 5 pieces: 2.5 s in all
    orchestrator.drip_s = 0.5
    started = time.monotonic()

    await runner.handle(_job("slow", deadline_s=1.2), Beats())

    assert await _failed_attempt(bus, "slow") == "media_unavailable"
    assert time.monotonic() - started < 2.0
