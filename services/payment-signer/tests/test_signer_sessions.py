"""POST /v1/sessions: an orchestrator offer checked once, answered as a payment session."""

import base64
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
import redis.asyncio as aioredis
from lpgw.eth import PrivateKey
from lpgw.pm.encoding import minbytes
from lpgw.pm.ev import MAX_WIN_PROB
from lpgw.pm.rationals import rat_string
from lpgw.state import Keys
from lpgw.wire.capabilities import ai_job_capabilities
from lpgw.wire.net import lp_rpc_pb2 as pb

OPEN = "/v1/sessions"
ORCHESTRATOR_URL = "Livepeer-Orchestrator-URL"


def caps_b64(pipeline: str, model: str) -> str:
    return base64.b64encode(ai_job_capabilities(pipeline, model).SerializeToString()).decode()


async def test_open_answers_the_offer_and_the_same_offer_is_the_same_session(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
) -> None:
    clock = helpers.Clock()
    orchestrator = helpers.TestOrchestrator(clock=clock)
    signer = await make_replica(key, clock=clock, signer_token_hashes=helpers.two_clients())
    info = orchestrator.info(key.address, price=(1001, 3))
    opened = await helpers.open_session(signer, info)

    assert set(opened) == {"session_id", "expires_at", "price", "ticket_ev", "recipient"}
    assert re.fullmatch("[0-9a-f]{32}", opened["session_id"])
    assert opened["expires_at"] == info.auth_token.expiration == int(clock.now) + 1800
    assert opened["price"] == "1001/3"
    assert opened["ticket_ev"] == rat_string(helpers.info_ev(info))
    assert opened["recipient"] == "0x" + orchestrator.key.address.hex()
    # Stored until the auth token expires, so that any replica can take its payments.
    ttl = await redis.ttl(Keys(prefix).payment_session(opened["session_id"]))
    assert 1790 <= ttl <= 1800

    again = await helpers.open_session(signer, info)
    assert again == opened
    variants = [
        await helpers.open_session(signer, info, bucket="27_other"),
        await helpers.open_session(signer, info, model_id="other"),
        await helpers.open_session(signer, info, capabilities=caps_b64("text-to-image", "m")),
        await helpers.open_session(signer, orchestrator.info(key.address, price=(1001, 3))),
    ]
    ids = {opened["session_id"], *(v["session_id"] for v in variants)}
    assert len(ids) == 5, "bucket, model, capabilities and offer each name another session"

    other_client = await signer.post(OPEN, json=helpers.open_body(info), headers=helpers.OTHER_AUTH)
    assert other_client.status_code == 200, other_client.text
    assert other_client.json()["session_id"] not in ids

    events = await read_audit()
    assert [e.route for e in events] == [OPEN] * 6  # one per session opened, not per call
    first = events[0]
    assert (first.client, first.payment_session, first.bucket) == (
        helpers.CLIENT,
        opened["session_id"],
        helpers.BUCKET,
    )
    assert (first.orchestrator, first.tickets, first.nonces, first.ev) == (
        info.transcoder,
        0,
        [],
        "0",
    )
    assert events[-1].client == helpers.OTHER_CLIENT

    # A client cannot pay on another client's session: it does not exist for it.
    foreign = await signer.post(
        helpers.pay_path(opened["session_id"]),
        json={"units": 1, "idempotency_key": "k"},
        headers=helpers.OTHER_AUTH,
    )
    assert foreign.status_code == 404, foreign.text
    assert "no payment session" in foreign.json()["error"]["message"]
    own = await helpers.pay(signer, opened["session_id"], 1)
    assert own.status_code == 200, own.text


InfoChange = Callable[[pb.OrchestratorInfo], None]


def ticket_field(name: str, value: bytes) -> InfoChange:
    def change(info: pb.OrchestratorInfo) -> None:
        setattr(info.ticket_params, name, value)

    return change


def clear(field: str, inside_params: bool = False) -> InfoChange:
    def change(info: pb.OrchestratorInfo) -> None:
        (info.ticket_params if inside_params else info).ClearField(field)

    return change


def zero_pixels(info: pb.OrchestratorInfo) -> None:
    info.price_info.pixelsPerUnit = 0


def short_token(info: pb.OrchestratorInfo) -> None:
    info.auth_token.expiration -= 1800 - 179


