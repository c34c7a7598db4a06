"""A payment repeated with its idempotency_key is the same payment: same id, same bytes, and no
new nonce, credit change, budget charge or audit event (README "Idempotency")."""

from typing import Any

import pytest
import redis.asyncio as aioredis
from lpgw.bus import Bus
from lpgw.eth import PrivateKey
from lpgw.state import Keys

BUDGETS = {"signer_client_budget_wei": 10**15, "signer_job_budget_wei": 10**15}
SEGMENT = {"seq": 3, "hash_hex": "ab" * 32, "profiles": ["P240p30fps16x9"]}


async def test_a_retry_with_the_same_key_gets_the_same_payment_and_changes_nothing(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
) -> None:
    signer = await make_replica(key, signer_token_hashes=helpers.two_clients(), **BUDGETS)
    info = orchestrator.info(key.address, price=(1000, 1))
    opened = await helpers.open_session(signer, info)
    sid = opened["session_id"]
    request = {"units": 10_500_000, "idempotency_key": "req-1 attempt", "job": "job-1"}
    first = await signer.post(helpers.pay_path(sid), json=request)
    assert first.status_code == 200, first.text
    assert first.json()["tickets"] == 12
    record = Keys(prefix).payment(first.json()["payment_id"])
    assert 590 < await redis.ttl(record) <= 600  # kept SIGNER_PAYMENT_TTL_S (default 600 s)
    spend = [k async for k in redis.scan_iter(match=f"{prefix}:pm:spend:*")]
    assert len(spend) == 2  # the client's and the job's budget were charged
    before = await helpers.snapshot(redis, prefix)
    audited = len(await read_audit())

    for _ in range(3):
        again = await signer.post(helpers.pay_path(sid), json=request)
        assert again.status_code == 200, again.text
        assert again.json() == first.json()  # same payment_id, same payment and segment bytes
    assert await helpers.snapshot(redis, prefix) == before  # no nonce, credit, budget, record
    assert len(await read_audit()) == audited
    assert orchestrator.receive(first.json()["payment"]).credited == 12

    for changed in ({"units": 1}, {"job": "job-2"}, {"job": ""}, {"segment": SEGMENT}):
        conflict = await signer.post(helpers.pay_path(sid), json={**request, **changed})
        assert conflict.status_code == 409, (changed, conflict.text)
        message = conflict.json()["error"]["message"]
        assert message == "idempotency_key was already used with a different request"
    assert await helpers.snapshot(redis, prefix) == before
    assert len(await read_audit()) == audited

    fresh = await helpers.paid(signer, sid, 10_500_000, idempotency_key="req-2", job="job-1")
    assert fresh["payment_id"] != first.json()["payment_id"]
    assert orchestrator.receive(fresh["payment"]).credited == fresh["tickets"] > 0

    # Another client's key space is its own: the same key on its own session is its payment.
    other = await signer.post(
        helpers.OPEN, json=helpers.open_body(info), headers=helpers.OTHER_AUTH
    )
    other_sid = other.json()["session_id"]
    theirs = await signer.post(
        helpers.pay_path(other_sid), json=request, headers=helpers.OTHER_AUTH
    )
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()["payment_id"] not in (first.json()["payment_id"], fresh["payment_id"])


@pytest.mark.parametrize(
    ("price", "units", "change"),
    [
        pytest.param(10, 1000, {}, id="covered-by-credit-same-body-same-answer"),
        pytest.param(10, 1000, {"units": 999}, id="covered-by-credit-other-body-409"),
        pytest.param(1000, 10_500_000, {}, id="with-tickets-same-body-same-answer"),
        pytest.param(1000, 10_500_000, {"units": 999}, id="with-tickets-other-body-409"),
    ],
)
async def test_a_retry_through_another_replica_changes_nothing(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
    price: int,
    units: int,
    change: dict[str, Any],
) -> None:
    first_replica = await make_replica(key, **BUDGETS)
    second_replica = await make_replica(key, **BUDGETS)
    info = orchestrator.info(key.address, price=(price, 1))
    opened = await helpers.open_session(first_replica, info)
    sid = opened["session_id"]
    for _ in range(2):  # build the credit up first (the covered case then needs no ticket)
        await helpers.paid(first_replica, sid, units, job="job-1")
    request = {"units": units, "idempotency_key": "the-request", "job": "job-1"}
    first = await first_replica.post(helpers.pay_path(sid), json=request)
    assert first.status_code == 200, first.text
    assert (first.json()["tickets"] > 0) is (price == 1000)
    before = await helpers.snapshot(redis, prefix)
    audited = len(await read_audit())

    retried = await second_replica.post(helpers.pay_path(sid), json={**request, **change})
    if change:
        assert retried.status_code == 409, retried.text
    else:
        assert retried.status_code == 200, retried.text
        assert retried.json() == first.json()
    assert await helpers.snapshot(redis, prefix) == before, "no nonce, credit or budget change"
    assert len(await read_audit()) == audited, "no audit event"


async def test_a_failed_call_stores_nothing_and_its_retry_is_made_anew(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    signer_bus: Bus,
) -> None:
    signer = await make_replica(key, **BUDGETS)
    info = orchestrator.info(key.address, price=(1000, 1))
    opened = await helpers.open_session(signer, info)
    sid = opened["session_id"]
    await signer_bus.js.delete_stream(signer_bus.names.audit_stream)  # no audit, no signature
    failed = await helpers.pay(signer, sid, 1_000_000, idempotency_key="k1", job="job-1")
    assert failed.status_code == 503, failed.text
    assert failed.json()["error"]["message"] == "audit stream unavailable"
    assert "payment" not in failed.json()
    payment_keys = [k async for k in redis.scan_iter(match=f"{prefix}:pm:payment:*")]
    assert payment_keys == []
    assert await helpers.stored_credit(redis, prefix, info) is None
    for spent in [k async for k in redis.scan_iter(match=f"{prefix}:pm:spend:*")]:
        assert await redis.get(spent) == b"0"  # the budget charge was given back

    await signer_bus.declare()
    retried = await helpers.pay(signer, sid, 1_000_000, idempotency_key="k1", job="job-1")
    assert retried.status_code == 200, retried.text
    assert orchestrator.receive(retried.json()["payment"]).credited == retried.json()["tickets"]
    assert await redis.exists(Keys(prefix).payment(retried.json()["payment_id"]))


@pytest.mark.parametrize(
    ("idempotency_key", "status"),
    [
        pytest.param("a" * 128, 200, id="128-printable-characters"),
        pytest.param("req 1/attempt:2", 200, id="printable-punctuation"),
        pytest.param("", 400, id="empty"),
        pytest.param("a" * 129, 400, id="129-characters"),
        pytest.param("tab\there", 400, id="a-control-character"),
        pytest.param("caf\u00e9", 400, id="non-ascii"),
        pytest.param(7, 400, id="a-number"),
    ],
)
async def test_idempotency_keys_are_short_printable_ascii(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    idempotency_key: Any,
    status: int,
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address))
    response = await signer.post(
        helpers.pay_path(opened["session_id"]),
        json={"units": 1, "idempotency_key": idempotency_key},
    )
    assert response.status_code == status, response.text
