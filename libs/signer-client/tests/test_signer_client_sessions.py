"""The payment-session client against a real local HTTP server standing in for the signer.

The server answers each request from a script (status and body, a delay, or a connection
dropped without an answer) and records what it got: path, bearer header and JSON body.
"""

import asyncio
import base64
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from lpgw.signer_client.errors import (
    BudgetExhausted,
    InvalidPaymentRequest,
    OfferRefused,
    PaymentCapExceeded,
    PaymentError,
    PriceAboveCeiling,
    RefreshNeeded,
    SignerUnavailable,
    UnknownPayment,
    UnknownSession,
)
from lpgw.signer_client.sessions import (
    OpenedSession,
    Paid,
    SignedSegment,
    SignerSessions,
    signer_http,
)

TOKEN = "s3cret"
INFO = b"\x0a\x16https://o.example:8935\x00\xff"
CAPABILITIES = b"\x0a\x02\x1b\x1c\xfe"
SESSION_ID = "0123456789abcdef0123456789abcdef"
PAYMENT_ID = "fedcba9876543210fedcba9876543210"
SESSION_ANSWER = {
    "session_id": SESSION_ID,
    "expires_at": 1_900_000_000,
    "price": "1001/3",
    "ticket_ev": "1000",
    "recipient": "0x" + "12" * 20,
}
PAY_ANSWER = {
    "payment_id": PAYMENT_ID,
    "payment": "cGF5bWVudA==",
    "segment": "c2VnbWVudA==",
    "tickets": 2,
    "fee": "3072",
    "credit": "928",
}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None
    """JSON body; a str is sent as is (text/plain)."""
    delay_s: float = 0.0
    drop: bool = False
    """Close the connection without answering."""


@dataclass(frozen=True)
class Seen:
    path: str
    authorization: str | None
    body: Any


@dataclass
class StubSigner:
    url: str = ""
    script: list[Reply] = field(default_factory=list)
    otherwise: Reply = field(default_factory=lambda: Reply(200, {}))
    seen: list[Seen] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(
            Seen(request.path, request.headers.get("Authorization"), await request.json())
        )
        reply = self.script.pop(0) if self.script else self.otherwise
        if reply.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if isinstance(reply.body, str):
            return web.Response(status=reply.status, text=reply.body)
        return web.json_response(reply.body, status=reply.status)

    def answer(self, *replies: Reply) -> None:
        self.script[:] = replies

    @property
    def bodies(self) -> list[Any]:
        return [s.body for s in self.seen]


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"error": {"message": message}, "detail": {"msg": message}})


@pytest.fixture
async def signer(serve_app: Any) -> StubSigner:
    stub = StubSigner()
    app = web.Application()
    app.router.add_post("/{tail:.*}", stub.handle)
    stub.url = await serve_app(app)
    return stub


@pytest.fixture
async def sessions(signer: StubSigner) -> AsyncIterator[SignerSessions]:
    async with signer_http() as http:
        yield SignerSessions(http, signer.url + "/", TOKEN)


async def _open(sessions: SignerSessions) -> OpenedSession:
    return await sessions.open(
        INFO,
        pipeline="text-to-image",
        model_id="stabilityai/sdxl-turbo",
        bucket="27_stabilityai/sdxl-turbo",
        capabilities=CAPABILITIES,
    )


async def _pay(sessions: SignerSessions) -> Paid:
    return await sessions.pay(SESSION_ID, units=3072, idempotency_key="job1.1.0", job="job1")


# --- what is sent, what is understood ---------------------------------------------------


async def test_open_sends_the_offer_and_reads_the_session(
    signer: StubSigner, sessions: SignerSessions
) -> None:
    signer.answer(Reply(200, SESSION_ANSWER))

    opened = await _open(sessions)

    assert opened == OpenedSession(
        session_id=SESSION_ID, expires_at=1_900_000_000, price="1001/3", ticket_ev="1000"
    )
    [seen] = signer.seen
    assert seen.path == "/v1/sessions"
    assert seen.authorization == f"Bearer {TOKEN}"
    assert seen.body == {
        "orchestrator": base64.b64encode(INFO).decode(),
        "pipeline": "text-to-image",
        "model_id": "stabilityai/sdxl-turbo",
        "bucket": "27_stabilityai/sdxl-turbo",
        "capabilities": base64.b64encode(CAPABILITIES).decode(),
    }
    assert base64.b64decode(seen.body["orchestrator"]) == INFO


async def test_a_free_session_carries_its_headers(
    signer: StubSigner, sessions: SignerSessions
) -> None:
    signer.answer(Reply(200, {**SESSION_ANSWER, "payment": "UEFZ", "segment": "U0VH"}))

    opened = await _open(sessions)

    assert opened.free == Paid(payment_id="", payment="UEFZ", segment="U0VH", tickets=0)


@pytest.mark.parametrize("capabilities", [None, b""], ids=["none", "empty"])
async def test_open_without_capabilities_sends_none(
    signer: StubSigner, sessions: SignerSessions, capabilities: bytes | None
) -> None:
    signer.answer(Reply(200, SESSION_ANSWER))

    await sessions.open(INFO, pipeline="p", model_id="m", bucket="b", capabilities=capabilities)

    assert "capabilities" not in signer.seen[0].body


