"""BYOC on the wire (lpgw.wire.byoc): the vectors of group `byoc`, the `Livepeer` and
`Livepeer-Eth-Address` headers, the JobToken's Go JSON and balance lines."""

import base64
import json
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from lpgw.eth import PrivateKey, keccak256, parse_address, to_checksum
from lpgw.wire.byoc import (
    InvalidEthAddressHeader,
    InvalidJobRequest,
    InvalidJobSignature,
    InvalidJobToken,
    JobRequest,
    JobSender,
    JobToken,
    MissingJobTimeout,
    balance_event,
    eth_address_header,
    job_signing_message,
    parse_eth_address_header,
    signature_bytes,
    signature_hex,
    token_as_orchestrator_info,
)
from lpgw.wire.errors import WireError
from lpgw.wire.headers import (
    BALANCE_HEADER,
    BYOC_JOB_HEADER,
    CAPABILITY_HEADER,
    ETH_ADDRESS_HEADER,
    METADATA_HEADER,
    ORCHESTRATOR_URL_HEADER,
    PAYMENT_BALANCE_HEADER,
)
from lpgw.wire.net import lp_rpc_pb2 as pb
from lpgw.wire.orchestrator_request import sign_orchestrator_request

REPO = Path(__file__).resolve().parents[3]
VECTORS: list[dict[str, Any]] = json.loads((REPO / "vectors" / "pm.json").read_text())["groups"][
    "byoc"
]
GATEWAY = PrivateKey(bytes.fromhex("11" * 32))
OTHER = PrivateKey(bytes.fromhex("22" * 32))


def b64json(value: object) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def test_header_names() -> None:
    assert (BYOC_JOB_HEADER, ETH_ADDRESS_HEADER, CAPABILITY_HEADER) == (
        "Livepeer",
        "Livepeer-Eth-Address",
        "Livepeer-Capability",
    )
    assert (BALANCE_HEADER, PAYMENT_BALANCE_HEADER) == (
        "Livepeer-Balance",
        "Livepeer-Payment-Balance",
    )
    assert (METADATA_HEADER, ORCHESTRATOR_URL_HEADER) == ("X-Metadata", "X-Orchestrator-Url")


# --- vectors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "vector", [pytest.param(v, id=v["id"]) for v in VECTORS if "addr" in v["inputs"]]
)
def test_token_header_vector(vector: dict[str, Any]) -> None:
    key = PrivateKey(bytes.fromhex(vector["inputs"]["private_key_hex"]))
    expected = vector["expected"]
    address, sig = sign_orchestrator_request(key)  # the same signature, wire.md §4.4

    header = eth_address_header(to_checksum(address), sig)

    assert signature_hex(sig) == expected["sig"]
    assert base64.b64decode(header).decode() == expected["header_json"]
    assert header == expected["Livepeer-Eth-Address"]
    sender = parse_eth_address_header(expected["Livepeer-Eth-Address"])
    assert sender == JobSender(vector["inputs"]["addr"], expected["sig"])
    assert sender.verify() == key.address


@pytest.mark.parametrize(
    "vector", [pytest.param(v, id=v["id"]) for v in VECTORS if "request" in v["inputs"]]
)
def test_job_signature_vector(vector: dict[str, Any]) -> None:
    inputs, expected = vector["inputs"], vector["expected"]
    key = PrivateKey(bytes.fromhex(inputs["private_key_hex"]))
    job = JobRequest(request=inputs["request"], parameters=inputs["parameters"], capability="c")

    signed = job.signed(key)

    message = job_signing_message(inputs["request"], inputs["parameters"])
    assert message.decode() == expected["signed_message_utf8"]
    assert keccak256(message).hex() == expected["keccak_message_hex"]
    assert (signed.sender, signed.sig) == (expected["sender"], expected["sig"])
    assert signed.verify() == parse_address(expected["recovered_address"])


# --- the Livepeer header ---------------------------------------------------------------------


def test_job_request_round_trips_as_base64_of_go_shaped_json() -> None:
    job = JobRequest(
        id="job-1",
        request='{"stream_id":"s"}',
        parameters="{}",
        capability="echo",
        timeout_seconds=30,
    ).signed(GATEWAY)

    value = job.encode()

    assert list(json.loads(base64.b64decode(value, validate=True))) == [
        "id",
        "request",
        "parameters",
        "capability",
        "capability_url",
        "sender",
        "sig",
        "timeout_seconds",
    ]
    assert JobRequest.decode(value) == job
    assert JobRequest.decode(value).verify() == GATEWAY.address


def test_decoding_follows_go_unknown_keys_any_case_and_null() -> None:
    value = b64json(
        {
            "Capability": "echo",
            "TIMEOUT_SECONDS": 5,
            "request": None,
            "extra": [1, 2],
        }
    )

    job = JobRequest.decode(value)

    assert (job.capability, job.timeout_seconds, job.request) == ("echo", 5, "")