@pytest.mark.parametrize(
    ("settings", "price", "change", "body", "status", "message", "excess"),
    [
        pytest.param(
            {"signer_max_prices": ({"pipeline": "text-to-image", "price_per_unit": 100},)},
            (101, 1),
            None,
            {},
            481,
            "orchestrator price 101 exceeds SIGNER_MAX_PRICES[text-to-image/default] ceiling "
            "100 wei per unit by 1",
            ("SIGNER_MAX_PRICES[text-to-image/default]", "100", "101", "1"),
            id="a-price-above-the-pipeline-ceiling-is-481",
        ),
        pytest.param(
            {"signer_max_price_per_unit": "1/3"},
            (1, 2),
            None,
            {},
            481,
            None,
            ("SIGNER_MAX_PRICE_PER_UNIT", "1/3", "1/2", "1/6"),
            id="a-price-above-the-global-ceiling-is-481",
        ),
        pytest.param(
            {"signer_max_ticket_ev": 999_999_999},
            (10, 1),
            None,
            {},
            403,
            None,
            ("SIGNER_MAX_TICKET_EV", "999999999", None, None),
            id="a-ticket-ev-above-the-cap-is-403",
        ),
        pytest.param(
            {"signer_max_face_value": 10**10},
            (10, 1),
            None,
            {},
            403,
            None,
            ("SIGNER_MAX_FACE_VALUE", "10000000000", "100000000000", "90000000000"),
            id="a-face-value-above-the-cap-is-403",
        ),
        pytest.param(
            {"signer_devnet_deposit_wei": 10**10},
            (10, 1),
            None,
            {},
            403,
            None,
            (
                "SIGNER_DEVNET_DEPOSIT_WEI / SIGNER_DEPOSIT_MULTIPLIER",
                "10000000000",
                "100000000000",
                "90000000000",
            ),
            id="a-face-value-above-our-deposit-is-403",
        ),
        pytest.param(
            {},
            (10, 1),
            ticket_field("expiration_block", minbytes(1)),
            {},
            400,
            "TicketParams expired",
            None,
            id="expired-params-are-400-with-the-pm-text",
        ),
        pytest.param(
            {},
            (10, 1),
            ticket_field("expiration_block", b""),
            {},
            400,
            "ticketParams expiration block is 0",
            None,
            id="params-without-an-expiration-block-are-400",
        ),
        pytest.param(
            {},
            (10, 1),
            ticket_field("win_prob", minbytes(MAX_WIN_PROB)),
            {},
            400,
            "ticket faceValue too low faceValue=100000000000",
            None,
            id="an-ev-not-below-the-face-value-is-400",
        ),
        pytest.param(
            {},
            (10, 1),
            clear("expiration_params", inside_params=True),
            {},
            400,
            "ticket params lack expiration_params",
            None,
            id="params-without-expiration-params-are-400",
        ),
        pytest.param(
            {},
            (10, 1),
            ticket_field("recipient", bytes(19)),
            {},
            400,
            "ticket params recipient is not a 20-byte address",
            None,
            id="a-short-recipient-is-400",
        ),
        pytest.param(
            {},
            (10, 1),
            clear("price_info"),
            {},
            400,
            "orchestrator has ticket params but no price_info",
            None,
            id="params-without-a-price-are-400",
        ),
        pytest.param(
            {},
            (10, 1),
            zero_pixels,
            {},
            400,
            "orchestrator price_info has pixelsPerUnit 0",
            None,
            id="a-price-with-zero-pixels-per-unit-is-400",
        ),
        pytest.param(
            {},
            (10, 1),
            short_token,
            {},
            480,
            "auth token expires soon: refresh the session",
            None,
            id="an-auth-token-with-179-s-left-is-480",
        ),
        pytest.param(
            {},
            (10, 1),
            None,
            {"orchestrator": "not base64!"},
            400,
            "orchestrator is not valid base64",
            None,
            id="malformed-base64-is-400",
        ),
        pytest.param(
            {},
            (10, 1),
            None,
            {"orchestrator": base64.b64encode(b"\x0a\x05ab").decode()},
            400,
            "orchestrator is not a valid OrchestratorInfo",
            None,
            id="malformed-protobuf-is-400",
        ),
        pytest.param(
            {},
            (10, 1),
            None,
            {"capabilities": base64.b64encode(b"\xff\xff").decode()},
            400,
            "capabilities is not a valid Capabilities",
            None,
            id="malformed-capabilities-are-400",
        ),
        pytest.param(
            {},
            (10, 1),
            None,
            {"bucket": "tab\there"},
            400,
            "bucket must be printable ASCII",
            None,
            id="a-bucket-that-is-not-printable-ascii-is-400",
        ),
        pytest.param(
            {},
            (10, 1),
            None,
            {"pipeline": ""},
            400,
            "pipeline must not be empty",
            None,
            id="an-empty-pipeline-is-400",
        ),
        pytest.param(
            {},
            (10, 1),
            None,
            {"units": 1},
            400,
            "units: Extra inputs are not permitted",
            None,
            id="an-unknown-field-is-400",
        ),
    ],
)
async def test_an_offer_is_refused_and_nothing_is_stored(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
    settings: dict[str, Any],
    price: tuple[int, int],
    change: InfoChange | None,
    body: dict[str, Any],
    status: int,
    message: str | None,
    excess: tuple[str, str, str | None, str | None] | None,
) -> None:
    clock = helpers.Clock()
    orchestrator = helpers.TestOrchestrator(clock=clock)
    signer = await make_replica(key, clock=clock, **settings)
    info = orchestrator.info(key.address, price=price)
    if change is not None:
        change(info)
    response = await signer.post(OPEN, json={**helpers.open_body(info), **body})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    if message is not None:
        assert error["message"] == message
        assert response.json()["detail"] == {"msg": message}
    if excess is not None:
        limit, allowed, requested, over = excess
        assert error["limit"] == limit
        assert error["allowed"] == allowed
        assert requested is None or error["requested"] == requested
        assert over is None or error["excess"] == over
        assert Fraction(error["requested"]) - Fraction(error["allowed"]) == Fraction(
            error["excess"]
        )
    if status == 480:
        assert response.headers[ORCHESTRATOR_URL] == info.transcoder
    assert await helpers.snapshot(redis, prefix) == {}
    assert await read_audit() == []


