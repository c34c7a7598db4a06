"""POST /v1/payments with an idempotency_key: a retry gets the same payment and changes nothing."""

import hashlib
from typing import Any

import redis.asyncio as aioredis
from lpgw.bus import Bus
from lpgw.eth import PrivateKey
from lpgw.signer.idempotency import RedisIdempotencyStore
from lpgw.signer.payments.orders import PaymentBody, fingerprint
from lpgw.state import Keys

OTHER_TOKEN = "other-token-0123456789"


def body(info: str, units: int, **extra: Any) -> dict[str, Any]:
    return {
        "orchestrator": info,
        "bucket": "27_m",
        "units": units,
        "pipeline": "text-to-image",
        "model_id": "m",
        "session": "job-1",
        **extra,
    }


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def snapshot(redis: aioredis.Redis, prefix: str) -> list[tuple[bytes, Any]]:
    """Every key of the test with its value: nonces, credit, pending updates, budgets."""
    values = []
    for k in sorted([k async for k in redis.scan_iter(match=f"{prefix}:*")]):
        kind = await redis.type(k)
        values.append((k, await (redis.hgetall(k) if kind == b"hash" else redis.get(k))))
    return values


async def test_a_retry_with_the_same_key_gets_the_same_payment_and_changes_nothing(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
    token: str,
) -> None:
    signer = await make_replica(
        key,
        signer_client_budget_wei=10**15,
        signer_token_hashes=(f"tester={digest(token)}", f"other={digest(OTHER_TOKEN)}"),
    )
    info = helpers.b64info(orchestrator.info(key.address, price=(1000, 1)))
    request = body(info, 3_000_000, idempotency_key="req-1 attempt")
    first = await signer.post("/v1/payments", json=request)
    assert first.status_code == 200, first.text
    assert first.json()["tickets"] == 3
    before = await snapshot(redis, prefix)
    audited = len(await read_audit())

    again = await signer.post("/v1/payments", json=request)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # same payment_id, same bytes
    assert await snapshot(redis, prefix) == before  # no nonce, credit, budget or pending change
    assert len(await read_audit()) == audited
    assert orchestrator.receive(again.json()["payment"]).credited == 3

    changed = await signer.post("/v1/payments", json={**request, "units": 1})
    assert changed.status_code == 409
    assert "different request" in changed.json()["error"]["message"]
    other_client = await signer.post(
        "/v1/payments", json=request, headers={"Authorization": f"Bearer {OTHER_TOKEN}"}
    )
    assert other_client.status_code == 200
    assert other_client.json()["payment_id"] != first.json()["payment_id"]
    fresh = await signer.post("/v1/payments", json=body(info, 3_000_000))
    assert fresh.json()["payment_id"] != first.json()["payment_id"]


async def test_a_failed_call_frees_its_key_and_a_running_one_is_409(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    signer_bus: Bus,
) -> None:
    signer = await make_replica(key)
    info = helpers.b64info(orchestrator.info(key.address, price=(1000, 1)))
    request = body(info, 1_000_000, idempotency_key="k1")
    await signer_bus.js.delete_stream(signer_bus.names.audit_stream)
    assert (await signer.post("/v1/payments", json=request)).status_code == 503
    await signer_bus.declare()
    retried = await signer.post("/v1/payments", json=request)
    assert retried.status_code == 200, retried.text
    assert orchestrator.receive(retried.json()["payment"]).credited == 1

    running = body(info, 1_000_000, idempotency_key="k2")
    store = RedisIdempotencyStore(redis, Keys(prefix))
    await store.claim("tester", "k2", fingerprint(PaymentBody.model_validate(running)))
    busy = await signer.post("/v1/payments", json=running)
    assert busy.status_code == 409
    assert "in progress" in busy.json()["error"]["message"]


async def test_idempotency_keys_are_short_printable_ascii(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    info = helpers.b64info(orchestrator.info(key.address, price=(1000, 1)))
    for bad in ["", "a" * 129, "tab\there", "caf\u00e9", 7]:
        response = await signer.post("/v1/payments", json=body(info, 1, idempotency_key=bad))
        assert response.status_code == 400, bad
    ok = await signer.post("/v1/payments", json=body(info, 1, idempotency_key="a" * 128))
    assert ok.status_code == 200, ok.text
