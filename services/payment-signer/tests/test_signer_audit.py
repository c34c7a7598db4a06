"""Every signing call is in the AUDIT stream before it is answered; no audit, no signature."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from lpgw.bus import Bus, Names
from lpgw.eth import PrivateKey
from lpgw.signer.api.auth import BearerAuth
from lpgw.signer.assembly import build_app
from lpgw.signer.errors import Unavailable
from lpgw.signer.keys.signing import SigningService
from lpgw.signer.payments.audit import AuditContext, BusAudit, audit_event
from lpgw.signer.settings import SignerSettings
from lpgw.stack.process import Supervisor
from lpgw.stack.servers import start_nats

BUCKET = "27_m"


def body(info: str, units: int, session: str = "job-1") -> dict[str, Any]:
    return {
        "orchestrator": info,
        "bucket": BUCKET,
        "units": units,
        "pipeline": "text-to-image",
        "model_id": "m",
        "session": session,
    }


async def test_one_audit_event_per_signing_call_with_its_fields(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any, read_audit: Any
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(1000, 1))
    created = (
        await signer.post("/v1/payments", json=body(helpers.b64info(info), 3_000_000))
    ).json()
    assert (await signer.post("/sign-orchestrator-info")).status_code == 200
    free = helpers.b64info(orchestrator.info(key.address, with_params=False))
    assert (await signer.post("/v1/payments", json=body(free, 5))).status_code == 200
    bad = await signer.post("/v1/payments", json=body("not base64!", 5))
    assert bad.status_code == 400
    events = await read_audit()
    assert [e.route for e in events] == ["/v1/payments", "/sign-orchestrator-info", "/v1/payments"]
    tickets = events[0]
    assert tickets.client == "tester"
    assert tickets.recipient == "0x" + info.ticket_params.recipient.hex()
    assert tickets.orchestrator == info.transcoder
    assert (tickets.bucket, tickets.session) == (BUCKET, "job-1")
    assert tickets.tickets == created["tickets"] == 3
    assert tickets.nonces == [1, 2, 3]
    assert int(tickets.face_value) == int.from_bytes(info.ticket_params.face_value, "big")
    assert int(tickets.win_prob) == int.from_bytes(info.ticket_params.win_prob, "big")
    assert tickets.ev == created["ev"]
    assert (events[1].tickets, events[1].recipient) == (0, "")
    assert (events[2].tickets, events[2].nonces) == (0, [])


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[tuple[Supervisor, str]]:
    """A NATS server of this test alone, so that it can be stopped."""
    with Supervisor(log_dir=tmp_path / "logs") as supervisor:
        url = start_nats(supervisor, tmp_path / "nats", name="nats")
        yield supervisor, url


async def test_a_nats_outage_is_503_and_nothing_is_signed(
    private_nats: tuple[Supervisor, str],
    redis_url: str,
    redis: aioredis.Redis,
    prefix: str,
    tmp_path: Path,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
) -> None:
    supervisor, nats_url = private_nats
    bus = await Bus.connect(nats_url, Names(prefix), client_name="outage")
    await bus.declare()
    settings = SignerSettings(
        nats_url=nats_url,
        redis_url=redis_url,
        bus_prefix=prefix,
        signer_data_dir=tmp_path,
        signer_auth_disabled=True,
    )
    try:
        async with httpx.AsyncClient() as http:
            app = build_app(
                settings, SigningService(key), BearerAuth.off(), redis=redis, bus=bus, http=http
            )
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://s") as signer:
                info = helpers.b64info(orchestrator.info(key.address, price=(1000, 1)))
                assert (await signer.post("/v1/payments", json=body(info, 1))).status_code == 200
                assert (await signer.get("/readyz")).status_code == 200
                before = sorted([k async for k in redis.scan_iter(match=f"{prefix}:*")])
                nonce_keys = [k for k in before if b":pm:nonce:" in k]
                nonce_before = await redis.get(nonce_keys[0])

                await asyncio.to_thread(supervisor.stop, "nats")
                for _ in range(50):
                    if not bus.is_connected:
                        break
                    await asyncio.sleep(0.1)
                responses = [
                    await signer.post("/v1/payments", json=body(info, 1)),
                    await signer.post("/sign-orchestrator-info"),
                ]
                assert [r.status_code for r in responses] == [503, 503]
                for response in responses:
                    assert "signature" not in response.text and "payment" not in response.json()
                    assert response.json()["error"]["message"] == "audit stream unavailable"
                assert (await signer.get("/readyz")).status_code == 503
                after = sorted([k async for k in redis.scan_iter(match=f"{prefix}:*")])
                assert after == before
                assert await redis.get(nonce_keys[0]) == nonce_before
    finally:
        await bus.close(grace_s=0.5)


async def test_an_audit_write_failing_after_signing_returns_nothing_and_puts_credit_back(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    signer_bus: Bus,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await make_replica(key, signer_client_budget_wei=10**15)
    info = helpers.b64info(orchestrator.info(key.address, price=(30_000_000, 1)))
    first = (await signer.post("/v1/payments", json=body(info, 10))).json()
    await signer.post(
        f"/v1/payments/{first['payment_id']}/complete",
        json={"outcome": "received", "debit_units": 0},
    )
    spend_keys = [k async for k in redis.scan_iter(match=f"{prefix}:pm:spend:*")]
    spent = await redis.get(spend_keys[0])
    await signer_bus.js.delete_stream(signer_bus.names.audit_stream)  # the audit has nowhere to go

    refused = await signer.post("/v1/payments", json=body(info, 40))  # needs a ticket
    assert refused.status_code == 503
    assert "payment" not in refused.json()
    assert await redis.get(spend_keys[0]) == spent
    assert [k async for k in redis.scan_iter(match=f"{prefix}:pm:pending:*")] == []
    await signer_bus.declare()
    again = (await signer.post("/v1/payments", json=body(info, 10))).json()
    assert again["tickets"] == 0  # the reserved credit (one EV) was put back


async def test_a_duplicate_acknowledgement_is_not_an_audit_record(audit: BusAudit) -> None:
    event = audit_event(AuditContext("tester", "/v1/payments"), None, [])
    await audit.record(event, msg_id="one-call")
    with pytest.raises(Unavailable):
        await audit.record(event, msg_id="one-call")  # JetStream acks it without storing it


async def test_a_replayed_live_state_is_audited_on_every_call(
    make_replica: Any, key: PrivateKey, helpers: Any, read_audit: Any
) -> None:
    now = [float(int(time.time()))]
    orchestrator = helpers.TestOrchestrator(clock=lambda: now[0])
    signer = await make_replica(key, clock=lambda: now[0])
    info = helpers.b64info(orchestrator.info(key.address, price=(1, 1)))
    request = {"orchestrator": info, "ManifestID": "m1", "type": "lv2v"}
    first = await signer.post("/generate-live-payment", json=request)
    assert first.status_code == 200, first.text
    now[0] += 5  # five seconds of video to pay for, twice with the same state
    replay = {**request, "state": first.json()["state"]}
    answers = await asyncio.gather(
        *(signer.post("/generate-live-payment", json=replay) for _ in range(2))
    )
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    events = await read_audit()
    assert len(events) == 3  # one stored event per signature handed out
    nonces = [n for e in events for n in e.nonces]
    assert len(nonces) == len(set(nonces)) and sum(e.tickets for e in events) == len(nonces)
