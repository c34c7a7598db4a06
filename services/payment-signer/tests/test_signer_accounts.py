"""Spend per account (API key): a payment made for an account adds its fee, rounded up to whole
wei, and one payment to `Keys.account_spend(account)`, once however often it is retried; a
staged settlement takes both back, once."""

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from fractions import Fraction
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from lpgw.eth import PrivateKey
from lpgw.state import Keys

ACCOUNT = "key_0123abcd"
PRICE = (1001, 3)  # wei per unit, so fees are fractions of a wei

NewReplica = Callable[[], Awaitable[httpx.AsyncClient]]
OpenAtPrice = Callable[..., Awaitable[str]]
Spend = Callable[..., Awaitable[tuple[int, int]]]
Snapshot = Callable[[], Awaitable[dict[bytes, Any]]]


@pytest.fixture
def new_replica(make_replica: Any, key: PrivateKey) -> NewReplica:
    """new_replica() -> one more signer replica paying with `key`."""
    return lambda: make_replica(key)


@pytest.fixture
def open_at_price(helpers: Any, orchestrator: Any, key: PrivateKey) -> OpenAtPrice:
    """open_at_price(signer, **offer) -> the id of a session opened on the orchestrator's offer
    at PRICE (`offer`: more arguments of `orchestrator.info`)."""

    async def open_(signer: httpx.AsyncClient, **offer: Any) -> str:
        info = orchestrator.info(key.address, price=PRICE, **offer)
        session_id: str = (await helpers.open_session(signer, info))["session_id"]
        return session_id

    return open_


@pytest.fixture
def spend(redis: aioredis.Redis, prefix: str) -> Spend:
    """spend(account=ACCOUNT) -> (wei, payments) of the account; (0, 0) when never written."""

    async def read(account: str = ACCOUNT) -> tuple[int, int]:
        raw = await redis.hgetall(Keys(prefix).account_spend(account))
        return int(raw.get(b"wei", 0)), int(raw.get(b"payments", 0))

    return read


def fee_wei(units: int, price: tuple[int, int] = PRICE) -> int:
    return math.ceil(Fraction(*price) * units)


async def settle(signer: httpx.AsyncClient, payment_id: str, outcome: str) -> httpx.Response:
    return await signer.post(f"/v1/payments/{payment_id}/settle", json={"outcome": outcome})