async def test_pay_sends_units_key_and_job_and_reads_the_headers(
    signer: StubSigner, sessions: SignerSessions
) -> None:
    signer.answer(Reply(200, PAY_ANSWER))

    paid = await _pay(sessions)

    assert paid == Paid(
        payment_id=PAYMENT_ID, payment="cGF5bWVudA==", segment="c2VnbWVudA==", tickets=2
    )
    [seen] = signer.seen
    assert seen.path == f"/v1/sessions/{SESSION_ID}/payments"
    assert seen.authorization == f"Bearer {TOKEN}"
    assert seen.body == {"units": 3072, "idempotency_key": "job1.1.0", "job": "job1"}


async def test_a_payment_for_an_account_names_it(
    signer: StubSigner, sessions: SignerSessions
) -> None:
    signer.answer(Reply(200, PAY_ANSWER))

    await sessions.pay(SESSION_ID, units=30, idempotency_key="job1.1.0", account="key_1")

    assert signer.seen[0].body == {
        "units": 30,
        "idempotency_key": "job1.1.0",
        "job": "",
        "account": "key_1",
    }


async def test_a_transcoding_payment_names_its_segment(
    signer: StubSigner, sessions: SignerSessions
) -> None:
    signer.answer(Reply(200, PAY_ANSWER))
    digest = bytes(range(32))

    await sessions.pay(
        SESSION_ID,
        units=0,
        idempotency_key="stream.7",
        segment=SignedSegment(seq=7, hash=digest, profiles=("P240p30fps16x9", "P360p30fps16x9")),
    )

    assert signer.seen[0].body == {
        "units": 0,
        "idempotency_key": "stream.7",
        "job": "",
        "segment": {
            "seq": 7,
            "hash_hex": digest.hex(),
            "profiles": ["P240p30fps16x9", "P360p30fps16x9"],
        },
    }


@pytest.mark.parametrize(
    ("debit_units", "body"),
    [
        pytest.param(None, {"outcome": "spent"}, id="spent"),
        pytest.param(0, {"outcome": "spent", "debit_units": 0}, id="zero debit is sent"),
    ],
)
async def test_settle_sends_the_outcome(
    signer: StubSigner, sessions: SignerSessions, debit_units: int | None, body: dict[str, Any]
) -> None:
    signer.answer(Reply(200, {"credit": "0"}))

    await sessions.settle(PAYMENT_ID, "spent", debit_units)

    [seen] = signer.seen
    assert seen.path == f"/v1/payments/{PAYMENT_ID}/settle"
    assert seen.authorization == f"Bearer {TOKEN}"
    assert seen.body == body


async def test_settle_received_with_the_units_produced(
    signer: StubSigner, sessions: SignerSessions
) -> None:
    signer.answer(Reply(200, {"credit": "12"}))

    await sessions.settle(PAYMENT_ID, "received", debit_units=1000)

    assert signer.seen[0].body == {"outcome": "received", "debit_units": 1000}


async def test_no_token_sends_no_bearer_header(signer: StubSigner) -> None:
    signer.answer(Reply(200, SESSION_ANSWER))
    async with signer_http() as http:
        await _open(SignerSessions(http, signer.url, None))

    assert signer.seen[0].authorization is None


# --- refusals: one type per status and call, never retried ---------------------------------


async def _call(sessions: SignerSessions, call: str) -> object:
    if call == "open":
        return await _open(sessions)
    if call == "pay":
        return await _pay(sessions)
    await sessions.settle(PAYMENT_ID, "staged")
    return None


@pytest.mark.parametrize(
    ("call", "status", "kind"),
    [
        pytest.param("open", 481, PriceAboveCeiling, id="open 481"),
        pytest.param("open", 403, PaymentCapExceeded, id="open 403"),
        pytest.param("open", 400, OfferRefused, id="open 400"),
        pytest.param("open", 480, RefreshNeeded, id="open 480"),
        pytest.param("pay", 403, PaymentCapExceeded, id="pay 403"),
        pytest.param("pay", 429, BudgetExhausted, id="pay 429"),
        pytest.param("pay", 480, RefreshNeeded, id="pay 480"),
        pytest.param("pay", 404, UnknownSession, id="pay 404"),
        pytest.param("pay", 400, InvalidPaymentRequest, id="pay 400"),
        pytest.param("pay", 409, InvalidPaymentRequest, id="pay 409"),
        pytest.param("settle", 404, UnknownPayment, id="settle 404"),
        pytest.param("settle", 400, InvalidPaymentRequest, id="settle 400"),
    ],
)
async def test_each_refusal_is_its_type_with_the_signers_message(
    signer: StubSigner, sessions: SignerSessions, call: str, status: int, kind: type[PaymentError]
) -> None:
    signer.answer(_error(status, f"why {status}"))

    with pytest.raises(PaymentError) as raised:
        await _call(sessions, call)

    assert type(raised.value) is kind
    assert raised.value.message == f"why {status}"
    assert len(signer.seen) == 1, "a refusal is an answer: never asked again"


