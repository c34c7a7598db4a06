"""POST /generate-live-payment: the reference remote-signer API, state blob round trips."""

import base64
import json
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import httpx
from fastapi import FastAPI, Request
from lpgw.eth import PrivateKey
from lpgw.wire.capabilities import ai_job_capabilities

ROUTE = "/generate-live-payment"


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


def state_of(response: httpx.Response) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(base64.b64decode(response.json()["state"]["State"]))
    return document


async def live_setup(
    make_replica: Callable[..., Any], key: PrivateKey, helpers: Any, **settings: Any
) -> tuple[httpx.AsyncClient, Any, Clock]:
    clock = Clock()
    orchestrator = helpers.TestOrchestrator(clock=clock)
    signer = await make_replica(key, clock=clock, **settings)
    return signer, orchestrator, clock


async def test_state_round_trips_and_tickets_are_accepted(
    make_replica: Any, key: PrivateKey, helpers: Any
) -> None:
    signer, orchestrator, clock = await live_setup(make_replica, key, helpers)
    info = helpers.b64info(orchestrator.info(key.address, price=(1, 1)))
    request = {"orchestrator": info, "ManifestID": "a1b2c3d4", "type": "lv2v"}
    first = await signer.post(ROUTE, json=request)
    assert first.status_code == 200, first.text
    assert set(first.json()) == {"payment", "segCreds", "state"}
    state = state_of(first)
    assert next(iter(state)) == "StateID"
    assert state["SequenceNumber"] == 0 and state["Type"] == "lv2v"
    # 60 s of 1280×720×30 at 1 wei per unit = 1 658 880 000 wei: two tickets of ~1e9.
    outcome = orchestrator.receive(first.json()["payment"])
    assert outcome.ok and outcome.credited == 2
    assert Fraction(state["Balance"]) == outcome.credit - 1_658_880_000
    seg = helpers.check_segment(first.json()["segCreds"], key.address)
    assert seg.manifestId == b"a1b2c3d4"

    clock.now += 5
    second = await signer.post(ROUTE, json={**request, "state": first.json()["state"]})
    assert second.status_code == 200, second.text
    state2 = state_of(second)
    assert state2["SequenceNumber"] == 1
    assert state2["StateID"] == state["StateID"]
    assert state2["SenderNonce"] == 3 and state2["PMSessionID"] == state["PMSessionID"]
    assert orchestrator.receive(second.json()["payment"]).credited == 1

    clock.now += 1  # the credit covers one more second
    third = await signer.post(ROUTE, json={**request, "state": second.json()["state"]})
    assert third.status_code == 482
    assert third.json()["error"]["message"] == "no tickets"


async def test_a_state_not_signed_by_us_is_refused(
    make_replica: Any, key: PrivateKey, helpers: Any
) -> None:
    signer, orchestrator, _ = await live_setup(make_replica, key, helpers)
    info = helpers.b64info(orchestrator.info(key.address, price=(1, 1)))
    request = {"orchestrator": info, "ManifestID": "m1", "type": "lv2v"}
    state = (await signer.post(ROUTE, json=request)).json()["state"]
    document = json.loads(base64.b64decode(state["State"]))
    richer = json.dumps({**document, "Balance": "999999999999"}, separators=(",", ":"))
    forged_sig = base64.b64encode(PrivateKey.generate().personal_sign(b"x")).decode()
    for forged in (
        {**state, "State": base64.b64encode(richer.encode()).decode()},
        {**state, "Sig": forged_sig},
        {**state, "Sig": "AAAA"},
    ):
        response = await signer.post(ROUTE, json={**request, "state": forged})
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "invalid sig"


async def test_consistency_checks_against_the_state(
    make_replica: Any, key: PrivateKey, helpers: Any
) -> None:
    signer, orchestrator, clock = await live_setup(make_replica, key, helpers)
    info = helpers.b64info(orchestrator.info(key.address, price=(1, 1)))
    request = {"orchestrator": info, "ManifestID": "m1", "type": "lv2v", "app": "demo"}
    state = (await signer.post(ROUTE, json=request)).json()["state"]
    clock.now += 30
    other = helpers.TestOrchestrator(clock=clock)
    cases = [
        ({**request, "app": "other"}, "app mismatch"),
        ({**request, "type": "live"}, "job type mismatch"),
        ({k: v for k, v in request.items() if k != "ManifestID"}, "missing manifestID"),
        (
            {**request, "orchestrator": helpers.b64info(other.info(key.address, price=(1, 1)))},
            "orchestratorAddress mismatch",
        ),
    ]
    for body, message in cases:
        response = await signer.post(ROUTE, json={**body, "state": state})
        assert response.status_code == 400, body
        assert response.json()["error"]["message"] == message


