"""Paying the devnet as a gateway does: params from GetOrchestrator, signed tickets, the ledger.

The test holds the gateway's key and builds everything a payment-signer would (tickets with
lpgw.pm, headers with lpgw.wire, the Payment protobuf here), against real devnet processes.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from fractions import Fraction

import grpc
import httpx
import pytest
from lpgw.devnet.launcher import RunningDevnet
from lpgw.eth import PrivateKey, to_checksum
from lpgw.pm import TicketParams
from lpgw.pm.chain import DevnetChain, validate_params
from lpgw.pm.encoding import minbytes, uint
from lpgw.wire.capabilities import ai_discovery_capabilities, ai_job_capabilities
from lpgw.wire.headers import AI_WORKER_AUTHORIZATION, encode_payment, encode_segment
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.orchestrator_request import build_orchestrator_request, sign_orchestrator_request
from lpgw.wire.segdata import ai_segdata

TURBO = "stabilityai/sdxl-turbo"
BUCKET = f"27_{TURBO}"
PRICE = Fraction(1000, 3)
TICKET_EV = 1_000_000_000
SIDE = 64
UNITS = SIDE * SIDE
BODY = {"model_id": TURBO, "prompt": "a harbour", "width": SIDE, "height": SIDE, "seed": 1}

SenderParams = Callable[[pb.OrchestratorInfo], TicketParams]
Pay = Callable[..., pb.Payment]


# --- the gateway side ---------------------------------------------------------------------


async def get_info(
    devnet: RunningDevnet, key: PrivateKey | None, capabilities: pb.Capabilities | None
) -> pb.OrchestratorInfo:
    address, sig = sign_orchestrator_request(key) if key is not None else (b"", b"")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{devnet.port}") as channel:
        call: Callable[..., Awaitable[pb.OrchestratorInfo]] = channel.unary_unary(
            "/net.Orchestrator/GetOrchestrator",
            request_serializer=pb.OrchestratorRequest.SerializeToString,
            response_deserializer=pb.OrchestratorInfo.FromString,
        )
        return await call(build_orchestrator_request(address, sig, capabilities), timeout=5)


async def job_info(devnet: RunningDevnet, key: PrivateKey) -> pb.OrchestratorInfo:
    return await get_info(devnet, key, ai_discovery_capabilities("text-to-image", TURBO))


def segment(info: pb.OrchestratorInfo, signer: PrivateKey | None) -> str:
    caps = ai_job_capabilities("text-to-image", TURBO, warm=True)
    return encode_segment(ai_segdata("text-to-image", TURBO, info.auth_token, caps, signer))


async def generate(
    http: httpx.AsyncClient, devnet: RunningDevnet, paid: pb.Payment | None, seg: str
) -> httpx.Response:
    headers = {
        "Livepeer-Segment": seg,
        "Livepeer-Payment": encode_payment(paid),
        "Authorization": AI_WORKER_AUTHORIZATION,
    }
    return await http.post(f"{devnet.url}/text-to-image", json=BODY, headers=headers)


async def ledger_of(http: httpx.AsyncClient, devnet: RunningDevnet, key: PrivateKey) -> object:
    ledger = (await http.get(f"{devnet.url}/ledger")).json()
    return ledger["senders"].get(to_checksum(key.address))


def rat(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value}"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture
def gateway() -> PrivateKey:
    """A fresh sender per test, so each test reads its own ledger entry."""
    return PrivateKey.generate()


# --- ticket params ------------------------------------------------------------------------


async def test_get_orchestrator_issues_params_the_gateway_accepts(
    paid: RunningDevnet, gateway: PrivateKey, sender_params: SenderParams
) -> None:
    chain = DevnetChain()
    info = await job_info(paid, gateway)
    params = sender_params(info)

    validate_params(chain, params, sender=gateway.address)
    assert to_checksum(params.recipient) == paid.address
    assert params.expiration_block - chain.latest_l1_block() in (39, 40)
    assert params.expiration_params.creation_round == chain.last_initialized_round()
    assert abs(params.ev - TICKET_EV) <= 1
    assert 99 < params.face_value / params.ev < 101
    assert Fraction(info.price_info.pricePerUnit, info.price_info.pixelsPerUnit) == PRICE


async def test_free_prices_and_off_chain_gateways_get_no_params(
    paid: RunningDevnet, gateway: PrivateKey
) -> None:
    general = await get_info(paid, gateway, None)
    anonymous = await get_info(paid, None, ai_discovery_capabilities("text-to-image", TURBO))

    assert general.price_info.pricePerUnit == 0 and not general.HasField("ticket_params")
    assert anonymous.price_info.pricePerUnit > 0 and not anonymous.HasField("ticket_params")


# --- paying for work ----------------------------------------------------------------------


async def test_a_paid_request_is_credited_its_ev_and_debited_its_fee(
    paid: RunningDevnet,
    gateway: PrivateKey,
    http: httpx.AsyncClient,
    sender_params: SenderParams,
    payment: Pay,
) -> None:
    info = await job_info(paid, gateway)
    ev = sender_params(info).ev

    response = await generate(http, paid, payment(info, gateway, [1]), segment(info, gateway))
    entry = await ledger_of(http, paid, gateway)

    assert response.status_code == 200, response.text
    assert isinstance(entry, dict)
    wins = entry.pop("winning_tickets")  # one ticket in a hundred wins
    assert entry.pop("winning_face_value") == str(wins * sender_params(info).face_value)
    assert entry == {
        "tickets": 1,
        "credited_tickets": 1,
        "ev_received": rat(ev),
        "debited": rat(PRICE * UNITS),
        "buckets": {BUCKET: rat(ev - PRICE * UNITS)},
    }


@pytest.mark.parametrize(
    "paid_with",
    [
        pytest.param("nothing", id="empty Livepeer-Payment"),
        pytest.param("no tickets", id="params but no tickets"),
    ],
)
async def test_work_without_credit_is_refused(
    paid: RunningDevnet, gateway: PrivateKey, http: httpx.AsyncClient, paid_with: str, payment: Pay
) -> None:
    info = await job_info(paid, gateway)
    sent = None if paid_with == "nothing" else payment(info, gateway, [])
    signer = None if paid_with == "nothing" else gateway

    response = await generate(http, paid, sent, segment(info, signer))

    assert (response.status_code, response.text) == (400, "Insufficient balance\n")


async def test_a_reused_nonce_is_refused(
    paid: RunningDevnet, gateway: PrivateKey, http: httpx.AsyncClient, payment: Pay
) -> None:
    info = await job_info(paid, gateway)
    first = await generate(http, paid, payment(info, gateway, [1]), segment(info, gateway))

    again = await generate(http, paid, payment(info, gateway, [1]), segment(info, gateway))

    assert first.status_code == 200
    assert again.status_code == 400
    assert again.text == (
        f"invalid ticket senderNonce: already seen sender={to_checksum(gateway.address)} nonce=1\n"
    )


async def test_a_ticket_signed_by_another_key_is_refused(
    paid: RunningDevnet, gateway: PrivateKey, http: httpx.AsyncClient, payment: Pay
) -> None:
    info = await job_info(paid, gateway)
    forged = payment(info, gateway, [1], signer=PrivateKey.generate())

    response = await generate(http, paid, forged, segment(info, gateway))

    assert (response.status_code, response.text) == (400, "invalid ticket signature\n")


def other_price(sent: pb.Payment, _: PrivateKey) -> None:
    sent.expected_price.pricePerUnit += 1


def other_seed(sent: pb.Payment, _: PrivateKey) -> None:
    sent.ticket_params.seed = minbytes(uint(sent.ticket_params.seed) + 1)


def other_sender(sent: pb.Payment, other: PrivateKey) -> None:
    sent.sender = other.address


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(other_price, id="price"),
        pytest.param(other_seed, id="seed"),
        pytest.param(other_sender, id="sender"),
    ],
)
async def test_params_echoed_differently_fail_the_recipient_rand(
    paid: RunningDevnet,
    gateway: PrivateKey,
    http: httpx.AsyncClient,
    change: Callable[[pb.Payment, PrivateKey], None],
    payment: Pay,
) -> None:
    other = PrivateKey.generate()
    info = await job_info(paid, gateway)
    sent = payment(info, gateway, [1])
    change(sent, other)
    signer = other if sent.sender == other.address else gateway

    response = await generate(http, paid, sent, segment(info, signer))

    assert response.status_code == 400
    assert response.text == "invalid recipientRand for ticket recipientRandHash\n"


async def test_expired_params_are_refused(
    fast_chain: RunningDevnet, gateway: PrivateKey, http: httpx.AsyncClient, payment: Pay
) -> None:
    info = await job_info(fast_chain, gateway)
    await asyncio.sleep(41 * 0.02 + 0.2)  # 40 blocks of 20 ms, and some

    response = await generate(http, fast_chain, payment(info, gateway, [1]), segment(info, gateway))

    assert (response.status_code, response.text) == (400, "TicketParams expired\n")


@pytest.mark.parametrize(
    "signed_by",
    [pytest.param("another key", id="another key"), pytest.param("nobody", id="unsigned")],
)
async def test_segment_credentials_must_be_signed_by_the_sender(
    paid: RunningDevnet, gateway: PrivateKey, http: httpx.AsyncClient, signed_by: str, payment: Pay
) -> None:
    info = await job_info(paid, gateway)
    signer = PrivateKey.generate() if signed_by == "another key" else None

    response = await generate(http, paid, payment(info, gateway, [1]), segment(info, signer))

    assert (response.status_code, response.text) == (403, "ErrSegSig\n")


async def test_without_payments_unpaid_work_is_served(
    fleet: dict[str, RunningDevnet], http: httpx.AsyncClient
) -> None:
    off_chain = fleet["plain"]
    info = await get_info(off_chain, None, ai_discovery_capabilities("text-to-image", TURBO))

    response = await generate(http, off_chain, None, segment(info, None))
    ledger = (await http.get(f"{off_chain.url}/ledger")).json()

    assert response.status_code == 200
    assert not info.HasField("ticket_params")
    assert ledger == {"payments": False, "senders": {}}


# --- POST /payment ------------------------------------------------------------------------


async def top_up(
    http: httpx.AsyncClient, devnet: RunningDevnet, sent: pb.Payment, seg: str
) -> httpx.Response:
    headers = {"Livepeer-Segment": seg, "Livepeer-Payment": encode_payment(sent)}
    return await http.post(f"{devnet.url}/payment", content=b"", headers=headers)


async def test_payment_tops_up_the_bucket_and_returns_fresh_params(
    paid: RunningDevnet,
    gateway: PrivateKey,
    http: httpx.AsyncClient,
    sender_params: SenderParams,
    payment: Pay,
) -> None:
    info = await job_info(paid, gateway)
    ev = sender_params(info).ev

    response = await top_up(http, paid, payment(info, gateway, [1, 2, 3]), segment(info, gateway))
    result = pb.PaymentResult.FromString(response.content)
    entry = await ledger_of(http, paid, gateway)

    assert response.status_code == 200, response.text
    assert result.info.auth_token == info.auth_token
    assert result.info.price_info == info.price_info
    assert result.info.ticket_params.recipient_rand_hash != info.ticket_params.recipient_rand_hash
    validate_params(DevnetChain(), sender_params(result.info), sender=gateway.address)
    assert isinstance(entry, dict) and entry["buckets"] == {BUCKET: rat(3 * ev)}

    # The credit pays for work sent with the new params and no tickets.
    work = await generate(http, paid, payment(result.info, gateway, []), segment(info, gateway))
    entry = await ledger_of(http, paid, gateway)
    assert work.status_code == 200, work.text
    assert isinstance(entry, dict) and entry["buckets"] == {BUCKET: rat(3 * ev - PRICE * UNITS)}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({"Livepeer-Payment": "%%%"}, 402, id="garbled payment"),
        pytest.param({"Livepeer-Segment": "%%%"}, 403, id="garbled segment"),
    ],
)
async def test_payment_refusals(
    paid: RunningDevnet,
    gateway: PrivateKey,
    http: httpx.AsyncClient,
    headers: dict[str, str],
    status: int,
    payment: Pay,
) -> None:
    info = await job_info(paid, gateway)
    sent = {
        "Livepeer-Segment": segment(info, gateway),
        "Livepeer-Payment": encode_payment(payment(info, gateway, [1])),
        **headers,
    }

    response = await http.post(f"{paid.url}/payment", content=b"", headers=sent)

    assert response.status_code == status