@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param("not base64!", InvalidJobRequest, id="not base64"),
        pytest.param(
            base64.urlsafe_b64encode(b'{"timeout_seconds": 1, "id": "???"}').decode(),
            InvalidJobRequest,
            id="url-safe alphabet",
        ),
        pytest.param(base64.b64encode(b"{not json").decode(), InvalidJobRequest, id="not JSON"),
        pytest.param(b64json(["a"]), InvalidJobRequest, id="not an object"),
        pytest.param(b64json({"timeout_seconds": "5"}), InvalidJobRequest, id="timeout a string"),
        pytest.param(b64json({"timeout_seconds": 1.5}), InvalidJobRequest, id="timeout a float"),
        pytest.param(b64json({"timeout_seconds": True}), InvalidJobRequest, id="timeout a bool"),
        pytest.param(
            b64json({"timeout_seconds": 5, "request": {}}), InvalidJobRequest, id="request object"
        ),
        pytest.param(b64json({"capability": "echo"}), MissingJobTimeout, id="no timeout"),
        pytest.param(b64json({"timeout_seconds": 0}), MissingJobTimeout, id="timeout zero"),
    ],
)
def test_undecodable_job_requests(value: str, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        JobRequest.decode(value)
    assert isinstance(raised.value, WireError)
    if error is MissingJobTimeout:
        assert str(raised.value) == (
            "no timeout_seconds set with request, timeout_seconds is required"
        )


def test_a_job_signed_by_another_key_or_changed_does_not_verify() -> None:
    job = JobRequest(request="{}", parameters="{}", capability="echo", timeout_seconds=5)
    forged = replace(job.signed(OTHER), sender=GATEWAY.checksum_address)
    changed = replace(job.signed(GATEWAY), parameters='{"x":1}')

    for bad in (forged, changed):
        with pytest.raises(InvalidJobSignature, match=r"^ErrSegSig$"):
            bad.verify()


def test_the_sender_may_be_lowercase_as_go_reads_any_hex() -> None:
    job = JobRequest(capability="echo", timeout_seconds=5).signed(GATEWAY)
    lower = replace(job, sender=job.sender.lower())

    assert lower.verify() == GATEWAY.address


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        pytest.param("0x" + "ab" * 65, True, id="0x and 130 digits"),
        pytest.param("ab" * 65, True, id="130 digits"),
        pytest.param("0x" + "ab" * 64, False, id="0x and 128 digits: not stripped"),
        pytest.param("zz" * 65, False, id="not hex"),
    ],
)
def test_signature_text_is_read_as_the_reference_reads_it(text: str, ok: bool) -> None:
    if ok:
        assert signature_bytes(text) == b"\xab" * 65
    else:
        with pytest.raises(InvalidJobSignature):
            signature_bytes(text)


# --- the Livepeer-Eth-Address header ---------------------------------------------------------


def test_the_address_is_verified_as_sent() -> None:
    lower = GATEWAY.checksum_address.lower()
    over_lower = GATEWAY.sign(lower.encode())
    _, over_checksum = sign_orchestrator_request(GATEWAY)

    as_sent = parse_eth_address_header(eth_address_header(lower, over_lower))
    mismatched = parse_eth_address_header(eth_address_header(lower, over_checksum))

    assert as_sent.verify() == GATEWAY.address
    with pytest.raises(InvalidEthAddressHeader):
        mismatched.verify()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("%%%", id="not base64"),
        pytest.param(base64.b64encode(b"[]").decode(), id="not an object"),
        pytest.param(b64json({"addr": 5, "sig": "0x"}), id="addr not a string"),
    ],
)
def test_undecodable_eth_address_headers(value: str) -> None:
    with pytest.raises(InvalidEthAddressHeader) as raised:
        parse_eth_address_header(value)
    assert str(raised.value) == "Invalid eth address header "


def test_a_garbled_address_or_signature_does_not_verify() -> None:
    _, sig = sign_orchestrator_request(GATEWAY)
    for sender in (
        JobSender("0x1234", signature_hex(sig)),
        JobSender(GATEWAY.checksum_address, "0x1234"),
        JobSender(OTHER.checksum_address, signature_hex(sig)),
    ):
        with pytest.raises(InvalidEthAddressHeader):
            sender.verify()


# --- the JobToken ----------------------------------------------------------------------------

