"""The signer in-process (httpx ASGITransport, real NATS and Valkey) and as a subprocess, and a
test orchestrator that issues params and receives payments with lpgw.pm, as the devnet does."""

import base64
import contextlib
import hashlib
import math
import os
import re
import secrets
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import nats.errors
import pytest
import redis.asyncio as aioredis
from lpgw.bus import Bus
from lpgw.bus.events import SignatureAudit
from lpgw.eth import PrivateKey, check_form
from lpgw.pm import (
    ExpirationParams,
    Payment,
    PaymentOutcome,
    PriceInfo,
    Recipient,
    RecipientConfig,
    SeenNonces,
    TicketParams,
    TicketSenderParams,
    process_payment,
)
from lpgw.pm.chain import DevnetChain, issue_context, recipient_view
from lpgw.pm.encoding import minbytes, uint
from lpgw.pm.ev import ticket_ev
from lpgw.pm.recipient import new_seed
from lpgw.service.health import Readiness
from lpgw.signer.api.app import create_app
from lpgw.signer.api.auth import BearerAuth, token_digest
from lpgw.signer.assembly import build_app
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.payments.audit import BusAudit
from lpgw.signer.settings import SignerSettings
from lpgw.stack.logged import LoggedProcess
from lpgw.state import Keys, connect
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import verify_segdata
from nats.js.errors import NotFoundError

TOKEN = "test-token-0123456789"
CLIENT = "tester"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OTHER_TOKEN = "other-token-0123456789"
OTHER_CLIENT = "other"
OTHER_AUTH = {"Authorization": f"Bearer {OTHER_TOKEN}"}
BUCKET = "27_m"
OPEN = "/v1/sessions"
PAY_ROUTE = "/v1/sessions/{session_id}/payments"


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def auth_header() -> dict[str, str]:
    return dict(AUTH)


@pytest.fixture
def key() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture
async def signer_bus(bus: Bus) -> AsyncIterator[Bus]:
    """The test's bus; the AUDIT stream of its prefix is deleted afterwards."""
    try:
        yield bus
    finally:
        with contextlib.suppress(NotFoundError, nats.errors.Error):
            await bus.js.delete_stream(bus.names.audit_stream)


@pytest.fixture
def audit(signer_bus: Bus) -> BusAudit:
    return BusAudit(signer_bus)


async def audit_events(bus: Bus) -> list[SignatureAudit]:
    """Every SignatureAudit stored in the prefix's AUDIT stream, in order."""
    info = await bus.js.stream_info(bus.names.audit_stream)
    events = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        if info.state.messages == 0:
            break
        raw = await bus.js.get_msg(bus.names.audit_stream, seq)
        events.append(SignatureAudit.model_validate_json(raw.data or b""))
    return events


@pytest.fixture
def read_audit(signer_bus: Bus) -> Callable[[], Awaitable[list[SignatureAudit]]]:
    return lambda: audit_events(signer_bus)


def signer_settings(
    nats_url: str, redis_url: str, prefix: str, data_dir: Path, **overrides: Any
) -> SignerSettings:
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    values: dict[str, Any] = {
        "nats_url": nats_url,
        "redis_url": redis_url,
        "bus_prefix": prefix,
        "signer_data_dir": data_dir,
        "signer_token_hashes": (f"{CLIENT}={digest}",),
        **overrides,
    }
    return SignerSettings(**values)


Replica = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def make_replica(
    nats_url: str,
    redis_url: str,
    prefix: str,
    tmp_path: Path,
    redis: aioredis.Redis,
    signer_bus: Bus,
) -> AsyncIterator[Replica]:
    """make_replica(key, clock=..., webhook_transport=..., **settings) -> client of one more
    in-process signer sharing this test's Redis keys and NATS prefix (as a second replica does);
    `webhook_transport` serves the auth webhook URL in-process."""
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient())

        async def make(
            key: PrivateKey,
            clock: Callable[[], float] = time.time,
            webhook_transport: httpx.AsyncBaseTransport | None = None,
            **overrides: Any,
        ) -> httpx.AsyncClient:
            settings = signer_settings(nats_url, redis_url, prefix, tmp_path, **overrides)
            own_redis = await connect(redis_url)  # each replica its own connections
            stack.push_async_callback(own_redis.aclose)
            app = build_app(
                settings,
                SigningService(key),
                BearerAuth(settings.client_digests),
                redis=own_redis,
                bus=signer_bus,
                http=http
                if webhook_transport is None
                else await stack.enter_async_context(
                    httpx.AsyncClient(transport=webhook_transport)
                ),
                clock=clock,
            )
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(
                transport=transport, base_url="http://signer", headers=AUTH, timeout=60
            )
            return await stack.enter_async_context(client)

        yield make


