"""Paying for attempts through the signer's session API, against real orchestrators.

The signer is stood in for by a small HTTP server that answers /v1/payments like the real one
(unsigned segments and empty payments, which the off-chain devnets accept) or refuses with a
chosen status per orchestrator, and records every completion. The real signer is exercised by
the end-to-end tests.
"""

import asyncio
import base64
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from lpgw.blobs import BlobStore
from lpgw.bus import Bus
from lpgw.bus.events import AiJob, Candidate, JobResult, SelectionReply, SelectionRequest
from lpgw.devnet.launcher import RunningDevnet
from lpgw.service.runner import serve_http
from lpgw.session.ai_worker import AiWorker, new_http_client
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.orchestrator_info import OrchestratorInfos
from lpgw.session.paid_attempt import PaidAttempt
from lpgw.session.payments import (
    Completion,
    Paid,
    PaymentRequest,
    SignerPayments,
    SignerUnavailable,
)
from lpgw.signer_client import OFF_CHAIN
from lpgw.stack.ports import free_port
from lpgw.wire.capabilities import ai_job_capabilities
from lpgw.wire.client import OrchestratorClient
from lpgw.wire.headers import encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import ai_segdata
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

pytestmark = pytest.mark.integration

MODEL = "stabilityai/sdxl-turbo"
INBOX = "intake1"
TOKEN = "stub-token"
MAX_RESPONSE_BYTES = 1 << 20


