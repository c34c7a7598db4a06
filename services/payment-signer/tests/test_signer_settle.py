"""POST /v1/payments/{payment_id}/settle: the credit after a request that did not end as
answered (staged, spent, or received with another debit), once per payment."""

import asyncio
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from lpgw.eth import PrivateKey
from lpgw.pm.rationals import rat_string
from lpgw.state import Keys

PRICE = 1000
FIRST_UNITS = 10_500_000  # 10.5 EV: 12 tickets with the default headroom
UNITS = 2_000_000  # 2 EV


def settle_path(payment_id: str) -> str:
    return f"/v1/payments/{payment_id}/settle"


async def settle(
    signer: httpx.AsyncClient, payment_id: str, outcome: str, debit_units: int | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"outcome": outcome}
    if debit_units is not None:
        body["debit_units"] = debit_units
    return await signer.post(settle_path(payment_id), json=body)


#: The credit a settlement leaves, given the credit before and after the settled payment.
Expected = Callable[[Fraction, Fraction], Fraction]


@pytest.mark.parametrize(
    ("outcome", "debit_units", "expected"),
    [
        pytest.param("staged", None, lambda before, after: before, id="staged-undoes-exactly"),
        pytest.param("spent", None, lambda before, after: Fraction(0), id="spent-drops-to-zero"),
        pytest.param(
            "received", None, lambda before, after: after, id="received-as-estimated-is-unchanged"
        ),
        pytest.param(
            "received",
            500_000,
            lambda before, after: after + PRICE * 1_500_000,
            id="received-fewer-units-adds-the-rest-back",
        ),
        pytest.param(
            "received",
            0,
            lambda before, after: after + PRICE * UNITS,
            id="received-nothing-adds-the-whole-fee-back",
        ),
        pytest.param(
            "received",
            3_000_000,
            lambda before, after: after - PRICE * 1_000_000,
            id="received-more-units-takes-the-difference",
        ),
    ],
)
async def test_settling_corrects_the_credit_once(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    outcome: str,
    debit_units: int | None,
    expected: Expected,
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(PRICE, 1))
    opened = await helpers.open_session(signer, info)
    ev = Fraction(opened["ticket_ev"])
    first = await helpers.paid(signer, opened["session_id"], FIRST_UNITS)
    before = Fraction(first["credit"])
    second = await helpers.paid(signer, opened["session_id"], UNITS)
    assert second["tickets"] > 0
    after = Fraction(second["credit"])
    assert after == before + second["tickets"] * ev - PRICE * UNITS
    assert after > 0
    wanted = expected(before, after)

    response = await settle(signer, second["payment_id"], outcome, debit_units)
    assert response.status_code == 200, response.text
    assert response.json() == {"credit": rat_string(wanted)}
    assert await helpers.stored_credit(redis, prefix, info) == wanted
    settled = await redis.get(Keys(prefix).payment_settled(second["payment_id"]))
    assert settled == outcome.encode()

    again = await settle(signer, second["payment_id"], outcome, debit_units)
    assert again.status_code == 404, again.text
    assert "settled already" in again.json()["error"]["message"]
    assert await helpers.stored_credit(redis, prefix, info) == wanted

    # The next request buys from the corrected credit.
    following = await helpers.paid(signer, opened["session_id"], FIRST_UNITS)
    assert following["tickets"] == helpers.spec_tickets(wanted, Fraction(PRICE * FIRST_UNITS), ev)
    if outcome == "spent":
        assert following["tickets"] == first["tickets"]  # a full minimum again


async def test_a_ticket_less_payment_can_be_staged_back(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address, price=(10, 1)))
    await helpers.paid(signer, opened["session_id"], 1000)
    first = await helpers.paid(signer, opened["session_id"], 1000)  # 3 EV - 2 fees: covered
    covered = await helpers.paid(signer, opened["session_id"], 1000)
    assert covered["tickets"] == 0
    assert Fraction(covered["credit"]) == Fraction(first["credit"]) - 10_000
    staged = await settle(signer, covered["payment_id"], "staged")
    assert staged.status_code == 200, staged.text
    assert staged.json() == {"credit": first["credit"]}