@pytest.fixture
async def signer(key: PrivateKey, audit: BusAudit) -> AsyncIterator[httpx.AsyncClient]:
    """An unauthenticated client of an in-process signer accepting TOKEN (no Redis needed)."""
    app = create_app(SigningService(key), BearerAuth([token_digest(TOKEN)]), Readiness(), audit)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://signer") as client:
        yield client


# --- a test orchestrator --------------------------------------------------------------------


def wire_params(params: TicketParams) -> pb.TicketParams:
    return pb.TicketParams(
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
    )


def pm_payment(wire: pb.Payment) -> Payment:
    tp = wire.ticket_params
    params = None
    if wire.HasField("ticket_params"):
        params = TicketParams(
            recipient=tp.recipient,
            face_value=uint(tp.face_value),
            win_prob=uint(tp.win_prob),
            recipient_rand_hash=tp.recipient_rand_hash,
            seed=uint(tp.seed),
            expiration_block=uint(tp.expiration_block),
        )
    expiration = None
    if wire.HasField("expiration_params"):
        expiration = ExpirationParams(
            wire.expiration_params.creation_round,
            wire.expiration_params.creation_round_block_hash,
        )
    price = None
    if wire.HasField("expected_price"):
        price = PriceInfo(wire.expected_price.pricePerUnit, wire.expected_price.pixelsPerUnit)
    return Payment(
        sender=wire.sender,
        ticket_params=params,
        expiration_params=expiration,
        tickets=tuple(TicketSenderParams(t.sender_nonce, t.sig) for t in wire.ticket_sender_params),
        expected_price=price,
    )


class TestOrchestrator:
    """Issues params to a sender and checks payments exactly as an lpgw.pm recipient does."""

    __test__ = False

    def __init__(
        self,
        ticket_ev: int = 1_000_000_000,
        clock: Callable[[], float] = time.time,
        transcoder: str = "https://orchestrator.test:8935",
    ) -> None:
        self.key = PrivateKey.generate()
        self.recipient = Recipient.create(self.key.address, RecipientConfig(ticket_ev=ticket_ev))
        self.chain = DevnetChain(clock)
        self.clock = clock
        self.transcoder = transcoder
        self.seen: Mapping[bytes, SeenNonces] = {}
        self.credit = Fraction(0)

    def params(self, sender: bytes, price: PriceInfo) -> TicketParams:
        context = issue_context(self.chain, sender=sender, recipient=self.key.address)
        return self.recipient.ticket_params(
            sender=sender, price=price.price(), context=context, seed=new_seed()
        )

    def info(
        self,
        sender: bytes,
        price: tuple[int, int] = (10, 1),
        *,
        token_lifetime_s: int = 1800,
        params: TicketParams | None = None,
        with_params: bool = True,
    ) -> pb.OrchestratorInfo:
        price_info = PriceInfo(*price)
        info = pb.OrchestratorInfo(
            transcoder=self.transcoder,
            price_info=pb.PriceInfo(pricePerUnit=price[0], pixelsPerUnit=price[1]),
            address=self.key.address,
            auth_token=pb.AuthToken(
                token=secrets.token_bytes(32),
                session_id=secrets.token_hex(4),
                expiration=int(self.clock()) + token_lifetime_s,
            ),
        )
        if with_params:
            info.ticket_params.CopyFrom(wire_params(params or self.params(sender, price_info)))
        return info

    def receive(self, payment_b64: str) -> PaymentOutcome:
        wire = pb.Payment.FromString(base64.b64decode(payment_b64))
        payment = pm_payment(wire)
        view = recipient_view(self.chain, sender=wire.sender, recipient=self.key.address)
        outcome = process_payment(self.recipient, payment, view, self.seen)
        self.seen = outcome.seen
        self.credit += outcome.credit
        return outcome


def b64info(info: pb.OrchestratorInfo) -> str:
    return base64.b64encode(info.SerializeToString()).decode()


def check_segment(segment_b64: str, sender: bytes) -> pb.SegData:
    seg = pb.SegData.FromString(base64.b64decode(segment_b64))
    verify_segdata(seg, sender)
    return seg


