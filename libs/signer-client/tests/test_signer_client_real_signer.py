"""The client against the real payment-signer app (uvicorn on a free port, real NATS and Valkey):
BYOC job signatures, and payments counted per account on a JobToken's offer (no auth token)."""

import asyncio
import base64
import contextlib
import hashlib
import math
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
import uvicorn
from aiohttp import web
from lpgw.bus import Bus
from lpgw.eth import PrivateKey, recover_sign
from lpgw.pm import PriceInfo, Recipient, RecipientConfig
from lpgw.pm.chain import DevnetChain, issue_context
from lpgw.pm.encoding import minbytes
from lpgw.pm.recipient import new_seed
from lpgw.signer.api.auth import BearerAuth
from lpgw.signer.assembly import build_app
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.settings import SignerSettings
from lpgw.signer_client.byoc import SignedJob, SignerJobs
from lpgw.signer_client.errors import JobNotSigned, SignerUnavailable
from lpgw.signer_client.sessions import SignerSessions, signer_http
from lpgw.state import Keys
from lpgw.wire.net import lp_rpc_pb2 as pb
from starlette.types import ASGIApp

TOKEN = "gateway-token-0123456789"
PRICE_PER_SECOND = 2_000_000_000
REQUEST = '{"run":"echo","timeout_seconds":30}'
PARAMETERS = '{"orchestrators":{"exclude":[]}}'
ACCOUNT = "key_0123abcd"


@dataclass(frozen=True)
class RealSigner:
    url: str
    key: PrivateKey


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals stay pytest's