PARAMS = pb.TicketParams(
    recipient=b"\x22" * 20,
    face_value=(10**11).to_bytes(5, "big"),
    win_prob=b"\x01\x00",
    recipient_rand_hash=b"\x33" * 32,
    seed=b"\x44" * 32,
    expiration_block=(1234).to_bytes(2, "big"),
    expiration_params=pb.TicketExpirationParams(
        creation_round=42, creation_round_block_hash=b"\x55" * 32
    ),
)
SENDER = JobSender(GATEWAY.checksum_address, "0x" + "ab" * 65)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_a_paid_token_has_the_go_json_shape() -> None:
    token = JobToken(
        sender_address=SENDER,
        ticket_params=PARAMS,
        balance=-5,
        price=pb.PriceInfo(pricePerUnit=1000, pixelsPerUnit=3),
        service_addr="https://o:8935",
        available_capacity=2,
    )

    assert token.to_json() == {
        "sender_address": {"addr": GATEWAY.checksum_address, "sig": "0x" + "ab" * 65},
        "ticket_params": {
            "recipient": b64(b"\x22" * 20),
            "face_value": b64((10**11).to_bytes(5, "big")),
            "win_prob": "AQA=",
            "recipient_rand_hash": b64(b"\x33" * 32),
            "seed": b64(b"\x44" * 32),
            "expiration_block": "BNI=",
            "expiration_params": {
                "creation_round": 42,
                "creation_round_block_hash": b64(b"\x55" * 32),
            },
        },
        "balance": -5,
        "price": {"pricePerUnit": 1000, "pixelsPerUnit": 3},
        "service_addr": "https://o:8935",
        "available_capacity": 2,
        "LastNonce": 0,
    }
    assert JobToken.from_json(json.dumps(token.to_json())) == token
    assert token.price_per_second == Fraction(1000, 3)


def test_an_off_chain_token_leaves_zero_values_out() -> None:
    token = JobToken(
        sender_address=SENDER, price=pb.PriceInfo(pixelsPerUnit=1), service_addr="http://o:1"
    )

    assert token.to_json() == {
        "sender_address": SENDER.to_json(),
        "price": {"pixelsPerUnit": 1},
        "service_addr": "http://o:1",
        "LastNonce": 0,
    }
    assert JobToken.from_json(token.to_json()) == token
    assert token.price_per_second == 0


def test_reading_a_token_ignores_unknown_keys_and_matches_any_case() -> None:
    token = JobToken.from_json(
        {
            "SERVICE_ADDR": "http://o:1",
            "Available_Capacity": 3,
            "price": {"PricePerUnit": 7, "pixelsPerUnit": 1, "capability": 37},
            "ticket_params": {"recipient": b64(b"\x22" * 20), "expiration_params": None},
            "future": {"x": 1},
        }
    )

    assert token.service_addr == "http://o:1" and token.available_capacity == 3
    assert token.price == pb.PriceInfo(pricePerUnit=7, pixelsPerUnit=1, capability=37)
    assert token.ticket_params == pb.TicketParams(recipient=b"\x22" * 20)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("[]", id="not an object"),
        pytest.param("{", id="not JSON"),
        pytest.param({"balance": "12"}, id="balance a string"),
        pytest.param({"ticket_params": {"seed": "%%"}}, id="bytes not base64"),
        pytest.param({"ticket_params": {"seed": 5}}, id="bytes a number"),
        pytest.param({"price": {"pricePerUnit": 1.5}}, id="price a float"),
        pytest.param({"sender_address": "0xabc"}, id="sender not an object"),
    ],
)
def test_malformed_tokens(value: object) -> None:
    with pytest.raises(InvalidJobToken):
        JobToken.from_json(value)


def test_a_token_opens_an_ordinary_payment_session() -> None:
    token = JobToken(
        ticket_params=PARAMS,
        price=pb.PriceInfo(pricePerUnit=1000, pixelsPerUnit=1),
        service_addr="https://o:8935",
        available_capacity=1,
    )

    info = token_as_orchestrator_info(token)

    assert info.transcoder == "https://o:8935"
    assert info.ticket_params == PARAMS
    assert info.address == PARAMS.recipient
    assert info.price_info == pb.PriceInfo(pricePerUnit=1000, pixelsPerUnit=1)
    assert not info.HasField("auth_token")
    off_chain = token_as_orchestrator_info(JobToken(service_addr="http://o:1"))
    assert not off_chain.HasField("ticket_params") and not off_chain.address


# --- streamed answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "balance"),
    [
        pytest.param('data: {"balance": 123.450}', Decimal("123.450"), id="decimal"),
        pytest.param('data: {"balance": 0}', Decimal(0), id="zero"),
        pytest.param('data: {"balance": -5.000}', Decimal("-5.000"), id="negative"),
        pytest.param('data: {"token": "a"}', None, id="another event"),
        pytest.param("data: [DONE]", None, id="done"),
        pytest.param('event: {"balance": 1}', None, id="not data"),
    ],
)
def test_balance_lines(line: str, balance: Decimal | None) -> None:
    assert balance_event(line) == balance


def test_the_module_loads_no_io_library() -> None:
    code = (
        "import sys, lpgw.wire.byoc\n"
        "print(','.join(m for m in ('grpc', 'ssl', 'socket', 'asyncio', 'httpx', 'aiohttp') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