@pytest.fixture
def orchestrator() -> TestOrchestrator:
    return TestOrchestrator()


# --- payment sessions -----------------------------------------------------------------------


class Clock:
    """A clock the test moves (whole seconds from now)."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def two_clients() -> tuple[str, str]:
    """SIGNER_TOKEN_HASHES accepting TOKEN as `tester` and OTHER_TOKEN as `other`."""
    return (f"{CLIENT}={digest(TOKEN)}", f"{OTHER_CLIENT}={digest(OTHER_TOKEN)}")


def open_body(
    info: pb.OrchestratorInfo | str,
    *,
    bucket: str = BUCKET,
    pipeline: str = "text-to-image",
    model_id: str = "m",
    **extra: Any,
) -> dict[str, Any]:
    encoded = info if isinstance(info, str) else b64info(info)
    return {
        "orchestrator": encoded,
        "pipeline": pipeline,
        "model_id": model_id,
        "bucket": bucket,
        **extra,
    }


async def open_session(
    signer: httpx.AsyncClient, info: pb.OrchestratorInfo | str, **extra: Any
) -> dict[str, Any]:
    """POST /v1/sessions, which must answer 200; its body."""
    response = await signer.post(OPEN, json=open_body(info, **extra))
    assert response.status_code == 200, response.text
    opened: dict[str, Any] = response.json()
    return opened


def pay_path(session_id: str) -> str:
    return PAY_ROUTE.format(session_id=session_id)


async def pay(
    signer: httpx.AsyncClient,
    session_id: str,
    units: int,
    idempotency_key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    """POST one payment (a fresh idempotency key unless given)."""
    body = {"units": units, "idempotency_key": idempotency_key or uuid.uuid4().hex, **extra}
    return await signer.post(pay_path(session_id), json=body)


async def paid(
    signer: httpx.AsyncClient, session_id: str, units: int, **extra: Any
) -> dict[str, Any]:
    """`pay`, which must answer 200; its body."""
    response = await pay(signer, session_id, units, **extra)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def payment_of(payment_b64: str) -> pb.Payment:
    return pb.Payment.FromString(base64.b64decode(payment_b64))


def nonces_of(payment_b64: str) -> list[int]:
    return [t.sender_nonce for t in payment_of(payment_b64).ticket_sender_params]


def info_ev(info: pb.OrchestratorInfo) -> Fraction:
    """The exact EV of one ticket under the offer's params (face value × win probability)."""
    params = info.ticket_params
    return ticket_ev(uint(params.face_value), uint(params.win_prob))


def spec_tickets(credit: Fraction, fee: Fraction, ev: Fraction, headroom: int = 1) -> int:
    """The README's rule, written independently of the signer: no ticket while the credit
    covers max(fee, EV) + headroom × EV, else enough whole tickets to reach it."""
    target = max(fee, ev) + headroom * ev
    if credit >= target:
        return 0
    return math.ceil((target - credit) / ev)


def nonce_key(prefix: str, sender: bytes, info: pb.OrchestratorInfo) -> str:
    rand_hash = info.ticket_params.recipient_rand_hash
    return Keys(prefix).nonce("0x" + sender.hex(), "0x" + rand_hash.hex())


def credit_key(prefix: str, info: pb.OrchestratorInfo, bucket: str = BUCKET) -> str:
    return Keys(prefix).credit("0x" + info.ticket_params.recipient.hex(), bucket)


async def nonce_counter(
    redis: aioredis.Redis, prefix: str, sender: bytes, info: pb.OrchestratorInfo
) -> int:
    """The shared nonce counter of these params (0 when never used)."""
    return int(await redis.get(nonce_key(prefix, sender, info)) or 0)


async def stored_credit(
    redis: aioredis.Redis, prefix: str, info: pb.OrchestratorInfo, bucket: str = BUCKET
) -> Fraction | None:
    """The credit with this orchestrator and bucket as Redis holds it (None: no credit kept)."""
    amount = await redis.hget(credit_key(prefix, info, bucket), "c")
    if amount is None:
        return None
    return Fraction(amount.decode() if isinstance(amount, bytes) else amount)


async def snapshot(redis: aioredis.Redis, prefix: str) -> dict[bytes, Any]:
    """Every key of the test's prefix with its value: sessions, credit, nonce counters,
    payment records, budget counters."""
    values: dict[bytes, Any] = {}
    for name in sorted([k async for k in redis.scan_iter(match=f"{prefix}:*")]):
        kind = await redis.type(name)
        values[name] = await (redis.hgetall(name) if kind == b"hash" else redis.get(name))
    return values


