"""POST /v1/sessions/{session_id}/payments: payments an lpgw.pm orchestrator accepts, the credit
rule, ticket-less payments, segments, refresh and unknown sessions."""

import base64
import re
from fractions import Fraction
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from lpgw.eth import KECCAK_EMPTY, PrivateKey
from lpgw.wire.capabilities import ai_job_capabilities
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.segdata import verify_segdata

ORCHESTRATOR_URL = "Livepeer-Orchestrator-URL"
PAY_ROUTE = "/v1/sessions/{session_id}/payments"


def credit_of(answer: dict[str, Any]) -> Fraction:
    return Fraction(answer["credit"])


async def test_every_ticket_of_many_payments_is_accepted_and_the_credit_is_exact(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
) -> None:
    signer = await make_replica(key, signer_nonce_refresh_at=5000)
    info = orchestrator.info(key.address, price=(1000, 1))
    opened = await helpers.open_session(signer, info)
    ev = Fraction(opened["ticket_ev"])
    assert ev == helpers.info_ev(info)
    # Fees from none to ~12 EV, in an order that both spends and rebuilds the credit.
    units = [10_500_000, 0, 2_000_000, 12_345_678, 500_000, 1, 7_000_000, 3] * 4
    credit = Fraction(0)
    seen: list[int] = []
    for n in units:
        answer = await helpers.paid(signer, opened["session_id"], n)
        fee = Fraction(1000 * n)
        assert answer["fee"] == str(1000 * n)
        assert answer["tickets"] == helpers.spec_tickets(credit, fee, ev)
        assert credit_of(answer) == credit + answer["tickets"] * ev - fee  # exactly
        credit = credit_of(answer)
        outcome = orchestrator.receive(answer["payment"])
        assert outcome.ok, outcome.error
        assert outcome.credited == answer["tickets"]
        assert outcome.credit == answer["tickets"] * ev
        nonces = helpers.nonces_of(answer["payment"])
        assert len(nonces) == answer["tickets"]
        if nonces:
            assert nonces == list(range(nonces[0], nonces[0] + len(nonces)))  # consecutive
        seen += nonces
    assert len(seen) == len(set(seen))
    assert orchestrator.credit == len(seen) * ev
    assert await helpers.stored_credit(redis, prefix, info) == credit


async def test_a_paid_payment_echoes_the_offer_and_signs_the_ai_segment(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(10, 1))
    caps = ai_job_capabilities("text-to-image", "m")
    opened = await helpers.open_session(
        signer, info, capabilities=base64.b64encode(caps.SerializeToString()).decode()
    )
    answer = await helpers.paid(signer, opened["session_id"], 512 * 512)
    assert set(answer) == {"payment_id", "payment", "segment", "tickets", "fee", "credit"}
    assert re.fullmatch("[0-9a-f]{32}", answer["payment_id"])
    payment = helpers.payment_of(answer["payment"])
    assert payment.sender == key.address
    assert payment.expected_price == info.price_info
    assert payment.expiration_params == info.ticket_params.expiration_params
    echoed = pb.TicketParams()
    echoed.CopyFrom(info.ticket_params)
    echoed.ClearField("expiration_params")
    assert payment.ticket_params == echoed  # fields 1-6 byte for byte
    seg = helpers.check_segment(answer["segment"], key.address)
    assert seg.manifestId == helpers.BUCKET.encode()
    assert (seg.seq, seg.hash) == (0, KECCAK_EMPTY)
    assert seg.auth_token == info.auth_token
    assert seg.capabilities == caps


@pytest.mark.parametrize(
    ("price", "units", "headroom", "tickets"),
    [
        pytest.param(10, 1000, 1, 2, id="fee-far-below-ev-buys-ev-plus-one-ev"),
        pytest.param(10, 1000, 0, 1, id="fee-far-below-ev-without-headroom-buys-one-ev"),
        pytest.param(10, 1000, 3, 4, id="headroom-three-buys-four"),
        pytest.param(10, 0, 1, 2, id="a-free-request-still-keeps-ev-plus-headroom"),
        pytest.param(1000, 10_500_000, 1, 12, id="fee-of-ten-and-a-half-ev-buys-twelve"),
        pytest.param(1000, 10_500_000, 0, 11, id="fee-of-ten-and-a-half-ev-buys-eleven-without"),
        pytest.param(1000, 1_000_000, 0, 1, id="fee-a-hair-below-one-ev-buys-one"),
    ],
)
async def test_the_first_payment_buys_max_fee_ev_plus_headroom(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    price: int,
    units: int,
    headroom: int,
    tickets: int,
) -> None:
    signer = await make_replica(key, signer_credit_headroom_tickets=headroom)
    info = orchestrator.info(key.address, price=(price, 1))
    opened = await helpers.open_session(signer, info)
    ev = Fraction(opened["ticket_ev"])
    answer = await helpers.paid(signer, opened["session_id"], units)
    assert answer["tickets"] == tickets
    assert credit_of(answer) == tickets * ev - price * units
    assert orchestrator.receive(answer["payment"]).credited == tickets


