"""Spend per account (API key): a payment made for an account adds its fee, rounded up to whole
wei, and one payment to `Keys.account_spend(account)`, once however often it is retried; a
staged settlement takes both back, once."""

import asyncio
import logging
import math
from fractions import Fraction
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from lpgw.eth import PrivateKey
from lpgw.state import Keys

ACCOUNT = "key_0123abcd"
PRICE = (1001, 3)  # wei per unit, so fees are fractions of a wei


async def spend(redis: aioredis.Redis, prefix: str, account: str = ACCOUNT) -> tuple[int, int]:
    """(wei, payments) of the account; (0, 0) when never written."""
    raw = await redis.hgetall(Keys(prefix).account_spend(account))
    return int(raw.get(b"wei", 0)), int(raw.get(b"payments", 0))


def fee_wei(units: int, price: tuple[int, int] = PRICE) -> int:
    return math.ceil(Fraction(*price) * units)


async def settle(signer: httpx.AsyncClient, payment_id: str, outcome: str) -> httpx.Response:
    return await signer.post(f"/v1/payments/{payment_id}/settle", json={"outcome": outcome})


async def test_each_payment_adds_its_fee_rounded_up(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address, price=PRICE))
    sid = opened["session_id"]

    bought = await helpers.paid(signer, sid, 1, account=ACCOUNT)  # 1001/3 wei: 334
    topped = await helpers.paid(signer, sid, 3, account=ACCOUNT)  # 1001 wei
    covered = await helpers.paid(signer, sid, 2, account=ACCOUNT)  # 2002/3 wei: 668
    await helpers.paid(signer, sid, 5)  # no account: not counted anywhere
    await helpers.paid(signer, sid, 2, account="other")

    assert bought["tickets"] > 0 and topped["tickets"] > 0 and covered["tickets"] == 0
    assert await spend(redis, prefix) == (334 + 1001 + 668, 3)
    assert await spend(redis, prefix, "other") == (fee_wei(2), 1)
    assert await redis.ttl(Keys(prefix).account_spend(ACCOUNT)) == -1, "a running total"


async def test_a_retried_payment_is_counted_once(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await make_replica(key)
    other_replica = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address, price=PRICE))
    sid = opened["session_id"]
    first = await helpers.paid(signer, sid, 7, idempotency_key="req-1", account=ACCOUNT)

    same = await helpers.paid(signer, sid, 7, idempotency_key="req-1", account=ACCOUNT)
    elsewhere = await helpers.paid(other_replica, sid, 7, idempotency_key="req-1", account=ACCOUNT)
    other_account = await helpers.pay(signer, sid, 7, idempotency_key="req-1", account="other")
    no_account = await helpers.pay(other_replica, sid, 7, idempotency_key="req-1")

    assert same == elsewhere == first
    assert (other_account.status_code, no_account.status_code) == (409, 409)
    assert await spend(redis, prefix) == (fee_wei(7), 1)
    assert await spend(redis, prefix, "other") == (0, 0)


@pytest.mark.parametrize(
    ("outcome", "kept"),
    [
        pytest.param("staged", False, id="staged-never-left-takes-it-back"),
        pytest.param("spent", True, id="spent-was-sent-keeps-it"),
        pytest.param("received", True, id="received-keeps-it"),
    ],
)
async def test_a_staged_request_takes_its_fee_back_once(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    outcome: str,
    kept: bool,
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address, price=PRICE))
    sid = opened["session_id"]
    await helpers.paid(signer, sid, 4, account=ACCOUNT)
    second = await helpers.paid(signer, sid, 10, account=ACCOUNT)
    both = (fee_wei(4) + fee_wei(10), 2)

    settled = await settle(signer, second["payment_id"], outcome)
    assert settled.status_code == 200, settled.text
    assert await spend(redis, prefix) == (both if kept else (fee_wei(4), 1))

    again = await settle(await make_replica(key), second["payment_id"], outcome)
    assert again.status_code == 404, again.text
    assert await spend(redis, prefix) == (both if kept else (fee_wei(4), 1))


async def test_a_payment_for_no_account_settles_without_touching_any(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address, price=PRICE))
    paid = await helpers.paid(signer, opened["session_id"], 4)
    assert (await settle(signer, paid["payment_id"], "staged")).status_code == 200
    assert [k async for k in redis.scan_iter(match=f"{prefix}:pm:spend:account:*")] == []