@pytest.fixture
def prefix_snapshot(
    redis: aioredis.Redis, prefix: str
) -> Callable[[], Awaitable[dict[bytes, Any]]]:
    """prefix_snapshot() -> `snapshot` of this test's Redis prefix."""
    return lambda: snapshot(redis, prefix)


def signature_bytes(hex_signature: str) -> bytes:
    """A signature the signer answered: 0x and 65 bytes of lower-case hex, in canonical form."""
    assert re.fullmatch(r"0x[0-9a-f]{130}", hex_signature)
    signature = bytes.fromhex(hex_signature[2:])
    check_form(signature)
    return signature


async def signatures_counted(signer: httpx.AsyncClient, route: str) -> float:
    """`lpgw_signer_signatures_total` of one route in the signer's /metrics (0 until counted)."""
    metrics = (await signer.get("/metrics")).text
    pattern = rf'^lpgw_signer_signatures_total\{{route="{re.escape(route)}"\}} (\S+)$'
    line = re.search(pattern, metrics, re.MULTILINE)
    return float(line.group(1)) if line else 0.0


@pytest.fixture
def helpers() -> Any:
    """Module-level helpers for test files (importlib mode cannot import conftest)."""

    class Helpers:
        b64info = staticmethod(b64info)
        check_segment = staticmethod(check_segment)
        audit_events = staticmethod(audit_events)
        TestOrchestrator = globals()["TestOrchestrator"]
        Clock = globals()["Clock"]
        pm_payment = staticmethod(pm_payment)
        digest = staticmethod(digest)
        two_clients = staticmethod(two_clients)
        open_body = staticmethod(open_body)
        open_session = staticmethod(open_session)
        pay_path = staticmethod(pay_path)
        pay = staticmethod(pay)
        paid = staticmethod(paid)
        payment_of = staticmethod(payment_of)
        nonces_of = staticmethod(nonces_of)
        spec_tickets = staticmethod(spec_tickets)
        info_ev = staticmethod(info_ev)
        nonce_key = staticmethod(nonce_key)
        credit_key = staticmethod(credit_key)
        nonce_counter = staticmethod(nonce_counter)
        stored_credit = staticmethod(stored_credit)
        snapshot = staticmethod(snapshot)
        signatures_counted = staticmethod(signatures_counted)
        signature_bytes = staticmethod(signature_bytes)
        TOKEN = globals()["TOKEN"]
        CLIENT = globals()["CLIENT"]
        AUTH = globals()["AUTH"]
        OTHER_TOKEN = globals()["OTHER_TOKEN"]
        OTHER_CLIENT = globals()["OTHER_CLIENT"]
        OTHER_AUTH = globals()["OTHER_AUTH"]
        BUCKET = globals()["BUCKET"]
        OPEN = globals()["OPEN"]
        PAY_ROUTE = globals()["PAY_ROUTE"]

    return Helpers


# --- the signer as a process ----------------------------------------------------------------


class SignerProcess(LoggedProcess):
    """lpgw-payment-signer as a child process, with its log records."""

    def __init__(self, env: Mapping[str, str], cwd: Path) -> None:
        script = Path(sys.executable).with_name("lpgw-payment-signer")
        args = [str(script)] if script.exists() else [sys.executable, "-m", "lpgw.signer.main"]
        super().__init__(args, env, cwd)

    def url(self) -> str:
        listening = self.wait_event("http_listening")
        return f"http://127.0.0.1:{listening['port']}"


@pytest.fixture
def start_signer(
    tmp_path: Path, nats_url: str, redis_url: str, prefix: str
) -> Iterator[Callable[..., SignerProcess]]:
    """start_signer(**env): a signer on a free port (HTTP_PORT=0) with a tmp SIGNER_DATA_DIR,
    using the session's NATS and Valkey under this test's prefix."""
    started: list[SignerProcess] = []
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNER_", "HTTP_", "LPGW_"))}
    base.update(
        HTTP_PORT="0",
        SIGNER_DATA_DIR=str(tmp_path / "data"),
        LOG_LEVEL="INFO",
        NATS_URL=nats_url,
        REDIS_URL=redis_url,
        BUS_PREFIX=prefix,
    )

    def start(**env: str) -> SignerProcess:
        proc = SignerProcess({**base, **env}, tmp_path)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