async def test_with_a_fee_far_below_ev_most_payments_carry_no_ticket(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(1_000_000, 1))
    opened = await helpers.open_session(signer, info)
    ev = Fraction(opened["ticket_ev"])
    fee = Fraction(100_000_000)  # a tenth of an EV
    credit = Fraction(0)
    ticketless: set[tuple[str, str]] = set()
    handed_out: list[int] = []
    ticket_calls = 0
    for _ in range(40):
        counter = await helpers.nonce_counter(redis, prefix, key.address, info)
        events = len(await read_audit())
        answer = await helpers.paid(signer, opened["session_id"], 100)
        assert answer["tickets"] == helpers.spec_tickets(credit, fee, ev)
        assert credit_of(answer) == credit + answer["tickets"] * ev - fee
        credit = credit_of(answer)
        outcome = orchestrator.receive(answer["payment"])
        assert outcome.ok and outcome.credited == answer["tickets"]
        if answer["tickets"]:
            ticket_calls += 1
            handed_out += helpers.nonces_of(answer["payment"])
            assert len(await read_audit()) == events + 1
            continue
        # No ticket: the session's own Payment{sender, expected_price}, no nonce, no event.
        payment = helpers.payment_of(answer["payment"])
        assert payment.sender == key.address and payment.expected_price == info.price_info
        assert not payment.HasField("ticket_params") and not payment.ticket_sender_params
        helpers.check_segment(answer["segment"], key.address)
        ticketless.add((answer["payment"], answer["segment"]))
        assert await helpers.nonce_counter(redis, prefix, key.address, info) == counter
        assert len(await read_audit()) == events
    assert ticket_calls <= 6  # 2 EV, then one EV every ten requests
    assert len(ticketless) == 1  # the same headers for every ticket-less AI request
    assert handed_out == list(range(1, len(handed_out) + 1))  # none taken by the others
    assert await helpers.stored_credit(redis, prefix, info) == credit


@pytest.mark.parametrize(
    ("price", "with_params"),
    [
        pytest.param((10, 1), False, id="an-offer-without-ticket-params"),
        pytest.param((0, 1), True, id="free-ticket-params"),
    ],
)
async def test_offers_without_tickets_are_paid_without_credit_or_state(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
    price: tuple[int, int],
    with_params: bool,
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=price, with_params=with_params)
    opened = await helpers.open_session(signer, info)
    after_open = await helpers.snapshot(redis, prefix)
    answers = [await helpers.paid(signer, opened["session_id"], 100) for _ in range(3)]
    for answer in answers:
        assert (answer["tickets"], answer["credit"]) == (0, "0")
        assert answer["fee"] == str(100 * price[0])
        payment = helpers.payment_of(answer["payment"])
        assert payment.sender == key.address and not payment.HasField("ticket_params")
        assert payment.expected_price == info.price_info
        assert orchestrator.receive(answer["payment"]).ok
        helpers.check_segment(answer["segment"], key.address)
    assert len({a["payment_id"] for a in answers}) == 3
    assert await helpers.snapshot(redis, prefix) == after_open  # no credit, no record
    assert [e.route for e in await read_audit()] == [helpers.OPEN]
    # Nothing moved, so there is nothing to settle.
    settle = await signer.post(
        f"/v1/payments/{answers[0]['payment_id']}/settle", json={"outcome": "staged"}
    )
    assert settle.status_code == 404, settle.text