async def test_concurrent_payments_on_two_replicas_are_each_counted_once(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    """Replicas collide on the one credit and commit again: a commit that lost wrote nothing,
    its spend included."""
    replicas = [await make_replica(key), await make_replica(key)]
    opened = await helpers.open_session(replicas[0], orchestrator.info(key.address, price=PRICE))
    units = list(range(1, 41))

    answers = await asyncio.gather(
        *(
            helpers.paid(replicas[i % 2], opened["session_id"], n, account=ACCOUNT)
            for i, n in enumerate(units)
        )
    )

    assert len({a["payment_id"] for a in answers}) == len(units)
    assert await spend(redis, prefix) == (sum(fee_wei(n) for n in units), len(units))


# --- sessions whose orchestrator takes no tickets ------------------------------------------


async def test_a_free_payment_is_counted_once_and_can_be_staged_back(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await make_replica(key)
    other_replica = await make_replica(key)
    info = orchestrator.info(key.address, price=PRICE, with_params=False)
    sid = (await helpers.open_session(signer, info))["session_id"]

    first = await helpers.paid(signer, sid, 7, idempotency_key="free-1", account=ACCOUNT)
    again = await helpers.paid(other_replica, sid, 7, idempotency_key="free-1", account=ACCOUNT)
    reused = await helpers.pay(other_replica, sid, 8, idempotency_key="free-1", account=ACCOUNT)
    assert again == first and first["tickets"] == 0 and first["credit"] == "0"
    assert reused.status_code == 409, reused.text
    assert await spend(redis, prefix) == (fee_wei(7), 1)

    spent = await helpers.paid(signer, sid, 9, account=ACCOUNT)
    not_settled = await settle(signer, spent["payment_id"], "spent")
    assert not_settled.status_code == 404, not_settled.text
    assert "moved no credit" in not_settled.json()["error"]["message"]
    assert await spend(redis, prefix) == (fee_wei(7) + fee_wei(9), 2)

    staged = await settle(other_replica, first["payment_id"], "staged")
    assert staged.status_code == 200, staged.text
    assert staged.json() == {"credit": "0"}
    twice = await settle(signer, first["payment_id"], "staged")
    assert twice.status_code == 404, twice.text
    assert await spend(redis, prefix) == (fee_wei(9), 1)


async def test_a_free_payment_for_no_account_touches_no_redis(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=PRICE, with_params=False)
    sid = (await helpers.open_session(signer, info))["session_id"]
    before = await helpers.snapshot(redis, prefix)

    paid = await helpers.paid(signer, sid, 7)

    assert await helpers.snapshot(redis, prefix) == before
    assert (await settle(signer, paid["payment_id"], "staged")).status_code == 404


# --- the account's name, and a counter that is full ----------------------------------------


@pytest.mark.parametrize(
    ("account", "message"),
    [
        pytest.param("k" * 129, "account is longer than 128 characters", id="too-long"),
        pytest.param("key\n1", "account must be printable ASCII", id="newline"),
        pytest.param("clé", "account must be printable ASCII", id="non-ascii"),
        pytest.param(5, "account: Input should be a valid string", id="not-a-string"),
    ],
)
async def test_an_account_that_is_not_a_name_is_400_and_changes_nothing(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    account: object,
    message: str,
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address, price=PRICE))
    before = await helpers.snapshot(redis, prefix)

    response = await helpers.pay(signer, opened["session_id"], 3, account=account)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == message
    assert await helpers.snapshot(redis, prefix) == before


async def test_a_full_counter_never_stops_a_payment(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """HINCRBY stops at 2⁶³ − 1: the payment and its credit are written, the counter stays,
    and the replica says so."""
    full = 2**63 - 1 - 100
    await redis.hset(Keys(prefix).account_spend(ACCOUNT), mapping={"wei": full, "payments": 9})
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(1000, 1))
    opened = await helpers.open_session(signer, info)

    with caplog.at_level(logging.WARNING):
        paid = await helpers.paid(signer, opened["session_id"], 5, account=ACCOUNT)

    assert paid["tickets"] > 0
    assert await helpers.stored_credit(redis, prefix, info) == Fraction(paid["credit"])
    assert await spend(redis, prefix) == (full, 9)
    [record] = [r for r in caplog.records if r.getMessage() == "account_spend_not_recorded"]
    assert record.__dict__["account"] == ACCOUNT and record.__dict__["wei"] == 5000
    small = await helpers.paid(signer, opened["session_id"], 0, account=ACCOUNT)
    assert small["fee"] == "0"
    assert await spend(redis, prefix) == (full, 10), "a fee that fits is still counted"
