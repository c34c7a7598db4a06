"""Paying for attempts through the signer's payment sessions, against real orchestrators.

The signer is stood in for by a small HTTP server (aiohttp, on a free port) that implements
the three payment-session routes like the real one: opening the same offer answers the same
session, a payment is deduplicated by its idempotency key (the same key with another body is
409), a payment is settled at most once (404 after). Its payments are empty and its segments
unsigned, which the off-chain devnets accept. It records every call (path, bearer token, body)
and refuses on demand: per orchestrator (by the OrchestratorInfo's service URI) for a call,
or the next calls of a kind from a script (a refusal, an error, or a payment made whose
answer is then lost). The selector is a stub responder; `JobRunner.handle` is called as the
consumer would. The real signer is exercised by the end-to-end tests.
"""

import asyncio
import base64
import hashlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from lpgw.bus import Bus
from lpgw.bus.events import AiJob, JobResult, Outcome
from lpgw.devnet.launcher import RunningDevnet
from lpgw.session.ai_worker import AiWorker
from lpgw.session.jobs import JobLimits, JobRunner
from lpgw.session.keepalive import Progress
from lpgw.session.payments import SignerPayments
from lpgw.signer_client.errors import SignerUnavailable
from lpgw.signer_client.sessions import SignerSessions, signer_http
from lpgw.wire.headers import encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import ai_segdata

pytestmark = pytest.mark.integration

MODEL = "stabilityai/sdxl-turbo"
INBOX = "intake1"
TOKEN = "stub-token"
UNITS = 64 * 48
MAX_DELIVER = 5