async def test_a_transcoding_segment_is_signed_with_its_seq_hash_and_profiles(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(1, 1))
    bucket = info.auth_token.session_id  # transcoding: the auth token's session id
    opened = await helpers.open_session(signer, info, pipeline="transcoding", bucket=bucket)
    digest = bytes(range(32))
    profiles = ["P240p30fps16x9", "P360p30fps16x9"]
    segment = {"seq": 41, "hash_hex": "0x" + digest.hex(), "profiles": profiles}
    answer = await helpers.paid(signer, opened["session_id"], 1000, segment=segment)
    seg = pb.SegData.FromString(base64.b64decode(answer["segment"]))
    verify_segdata(seg, key.address)
    assert seg.manifestId == bucket.encode()
    assert (seg.seq, seg.hash) == (41, digest)
    assert [p.name for p in seg.fullProfiles3] == profiles
    assert seg.auth_token == info.auth_token
    assert orchestrator.receive(answer["payment"]).ok

    upper = {**segment, "seq": 42, "hash_hex": digest.hex().upper(), "profiles": []}
    other = await helpers.paid(signer, opened["session_id"], 1000, segment=upper)
    seg2 = pb.SegData.FromString(base64.b64decode(other["segment"]))
    verify_segdata(seg2, key.address)
    assert (seg2.seq, seg2.hash, list(seg2.fullProfiles3)) == (42, digest, [])
    ai = await helpers.paid(signer, opened["session_id"], 1000)
    assert helpers.check_segment(ai["segment"], key.address).seq == 0


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        pytest.param(
            {"seq": -1, "hash_hex": "00" * 32}, "segment.seq:", id="a-negative-seq-is-400"
        ),
        pytest.param({"seq": 1, "hash_hex": "00" * 31}, "segment.hash_hex:", id="a-short-hash"),
        pytest.param(
            {"seq": 1, "hash_hex": "00" * 32, "profiles": ["tab\there"]},
            "segment profile must be printable ASCII",
            id="a-profile-that-is-not-printable",
        ),
        pytest.param(
            {"seq": 1, "hash_hex": "00" * 32, "profiles": ["p"] * 17},
            "segment.profiles:",
            id="more-than-16-profiles",
        ),
    ],
)
async def test_bad_segments_are_400(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    segment: dict[str, Any],
    message: str,
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address))
    response = await helpers.pay(signer, opened["session_id"], 1, segment=segment)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(message)


async def test_unknown_expired_or_stale_sessions(
    make_replica: Any, key: PrivateKey, helpers: Any
) -> None:
    clock = helpers.Clock()
    orchestrator = helpers.TestOrchestrator(clock=clock)
    signer = await make_replica(key, clock=clock)
    info = orchestrator.info(key.address)
    opened = await helpers.open_session(signer, info)
    short = orchestrator.info(key.address, token_lifetime_s=300)
    short_session = await helpers.open_session(signer, short)

    unknown = await helpers.pay(signer, "0123456789abcdef" * 2, 1)
    assert unknown.status_code == 404, unknown.text
    malformed = await helpers.pay(signer, "NOT-A-SESSION", 1)
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["error"]["message"] == "session id must be 32 lowercase hex digits"

    clock.now += 121  # the short token has 179 s left
    refresh = await helpers.pay(signer, short_session["session_id"], 1)
    assert refresh.status_code == 480, refresh.text
    assert refresh.headers[ORCHESTRATOR_URL] == short.transcoder
    assert (await helpers.pay(signer, opened["session_id"], 1)).status_code == 200

    clock.now += 39 * 12 - 121  # the params' last block: expired for a sender
    expired_params = await helpers.pay(signer, opened["session_id"], 1)
    assert expired_params.status_code == 480, expired_params.text
    assert expired_params.headers[ORCHESTRATOR_URL] == info.transcoder
    assert "ticket params expired" in expired_params.json()["error"]["message"]

    clock.now = info.auth_token.expiration  # the auth token, hence the session, expired
    gone = await helpers.pay(signer, opened["session_id"], 1)
    assert gone.status_code == 404, gone.text


