"""Nonces are allocated in Redis: replicas and restarts never hand one out twice."""

import asyncio
import base64
from typing import Any

import httpx
from lpgw.eth import PrivateKey
from lpgw.wire.net import lp_rpc_pb2 as pb

CALLS = 1000
TICKETS_PER_CALL = 10
WORKERS_PER_REPLICA = 16


def body(info: str) -> dict[str, Any]:
    # 10 000 000 units at 1000 wei = 1e10 wei = 10 tickets of the orchestrator's 1e9 EV.
    return {
        "orchestrator": info,
        "bucket": "27_m",
        "units": 10_000_000,
        "pipeline": "text-to-image",
        "model_id": "m",
    }


def nonces_of(payment_b64: str) -> list[int]:
    payment = pb.Payment.FromString(base64.b64decode(payment_b64))
    return [t.sender_nonce for t in payment.ticket_sender_params]


async def test_two_replicas_sign_10000_tickets_without_a_duplicate_nonce(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any, read_audit: Any
) -> None:
    settings = {"signer_nonce_refresh_at": 20_000}
    replicas = [await make_replica(key, **settings), await make_replica(key, **settings)]
    info = helpers.b64info(orchestrator.info(key.address, price=(1000, 1)))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(CALLS):
        queue.put_nowait(i)
    nonces: list[int] = []

    async def worker(signer: httpx.AsyncClient) -> None:
        while not queue.empty():
            queue.get_nowait()
            response = await signer.post("/v1/payments", json=body(info))
            assert response.status_code == 200, response.text
            nonces.extend(nonces_of(response.json()["payment"]))

    await asyncio.gather(*(worker(r) for r in replicas for _ in range(WORKERS_PER_REPLICA)))
    total = CALLS * TICKETS_PER_CALL
    duplicates = len(nonces) - len(set(nonces))
    assert len(nonces) == total
    assert duplicates == 0
    assert sorted(nonces) == list(range(1, total + 1))
    assert len(await read_audit()) == CALLS


async def test_a_restarted_signer_continues_the_nonces(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    info = helpers.b64info(orchestrator.info(key.address, price=(1000, 1)))
    before = await make_replica(key)
    first = (await before.post("/v1/payments", json=body(info))).json()["payment"]
    await before.aclose()
    after = await make_replica(key)  # a new process: nothing in memory, the same Redis
    second = (await after.post("/v1/payments", json=body(info))).json()["payment"]
    assert nonces_of(first) == list(range(1, 11))
    assert nonces_of(second) == list(range(11, 21))
    assert orchestrator.receive(first).credited == 10
    assert orchestrator.receive(second).credited == 10