# --- the stub signer ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A scripted answer to the next call of a kind.

    `made=False`: refuse with `status` and do nothing. `made=True`: do the call (the payment
    is made, the settlement done), then wait `delay_s` and answer `status` instead of the
    real answer when it is not 200: the answer is lost.
    """

    status: int
    message: str = "scripted"
    made: bool = False
    delay_s: float = 0.0


@dataclass
class Call:
    kind: str
    """open, pay or settle."""
    path: str
    token: str | None
    body: dict[str, Any]
    transcoder: str
    """The service URI of the offer the call is about ("" when the signer does not know it)."""
    status: int = 0
    answer: dict[str, Any] | None = None


@dataclass
class StubSigner:
    url: str = ""
    refusals: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    """(call kind, service URI) → (status, message): every such call is refused."""
    script: dict[str, list[Reply]] = field(default_factory=dict)
    """Call kind → the answers to its next calls, in order; the real answer once they run out."""
    calls: list[Call] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = field(
        default_factory=dict
    )
    """(session id, idempotency key) → (request body, answer)."""
    paid_to: dict[str, str] = field(default_factory=dict)
    """Payment id → the service URI it paid."""
    settled: dict[str, str] = field(default_factory=dict)
    free: set[str] = field(default_factory=set)
    """Service URIs whose sessions are free: opening answers the headers every AI payment
    would carry (an orchestrator that takes no tickets)."""

    def refuse(self, kind: str, transcoder: str, status: int, message: str = "refused") -> None:
        self.refusals[(kind, transcoder)] = (status, message)

    def then(self, kind: str, *replies: Reply) -> None:
        self.script.setdefault(kind, []).extend(replies)

    def forget_sessions(self) -> None:
        """As if the sessions expired early or Redis was wiped: payments answer 404."""
        self.sessions.clear()

    def of(self, kind: str, transcoder: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.kind == kind and (transcoder is None or c.transcoder == transcoder)
        ]

    @property
    def made(self) -> list[str]:
        """Ids of the payments made, once each."""
        return [answer["payment_id"] for _, answer in self.payments.values()]

    @property
    def settlements(self) -> list[tuple[str, str]]:
        """(payment id, outcome) of every settle call, repeated ones included."""
        return [(c.path.split("/")[3], c.body["outcome"]) for c in self.of("settle")]

    async def open(self, request: web.Request) -> web.Response:
        body = await request.json()
        info = pb.OrchestratorInfo.FromString(base64.b64decode(body["orchestrator"]))
        call = self._record(request, "open", body, info.transcoder)

        async def work() -> dict[str, Any]:
            offer = json.dumps(body, sort_keys=True).encode()
            session_id = hashlib.sha256(offer).hexdigest()[:32]
            caps = pb.Capabilities.FromString(base64.b64decode(body.get("capabilities", "")))
            self.sessions[session_id] = {"info": info, "caps": caps, "body": body}
            opened = {
                "session_id": session_id,
                "expires_at": info.auth_token.expiration,
                "price": "0",
                "ticket_ev": "0",
                "recipient": "0x" + "00" * 20,
            }
            if info.transcoder in self.free:
                segment = ai_segdata(
                    body["pipeline"], body["model_id"], info.auth_token, caps, None
                )
                opened |= {"payment": "", "segment": encode_segment(segment)}
            return opened

        return await self._answer(call, work)

    async def pay(self, request: web.Request) -> web.Response:
        body = await request.json()
        session_id = request.match_info["session_id"]
        session = self.sessions.get(session_id)
        transcoder = session["info"].transcoder if session else ""
        call = self._record(request, "pay", body, transcoder)

        async def work() -> dict[str, Any]:
            if session is None:
                raise _Refused(404, "unknown or expired session")
            key = (session_id, body["idempotency_key"])
            if key in self.payments:
                earlier, answer = self.payments[key]
                if earlier != body:
                    raise _Refused(409, "idempotency_key was already used with a different request")
                return answer
            info, caps = session["info"], session["caps"]
            offer = session["body"]
            segment = ai_segdata(offer["pipeline"], offer["model_id"], info.auth_token, caps, None)
            answer = {
                "payment_id": f"p{len(self.payments) + 1}",
                "payment": "",
                "segment": encode_segment(segment),
                "tickets": 0,
                "fee": "0",
                "credit": "0",
            }
            self.payments[key] = (body, answer)
            self.paid_to[answer["payment_id"]] = transcoder
            return answer

        return await self._answer(call, work)

    async def settle(self, request: web.Request) -> web.Response:
        body = await request.json()
        payment_id = request.match_info["payment_id"]
        call = self._record(request, "settle", body, self.paid_to.get(payment_id, ""))

        async def work() -> dict[str, Any]:
            if payment_id not in self.paid_to or payment_id in self.settled:
                raise _Refused(404, "no such payment")
            self.settled[payment_id] = body["outcome"]
            return {"credit": "0"}

        return await self._answer(call, work)

    def _record(self, request: web.Request, kind: str, body: Any, transcoder: str) -> Call:
        call = Call(kind, request.path, request.headers.get("Authorization"), body, transcoder)
        self.calls.append(call)
        return call

    async def _answer(
        self, call: Call, work: Callable[[], Awaitable[dict[str, Any]]]
    ) -> web.Response:
        if call.token != f"Bearer {TOKEN}":
            return _refusal(call, 401, "missing or wrong bearer token")
        if (call.kind, call.transcoder) in self.refusals:
            return _refusal(call, *self.refusals[(call.kind, call.transcoder)])
        scripted = self.script.get(call.kind)
        reply = scripted.pop(0) if scripted else None
        if reply is not None and not reply.made:
            return _refusal(call, reply.status, reply.message)
        try:
            answer = await work()
        except _Refused as refused:
            return _refusal(call, refused.status, refused.message)
        if reply is not None:
            await asyncio.sleep(reply.delay_s)
            if reply.status != 200:
                return _refusal(call, reply.status, reply.message)
        call.status, call.answer = 200, answer
        return web.json_response(answer)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _refusal(call: Call, status: int, message: str) -> web.Response:
    call.status = status
    return web.json_response(
        {"error": {"message": message}, "detail": {"msg": message}}, status=status
    )


@pytest.fixture
async def signer(serve_app: Any) -> StubSigner:
    stub = StubSigner()
    app = web.Application()
    app.router.add_post("/v1/sessions", stub.open)
    app.router.add_post("/v1/sessions/{session_id}/payments", stub.pay)
    app.router.add_post("/v1/payments/{payment_id}/settle", stub.settle)
    stub.url = await serve_app(app)
    return stub


# --- the rest of the gateway around the job runner --------------------------------------

LIMITS = JobLimits(max_attempts=3, keepalive_s=1, max_deliver=MAX_DELIVER)

# conftest's fixtures
MakeRunner = Callable[..., JobRunner]
Job = Callable[..., AiJob]
Deliver = Callable[..., Progress]
ResultOf = Callable[[str], Awaitable[JobResult]]
PublishedOutcomes = Callable[[], Awaitable[list[Outcome]]]


def _payments(
    to_signer: aiohttp.ClientSession, signer_url: str, token: str = TOKEN
) -> SignerPayments:
    return SignerPayments(SignerSessions(to_signer, signer_url, token))


@pytest.fixture
async def runner(make_runner: MakeRunner, signer: StubSigner) -> AsyncIterator[JobRunner]:
    async with signer_http() as to_signer:
        yield make_runner(payments=_payments(to_signer, signer.url), limits=LIMITS)


async def _no_result(bus: Bus, job_id: str) -> bool:
    stored = await bus.last_stored(
        bus.names.results_stream, bus.names.result(INBOX, job_id), JobResult
    )
    return stored is None


def _kinds(outcomes: list[Outcome]) -> list[tuple[str, str | None]]:
    return [(o.orchestrator, o.error_kind) for o in outcomes]


def _info(call: Call) -> pb.OrchestratorInfo:
    return pb.OrchestratorInfo.FromString(base64.b64decode(call.body["orchestrator"]))


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


# --- answered attempts ----------------------------------------------------------------------


async def test_one_session_per_offer_and_one_payment_per_job_with_no_settlement(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
    published_outcomes: PublishedOutcomes,
) -> None:
    offered[:] = [devnet.url]

    await asyncio.gather(*(runner.handle(t2i_job(f"many{n}"), delivery()) for n in range(3)))
    await runner.handle(t2i_job("many3"), delivery())

    for n in range(4):
        result = await result_of(f"many{n}")
        assert result.ok and result.orchestrator == devnet.url and result.attempts == 1
    [opened] = signer.of("open")
    assert opened.path == "/v1/sessions"
    assert (opened.body["pipeline"], opened.body["model_id"]) == ("text-to-image", MODEL)
    assert opened.body["bucket"] == f"27_{MODEL}"
    info = _info(opened)
    assert info.transcoder == devnet.url and info.HasField("auth_token")
    caps = pb.Capabilities.FromString(base64.b64decode(opened.body["capabilities"]))
    assert MODEL in caps.constraints.PerCapability[27].models
    session_id = opened.answer["session_id"] if opened.answer else ""
    pays = signer.of("pay")
    assert {c.path for c in pays} == {f"/v1/sessions/{session_id}/payments"}
    assert sorted(c.body["job"] for c in pays) == [f"many{n}" for n in range(4)]
    for call in pays:
        job = call.body["job"]
        assert call.body == {"units": UNITS, "idempotency_key": f"{job}.1.0", "job": job}
    assert len(signer.made) == 4
    assert signer.of("settle") == [], "an answered attempt settles nothing"
    assert {c.token for c in signer.calls} == {f"Bearer {TOKEN}"}
    assert _kinds(await published_outcomes()) == [(devnet.url, None)] * 4


async def test_a_free_session_needs_no_payment_call_and_no_settlement(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    failing_devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    """An orchestrator that takes no tickets: the headers come with the session."""
    offered[:] = [failing_devnet.url, devnet.url]
    signer.free |= {failing_devnet.url, devnet.url}

    await runner.handle(t2i_job("free1"), delivery())
    await runner.handle(t2i_job("free2"), delivery())

    assert (await result_of("free1")).ok and (await result_of("free2")).ok
    assert len(signer.of("open")) == 2
    assert signer.of("pay") == [] and signer.of("settle") == []


async def test_failed_attempts_settle_as_spent_or_staged(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    failing_devnet: RunningDevnet,
    unreachable_service_devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
    published_outcomes: PublishedOutcomes,
) -> None:
    unreachable = f"http://127.0.0.1:{unreachable_service_devnet.port}"
    offered[:] = [failing_devnet.url, unreachable, devnet.url]

    await runner.handle(t2i_job("fail1"), delivery())

    result = await result_of("fail1")
    assert result.ok and result.orchestrator == devnet.url and result.attempts == 3
    keys = [c.body["idempotency_key"] for c in signer.of("pay")]
    assert keys == ["fail1.1.0", "fail1.1.1", "fail1.1.2"]
    paid_to = {c.answer["payment_id"]: c.transcoder for c in signer.of("pay") if c.answer}
    settled = [(paid_to[pid], outcome) for pid, outcome in signer.settlements]
    assert settled == [
        (failing_devnet.url, "spent"),
        (f"http://127.0.0.2:{unreachable_service_devnet.port}", "staged"),
    ]
    assert [c.status for c in signer.of("settle")] == [200, 200]
    assert _kinds(await published_outcomes()) == [
        (failing_devnet.url, "orchestrator_error"),
        (unreachable, "unreachable"),
        (devnet.url, None),
    ]


# --- refusals about one orchestrator ---------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        pytest.param("open", 481, id="481 price above the ceiling"),
        pytest.param("open", 403, id="403 EV or face value cap"),
        pytest.param("pay", 403, id="403 total EV cap to pay"),
    ],
)
async def test_our_own_limits_skip_the_orchestrator_without_an_outcome(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    failing_devnet: RunningDevnet,
    offered: list[str],
    kind: str,
    status: int,
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
    published_outcomes: PublishedOutcomes,
) -> None:
    signer.refuse(kind, failing_devnet.url, status, "above our limit")
    offered[:] = [failing_devnet.url, devnet.url]

    await runner.handle(t2i_job("skip1"), delivery())

    result = await result_of("skip1")
    assert result.ok and result.orchestrator == devnet.url
    assert result.attempts == 1, "a skipped orchestrator is not an attempt"
    assert _kinds(await published_outcomes()) == [(devnet.url, None)], "no outcome for the skipped"
    assert len(signer.of(kind, failing_devnet.url)) == 1, "refused once, not asked again"
    assert signer.of("settle") == []
    [paid] = [c for c in signer.of("pay", devnet.url) if c.status == 200]
    assert paid.body["idempotency_key"].startswith("skip1.1.")


async def test_every_orchestrator_above_our_limits_is_503_without_attempts(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
    published_outcomes: PublishedOutcomes,
) -> None:
    signer.refuse("open", devnet.url, 481, "price above the ceiling")
    offered[:] = [devnet.url]

    await runner.handle(t2i_job("skip2"), delivery())

    result = await result_of("skip2")
    assert result.error is not None and result.error.status == 503
    assert result.attempts == 0
    assert await published_outcomes() == []


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        pytest.param("open", 400, "TicketParams expired", id="400 to open"),
        pytest.param("open", 480, "auth token expires in 100 s", id="480 to open"),
        pytest.param("pay", 480, "nonce limit reached", id="480 to pay"),
    ],
)
async def test_refused_params_are_fetched_afresh_once_then_the_orchestrator_is_given_up(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    failing_devnet: RunningDevnet,
    offered: list[str],
    kind: str,
    status: int,
    message: str,
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
    published_outcomes: PublishedOutcomes,
) -> None:
    signer.refuse(kind, failing_devnet.url, status, message)
    offered[:] = [failing_devnet.url, devnet.url]

    await runner.handle(t2i_job("params1"), delivery())

    result = await result_of("params1")
    assert result.ok and result.orchestrator == devnet.url and result.attempts == 2
    opened = signer.of("open", failing_devnet.url)
    assert len(opened) == 2, "one new session, on freshly fetched info"
    assert opened[0].body["orchestrator"] != opened[1].body["orchestrator"]
    assert _info(opened[0]).auth_token.token != _info(opened[1]).auth_token.token
    assert len(signer.of(kind, failing_devnet.url)) == 2
    assert signer.of("settle") == []
    assert _kinds(await published_outcomes()) == [
        (failing_devnet.url, "invalid_ticket_params"),
        (devnet.url, None),
    ]


async def test_a_refresh_that_helps_pays_on_the_new_session(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
    published_outcomes: PublishedOutcomes,
) -> None:
    signer.then("pay", Reply(480, "auth token expires in 100 s"))
    offered[:] = [devnet.url]

    await runner.handle(t2i_job("params2"), delivery())

    result = await result_of("params2")
    assert result.ok and result.attempts == 1
    first, second = signer.of("open")
    assert _info(first).auth_token.token != _info(second).auth_token.token
    refused, paid = signer.of("pay")
    assert (refused.status, paid.status) == (480, 200)
    assert second.answer is not None
    assert paid.path == f"/v1/sessions/{second.answer['session_id']}/payments"
    assert paid.body["idempotency_key"] == "params2.1.0"
    assert _kinds(await published_outcomes()) == [(devnet.url, None)]


async def test_a_session_the_signer_lost_is_opened_again_and_paid(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    offered[:] = [devnet.url]
    await runner.handle(t2i_job("lost1"), delivery())
    signer.forget_sessions()

    await runner.handle(t2i_job("lost2"), delivery())

    assert (await result_of("lost1")).ok
    result = await result_of("lost2")
    assert result.ok and result.attempts == 1
    first, again = signer.of("open")
    assert first.body == again.body, "the same offer, opened again"
    assert [(c.body["job"], c.status) for c in signer.of("pay")] == [
        ("lost1", 200),
        ("lost2", 404),
        ("lost2", 200),
    ]
    _, unknown, paid = signer.of("pay")
    assert unknown.body == paid.body, "the same payment, asked again"
    assert len(signer.made) == 2
    assert signer.of("settle") == []


async def test_a_session_lost_again_after_reopening_still_answers_the_job_on_its_last_delivery(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    """A signer refusal must end in a JobResult: on the last delivery nothing redelivers a job
    whose handler raises, so the client would wait until its own timeout."""
    signer.refuse("pay", devnet.url, 404, "unknown or expired session")
    offered[:] = [devnet.url]

    await runner.handle(t2i_job("lost3"), delivery(attempt=MAX_DELIVER))

    result = await result_of("lost3")
    assert not result.ok and result.error is not None and result.error.status >= 500


# --- refusals about the job ------------------------------------------------------------


async def test_an_exhausted_budget_ends_the_job_with_402_and_the_signers_reason(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
    published_outcomes: PublishedOutcomes,
) -> None:
    reason = "job budget 1000000 wei exceeded by 4096"
    signer.refuse("pay", devnet.url, 429, reason)
    offered[:] = [devnet.url]

    await runner.handle(t2i_job("budget1"), delivery())

    result = await result_of("budget1")
    assert result.error is not None
    assert (result.error.status, result.error.message) == (402, reason)
    assert result.attempts == 0
    assert await published_outcomes() == []
    assert signer.of("settle") == []


@pytest.mark.parametrize(
    ("status", "message"),
    [
        pytest.param(400, "units must be a non-negative integer", id="400"),
        pytest.param(409, "idempotency_key was already used with a different request", id="409"),
    ],
)
async def test_a_payment_the_signer_calls_malformed_ends_the_job_with_500(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    status: int,
    message: str,
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
    published_outcomes: PublishedOutcomes,
) -> None:
    signer.then("pay", Reply(status, message))
    offered[:] = [devnet.url]

    await runner.handle(t2i_job("bug1"), delivery())

    result = await result_of("bug1")
    assert result.error is not None
    assert (result.error.status, result.error.message) == (500, message)
    assert len(signer.of("pay")) == 1
    assert await published_outcomes() == []


# --- the signer unavailable ------------------------------------------------------------


async def test_an_unreachable_signer_hands_the_job_back_until_the_last_delivery(
    bus: Bus,
    devnet: RunningDevnet,
    offered: list[str],
    make_runner: MakeRunner,
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
    published_outcomes: PublishedOutcomes,
) -> None:
    offered[:] = [devnet.url]
    async with signer_http() as to_signer:
        runner = make_runner(payments=_payments(to_signer, _closed_port_url()), limits=LIMITS)

        for attempt in (1, MAX_DELIVER - 1):
            with pytest.raises(SignerUnavailable):
                await runner.handle(t2i_job("down1"), delivery(attempt=attempt))
            assert await _no_result(bus, "down1"), "no result while the job is handed back"

        await runner.handle(t2i_job("down1"), delivery(attempt=MAX_DELIVER))

    result = await result_of("down1")
    assert result.error is not None
    assert (result.error.status, result.error.message) == (
        503,
        "payment signer unavailable, try again later",
    )
    assert await published_outcomes() == []


@pytest.mark.parametrize(
    ("token", "status"),
    [pytest.param(TOKEN, 503, id="503"), pytest.param("wrong", 401, id="401 wrong token")],
)
async def test_a_failing_signer_is_asked_three_times_per_delivery(
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    token: str,
    status: int,
    make_runner: MakeRunner,
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    signer.refuse("open", devnet.url, 503, "audit stream unavailable")
    offered[:] = [devnet.url]
    async with signer_http() as to_signer:
        runner = make_runner(payments=_payments(to_signer, signer.url, token), limits=LIMITS)

        with pytest.raises(SignerUnavailable):
            await runner.handle(t2i_job("down2"), delivery(attempt=1))
        await runner.handle(t2i_job("down2"), delivery(attempt=MAX_DELIVER))

    result = await result_of("down2")
    assert result.error is not None and result.error.status == 503
    opened = signer.of("open")
    assert [c.status for c in opened] == [status] * 6, "3 tries per delivery"
    assert all(c.body == opened[0].body for c in opened)
    assert signer.of("pay") == []


async def test_a_job_whose_deadline_passed_while_the_signer_was_down_is_answered(
    devnet: RunningDevnet,
    offered: list[str],
    make_runner: MakeRunner,
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    offered[:] = [devnet.url]
    async with signer_http() as to_signer:
        runner = make_runner(payments=_payments(to_signer, _closed_port_url()), limits=LIMITS)

        await runner.handle(t2i_job("down3", deadline_s=0.5), delivery(attempt=1))

    result = await result_of("down3")
    assert result.error is not None and result.error.status == 503


async def test_a_job_handed_back_pays_on_its_next_delivery_under_that_deliverys_key(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    signer.then("pay", *[Reply(503, "redis unavailable")] * 3)
    offered[:] = [devnet.url]

    with pytest.raises(SignerUnavailable):
        await runner.handle(t2i_job("back1"), delivery(attempt=1))
    await runner.handle(t2i_job("back1"), delivery(attempt=2))

    result = await result_of("back1")
    assert result.ok and result.attempts == 1
    assert [(c.body["idempotency_key"], c.status) for c in signer.of("pay")] == [
        ("back1.1.0", 503),
        ("back1.1.0", 503),
        ("back1.1.0", 503),
        ("back1.2.0", 200),
    ]
    assert len(signer.of("open")) == 1, "the session outlives the delivery"


@pytest.mark.parametrize(
    ("lost", "client_timeout_s"),
    [
        pytest.param(Reply(502, "bad gateway", made=True), 10.0, id="502 after paying"),
        pytest.param(Reply(200, made=True, delay_s=1.5), 0.5, id="answer after the timeout"),
    ],
)
async def test_a_payment_whose_answer_was_lost_is_asked_again_and_made_once(
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    lost: Reply,
    client_timeout_s: float,
    make_runner: MakeRunner,
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    signer.then("pay", lost)
    offered[:] = [devnet.url]
    timeout = aiohttp.ClientTimeout(total=client_timeout_s)
    async with aiohttp.ClientSession(timeout=timeout) as to_signer:
        runner = make_runner(payments=_payments(to_signer, signer.url), limits=LIMITS)

        await runner.handle(t2i_job("retry1"), delivery())

    result = await result_of("retry1")
    assert result.ok and result.attempts == 1
    first, second = signer.of("pay")
    assert first.body == second.body
    assert first.body["idempotency_key"] == "retry1.1.0"
    assert len(signer.made) == 1, "the signer made one payment"
    assert signer.of("settle") == []


async def test_a_session_whose_answer_was_lost_is_opened_again_as_the_same_session(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    signer.then("open", Reply(502, "bad gateway", made=True))
    offered[:] = [devnet.url]

    await runner.handle(t2i_job("retry2"), delivery())

    assert (await result_of("retry2")).ok
    first, second = signer.of("open")
    assert (first.status, second.status) == (502, 200)
    assert first.body == second.body
    assert len(signer.sessions) == 1
    [paid] = signer.of("pay")
    assert paid.status == 200


# --- settlements ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replies", "statuses"),
    [
        pytest.param([Reply(503, "down")], [503, 200], id="503 then done"),
        pytest.param([Reply(502, "bad gateway", made=True)], [502, 404], id="lost then 404"),
        pytest.param([Reply(503, "down")] * 3, [503, 503, 503], id="never: dropped"),
    ],
)
async def test_a_settlement_the_signer_did_not_answer_is_asked_again(
    runner: JobRunner,
    signer: StubSigner,
    devnet: RunningDevnet,
    failing_devnet: RunningDevnet,
    offered: list[str],
    replies: list[Reply],
    statuses: list[int],
    t2i_job: Job,
    delivery: Deliver,
    result_of: ResultOf,
) -> None:
    signer.then("settle", *replies)
    offered[:] = [failing_devnet.url, devnet.url]

    await runner.handle(t2i_job("settle1"), delivery())

    result = await result_of("settle1")
    assert result.ok and result.orchestrator == devnet.url and result.attempts == 2
    [failed] = signer.of("pay", failing_devnet.url)
    assert failed.answer is not None
    assert signer.settlements == [(failed.answer["payment_id"], "spent")] * len(statuses)
    assert [c.status for c in signer.of("settle")] == statuses


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


async def test_an_unexpected_error_after_paying_settles_the_payment_as_spent(
    bus: Bus,
    signer: StubSigner,
    devnet: RunningDevnet,
    offered: list[str],
    make_runner: MakeRunner,
    t2i_job: Job,
    delivery: Deliver,
) -> None:
    offered[:] = [devnet.url]
    async with signer_http() as to_signer:
        runner = make_runner(
            payments=_payments(to_signer, signer.url), worker=BrokenWorker, limits=LIMITS
        )

        with pytest.raises(RuntimeError):
            await runner.handle(t2i_job("broken1"), delivery())

    [paid] = signer.of("pay")
    assert paid.answer is not None
    assert signer.settlements == [(paid.answer["payment_id"], "spent")], "redelivery pays again"
    assert await _no_result(bus, "broken1")
