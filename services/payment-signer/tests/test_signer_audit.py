"""Every signing call is in the AUDIT stream before it is answered; no audit, no signature."""

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from fractions import Fraction
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
PAY_ROUTE = "/v1/sessions/{session_id}/payments"


async def test_one_audit_event_per_ticket_bearing_call_with_its_fields(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any, read_audit: Any
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(1000, 1))
    opened = await helpers.open_session(signer, info)
    sid = opened["session_id"]
    created = await helpers.paid(signer, sid, 1, job="job-1")  # 2 EV of credit: 2 tickets
    topped = await helpers.paid(signer, sid, 1, job="job-2")  # back up to 2 EV: 1 ticket
    covered = await helpers.paid(signer, sid, 1, job="job-1")  # no ticket: no event
    assert (created["tickets"], topped["tickets"], covered["tickets"]) == (2, 1, 0)
    assert (await signer.post("/sign-orchestrator-info")).status_code == 200
    free = orchestrator.info(key.address, with_params=False)
    free_sid = (await helpers.open_session(signer, free))["session_id"]
    assert (await helpers.pay(signer, free_sid, 5)).status_code == 200  # no ticket: no event
    bad = await signer.post("/v1/sessions", json=helpers.open_body("not base64!"))
    assert bad.status_code == 400
    live = await signer.post(
        "/generate-live-payment",
        json={
            "orchestrator": helpers.b64info(orchestrator.info(key.address, price=(1, 1))),
            "ManifestID": "m1",
            "type": "lv2v",
        },
    )
    assert live.status_code == 200, live.text

    events = await read_audit()
    assert [e.route for e in events] == [
        "/v1/sessions",
        PAY_ROUTE,
        PAY_ROUTE,
        "/sign-orchestrator-info",
        "/v1/sessions",
        "/generate-live-payment",
    ]
    opening, tickets, top_up, identity, free_opening, live_event = events
    assert (opening.payment_session, opening.tickets, opening.recipient) == (sid, 0, "")
    assert (opening.bucket, opening.orchestrator, opening.job) == (BUCKET, info.transcoder, "")
    assert tickets.client == "tester"
    assert tickets.recipient == "0x" + info.ticket_params.recipient.hex()
    assert tickets.orchestrator == info.transcoder
    assert (tickets.bucket, tickets.job, tickets.payment_session) == (BUCKET, "job-1", sid)
    assert tickets.tickets == 2
    assert tickets.nonces == helpers.nonces_of(created["payment"]) == [1, 2]
    assert int(tickets.face_value) == int.from_bytes(info.ticket_params.face_value, "big")
    assert int(tickets.win_prob) == int.from_bytes(info.ticket_params.win_prob, "big")
    assert Fraction(tickets.ev) == 2 * Fraction(opened["ticket_ev"])
    assert (top_up.job, top_up.tickets, top_up.nonces) == ("job-2", 1, [3])
    assert (identity.tickets, identity.recipient, identity.payment_session) == (0, "", "")
    assert (free_opening.payment_session, free_opening.tickets) == (free_sid, 0)
    state = json.loads(base64.b64decode(live.json()["state"]["State"]))
    assert (live_event.job, live_event.bucket, live_event.payment_session) == (
        state["StateID"],
        "m1",
        "",
    )
    assert live_event.nonces == helpers.nonces_of(live.json()["payment"])


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
                offer = orchestrator.info(key.address, price=(1000, 1))
                sid = (await helpers.open_session(signer, offer))["session_id"]
                for _ in range(2):  # two payments bring the credit to 3 EV
                    assert (await helpers.paid(signer, sid, 1))["tickets"] > 0
                assert (await signer.get("/readyz")).status_code == 200
                before = await helpers.snapshot(redis, prefix)

                await asyncio.to_thread(supervisor.stop, "nats")
                for _ in range(50):
                    if not bus.is_connected:
                        break
                    await asyncio.sleep(0.1)
                other = orchestrator.info(key.address, price=(1000, 1))
                responses = [
                    await helpers.pay(signer, sid, 3_000_000),  # needs tickets
                    await signer.post("/sign-orchestrator-info"),
                    await signer.post("/v1/sessions", json=helpers.open_body(other)),
                ]
                assert [r.status_code for r in responses] == [503, 503, 503]
                for response in responses:
                    assert "signature" not in response.text and "payment" not in response.json()
                    assert response.json()["error"]["message"] == "audit stream unavailable"
                assert (await signer.get("/readyz")).status_code == 503
                assert await helpers.snapshot(redis, prefix) == before
                # A request the credit covers signs nothing and needs no audit event.
                covered = await helpers.pay(signer, sid, 1)
                assert covered.status_code == 200, covered.text
                assert covered.json()["tickets"] == 0
    finally:
        await bus.close(grace_s=0.5)


async def test_an_audit_write_failing_after_signing_returns_nothing_and_changes_no_credit(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    signer_bus: Bus,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await make_replica(key, signer_client_budget_wei=10**15)
    info = orchestrator.info(key.address, price=(30_000_000, 1))
    sid = (await helpers.open_session(signer, info))["session_id"]
    first = await helpers.paid(signer, sid, 10)
    spend_keys = [k async for k in redis.scan_iter(match=f"{prefix}:pm:spend:*")]
    spent = await redis.get(spend_keys[0])
    await signer_bus.js.delete_stream(signer_bus.names.audit_stream)  # the audit has nowhere to go

    refused = await helpers.pay(signer, sid, 100)  # needs tickets
    assert refused.status_code == 503, refused.text
    assert "payment" not in refused.json()
    assert await redis.get(spend_keys[0]) == spent
    assert await helpers.stored_credit(redis, prefix, info) == Fraction(first["credit"])
    await signer_bus.declare()
    again = await helpers.paid(signer, sid, 100)
    assert (
        Fraction(again["credit"])
        == Fraction(first["credit"]) + again["tickets"] * (helpers.info_ev(info)) - 100 * 30_000_000
    )


async def test_a_duplicate_acknowledgement_is_not_an_audit_record(audit: BusAudit) -> None:
    event = audit_event(AuditContext("tester", "/v1/sessions"), None, [])
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