async def test_only_the_client_that_paid_settles_a_payment_that_exists(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await make_replica(key, signer_token_hashes=helpers.two_clients())
    info = orchestrator.info(key.address, price=(PRICE, 1))
    opened = await helpers.open_session(signer, info)
    answer = await helpers.paid(signer, opened["session_id"], UNITS)
    before = await helpers.snapshot(redis, prefix)

    foreign = await signer.post(
        settle_path(answer["payment_id"]), json={"outcome": "staged"}, headers=helpers.OTHER_AUTH
    )
    assert foreign.status_code == 404, foreign.text
    unknown = await settle(signer, "0123456789abcdef" * 2, "staged")
    assert unknown.status_code == 404, unknown.text
    upper = await settle(signer, answer["payment_id"].upper(), "staged")
    assert upper.status_code == 400, upper.text
    assert upper.json()["error"]["message"] == "payment id must be 32 lowercase hex digits"
    assert await helpers.snapshot(redis, prefix) == before

    own = await settle(signer, answer["payment_id"], "staged")
    assert own.status_code == 200, own.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"outcome": "lost"}, "outcome:", id="an-unknown-outcome"),
        pytest.param({}, "outcome:", id="no-outcome"),
        pytest.param({"outcome": "received", "debit_units": -1}, "debit_units:", id="negative"),
        pytest.param({"outcome": "received", "debit_units": "3"}, "debit_units:", id="a-string"),
        pytest.param({"outcome": "spent", "units": 1}, "units:", id="an-unknown-field"),
    ],
)
async def test_bad_settle_bodies_are_400_and_change_nothing(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    body: dict[str, Any],
    message: str,
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address, price=(PRICE, 1)))
    answer = await helpers.paid(signer, opened["session_id"], UNITS)
    before = await helpers.snapshot(redis, prefix)
    response = await signer.post(settle_path(answer["payment_id"]), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(message)
    assert await helpers.snapshot(redis, prefix) == before


async def test_a_payment_is_settled_through_any_replica(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    paying = await make_replica(key)
    settling = await make_replica(key)
    info = orchestrator.info(key.address, price=(PRICE, 1))
    opened = await helpers.open_session(paying, info)
    ev = Fraction(opened["ticket_ev"])
    first = await helpers.paid(paying, opened["session_id"], FIRST_UNITS)
    second = await helpers.paid(paying, opened["session_id"], UNITS)
    staged = await settle(settling, second["payment_id"], "staged")
    assert staged.status_code == 200, staged.text
    assert staged.json() == {"credit": first["credit"]}
    # The paying replica's own view of the credit is stale now; its next payment must still
    # start from the credit the other replica wrote.
    third = await helpers.paid(paying, opened["session_id"], UNITS)
    credit = Fraction(first["credit"])
    assert third["tickets"] == helpers.spec_tickets(credit, Fraction(PRICE * UNITS), ev)
    assert Fraction(third["credit"]) == credit + third["tickets"] * ev - PRICE * UNITS
    assert await helpers.stored_credit(redis, prefix, info) == Fraction(third["credit"])


async def test_a_payment_whose_record_expired_cannot_be_settled(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    """README: settle answers 404 for a payment that is "unknown, settled already, expired";
    a record is kept for SIGNER_PAYMENT_TTL_S."""
    signer = await make_replica(key, signer_payment_ttl_s=1)
    info = orchestrator.info(key.address, price=(PRICE, 1))
    opened = await helpers.open_session(signer, info)
    answer = await helpers.paid(signer, opened["session_id"], UNITS)
    record = Keys(prefix).payment(answer["payment_id"])
    assert 0 < await redis.ttl(record) <= 1
    for _ in range(100):  # Redis expires it
        if not await redis.exists(record):
            break
        await asyncio.sleep(0.05)
    assert not await redis.exists(record)
    credit = await helpers.stored_credit(redis, prefix, info)

    late = await settle(signer, answer["payment_id"], "staged")
    assert late.status_code == 404, late.text
    assert await helpers.stored_credit(redis, prefix, info) == credit