async def test_each_payment_adds_its_fee_rounded_up(
    new_replica: NewReplica,
    open_at_price: OpenAtPrice,
    helpers: Any,
    spend: Spend,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await new_replica()
    sid = await open_at_price(signer)

    bought = await helpers.paid(signer, sid, 1, account=ACCOUNT)  # 1001/3 wei: 334
    topped = await helpers.paid(signer, sid, 3, account=ACCOUNT)  # 1001 wei
    covered = await helpers.paid(signer, sid, 2, account=ACCOUNT)  # 2002/3 wei: 668
    await helpers.paid(signer, sid, 5)  # no account: not counted anywhere
    await helpers.paid(signer, sid, 2, account="other")

    assert bought["tickets"] > 0 and topped["tickets"] > 0 and covered["tickets"] == 0
    assert await spend() == (334 + 1001 + 668, 3)
    assert await spend("other") == (fee_wei(2), 1)
    assert await redis.ttl(Keys(prefix).account_spend(ACCOUNT)) == -1, "a running total"


async def test_a_retried_payment_is_counted_once(
    new_replica: NewReplica, open_at_price: OpenAtPrice, helpers: Any, spend: Spend
) -> None:
    signer = await new_replica()
    other_replica = await new_replica()
    sid = await open_at_price(signer)
    first = await helpers.paid(signer, sid, 7, idempotency_key="req-1", account=ACCOUNT)

    same = await helpers.paid(signer, sid, 7, idempotency_key="req-1", account=ACCOUNT)
    elsewhere = await helpers.paid(other_replica, sid, 7, idempotency_key="req-1", account=ACCOUNT)
    other_account = await helpers.pay(signer, sid, 7, idempotency_key="req-1", account="other")
    no_account = await helpers.pay(other_replica, sid, 7, idempotency_key="req-1")

    assert same == elsewhere == first
    assert (other_account.status_code, no_account.status_code) == (409, 409)
    assert await spend() == (fee_wei(7), 1)
    assert await spend("other") == (0, 0)


@pytest.mark.parametrize(
    ("outcome", "kept"),
    [
        pytest.param("staged", False, id="staged-never-left-takes-it-back"),
        pytest.param("spent", True, id="spent-was-sent-keeps-it"),
        pytest.param("received", True, id="received-keeps-it"),
    ],
)
async def test_a_staged_request_takes_its_fee_back_once(
    new_replica: NewReplica,
    open_at_price: OpenAtPrice,
    helpers: Any,
    spend: Spend,
    outcome: str,
    kept: bool,
) -> None:
    signer = await new_replica()
    sid = await open_at_price(signer)
    await helpers.paid(signer, sid, 4, account=ACCOUNT)
    second = await helpers.paid(signer, sid, 10, account=ACCOUNT)
    both = (fee_wei(4) + fee_wei(10), 2)

    settled = await settle(signer, second["payment_id"], outcome)
    assert settled.status_code == 200, settled.text
    assert await spend() == (both if kept else (fee_wei(4), 1))

    again = await settle(await new_replica(), second["payment_id"], outcome)
    assert again.status_code == 404, again.text
    assert await spend() == (both if kept else (fee_wei(4), 1))


async def test_a_payment_for_no_account_settles_without_touching_any(
    new_replica: NewReplica,
    open_at_price: OpenAtPrice,
    helpers: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await new_replica()
    paid = await helpers.paid(signer, await open_at_price(signer), 4)
    assert (await settle(signer, paid["payment_id"], "staged")).status_code == 200
    assert [k async for k in redis.scan_iter(match=f"{prefix}:pm:spend:account:*")] == []


async def test_concurrent_payments_on_two_replicas_are_each_counted_once(
    new_replica: NewReplica, open_at_price: OpenAtPrice, helpers: Any, spend: Spend
) -> None:
    """Replicas collide on the one credit and commit again: a commit that lost wrote nothing,
    its spend included."""
    replicas = [await new_replica(), await new_replica()]
    sid = await open_at_price(replicas[0])
    units = list(range(1, 41))

    answers = await asyncio.gather(
        *(helpers.paid(replicas[i % 2], sid, n, account=ACCOUNT) for i, n in enumerate(units))
    )

    assert len({a["payment_id"] for a in answers}) == len(units)
    assert await spend() == (sum(fee_wei(n) for n in units), len(units))


# --- sessions whose orchestrator takes no tickets ------------------------------------------


async def test_a_free_payment_is_counted_once_and_can_be_staged_back(
    new_replica: NewReplica, open_at_price: OpenAtPrice, helpers: Any, spend: Spend
) -> None:
    signer = await new_replica()
    other_replica = await new_replica()
    sid = await open_at_price(signer, with_params=False)

    first = await helpers.paid(signer, sid, 7, idempotency_key="free-1", account=ACCOUNT)
    again = await helpers.paid(other_replica, sid, 7, idempotency_key="free-1", account=ACCOUNT)
    reused = await helpers.pay(other_replica, sid, 8, idempotency_key="free-1", account=ACCOUNT)
    assert again == first and first["tickets"] == 0 and first["credit"] == "0"
    assert reused.status_code == 409, reused.text
    assert await spend() == (fee_wei(7), 1)

    spent = await helpers.paid(signer, sid, 9, account=ACCOUNT)
    not_settled = await settle(signer, spent["payment_id"], "spent")
    assert not_settled.status_code == 404, not_settled.text
    assert "moved no credit" in not_settled.json()["error"]["message"]
    assert await spend() == (fee_wei(7) + fee_wei(9), 2)

    staged = await settle(other_replica, first["payment_id"], "staged")
    assert staged.status_code == 200, staged.text
    assert staged.json() == {"credit": "0"}
    twice = await settle(signer, first["payment_id"], "staged")
    assert twice.status_code == 404, twice.text
    assert await spend() == (fee_wei(9), 1)


async def test_a_free_payment_for_no_account_touches_no_redis(
    new_replica: NewReplica,
    open_at_price: OpenAtPrice,
    helpers: Any,
    prefix_snapshot: Snapshot,
) -> None:
    signer = await new_replica()
    sid = await open_at_price(signer, with_params=False)
    before = await prefix_snapshot()

    paid = await helpers.paid(signer, sid, 7)

    assert await prefix_snapshot() == before
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
    new_replica: NewReplica,
    open_at_price: OpenAtPrice,
    helpers: Any,
    prefix_snapshot: Snapshot,
    account: object,
    message: str,
) -> None:
    signer = await new_replica()
    sid = await open_at_price(signer)
    before = await prefix_snapshot()

    response = await helpers.pay(signer, sid, 3, account=account)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == message
    assert await prefix_snapshot() == before


async def test_a_full_counter_never_stops_a_payment(
    new_replica: NewReplica,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    spend: Spend,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """HINCRBY stops at 2⁶³ − 1: the payment and its credit are written, the counter stays,
    and the replica says so."""
    full = 2**63 - 1 - 100
    await redis.hset(Keys(prefix).account_spend(ACCOUNT), mapping={"wei": full, "payments": 9})
    signer = await new_replica()
    info = orchestrator.info(key.address, price=(1000, 1))
    opened = await helpers.open_session(signer, info)

    with caplog.at_level(logging.WARNING):
        paid = await helpers.paid(signer, opened["session_id"], 5, account=ACCOUNT)

    assert paid["tickets"] > 0
    assert await helpers.stored_credit(redis, prefix, info) == Fraction(paid["credit"])
    assert await spend() == (full, 9)
    [record] = [r for r in caplog.records if r.getMessage() == "account_spend_not_recorded"]
    assert record.__dict__["account"] == ACCOUNT and record.__dict__["wei"] == 5000
    small = await helpers.paid(signer, opened["session_id"], 0, account=ACCOUNT)
    assert small["fee"] == "0"
    assert await spend() == (full, 10), "a fee that fits is still counted"
