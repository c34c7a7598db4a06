"""Broken or hostile orchestrator answers end the attempt as failed, never the job's delivery.

A stub orchestrator (an HTTP server on 127.0.0.2 at the port of `unreachable_service_devnet`,
whose GetOrchestrator answers name that address as the service URI) answers the job request
and serves its media; GetOrchestrator itself is the real devnet's.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from lpgw.blobs import BlobNotFound, BlobStore
from lpgw.bus.events import AiJob, JobResult, Outcome
from lpgw.devnet.launcher import RunningDevnet
from lpgw.service.runner import serve_http
from lpgw.session.jobs import JobRunner
from lpgw.session.keepalive import Progress
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

pytestmark = pytest.mark.integration

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


# conftest's fixtures
Job = Callable[..., AiJob]
Deliver = Callable[..., Progress]
ResultOf = Callable[[str], Awaitable[JobResult]]
FailedAttempt = Callable[[str], Awaitable[str]]


@pytest.fixture
def runner(
    make_runner: Callable[..., JobRunner], offered: list[str], orchestrator: StubOrchestrator
) -> JobRunner:
    """Off-chain, with the stub orchestrator as the selector's only one."""
    offered[:] = [orchestrator.url]
    return make_runner(max_response_bytes=MAX_RESPONSE_BYTES, media_timeout_s=4)


@pytest.fixture
def failed_attempt(
    result_of: ResultOf,
    published_outcomes: Callable[[], Awaitable[list[Outcome]]],
) -> FailedAttempt:
    """failed_attempt(job_id): the job's answer is a 503 after one attempt; the attempt's
    OUTCOMES `error_kind`."""

    async def error_kind(job_id: str) -> str:
        result = await result_of(job_id)
        assert result.error is not None and result.error.status == 503
        assert result.attempts == 1
        (outcome,) = await published_outcomes()
        assert not outcome.ok and outcome.error_kind is not None
        return outcome.error_kind

    return error_kind


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
    runner: JobRunner,
    orchestrator: StubOrchestrator,
    levels: int,
    t2i_job: Job,
    delivery: Deliver,
    failed_attempt: FailedAttempt,
) -> None:
    orchestrator.answer = _nested_answer(levels)
    orchestrator.media["a.png"] = (PNG, "image/png")

    await runner.handle(t2i_job("deep"), delivery())

    assert await failed_attempt("deep") == "invalid_response"


async def test_a_stub_answer_that_is_fine_succeeds(
    runner: JobRunner,
    media: BlobStore,
    orchestrator: StubOrchestrator,
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    orchestrator.answer_images("a.png")
    orchestrator.media["a.png"] = (PNG, "image/webp")

    await runner.handle(t2i_job("fine"), delivery())

    result = await result_of("fine")
    assert result.ok
    assert await media.get("fine/0.png") == (PNG, "image/webp")


async def test_an_answer_larger_than_the_cap_is_an_invalid_response(
    runner: JobRunner,
    orchestrator: StubOrchestrator,
    t2i_job: Job,
    delivery: Deliver,
    failed_attempt: FailedAttempt,
) -> None:
    orchestrator.answer_images("a.png")
    orchestrator.answer = (
        orchestrator.answer[:-1] + b', "pad": "' + b"x" * MAX_RESPONSE_BYTES + b'"}'
    )
    orchestrator.media["a.png"] = (PNG, "image/png")

    await runner.handle(t2i_job("big"), delivery())

    assert await failed_attempt("big") == "invalid_response"


async def test_more_images_than_asked_for_are_an_invalid_response(
    runner: JobRunner,
    media: BlobStore,
    orchestrator: StubOrchestrator,
    t2i_job: Job,
    delivery: Deliver,
    failed_attempt: FailedAttempt,
) -> None:
    orchestrator.answer_images("a.png", "a.png")
    orchestrator.media["a.png"] = (PNG, "image/png")

    await runner.handle(t2i_job("many"), delivery())

    assert await failed_attempt("many") == "invalid_response"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(SVG, "image/svg+xml", id="svg, which can carry script"),
        pytest.param(PNG + b"\x00" * MAX_RESPONSE_BYTES, "image/png", id="larger than the cap"),
    ],
)
async def test_unacceptable_media_are_an_invalid_response_and_not_stored(
    runner: JobRunner,
    media: BlobStore,
    orchestrator: StubOrchestrator,
    data: bytes,
    content_type: str,
    t2i_job: Job,
    delivery: Deliver,
    failed_attempt: FailedAttempt,
) -> None:
    orchestrator.answer_images("a.png")
    orchestrator.media["a.png"] = (data, content_type)

    await runner.handle(t2i_job("media"), delivery())

    assert await failed_attempt("media") == "invalid_response"
    with pytest.raises(BlobNotFound):
        await media.get("media/0.png")


async def test_media_downloads_stop_at_the_job_deadline(
    runner: JobRunner,
    orchestrator: StubOrchestrator,
    t2i_job: Job,
    delivery: Deliver,
    failed_attempt: FailedAttempt,
) -> None:
    orchestrator.answer_images("a.png")
    orchestrator.media["a.png"] = (PNG, "image/png")  # 5 pieces: 2.5 s in all
    orchestrator.drip_s = 0.5
    started = time.monotonic()

    await runner.handle(t2i_job("slow", deadline_s=1.2), delivery())

    assert await failed_attempt("slow") == "media_unavailable"
    assert time.monotonic() - started < 2.0
