"""Spend controls: each refusal names its limit and by how much, and changes nothing."""

from fractions import Fraction
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from lpgw.eth import PrivateKey
from lpgw.pm import Price, TicketParams
from lpgw.signer.errors import EvCapExceeded, InvalidRequest, PriceCeilingExceeded
from lpgw.signer.policy.ceilings import MaxPrice, ceiling_for, check_ceiling
from lpgw.signer.policy.limits import SpendLimits, check_batch, check_ticket

ENTRIES = (
    MaxPrice(pipeline="text-to-image", model_id="default", price_per_unit=10),
    MaxPrice(pipeline="text-to-image", model_id="big/model", price_per_unit=50),
    MaxPrice(pipeline="llm", price_per_unit=3, pixels_per_unit=2),
)


@pytest.mark.parametrize(
    ("pipeline", "model", "global_price", "expected"),
    [
        pytest.param(
            "text-to-image",
            "big/model",
            None,
            (50, "[text-to-image/big/model]"),
            id="exact-model-entry-wins",
        ),
        pytest.param(
            "text-to-image",
            "other",
            Fraction(1),
            (10, "[text-to-image/default]"),
            id="pipeline-default-entry-before-global",
        ),
        pytest.param(
            "llm",
            "any",
            None,
            (Fraction(3, 2), "[llm/default]"),
            id="entry-without-model-is-default",
        ),
        pytest.param(
            "upscale",
            "x",
            Fraction(7),
            (7, "SIGNER_MAX_PRICE_PER_UNIT"),
            id="global-for-unlisted-pipeline",
        ),
        pytest.param("upscale", "x", None, None, id="no-ceiling-at-all"),
    ],
)
def test_the_most_specific_ceiling_applies(
    pipeline: str, model: str, global_price: Fraction | None, expected: Any
) -> None:
    ceiling = ceiling_for(pipeline, model, ENTRIES, global_price)
    if expected is None:
        assert ceiling is None
        return
    assert ceiling is not None
    assert ceiling.price == expected[0]
    assert ceiling.source.endswith(expected[1])


def test_a_price_above_the_ceiling_is_481_with_its_excess() -> None:
    ceiling = ceiling_for("text-to-image", "m", ENTRIES, None)
    check_ceiling(Price(Fraction(10)), ceiling)
    with pytest.raises(PriceCeilingExceeded) as refused:
        check_ceiling(Price(Fraction(21, 2)), ceiling)
    assert refused.value.status == 481
    excess = refused.value.excess
    assert (excess.limit, excess.allowed, excess.requested, excess.excess) == (
        "SIGNER_MAX_PRICES[text-to-image/default]",
        "10",
        "21/2",
        "1/2",
    )


LIMITS = SpendLimits(
    max_ticket_ev=Fraction(100), max_total_ev=Fraction(250), max_face_value=5000, max_tickets=4
)


def params(face_value: int, ev: int) -> TicketParams:
    win_prob = ev * (2**256 - 1) // face_value
    return TicketParams(bytes(20), face_value, win_prob, bytes(32), 1, 10)


@pytest.mark.parametrize(
    ("face_value", "ev", "deposit", "limit"),
    [
        pytest.param(1000, 10, 10**6, None, id="within-every-cap"),
        pytest.param(10_000, 200, 10**6, "SIGNER_MAX_TICKET_EV", id="ticket-ev-cap"),
        pytest.param(6000, 10, 10**6, "SIGNER_MAX_FACE_VALUE", id="face-value-cap"),
        pytest.param(
            3000,
            10,
            2000,
            "SIGNER_DEVNET_DEPOSIT_WEI / SIGNER_DEPOSIT_MULTIPLIER",
            id="deposit-caps-face-value",
        ),
    ],
)
def test_ticket_caps(face_value: int, ev: int, deposit: int, limit: str | None) -> None:
    if limit is None:
        check_ticket(params(face_value, ev), LIMITS, deposit)
        return
    with pytest.raises(EvCapExceeded) as refused:
        check_ticket(params(face_value, ev), LIMITS, deposit)
    assert refused.value.excess.limit == limit
    assert refused.value.status == 403