async def test_past_the_nonce_threshold_the_caller_must_refresh(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    read_audit: Any,
) -> None:
    signer = await make_replica(key, signer_nonce_refresh_at=15)
    info = orchestrator.info(key.address, price=(1000, 1))
    opened = await helpers.open_session(signer, info)
    first = await helpers.paid(signer, opened["session_id"], 10_500_000)  # 12 tickets
    assert helpers.nonces_of(first["payment"]) == list(range(1, 13))
    before = await helpers.snapshot(redis, prefix)
    events = len(await read_audit())

    refused = await helpers.pay(signer, opened["session_id"], 10_500_000)  # 10 more
    assert refused.status_code == 480, refused.text
    assert refused.headers[ORCHESTRATOR_URL] == info.transcoder
    assert "refresh" in refused.json()["error"]["message"]
    assert await helpers.snapshot(redis, prefix) == before
    assert len(await read_audit()) == events
    assert await helpers.nonce_counter(redis, prefix, key.address, info) <= 15

    fresh = orchestrator.info(key.address, price=(1000, 1))
    renewed = await helpers.open_session(signer, fresh)
    answer = await helpers.paid(signer, renewed["session_id"], 10_500_000)
    assert helpers.nonces_of(answer["payment"])[0] == 1  # new params, new nonces
    assert orchestrator.receive(first["payment"]).credited == 12
    assert orchestrator.receive(answer["payment"]).credited == answer["tickets"] == 10


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"units": -1, "idempotency_key": "k"}, "units:", id="negative-units"),
        pytest.param({"units": 2**63, "idempotency_key": "k"}, "units:", id="units-past-int64"),
        pytest.param({"units": 1.5, "idempotency_key": "k"}, "units:", id="fractional-units"),
        pytest.param({"units": "1", "idempotency_key": "k"}, "units:", id="units-as-a-string"),
        pytest.param({"idempotency_key": "k"}, "units:", id="no-units"),
        pytest.param({"units": 1}, "idempotency_key:", id="no-idempotency-key"),
        pytest.param(
            {"units": 1, "idempotency_key": "k", "job": "caf\u00e9"},
            "job must be printable ASCII",
            id="a-job-that-is-not-ascii",
        ),
        pytest.param(
            {"units": 1, "idempotency_key": "k", "session": "s"},
            "session:",
            id="an-unknown-field",
        ),
    ],
)
async def test_bad_pay_bodies_are_400(
    make_replica: Any,
    key: PrivateKey,
    helpers: Any,
    orchestrator: Any,
    redis: aioredis.Redis,
    prefix: str,
    body: dict[str, Any],
    message: str,
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address))
    before = await helpers.snapshot(redis, prefix)
    response = await signer.post(helpers.pay_path(opened["session_id"]), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(message)
    assert await helpers.snapshot(redis, prefix) == before


def counted(metrics: str, name: str) -> float:
    line = re.search(rf'^{name}\{{route="{re.escape(PAY_ROUTE)}"\}} (\S+)$', metrics, re.MULTILINE)
    return float(line.group(1)) if line else 0.0


async def counters(signer: httpx.AsyncClient) -> tuple[float, float]:
    metrics = (await signer.get("/metrics")).text
    return counted(metrics, "lpgw_signer_signatures_total"), counted(
        metrics, "lpgw_signer_tickets_total"
    )


async def test_payments_with_tickets_are_counted_in_the_metrics(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    signer = await make_replica(key)
    opened = await helpers.open_session(signer, orchestrator.info(key.address, price=(10, 1)))
    signatures, tickets = await counters(signer)
    first = await helpers.paid(signer, opened["session_id"], 1)
    assert await counters(signer) == (signatures + 1, tickets + first["tickets"])
    await helpers.paid(signer, opened["session_id"], 1)
    covered = await helpers.paid(signer, opened["session_id"], 1)  # the AI SegData of the session
    assert covered["tickets"] == 0
    assert (await counters(signer))[0] == signatures + 2


async def test_a_transcoding_segment_without_tickets_is_counted_as_a_signature(
    make_replica: Any, key: PrivateKey, helpers: Any, orchestrator: Any
) -> None:
    """README (Audit): a transcoding segment's SegData "is counted in
    `lpgw_signer_signatures_total` rather than audited"."""
    signer = await make_replica(key)
    info = orchestrator.info(key.address, price=(10, 1))
    opened = await helpers.open_session(signer, info, bucket=info.auth_token.session_id)
    for _ in range(2):  # the credit reaches 3 EV: the next segment needs no ticket
        await helpers.paid(signer, opened["session_id"], 1)
    signatures, tickets = await counters(signer)
    segment = {"seq": 5, "hash_hex": "cd" * 32, "profiles": ["P240p30fps16x9"]}
    covered = await helpers.paid(signer, opened["session_id"], 1, segment=segment)
    assert covered["tickets"] == 0
    assert helpers.check_segment(covered["segment"], key.address).seq == 5
    assert await counters(signer) == (signatures + 1, tickets)