async def test_request_errors_in_reference_order(
    make_replica: Any, key: PrivateKey, helpers: Any
) -> None:
    signer, orchestrator, _ = await live_setup(make_replica, key, helpers)
    no_price = orchestrator.info(key.address)
    no_price.ClearField("price_info")
    cases = [
        (b"not json", "invalid request body"),
        (json.dumps({"orchestrator": "@@"}).encode(), "orchestrator is not valid base64"),
        (
            json.dumps({"orchestrator": helpers.b64info(no_price)}).encode(),
            "missing or zero priceInfo",
        ),
        (
            json.dumps(
                {"orchestrator": helpers.b64info(orchestrator.info(key.address, with_params=False))}
            ).encode(),
            "missing ticketParams in OrchestratorInfo",
        ),
        (
            json.dumps(
                {"orchestrator": helpers.b64info(orchestrator.info(key.address)), "type": "batch"}
            ).encode(),
            "invalid job type",
        ),
        (
            json.dumps({"orchestrator": helpers.b64info(orchestrator.info(key.address))}).encode(),
            "missing billable unit or job type",
        ),
    ]
    for content, message in cases:
        response = await signer.post(ROUTE, content=content)
        assert response.status_code == 400, content
        assert response.json() == {"error": {"message": message}, "detail": {"msg": message}}


async def test_near_expiry_token_or_params_is_480_with_the_orchestrator_url(
    make_replica: Any, key: PrivateKey, helpers: Any
) -> None:
    signer, orchestrator, clock = await live_setup(make_replica, key, helpers)
    expiring = orchestrator.info(key.address, price=(1, 1), token_lifetime_s=120)
    response = await signer.post(
        ROUTE, json={"orchestrator": helpers.b64info(expiring), "type": "lv2v"}
    )
    assert response.status_code == 480
    assert response.headers["Livepeer-Orchestrator-URL"] == expiring.transcoder
    fresh = orchestrator.info(key.address, price=(1, 1))
    clock.now += 40 * 12  # the params' 40 blocks go by
    response = await signer.post(
        ROUTE, json={"orchestrator": helpers.b64info(fresh), "type": "lv2v"}
    )
    assert response.status_code == 480


async def test_price_ceilings_are_481(make_replica: Any, key: PrivateKey, helpers: Any) -> None:
    signer, orchestrator, clock = await live_setup(
        make_replica,
        key,
        helpers,
        signer_max_prices=({"pipeline": "live-video-to-video", "price_per_unit": 3},),
    )
    caps = base64.b64encode(
        ai_job_capabilities("live-video-to-video", "streamdiffusion").SerializeToString()
    ).decode()
    info = helpers.b64info(orchestrator.info(key.address, price=(2, 1)))
    base = {"orchestrator": info, "type": "lv2v", "capabilities": caps, "ManifestID": "m"}
    max_price = {"price": 1.5, "currency": "wei", "unit": "720p-pixel-seconds"}
    response = await signer.post(ROUTE, json={**base, "maxPrice": max_price})
    assert response.status_code == 481
    assert response.json()["error"]["limit"] == "request maxPrice"
    assert response.json()["error"]["excess"] == "1/2"
    first = await signer.post(ROUTE, json=base)
    assert first.status_code == 200, first.text
    pricier = helpers.b64info(orchestrator.info(key.address, price=(4, 1)))
    clock.now += 5
    response = await signer.post(
        ROUTE, json={**base, "orchestrator": pricier, "state": first.json()["state"]}
    )
    assert response.status_code == 481
    assert response.json()["error"]["limit"] == "SIGNER_MAX_PRICES[live-video-to-video/default]"


async def test_auth_webhook_rejection_and_auth_id_pinning(
    make_replica: Any, key: PrivateKey, helpers: Any
) -> None:
    seen: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = [
        {"status": 200, "expiry": 0, "auth_id": "user-1"},
        {"status": 403, "reason": "quota exhausted"},
        {"status": 200, "auth_id": "user-2"},
    ]
    webhook = FastAPI()

    @webhook.post("/auth")
    async def auth(request: Request) -> dict[str, Any]:
        seen.append(await request.json())
        return verdicts[len(seen) - 1]

    clock = Clock()
    orchestrator = helpers.TestOrchestrator(clock=clock)
    signer = await make_replica(
        key,
        clock=clock,
        signer_webhook_url="http://webhook/auth",
        webhook_transport=httpx.ASGITransport(app=webhook),
    )
    info = helpers.b64info(orchestrator.info(key.address, price=(1, 1)))
    request = {"orchestrator": info, "type": "lv2v", "ManifestID": "m"}
    first = await signer.post(ROUTE, json=request, headers={"X-User": "u1"})
    assert first.status_code == 200, first.text
    assert seen[0]["headers"]["x-user"] == ["u1"]
    assert "authorization" not in seen[0]["headers"]
    assert seen[0]["state"]["StateID"] == state_of(first)["StateID"]
    assert state_of(first)["AuthID"] == "user-1"
    clock.now += 5
    refused = await signer.post(ROUTE, json={**request, "state": first.json()["state"]})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "quota exhausted"
    clock.now += 5
    changed = await signer.post(ROUTE, json={**request, "state": first.json()["state"]})
    assert changed.status_code == 500
    assert changed.json()["error"]["message"] == "Internal Server Error"