def test_batch_caps() -> None:
    check_batch(Fraction(60), 4, LIMITS)
    with pytest.raises(InvalidRequest, match="numTickets 5 exceeds maximum of 4"):
        check_batch(Fraction(1), 5, LIMITS)
    with pytest.raises(EvCapExceeded) as refused:
        check_batch(Fraction(70), 4, LIMITS)
    assert refused.value.excess.excess == "30"


BUCKET = "27_m"


def body(info: str, units: int, session: str = "") -> dict[str, Any]:
    return {
        "orchestrator": info,
        "bucket": BUCKET,
        "units": units,
        "pipeline": "text-to-image",
        "model_id": "m",
        "session": session,
    }


async def snapshot(redis: aioredis.Redis, prefix: str) -> dict[bytes, Any]:
    keys = sorted([k async for k in redis.scan_iter(match=f"{prefix}:*")])
    values: dict[bytes, Any] = {}
    for k in keys:
        kind = await redis.type(k)
        values[k] = await (redis.hgetall(k) if kind == b"hash" else redis.get(k))
    return values


async def refusal(
    signer: httpx.AsyncClient, request: dict[str, Any], status: int
) -> dict[str, Any]:
    response = await signer.post("/v1/payments", json=request)
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


async def test_http_refusals_name_the_limit_and_change_nothing(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
) -> None:
    signer = await make_replica(
        key,
        signer_max_prices=({"pipeline": "text-to-image", "price_per_unit": 100},),
        signer_max_ticket_ev=2_000_000_000,
        signer_max_total_ev=5_000_000_000,
        signer_client_budget_wei=12_000_000_000,
        signer_session_budget_wei=3_100_000_000,
    )
    good = helpers.b64info(orchestrator.info(key.address, price=(100, 1)))
    assert (await signer.post("/v1/payments", json=body(good, 10, "job-a"))).status_code == 200
    before = await snapshot(redis, prefix)
    events = len(await read_audit())

    pricey = helpers.b64info(orchestrator.info(key.address, price=(101, 1)))
    error = await refusal(signer, body(pricey, 10), 481)
    assert error["limit"] == "SIGNER_MAX_PRICES[text-to-image/default]"
    assert (error["allowed"], error["requested"], error["excess"]) == ("100", "101", "1")
    assert "exceeds" in error["message"]

    error = await refusal(signer, body(good, 60_000_000), 403)  # 6 tickets: 6e9 > 5e9
    assert error["limit"] == "SIGNER_MAX_TOTAL_EV"
    assert Fraction(error["excess"]) == Fraction(error["requested"]) - 5_000_000_000

    error = await refusal(signer, body(good, 25_000_000, "job-a"), 429)  # 3 more tickets
    assert error["limit"] == "SIGNER_SESSION_BUDGET_WEI"
    assert "session 'job-a'" in error["message"]

    rich = helpers.TestOrchestrator(ticket_ev=3_000_000_000)
    error = await refusal(signer, body(helpers.b64info(rich.info(key.address)), 1), 403)
    assert error["limit"] == "SIGNER_MAX_TICKET_EV"

    assert await snapshot(redis, prefix) == before
    assert len(await read_audit()) == events

    for session in ("job-b", "job-c", "job-d"):  # 3 tickets each: 10 of 12e9 spent
        response = await signer.post("/v1/payments", json=body(good, 25_000_000, session))
        assert response.status_code == 200, response.text
    error = await refusal(signer, body(good, 25_000_000, "job-e"), 429)
    assert error["limit"] == "SIGNER_CLIENT_BUDGET_WEI"
    assert "client 'tester'" in error["message"]
