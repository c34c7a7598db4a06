"""POST /v1/payments: payments an lpgw.pm orchestrator accepts, credit per §7, refresh, refusals."""

import base64
from fractions import Fraction
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from lpgw.eth import KECCAK_EMPTY, PrivateKey
from lpgw.pm.encoding import minbytes
from lpgw.pm.ev import MAX_WIN_PROB
from lpgw.state import Keys
from lpgw.wire.net import lp_rpc_pb2 as pb

BUCKET = "27_stabilityai/sdxl-turbo"
EV = Fraction(1_000_000_000)  # the test orchestrator's ticket EV (within 1 wei), face value 1e11
FEE = Fraction(300_000_000)  # 10 units at 30 000 000 wei


def body(info: str, units: int, **extra: Any) -> dict[str, Any]:
    return {
        "orchestrator": info,
        "bucket": BUCKET,
        "units": units,
        "pipeline": "text-to-image",
        "model_id": "stabilityai/sdxl-turbo",
        **extra,
    }


async def test_every_ticket_of_the_payment_is_accepted_by_the_orchestrator(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer: httpx.AsyncClient = await make_replica(key)
    info = orchestrator.info(key.address, price=(10, 1))
    # 512×512 units at 10 wei = 2 621 440 wei of fee; tickets are worth ~1e9 each: one ticket.
    response = await signer.post("/v1/payments", json=body(helpers.b64info(info), 512 * 512))
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["tickets"] == 1
    assert created["fee"] == str(10 * 512 * 512)
    outcome = orchestrator.receive(created["payment"])
    assert outcome.ok, outcome.error
    assert outcome.credited == created["tickets"]
    assert outcome.credit == Fraction(created["ev"])
    payment = pb.Payment.FromString(base64.b64decode(created["payment"]))
    assert payment.sender == key.address
    assert payment.expected_price == info.price_info
    assert payment.expiration_params == info.ticket_params.expiration_params
    assert not payment.ticket_params.HasField("expiration_params")
    seg = helpers.check_segment(created["segment"], key.address)
    assert seg.manifestId == BUCKET.encode()
    assert seg.seq == 0 and seg.hash == KECCAK_EMPTY
    assert seg.auth_token == info.auth_token


async def test_a_large_fee_takes_several_tickets_all_accepted(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    info = helpers.b64info(orchestrator.info(key.address, price=(1000, 1)))
    created = (await signer.post("/v1/payments", json=body(info, 10_500_000))).json()
    assert created["tickets"] == 11  # ceil(1.05e10 / 1e9)
    outcome = orchestrator.receive(created["payment"])
    assert outcome.ok and outcome.credited == 11
    again = (await signer.post("/v1/payments", json=body(info, 10_500_000))).json()
    assert orchestrator.receive(again["payment"]).credited == again["tickets"]
    nonces = [
        t.sender_nonce
        for t in helpers.pm_payment(
            pb.Payment.FromString(base64.b64decode(again["payment"]))
        ).tickets
    ]
    assert nonces == list(range(12, 12 + again["tickets"]))


@pytest.mark.parametrize(
    "with_params", [pytest.param(False, id="no-ticket-params"), pytest.param(True, id="free")]
)
async def test_ticket_less_payment(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any, with_params: bool
) -> None:
    signer = await make_replica(key)
    price = (10, 1) if not with_params else (0, 1)
    info = orchestrator.info(key.address, price=price, with_params=with_params)
    created = (await signer.post("/v1/payments", json=body(helpers.b64info(info), 100))).json()
    assert created["tickets"] == 0
    payment = pb.Payment.FromString(base64.b64decode(created["payment"]))
    assert payment.sender == key.address and not payment.HasField("ticket_params")
    assert payment.expected_price == info.price_info
    assert orchestrator.receive(created["payment"]).ok
    helpers.check_segment(created["segment"], key.address)


# One fee is 0.3 EV, and the orchestrator wants at least one EV of credit: the first call buys
# one ticket; the next one buys what brings the credit back to one EV.
@pytest.mark.parametrize(
    ("outcome", "debit_units", "credit_after", "tickets_next"),
    [
        pytest.param("received", None, -FEE, 1, id="received-debits-the-fee"),
        pytest.param("received", 0, Fraction(0), 0, id="received-debit-zero-keeps-all"),
        pytest.param("received", 40, -4 * FEE, 2, id="received-big-debit-goes-negative"),
        pytest.param("spent", None, None, 1, id="spent-loses-the-credit"),
        pytest.param("staged", None, None, 1, id="staged-puts-back-only-existing"),
    ],
)
async def test_credit_semantics(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    outcome: str,
    debit_units: int | None,
    credit_after: Fraction | None,
    tickets_next: int,
) -> None:
    signer = await make_replica(key)
    info = helpers.b64info(orchestrator.info(key.address, price=(30_000_000, 1)))
    first = (await signer.post("/v1/payments", json=body(info, 10))).json()
    assert first["tickets"] == 1
    done = {"outcome": outcome} | ({} if debit_units is None else {"debit_units": debit_units})
    response = await signer.post(f"/v1/payments/{first['payment_id']}/complete", json=done)
    assert response.status_code == 200, response.text
    # credit_after is relative to the ticket's exact EV; None means nothing is left.
    expected = Fraction(0) if credit_after is None else Fraction(first["ev"]) + credit_after
    assert Fraction(response.json()["credit"]) == expected
    second = (await signer.post("/v1/payments", json=body(info, 10))).json()
    assert second["tickets"] == tickets_next
    again = await signer.post(f"/v1/payments/{first['payment_id']}/complete", json=done)
    assert again.status_code == 404


async def test_running_requests_reserve_the_credit(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    info = helpers.b64info(orchestrator.info(key.address, price=(30_000_000, 1)))
    first = (await signer.post("/v1/payments", json=body(info, 10))).json()
    await signer.post(
        f"/v1/payments/{first['payment_id']}/complete",
        json={"outcome": "received", "debit_units": 0},
    )
    running = (await signer.post("/v1/payments", json=body(info, 10))).json()
    assert running["tickets"] == 0  # one EV of credit covers the request
    concurrent = (await signer.post("/v1/payments", json=body(info, 10))).json()
    assert concurrent["tickets"] == 1  # the credit is reserved by the running request
    staged = await signer.post(
        f"/v1/payments/{running['payment_id']}/complete", json={"outcome": "staged"}
    )
    assert Fraction(staged.json()["credit"]) == Fraction(first["ev"])


async def test_uncompleted_payments_expire_as_spent(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await make_replica(key, signer_pending_ttl_s=1)
    info = helpers.b64info(orchestrator.info(key.address, price=(30_000_000, 1)))
    first = (await signer.post("/v1/payments", json=body(info, 10))).json()
    assert await redis.ttl(Keys(prefix).pending_payment(first["payment_id"])) <= 1
    await redis.delete(Keys(prefix).pending_payment(first["payment_id"]))  # what expiry does
    response = await signer.post(
        f"/v1/payments/{first['payment_id']}/complete", json={"outcome": "received"}
    )
    assert response.status_code == 404
    assert (await signer.post("/v1/payments", json=body(info, 10))).json()["tickets"] == 1


async def test_past_the_nonce_threshold_the_caller_must_refresh(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key, signer_nonce_refresh_at=15)
    info = orchestrator.info(key.address, price=(1000, 1))
    request = body(helpers.b64info(info), 10_000_000)  # 10 tickets a call
    assert (await signer.post("/v1/payments", json=request)).json()["tickets"] == 10
    refused = await signer.post("/v1/payments", json=request)
    assert refused.status_code == 480
    assert refused.headers["livepeer-orchestrator-url"] == info.transcoder
    assert "refresh" in refused.json()["error"]["message"]
    fresh = helpers.b64info(orchestrator.info(key.address, price=(1000, 1)))
    created = (await signer.post("/v1/payments", json=body(fresh, 10_000_000))).json()
    assert orchestrator.receive(created["payment"]).credited == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"expiration_block": minbytes(1)}, "TicketParams expired", id="expired"),
        pytest.param({"expiration_block": b""}, "ticketParams expiration block is 0", id="block-0"),
        pytest.param(
            {"win_prob": minbytes(MAX_WIN_PROB)},
            "ticket faceValue too low faceValue=100000000000",
            id="ev-not-below-face-value",
        ),
    ],
)
async def test_invalid_params_are_400_with_the_pm_text(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    change: dict[str, bytes],
    message: str,
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address)
    for name, value in change.items():
        setattr(info.ticket_params, name, value)
    response = await signer.post("/v1/payments", json=body(helpers.b64info(info), 100))
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


async def test_ticket_params_without_expiration_params_are_400_and_change_nothing(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(1, 1))
    info.ticket_params.ClearField("expiration_params")
    encoded = helpers.b64info(info)
    message = "ticket params lack expiration_params"
    for path, request in [
        ("/v1/payments", body(encoded, 10_000_000)),
        ("/generate-live-payment", {"orchestrator": encoded, "type": "lv2v"}),
    ]:
        response = await signer.post(path, json=request)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["message"] == message
    assert [k async for k in redis.scan_iter(match=f"{prefix}:*")] == []
    assert await read_audit() == []
