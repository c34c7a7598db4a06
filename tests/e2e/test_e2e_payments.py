"""Payments through the whole gateway: intake, selector, session, payment-signer and delivery as
separate processes, a devnet orchestrator checking every ticket and keeping a ledger.

What the devnet's `GET /ledger` says about the gateway's address is the proof: tickets were
received and valid, their EV covers the fees debited without overpaying, and the lottery
produced as many winners as its odds say.
"""

import asyncio
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import httpx
import pytest
from lpgw.pm import MAX_WIN_PROB
from lpgw.stack.topology import DevnetSpec, Gateway
from lpgw.wire.capabilities import ai_discovery_capabilities
from lpgw.wire.client import OrchestratorClient
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.orchestrator_request import build_orchestrator_request

pytestmark = pytest.mark.integration

StartGateway = Callable[..., Gateway]
"""The `start` fixture of tests/e2e/conftest.py."""

MODEL = "stabilityai/sdxl-turbo"
PRICE = 1000
"""Wei per unit (pixel) of the devnets here."""
SMALL = 64
SMALL_FEE = SMALL * SMALL * PRICE
"""What one 64 × 64 image costs: the ticket EV of the session test, so one ticket per request."""
TIMEOUT = httpx.Timeout(90.0)


def _fraction(text: str) -> Fraction:
    """The ledger's exact amounts: `n` or `n/d`."""
    return Fraction(text)


async def _text_to_image(
    http: httpx.AsyncClient, gateway: Gateway, **body: object
) -> httpx.Response:
    payload = {"prompt": "a lighthouse at dawn", **body}
    return await http.post(
        f"{gateway.intake_url}/text-to-image", json=payload, headers=gateway.auth, timeout=TIMEOUT
    )


async def _until_selectable(http: httpx.AsyncClient, gateway: Gateway) -> None:
    """The selector probes at start; the first requests may race it (they then cost nothing)."""
    async with asyncio.timeout(30):
        while True:
            response = await _text_to_image(http, gateway, width=SMALL, height=SMALL)
            if response.status_code == 200:
                return
            await asyncio.sleep(0.5)


async def _identity(http: httpx.AsyncClient, gateway: Gateway) -> tuple[str, str]:
    """The gateway's (EIP-55 address, signature) from its payment-signer."""
    token = gateway.signer_token_file.read_text().strip()
    response = await http.post(
        f"{gateway.signer_url}/sign-orchestrator-info",
        headers={"Authorization": f"Bearer {token}"},
        json={},
    )
    response.raise_for_status()
    body = response.json()
    return str(body["address"]), str(body["signature"])


async def _ledger(http: httpx.AsyncClient, orchestrator: str) -> dict[str, Any]:
    response = await http.get(f"{orchestrator}/ledger")
    response.raise_for_status()
    ledger: dict[str, Any] = response.json()
    return ledger


async def _ticket_params(orchestrator: str, address: str, signature: str) -> pb.TicketParams:
    """The params the devnet issues to the gateway for this model, as the session gets them."""
    request = build_orchestrator_request(
        bytes.fromhex(address.removeprefix("0x")),
        bytes.fromhex(signature.removeprefix("0x")),
        ai_discovery_capabilities("text-to-image", MODEL),
    )
    info = await OrchestratorClient().get_orchestrator(orchestrator, request)
    assert info.HasField("ticket_params"), "the devnet checks payments by default"
    return info.ticket_params


async def test_a_paid_request_leaves_tickets_worth_its_fee_in_the_ledger(
    start: StartGateway,
) -> None:
    gateway = start([DevnetSpec("orch", price=PRICE)])
    orchestrator = gateway.orchestrators["orch"]
    async with httpx.AsyncClient(verify=False) as http:
        await _until_selectable(http, gateway)

        response = await _text_to_image(http, gateway, width=320, height=192, seed=3)

        assert response.status_code == 200, response.text
        address, _ = await _identity(http, gateway)
        ledger = await _ledger(http, orchestrator)
    assert ledger["payments"] is True
    sender = ledger["senders"][address]
    assert sender["tickets"] >= 1
    assert sender["credited_tickets"] == sender["tickets"]
    debited = _fraction(sender["debited"])
    assert debited >= 320 * 192 * PRICE
    assert _fraction(sender["ev_received"]) >= debited