@contextlib.asynccontextmanager
async def _serve(app: ASGIApp) -> AsyncIterator[str]:
    """`app` served on a free loopback port, stopped on exit."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off", loop="none", ws="none"
        )
        server = _Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            assert not serving.done(), "the signer did not start"
            await asyncio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            await serving


@pytest.fixture
async def real_signer(
    nats_url: str, redis_url: str, prefix: str, redis: aioredis.Redis, bus: Bus, tmp_path: Path
) -> AsyncIterator[RealSigner]:
    key = PrivateKey.generate()
    settings = SignerSettings(
        nats_url=nats_url,
        redis_url=redis_url,
        bus_prefix=prefix,
        signer_data_dir=tmp_path,
        signer_token_hashes=(f"gateway={hashlib.sha256(TOKEN.encode()).hexdigest()}",),
    )
    async with httpx.AsyncClient() as http:
        app = build_app(
            settings,
            SigningService(key),
            BearerAuth(settings.client_digests),
            redis=redis,
            bus=bus,
            http=http,
        )
        async with _serve(app) as url:
            yield RealSigner(url, key)


def job_token_offer(sender: bytes) -> pb.OrchestratorInfo:
    """What a gateway builds from a `/process/token` JobToken: the orchestrator's ticket params,
    its price per second and its service address; no auth token."""
    orchestrator = PrivateKey.generate()
    recipient = Recipient.create(orchestrator.address, RecipientConfig(ticket_ev=1_000_000_000))
    chain = DevnetChain(time.time)
    context = issue_context(chain, sender=sender, recipient=orchestrator.address)
    price = PriceInfo(PRICE_PER_SECOND, 1)
    params = recipient.ticket_params(
        sender=sender, price=price.price(), context=context, seed=new_seed()
    )
    return pb.OrchestratorInfo(
        transcoder="https://byoc.test:8935",
        price_info=pb.PriceInfo(pricePerUnit=PRICE_PER_SECOND, pixelsPerUnit=1),
        ticket_params=pb.TicketParams(
            recipient=params.recipient,
            face_value=minbytes(params.face_value),
            win_prob=minbytes(params.win_prob),
            recipient_rand_hash=params.recipient_rand_hash,
            seed=minbytes(params.seed),
            expiration_block=minbytes(params.expiration_block),
            expiration_params=pb.TicketExpirationParams(
                creation_round=params.expiration_params.creation_round,
                creation_round_block_hash=params.expiration_params.creation_round_block_hash,
            ),
        ),
    )


async def account_spend(redis: aioredis.Redis, prefix: str) -> tuple[int, int]:
    raw = await redis.hgetall(Keys(prefix).account_spend(ACCOUNT))
    return int(raw.get(b"wei", 0)), int(raw.get(b"payments", 0))


# --- BYOC job signatures ------------------------------------------------------------------


async def test_a_job_is_signed_by_the_gateway_key(real_signer: RealSigner) -> None:
    async with signer_http() as http:
        signed = await SignerJobs(http, real_signer.url, TOKEN).sign_job(REQUEST, PARAMETERS)

    assert signed.sender == real_signer.key.checksum_address
    assert len(signed.sig) == 132 and signed.sig.startswith("0x")
    sig = bytes.fromhex(signed.sig[2:])
    assert recover_sign((REQUEST + PARAMETERS).encode(), sig) == real_signer.key.address


@pytest.mark.parametrize(
    ("request_text", "parameters", "message"),
    [
        pytest.param(
            '{"a":"' + "x" * 22 + '"}',
            "{}",
            "request and parameters of exactly 32 bytes are not signed (the length of a "
            "ticket hash); add whitespace",
            id="32-bytes",
        ),
        pytest.param("[]", "{}", "request must be a JSON object", id="request-not-an-object"),
        pytest.param(REQUEST, "", 'parameters must not be empty (send "{}" for none)', id="empty"),
    ],
)
async def test_text_the_signer_will_not_sign_is_job_not_signed(
    real_signer: RealSigner, request_text: str, parameters: str, message: str
) -> None:
    async with signer_http() as http:
        with pytest.raises(JobNotSigned) as raised:
            await SignerJobs(http, real_signer.url, TOKEN).sign_job(request_text, parameters)
    assert raised.value.message == message


async def test_a_wrong_token_is_signer_unavailable(real_signer: RealSigner) -> None:
    async with signer_http() as http:
        with pytest.raises(SignerUnavailable):
            await SignerJobs(http, real_signer.url, "wrong").sign_job(REQUEST, PARAMETERS)


# --- a BYOC payment session, paid per second and counted for the account -------------------


async def test_byoc_seconds_are_paid_with_tickets_and_counted_for_the_account(
    real_signer: RealSigner, redis: aioredis.Redis, prefix: str
) -> None:
    info = job_token_offer(real_signer.key.address)
    async with signer_http() as http:
        sessions = SignerSessions(http, real_signer.url, TOKEN)
        opened = await sessions.open(
            info.SerializeToString(),
            pipeline="byoc",
            model_id="echo",
            bucket="echo",
            capabilities=None,
        )
        assert opened.free is None
        assert opened.expires_at >= int(time.time()) + 3600 - 5

        paid = await sessions.pay(
            opened.session_id, units=30, idempotency_key="job-1.0", job="job-1", account=ACCOUNT
        )
        again = await sessions.pay(
            opened.session_id, units=30, idempotency_key="job-1.0", job="job-1", account=ACCOUNT
        )
        unaccounted = await sessions.pay(opened.session_id, units=5, idempotency_key="job-2.0")

        assert paid.tickets > 0 and again == paid
        payment = pb.Payment.FromString(base64.b64decode(paid.payment))
        assert len(payment.ticket_sender_params) == paid.tickets
        fee = math.ceil(Fraction(PRICE_PER_SECOND * 30))
        assert await account_spend(redis, prefix) == (fee, 1)
        assert unaccounted.payment_id != paid.payment_id

        await sessions.settle(paid.payment_id, "staged")
        assert await account_spend(redis, prefix) == (0, 0)


# --- what the client does with answers the signer would not give --------------------------


@pytest.fixture
async def stub_url(
    serve_app: Callable[[web.Application], Awaitable[str]],
) -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """A stand-in that answers 503 once, then a signature; it records each body."""
    seen: list[dict[str, object]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(await request.json())
        if len(seen) == 1:
            return web.json_response({"error": {"message": "audit stream unavailable"}}, status=503)
        if len(seen) == 2:
            return web.json_response({"sender": "0x12", "sig": "0x34"})
        return web.json_response({"sender": "0x" + "Ab" * 20, "sig": "0x" + "cd" * 65})

    app = web.Application()
    app.router.add_post("/v1/byoc/sign-job", handle)
    yield await serve_app(app), seen


async def test_an_unusable_answer_is_asked_again_then_a_garbled_one_is_unavailable(
    stub_url: tuple[str, list[dict[str, object]]],
) -> None:
    url, seen = stub_url
    async with signer_http() as http:
        jobs = SignerJobs(http, url, TOKEN)
        with pytest.raises(SignerUnavailable):
            await jobs.sign_job(REQUEST, "{}")  # 503, then a 200 that is no signature
        signed = await jobs.sign_job(REQUEST, "{}")

    assert signed == SignedJob(sender="0x" + "Ab" * 20, sig="0x" + "cd" * 65)
    assert seen == [{"request": REQUEST, "parameters": "{}"}] * 3