@pytest.mark.parametrize(
    ("seconds_left", "status"),
    [
        pytest.param(181, 200, id="181-s-left-is-fresh"),
        pytest.param(180, 200, id="180-s-left-is-still-fresh"),
        pytest.param(179, 480, id="179-s-left-must-refresh"),
        pytest.param(0, 480, id="an-expired-token-must-refresh"),
    ],
)
async def test_freshness_of_the_auth_token(
    make_replica: Any, key: PrivateKey, helpers: Any, seconds_left: int, status: int
) -> None:
    clock = helpers.Clock()
    orchestrator = helpers.TestOrchestrator(clock=clock)
    signer = await make_replica(key, clock=clock)
    info = orchestrator.info(key.address, token_lifetime_s=seconds_left)
    response = await signer.post(OPEN, json=helpers.open_body(info))
    assert response.status_code == status, response.text


async def test_params_that_expired_before_the_session_is_opened_are_400(
    make_replica: Any, key: PrivateKey, helpers: Any
) -> None:
    clock = helpers.Clock()
    orchestrator = helpers.TestOrchestrator(clock=clock)
    signer = await make_replica(key, clock=clock)
    info = orchestrator.info(key.address)
    clock.now += 38 * 12
    fresh = await signer.post(OPEN, json=helpers.open_body(info))
    assert fresh.status_code == 200, fresh.text
    clock.now += 12  # 39 of the params' 40 blocks: the last one is the buffer
    response = await signer.post(OPEN, json=helpers.open_body(info, bucket="27_n"))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"] == "TicketParams expired"


async def test_an_offer_without_ticket_params_opens_a_free_session(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address, with_params=False))
    assert (opened["ticket_ev"], opened["recipient"], opened["price"]) == ("0", "", "10")


async def test_a_free_session_answers_the_headers_every_ai_payment_would_carry(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    """So a caller need not ask for them per request: they are what a payment answers."""
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address, with_params=False))
    paid = await signer.post(
        f"/v1/sessions/{opened['session_id']}/payments",
        json={"units": 4096, "idempotency_key": "free.1"},
    )
    assert paid.status_code == 200, paid.text
    assert (opened["payment"], opened["segment"]) == (
        paid.json()["payment"],
        paid.json()["segment"],
    )
    payment = pb.Payment.FromString(base64.b64decode(opened["payment"]))
    assert payment.sender == key.address and not payment.ticket_sender_params
    helpers.check_segment(opened["segment"], key.address)


async def test_a_session_that_keeps_credit_answers_no_headers_at_opening(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address))
    assert "payment" not in opened and "segment" not in opened


async def test_an_auth_token_expiring_absurdly_late_leaves_no_immortal_key(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    """An orchestrator chooses its auth token's expiration; a session is stored "until the auth
    token expires". An expiration Redis cannot take as a TTL must not become a 5xx or a session
    key that never expires."""
    signer = await make_replica(key)
    info = orchestrator.info(key.address)
    info.auth_token.expiration = 2**63 - 1
    response = await signer.post(OPEN, json=helpers.open_body(info))
    assert response.status_code in (200, 400), response.text
    for name in [k async for k in redis.scan_iter(match=f"{prefix}:*")]:
        assert await redis.ttl(name) > 0, name