async def test_a_session_of_1000_paid_requests_settles_to_the_wei(start: StartGateway) -> None:
    requests, concurrency = 1000, 16
    gateway = start(
        [
            DevnetSpec(
                "orch",
                price=PRICE,
                flags=(
                    "--ticket-ev",
                    str(SMALL_FEE),
                    "--face-value-multiplier",
                    "100",
                    "--capacity",
                    str(2 * concurrency),
                ),
            )
        ],
        overrides={
            "session": {"SESSION_CONCURRENCY": str(concurrency)},
            # a thousand requests from one key in seconds: past any sane per-key rate
            "intake": {"INTAKE_API_KEY_RATE_PER_MINUTE": "0"},
        },
    )
    orchestrator = gateway.orchestrators["orch"]
    limit = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=2 * concurrency)
    async with httpx.AsyncClient(verify=False, limits=limits) as http:
        await _until_selectable(http, gateway)

        async def one(seed: int) -> int:
            async with limit:
                response = await _text_to_image(http, gateway, width=SMALL, height=SMALL, seed=seed)
                return response.status_code

        statuses = await asyncio.gather(*(one(seed) for seed in range(requests)))

        address, signature = await _identity(http, gateway)
        ledger = await _ledger(http, orchestrator)
    params = await _ticket_params(orchestrator, address, signature)

    assert statuses.count(200) == requests, {s: statuses.count(s) for s in set(statuses)}
    sender = ledger["senders"][address]
    tickets = sender["tickets"]
    face_value = int.from_bytes(params.face_value, "big")
    win_prob = Fraction(int.from_bytes(params.win_prob, "big"), MAX_WIN_PROB)
    ticket_ev = face_value * win_prob
    assert SMALL_FEE <= ticket_ev < SMALL_FEE + 1, "the EV target is met within 1 wei"

    # (c) every ticket was accepted: no reused nonce, no bad signature, none expired
    assert sender["credited_tickets"] == tickets
    # about one ticket per request (the warm-up requests are in the ledger too)
    assert requests <= tickets <= requests + 40

    # (a) the tickets' EV covers the fees, with at most a few tickets of credit left over
    credit = _fraction(sender["ev_received"]) - _fraction(sender["debited"])
    assert 0 <= credit < 3 * ticket_ev

    # (b) the lottery: winners within 4 standard deviations of n·p, worth ≈ the fees owed
    mean = tickets * win_prob
    band = 4 * math.sqrt(tickets * win_prob * (1 - win_prob))
    winners = sender["winning_tickets"]
    assert abs(winners - mean) <= band, (winners, float(mean), band)
    winning_value = int(sender["winning_face_value"])
    assert winning_value == winners * face_value
    owed = _fraction(sender["debited"])
    assert abs(winning_value - owed) <= band * face_value + 3 * ticket_ev


async def test_an_off_chain_orchestrator_still_works_through_the_paying_gateway(
    start: StartGateway,
) -> None:
    gateway = start([DevnetSpec("free", price=PRICE, flags=("--no-payments",))])
    orchestrator = gateway.orchestrators["free"]
    async with httpx.AsyncClient(verify=False) as http:
        await _until_selectable(http, gateway)

        response = await _text_to_image(http, gateway, width=96, height=64)

        assert response.status_code == 200, response.text
        media = await http.get(response.json()["images"][0]["url"], timeout=TIMEOUT)
        assert media.status_code == 200
        ledger = await _ledger(http, orchestrator)
    assert ledger == {"payments": False, "senders": {}}
