"""Spend controls: each refusal names its limit and by how much, and changes nothing."""

import math
from fractions import Fraction
from typing import Any

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


#: 2e9 wei at 1000 wei per unit: 3 tickets first (3 EV), 2 tickets for each next one.
UNITS = 2_000_000


@pytest.mark.parametrize(
    ("settings", "warm_up", "status", "limit", "message", "allowed_after"),
    [
        pytest.param(
            {"signer_job_budget_wei": 3_100_000_000},
            1,
            429,
            "SIGNER_JOB_BUDGET_WEI",
            "job 'job-a' budget SIGNER_JOB_BUDGET_WEI=3100000000 wei",
            {"job": "job-b"},
            id="a-job-past-its-budget-is-429-and-another-job-pays",
        ),
        pytest.param(
            {"signer_client_budget_wei": 5_000_000_000},
            1,
            429,
            "SIGNER_CLIENT_BUDGET_WEI",
            "client 'tester' budget SIGNER_CLIENT_BUDGET_WEI=5000000000 wei",
            {"headers": "other"},
            id="a-client-past-its-budget-is-429-and-another-client-pays",
        ),
        pytest.param(
            {"signer_max_tickets": 2},
            0,
            400,
            None,
            "numTickets 3 exceeds maximum of 2",
            {"units": 1_000_000},
            id="more-tickets-than-allowed-in-one-call-is-400",
        ),
        pytest.param(
            {"signer_max_total_ev": 2_500_000_000},
            0,
            403,
            "SIGNER_MAX_TOTAL_EV",
            "total EV of 3 tickets",
            {"units": 1_000_000},
            id="a-total-ev-above-the-cap-is-403",
        ),
    ],
)
async def test_pay_refusals_name_the_limit_and_change_nothing(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
    settings: dict[str, Any],
    warm_up: int,
    status: int,
    limit: str | None,
    message: str,
    allowed_after: dict[str, Any],
) -> None:
    signer = await make_replica(key, signer_token_hashes=helpers.two_clients(), **settings)
    info = orchestrator.info(key.address, price=(1000, 1))
    sid = (await helpers.open_session(signer, info))["session_id"]
    ev = helpers.info_ev(info)
    for _ in range(warm_up):
        assert (await helpers.paid(signer, sid, UNITS, job="job-a"))["tickets"] == 3
    before = await helpers.snapshot(redis, prefix)
    events = len(await read_audit())

    refused = await helpers.pay(signer, sid, UNITS, job="job-a")
    assert refused.status_code == status, refused.text
    error = refused.json()["error"]
    assert message in error["message"]
    if limit is not None:
        assert error["limit"] == limit
        assert Fraction(error["excess"]) == Fraction(error["requested"]) - Fraction(
            error["allowed"]
        )
        tickets = 2 if warm_up else 3
        assert Fraction(error["requested"]) == (
            math.ceil(tickets * ev) if status == 429 else tickets * ev
        )
    assert await helpers.snapshot(redis, prefix) == before  # credit, nonces, budgets, records
    assert len(await read_audit()) == events

    if allowed_after.get("headers") == "other":
        other_sid = (
            await signer.post(
                helpers.OPEN, json=helpers.open_body(info), headers=helpers.OTHER_AUTH
            )
        ).json()["session_id"]
        allowed = await signer.post(
            helpers.pay_path(other_sid),
            json={"units": UNITS, "idempotency_key": "k", "job": "job-z"},
            headers=helpers.OTHER_AUTH,
        )
    else:
        body = {"units": UNITS, "job": "job-a", **allowed_after}
        allowed = await helpers.pay(signer, sid, body.pop("units"), **body)
    assert allowed.status_code == 200, allowed.text
    assert orchestrator.receive(allowed.json()["payment"]).credited == allowed.json()["tickets"]
