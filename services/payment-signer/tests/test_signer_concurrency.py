"""Replicas share nonces and credit through Redis: concurrent payments through two replicas
never reuse a nonce, and the credit stays exact (compare-and-set)."""

import asyncio
from fractions import Fraction
from typing import Any

import httpx
import redis.asyncio as aioredis
from lpgw.eth import PrivateKey

PRICE = 1000
UNITS = 10_000_000  # 1e10 wei: 10 or 11 tickets of the orchestrator's ~1e9 EV
WORKERS_PER_REPLICA = 16
TRIES = 20


async def pay_all(
    replicas: list[httpx.AsyncClient],
    helpers: Any,
    session_id: str,
    calls: int,
    *,
    retry_unavailable: bool,
) -> tuple[list[dict[str, Any]], list[httpx.Response]]:
    """`calls` payments by WORKERS_PER_REPLICA workers per replica; a 503 is retried with the
    same idempotency key (as lpgw.signer_client does) when `retry_unavailable`. The answers,
    and the refusals that were not retried."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(calls):
        queue.put_nowait(i)
    answers: list[dict[str, Any]] = []
    refused: list[httpx.Response] = []

    async def worker(signer: httpx.AsyncClient) -> None:
        while not queue.empty():
            call = queue.get_nowait()
            for _ in range(TRIES):
                response = await helpers.pay(signer, session_id, UNITS, f"call-{call}")
                if response.status_code != 503 or not retry_unavailable:
                    break
            if response.status_code == 200:
                answers.append(response.json())
            else:
                refused.append(response)

    await asyncio.gather(*(worker(r) for r in replicas for _ in range(WORKERS_PER_REPLICA)))
    return answers, refused


async def test_two_replicas_paying_concurrently_never_reuse_a_nonce_and_keep_the_credit_exact(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
) -> None:
    settings = {"signer_nonce_refresh_at": 100_000}
    replicas = [await make_replica(key, **settings), await make_replica(key, **settings)]
    info = orchestrator.info(key.address, price=(PRICE, 1))
    opened = [await helpers.open_session(r, info) for r in replicas]
    assert opened[0] == opened[1]  # one session, whichever replica opened it
    ev = Fraction(opened[0]["ticket_ev"])

    calls = 1000
    answers, refused = await pay_all(
        replicas, helpers, opened[0]["session_id"], calls, retry_unavailable=True
    )
    assert [r.text for r in refused] == []
    assert len({a["payment_id"] for a in answers}) == calls
    nonces = [n for a in answers for n in helpers.nonces_of(a["payment"])]
    assert len(nonces) == sum(a["tickets"] for a in answers) >= 10 * calls
    assert len(nonces) == len(set(nonces)), "a nonce was handed out twice"
    assert max(nonces) <= await helpers.nonce_counter(redis, prefix, key.address, info)
    # Every payment's credit change landed exactly once: the credit is the sum of them all.
    expected = sum(a["tickets"] for a in answers) * ev - calls * PRICE * UNITS
    assert await helpers.stored_credit(redis, prefix, info) == expected
    # Every ticket handed out was audited first (a payment whose credit another replica moved
    # meanwhile may carry tickets of two issuances, so two events).
    audited = {n for e in await read_audit() if e.route == helpers.PAY_ROUTE for n in e.nonces}
    assert set(nonces) <= audited
    # And the tickets are good: the orchestrator accepts the first few hundred.
    received = 0
    for answer in answers:
        if received + answer["tickets"] > 500:
            break
        assert orchestrator.receive(answer["payment"]).credited == answer["tickets"]
        received += answer["tickets"]


async def test_concurrent_payments_through_two_replicas_are_all_answered(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    """README: "another replica's write makes the call compute again" — contention between
    replicas is not a reason to refuse a payment."""
    settings = {"signer_nonce_refresh_at": 100_000}
    replicas = [await make_replica(key, **settings), await make_replica(key, **settings)]
    info = orchestrator.info(key.address, price=(PRICE, 1))
    session_id = (await helpers.open_session(replicas[0], info))["session_id"]
    answers, refused = await pay_all(replicas, helpers, session_id, 400, retry_unavailable=False)
    assert [(r.status_code, r.json()["error"]["message"]) for r in refused] == []
    assert len(answers) == 400


async def test_one_replica_serializes_its_own_concurrent_payments(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
) -> None:
    signer = await make_replica(key, signer_nonce_refresh_at=100_000)
    info = orchestrator.info(key.address, price=(PRICE, 1))
    opened = await helpers.open_session(signer, info)
    ev = Fraction(opened["ticket_ev"])
    answers, refused = await pay_all(
        [signer], helpers, opened["session_id"], 300, retry_unavailable=False
    )
    assert refused == []
    nonces = [n for a in answers for n in helpers.nonces_of(a["payment"])]
    assert len(nonces) == len(set(nonces))
    expected = len(nonces) * ev - 300 * PRICE * UNITS
    assert await helpers.stored_credit(redis, prefix, info) == expected
    ticket_events = [e for e in await read_audit() if e.route == helpers.PAY_ROUTE]
    assert len(ticket_events) == 300  # one audit event per ticket-bearing call


async def test_a_restarted_signer_continues_the_nonces(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    info = orchestrator.info(key.address, price=(PRICE, 1))
    before = await make_replica(key)
    opened = await helpers.open_session(before, info)
    first = await helpers.paid(before, opened["session_id"], UNITS)
    counter = await helpers.nonce_counter(redis, prefix, key.address, info)
    # The counter outlives the params (40 blocks) and expires after an hour.
    assert 3500 < await redis.ttl(helpers.nonce_key(prefix, key.address, info)) <= 3600
    await before.aclose()
    after = await make_replica(key)  # a new process: nothing in memory, the same Redis
    second = await helpers.paid(after, opened["session_id"], UNITS)  # the session is in Redis
    assert helpers.nonces_of(first["payment"]) == list(range(1, first["tickets"] + 1))
    assert helpers.nonces_of(second["payment"])[0] == counter + 1
    assert orchestrator.receive(first["payment"]).credited == first["tickets"]
    assert orchestrator.receive(second["payment"]).credited == second["tickets"]


async def test_session_payments_and_live_payments_share_the_nonce_counter(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(1, 1))
    opened = await helpers.open_session(signer, info)
    session_paid = [await helpers.paid(signer, opened["session_id"], 2_000_000_000)]
    live = await signer.post(
        "/generate-live-payment",
        json={"orchestrator": helpers.b64info(info), "ManifestID": "m1", "type": "lv2v"},
    )
    assert live.status_code == 200, live.text
    session_paid.append(await helpers.paid(signer, opened["session_id"], 2_000_000_000))
    payments = [session_paid[0]["payment"], live.json()["payment"], session_paid[1]["payment"]]
    nonces = [n for p in payments for n in helpers.nonces_of(p)]
    assert len(nonces) == len(set(nonces))
    for payment in payments:
        outcome = orchestrator.receive(payment)
        assert outcome.ok, outcome.error