@dataclass
class StubSigner:
    url: str = ""
    refusals: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Orchestrator service URI → (status, message) to refuse its payments with."""
    lost_answers: int = 0
    """The next payments are made (recorded) but their answer is lost: 502 after a delay."""
    lost_answer_delay_s: float = 0.0
    complete_statuses: list[int] = field(default_factory=list)
    """Statuses of the next completion answers, in order; 200 once they run out."""
    payments: list[dict[str, Any]] = field(default_factory=list)
    completions: list[tuple[str, str]] = field(default_factory=list)

    async def pay(self, request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _refusal(401, "missing or wrong bearer token")
        body = await request.json()
        self.payments.append(body)
        if self.lost_answers:
            self.lost_answers -= 1
            await asyncio.sleep(self.lost_answer_delay_s)
            return _refusal(502, "bad gateway")
        info = pb.OrchestratorInfo.FromString(base64.b64decode(body["orchestrator"]))
        if info.transcoder in self.refusals:
            return _refusal(*self.refusals[info.transcoder])
        caps = pb.Capabilities.FromString(base64.b64decode(body["capabilities"]))
        segment = ai_segdata(body["pipeline"], body["model_id"], info.auth_token, caps, None)
        payment_id = f"p{len(self.payments)}"
        return JSONResponse(
            {"payment_id": payment_id, "payment": "", "segment": encode_segment(segment)}
        )

    async def complete(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.completions.append((request.path_params["payment_id"], body["outcome"]))
        status = self.complete_statuses.pop(0) if self.complete_statuses else 200
        if status != 200:
            return _refusal(status, "no such payment" if status == 404 else "try again")
        return JSONResponse({"credit": "0"})

    def outcomes(self) -> list[str]:
        return [outcome for _, outcome in self.completions]


def _refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message}}, status_code=status)


@pytest.fixture
async def signer() -> AsyncIterator[StubSigner]:
    stub = StubSigner()
    app = Starlette(
        routes=[
            Route("/v1/payments", stub.pay, methods=["POST"]),
            Route("/v1/payments/{payment_id}/complete", stub.complete, methods=["POST"]),
        ]
    )
    port = free_port()
    stub.url = f"http://127.0.0.1:{port}"
    stop = asyncio.Event()
    server = asyncio.create_task(serve_http(app, "127.0.0.1", port, stop))
    try:
        async with httpx.AsyncClient() as http, asyncio.timeout(10):
            while True:
                try:
                    await http.get(stub.url + "/")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        yield stub
    finally:
        stop.set()
        await server


@pytest.fixture
async def offer(bus: Bus) -> AsyncIterator[list[str]]:
    """The URLs the stub selector offers, in order."""
    offered: list[str] = []

    async def answer(request: SelectionRequest) -> SelectionReply:
        urls = [u for u in offered if u not in request.exclude][: request.limit]
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
        yield offered
    finally:
        await sub.unsubscribe()


async def _runner(bus: Bus, http: httpx.AsyncClient, signer_url: str) -> JobRunner:
    media = await BlobStore.open(bus.nc, bus.names, ttl_s=600)
    return JobRunner(
        bus=bus,
        attempt=PaidAttempt(
            infos=OrchestratorInfos(OrchestratorClient(), OFF_CHAIN),
            payments=SignerPayments(http, signer_url, TOKEN),
            worker=AiWorker(http, max_response_bytes=MAX_RESPONSE_BYTES),
            media=media,
            attempt_timeout_s=20,
        ),
        limits=JobLimits(max_attempts=3, keepalive_s=1, max_deliver=5),
    )


@pytest.fixture
async def runner(bus: Bus, signer: StubSigner) -> AsyncIterator[JobRunner]:
    async with new_http_client() as http:
        yield await _runner(bus, http, signer.url)


class Delivery:
    def __init__(self, attempt: int = 1) -> None:
        self.attempt = attempt

    async def in_progress(self) -> None:
        return None


def _job(job_id: str) -> AiJob:
    now = time.time()
    return AiJob(
        inbox=INBOX,
        job_id=job_id,
        pipeline="text-to-image",
        model_id=MODEL,
        request={"prompt": "a lighthouse", "width": 64, "height": 48, "model_id": MODEL},
        submitted_at=now,
        deadline=now + 60,
    )


async def _result(bus: Bus, job_id: str) -> JobResult:
    return await bus.wait_for(
        bus.names.result(INBOX, job_id), JobResult, timeout=5, stream=bus.names.results_stream
    )


async def _outcomes_published(bus: Bus) -> int:
    info = await bus.js.stream_info(bus.names.outcomes_stream)
    return int(info.state.messages)


async def test_an_attempt_is_paid_for_its_units_and_settled_as_received(
    runner: JobRunner, bus: Bus, signer: StubSigner, devnet: RunningDevnet, offer: list[str]
) -> None:
    offer[:] = [devnet.url]

    await runner.handle(_job("pay1"), Delivery())

    assert (await _result(bus, "pay1")).ok
    [payment] = signer.payments
    assert payment["units"] == 64 * 48
    assert payment["bucket"] == f"27_{MODEL}"
    assert payment["session"] == "pay1"
    assert (payment["pipeline"], payment["model_id"]) == ("text-to-image", MODEL)
    info = pb.OrchestratorInfo.FromString(base64.b64decode(payment["orchestrator"]))
    assert info.transcoder == devnet.url and info.HasField("auth_token")
    caps = pb.Capabilities.FromString(base64.b64decode(payment["capabilities"]))
    assert MODEL in caps.constraints.PerCapability[27].models
    assert signer.completions == [("p1", "received")]


async def test_failed_attempts_settle_as_spent_or_staged(
    runner: JobRunner,
    bus: Bus,
    signer: StubSigner,
    devnet: RunningDevnet,
    failing_devnet: RunningDevnet,
    unreachable_service_devnet: RunningDevnet,
    offer: list[str],
) -> None:
    unreachable = f"http://127.0.0.1:{unreachable_service_devnet.port}"
    offer[:] = [failing_devnet.url, unreachable, devnet.url]

    await runner.handle(_job("pay2"), Delivery())

    result = await _result(bus, "pay2")
    assert result.ok and result.orchestrator == devnet.url and result.attempts == 3
    assert signer.outcomes() == ["spent", "staged", "received"]


async def test_a_price_above_the_ceiling_skips_the_orchestrator_without_blaming_it(
    runner: JobRunner,
    bus: Bus,
    signer: StubSigner,
    devnet: RunningDevnet,
    failing_devnet: RunningDevnet,
    offer: list[str],
) -> None:
    signer.refusals[failing_devnet.url] = (481, "price 2000 wei/unit above the ceiling 1000")
    offer[:] = [failing_devnet.url, devnet.url]

    await runner.handle(_job("pay3"), Delivery())

    result = await _result(bus, "pay3")
    assert result.ok and result.orchestrator == devnet.url
    assert result.attempts == 1, "a skipped orchestrator is not an attempt"
    assert await _outcomes_published(bus) == 1, "no failure outcome for the skipped one"
    assert signer.outcomes() == ["received"]


async def test_ticket_params_refused_twice_move_on_to_the_next_orchestrator(
    runner: JobRunner,
    bus: Bus,
    signer: StubSigner,
    devnet: RunningDevnet,
    failing_devnet: RunningDevnet,
    offer: list[str],
) -> None:
    signer.refusals[failing_devnet.url] = (400, "TicketParams expired")
    offer[:] = [failing_devnet.url, devnet.url]

    await runner.handle(_job("pay4"), Delivery())

    result = await _result(bus, "pay4")
    assert result.ok and result.orchestrator == devnet.url and result.attempts == 2
    refused = [p for p in signer.payments if failing_devnet.url in _transcoder(p)]
    assert len(refused) == 2, "refused params are fetched afresh once"
    assert refused[0]["orchestrator"] != refused[1]["orchestrator"]


async def test_an_exhausted_budget_fails_the_job_with_402_and_the_signers_reason(
    runner: JobRunner, bus: Bus, signer: StubSigner, devnet: RunningDevnet, offer: list[str]
) -> None:
    reason = "session budget 1000000 wei exceeded by 4096"
    signer.refusals[devnet.url] = (429, reason)
    offer[:] = [devnet.url]

    await runner.handle(_job("pay5"), Delivery())

    result = await _result(bus, "pay5")
    assert result.error is not None
    assert (result.error.status, result.error.message) == (402, reason)
    assert await _outcomes_published(bus) == 0


async def test_an_unreachable_signer_hands_the_job_back_until_the_last_delivery(
    bus: Bus, devnet: RunningDevnet, offer: list[str]
) -> None:
    offer[:] = [devnet.url]
    async with new_http_client() as http:
        runner = await _runner(bus, http, _closed_port_url())

        with pytest.raises(SignerUnavailable):
            await runner.handle(_job("pay6"), Delivery(attempt=1))
        assert (
            await bus.last_stored(
                bus.names.results_stream, bus.names.result(INBOX, "pay6"), JobResult
            )
            is None
        ), "no result while the job is handed back"

        await runner.handle(_job("pay6"), Delivery(attempt=5))

    result = await _result(bus, "pay6")
    assert result.error is not None and result.error.status == 503
    assert "signer" in result.error.message


def _transcoder(payment: dict[str, Any]) -> str:
    return pb.OrchestratorInfo.FromString(base64.b64decode(payment["orchestrator"])).transcoder


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _payment_request() -> PaymentRequest:
    token = pb.AuthToken(token=b"t", session_id="s", expiration=int(time.time()) + 600)
    return PaymentRequest(
        info=pb.OrchestratorInfo(transcoder="https://o.example:8935", auth_token=token),
        pipeline="text-to-image",
        model_id=MODEL,
        units=64 * 48,
        session="job",
        capabilities=ai_job_capabilities("text-to-image", MODEL),
    )


@pytest.mark.parametrize(
    "delay_s",
    [pytest.param(0.0, id="error status"), pytest.param(1.0, id="read timeout")],
)
async def test_a_payment_that_reached_the_signer_is_not_made_again(
    signer: StubSigner, delay_s: float
) -> None:
    signer.lost_answers, signer.lost_answer_delay_s = 3, delay_s
    async with new_http_client() as http:
        payments = SignerPayments(http, signer.url, TOKEN, timeout_s=0.3)

        with pytest.raises(SignerUnavailable):
            await payments.pay(_payment_request())

    assert len(signer.payments) == 1, "a lost answer may hide a payment: never pay twice"


async def test_a_payment_that_never_reached_the_signer_is_tried_again() -> None:
    async with new_http_client() as http:
        payments = SignerPayments(http, _closed_port_url(), TOKEN)
        started = time.monotonic()

        with pytest.raises(SignerUnavailable):
            await payments.pay(_payment_request())

    assert time.monotonic() - started >= 0.7, "3 tries, 0.25 s and 0.5 s apart"


async def test_a_completion_is_retried_and_a_404_means_already_done(signer: StubSigner) -> None:
    signer.complete_statuses = [503, 404]
    paid = Paid(payment="", segment="", payment_id="p9")
    async with new_http_client() as http:
        await SignerPayments(http, signer.url, TOKEN).complete(paid, Completion.SPENT)

    assert signer.completions == [("p9", "spent"), ("p9", "spent")]


class BrokenWorker(AiWorker):
    """An orchestrator call that fails in a way nobody foresaw (a bug)."""

    async def run(
        self,
        transcoder: str,
        pipeline: str,
        body: dict[str, Any],
        segment: str,
        payment: str,
        timeout_s: float,
    ) -> dict[str, Any]:
        raise RuntimeError("unforeseen")


async def test_an_unexpected_error_after_paying_completes_the_payment_as_spent(
    bus: Bus, signer: StubSigner, devnet: RunningDevnet
) -> None:
    media = await BlobStore.open(bus.nc, bus.names, ttl_s=600)
    async with new_http_client() as http:
        attempt = PaidAttempt(
            infos=OrchestratorInfos(OrchestratorClient(), OFF_CHAIN),
            payments=SignerPayments(http, signer.url, TOKEN),
            worker=BrokenWorker(http, max_response_bytes=MAX_RESPONSE_BYTES),
            media=media,
            attempt_timeout_s=20,
        )

        with pytest.raises(RuntimeError):
            await attempt.run(_job("pay7"), devnet.url, units=64 * 48)

    assert signer.completions == [("p1", "spent")], "the redelivery will pay again"