async def test_a_refusal_without_the_envelope_still_has_a_message(
    signer: StubSigner, sessions: SignerSessions
) -> None:
    signer.answer(Reply(429, "Too Many Requests"))

    with pytest.raises(BudgetExhausted) as raised:
        await _pay(sessions)

    assert raised.value.message == "payment signer answered 429"


@pytest.mark.parametrize(
    ("call", "status"),
    [
        pytest.param("open", 404, id="open 404: wrong signer URL"),
        pytest.param("open", 503, id="open 503"),
        pytest.param("pay", 500, id="pay 500"),
        pytest.param("pay", 401, id="pay 401: wrong token"),
        pytest.param("settle", 502, id="settle 502"),
    ],
)
async def test_an_unusable_status_is_tried_three_times_then_unavailable(
    signer: StubSigner, sessions: SignerSessions, call: str, status: int
) -> None:
    signer.otherwise = _error(status, "no")
    started = time.monotonic()

    with pytest.raises(SignerUnavailable):
        await _call(sessions, call)

    assert len(signer.seen) == 3
    assert len({repr(s.body) for s in signer.seen}) == 1, "the same body every time"
    assert time.monotonic() - started >= 0.6, "0.2 s, then 0.4 s between tries"


# --- retries: every call is idempotent on the signer ------------------------------------


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(_error(503, "audit stream unavailable"), id="503"),
        pytest.param(Reply(drop=True), id="connection dropped"),
        pytest.param(Reply(200, "<html>proxy</html>"), id="200 not JSON"),
        pytest.param(Reply(200, [1, 2]), id="200 not an object"),
    ],
)
async def test_a_payment_without_a_usable_answer_is_asked_again_with_the_same_key(
    signer: StubSigner, sessions: SignerSessions, first: Reply
) -> None:
    signer.answer(first, Reply(200, PAY_ANSWER))

    paid = await _pay(sessions)

    assert paid.payment_id == PAYMENT_ID
    assert len(signer.seen) == 2
    first_body, second_body = signer.bodies
    assert first_body == second_body
    assert second_body["idempotency_key"] == "job1.1.0"


async def test_a_payment_answered_too_late_is_asked_again_with_the_same_key(
    signer: StubSigner,
) -> None:
    signer.answer(Reply(200, PAY_ANSWER, delay_s=1.0), Reply(200, PAY_ANSWER))
    timeout = aiohttp.ClientTimeout(total=0.3)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        paid = await _pay(SignerSessions(http, signer.url, TOKEN))

    assert paid.payment_id == PAYMENT_ID
    assert [s.body["idempotency_key"] for s in signer.seen] == ["job1.1.0", "job1.1.0"]
    assert signer.bodies[0] == signer.bodies[1]


@pytest.mark.parametrize("call", ["open", "settle"])
async def test_open_and_settle_are_asked_again_too(
    signer: StubSigner, sessions: SignerSessions, call: str
) -> None:
    answer = SESSION_ANSWER if call == "open" else {"credit": "0"}
    signer.answer(Reply(drop=True), _error(502, "bad gateway"), Reply(200, answer))

    await _call(sessions, call)

    assert len(signer.seen) == 3
    assert len({repr(s.body) for s in signer.seen}) == 1


async def test_three_lost_answers_make_the_signer_unavailable(
    signer: StubSigner, sessions: SignerSessions
) -> None:
    signer.answer(Reply(drop=True), _error(503, "down"), Reply(drop=True), Reply(200, PAY_ANSWER))

    with pytest.raises(SignerUnavailable):
        await _pay(sessions)

    assert len(signer.seen) == 3


async def test_a_signer_nobody_listens_on_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with signer_http() as http:
        with pytest.raises(SignerUnavailable):
            await _pay(SignerSessions(http, url, TOKEN))


# --- answers that are 200 but not what was asked ----------------------------------------


@pytest.mark.parametrize(
    ("call", "body"),
    [
        pytest.param(
            "open",
            {k: v for k, v in SESSION_ANSWER.items() if k != "session_id"},
            id="open-no-session-id",
        ),
        pytest.param("open", {**SESSION_ANSWER, "expires_at": "soon"}, id="open-expiry-not-int"),
        pytest.param(
            "pay", {k: v for k, v in PAY_ANSWER.items() if k != "segment"}, id="pay-no-segment"
        ),
        pytest.param("pay", {**PAY_ANSWER, "tickets": "two"}, id="pay-tickets-not-int"),
        pytest.param("pay", {}, id="pay-empty-object"),
        pytest.param("open", "not json", id="open-not-json"),
        pytest.param("pay", "not json", id="pay-not-json"),
        pytest.param("pay", None, id="pay-null"),
    ],
)
async def test_an_incomplete_or_garbled_answer_is_signer_unavailable(
    signer: StubSigner, sessions: SignerSessions, call: str, body: Any
) -> None:
    signer.otherwise = Reply(200, body)

    with pytest.raises(SignerUnavailable):
        await _call(sessions, call)
