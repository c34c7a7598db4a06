"""Pure decision rules: names, state blob, webhook verdicts, settings parsing, price drift, the
Payment message, request bodies. (Credit maths: test_signer_credit.py.)"""

import hashlib
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest
from lpgw.pm import Price, TicketSenderParams
from lpgw.pm.errors import PriceMoreThanDoubled
from lpgw.service.errors import SettingsError
from lpgw.service.settings import load_settings
from lpgw.signer.errors import (
    BadGateway,
    Excess,
    InvalidRequest,
    PriceCeilingExceeded,
    WebhookRejected,
)
from lpgw.signer.keys.segments import checked_name
from lpgw.signer.live.rules import check_drift
from lpgw.signer.live.state import LiveState, decode_state, encode_state
from lpgw.signer.live.webhook import WebhookFailed, interpret, parse_header_list
from lpgw.signer.payments.message import payment_message
from lpgw.signer.payments.orders import PayBody, checked_id, pay_order
from lpgw.signer.policy.offer import Offer
from lpgw.signer.settings import SignerSettings
from lpgw.wire.net import lp_rpc_pb2 as pb


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("27_stabilityai/sdxl-turbo", True, id="ai-bucket"),
        pytest.param("a" * 128, True, id="128-chars"),
        pytest.param("a" * 129, False, id="129-chars"),
        pytest.param("", False, id="empty"),
        pytest.param("tab\there", False, id="control-char"),
        pytest.param("caf\u00e9", False, id="non-ascii"),
        pytest.param("\x00" * 20, False, id="raw-address-bytes"),
        pytest.param(5, False, id="not-a-string"),
    ],
)
def test_signed_names_are_short_printable_ascii(value: Any, ok: bool) -> None:
    if ok:
        assert checked_name(value, "bucket") == value
    else:
        with pytest.raises(InvalidRequest):
            checked_name(value, "bucket")


def test_state_blob_round_trip_with_go_field_names() -> None:
    state = LiveState(
        state_id="abc",
        pm_session_id="0x" + "11" * 32,
        last_update=datetime(2025, 1, 2, 3, 4, 5, 600000, tzinfo=UTC),
        orchestrator_address="0x" + "22" * 20,
        app="demo",
        auth_expiry=0,
        sender_nonce=7,
        balance=Fraction(1001, 3),
        initial_price_per_unit=5,
        initial_pixels_per_unit=1,
        type="lv2v",
        sequence_number=2,
        auth_id="",
    )
    raw = encode_state(state)
    assert raw.startswith(b'{"StateID":"abc","PMSessionID":')
    assert b'"LastUpdate":"2025-01-02T03:04:05.600000Z"' in raw
    assert b'"Balance":"1001/3"' in raw
    assert decode_state(raw) == state


@pytest.mark.parametrize(
    "raw",
    [b"[]", b"{}", b"not json", b'{"StateID": 1}'],
)
def test_bad_state_blobs(raw: bytes) -> None:
    with pytest.raises(InvalidRequest, match="invalid state"):
        decode_state(raw)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        pytest.param(200, b'{"status": 200, "expiry": 9}', None, id="accepted"),
        pytest.param(500, b"{}", WebhookFailed, id="http-error-is-500"),
        pytest.param(200, b"nope", WebhookFailed, id="bad-json-is-500"),
        pytest.param(200, b'{"status": 0}', WebhookFailed, id="no-status-is-500"),
        pytest.param(200, b'{"status": 402}', WebhookRejected, id="rejected-with-status"),
        pytest.param(
            200,
            b'{"status": 200, "maxPrice": {"price": -1, "currency": "wei"}}',
            BadGateway,
            id="invalid-max-price-is-502",
        ),
    ],
)
def test_webhook_verdicts(status: int, body: bytes, error: type[Exception] | None) -> None:
    if error is None:
        assert interpret(status, body).expiry == 9
        return
    with pytest.raises(error):
        interpret(status, body)


def test_webhook_rejection_default_reason() -> None:
    with pytest.raises(WebhookRejected) as rejected:
        interpret(200, b'{"status": 402}')
    assert (rejected.value.status, str(rejected.value)) == (
        402,
        "signer auth rejected request with status 402",
    )


def test_header_list() -> None:
    assert parse_header_list("A: 1, B:x:y ,") == {"A": "1", "B": "x:y"}
    with pytest.raises(ValueError):
        parse_header_list("novalue")


DIGEST = hashlib.sha256(b"t").hexdigest()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> pytest.MonkeyPatch:
    for name in SignerSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("SIGNER_DATA_DIR", str(tmp_path))
    return monkeypatch


def test_payment_settings_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SIGNER_TOKEN_HASHES", f"session={DIGEST},{DIGEST.upper()}")
    clean_env.setenv(
        "SIGNER_MAX_PRICES",
        '{"capabilities_prices": [{"pipeline": "llm", "model_id": "x", "price_per_unit": 7}]}',
    )
    clean_env.setenv("SIGNER_MAX_PRICE_PER_UNIT", "1/3")
    clean_env.setenv("SIGNER_CLIENT_BUDGET_WEI", "1000")
    settings = load_settings(SignerSettings)
    assert settings.client_digests == [
        ("session", bytes.fromhex(DIGEST)),
        ("default", bytes.fromhex(DIGEST)),
    ]
    policy = settings.payment_policy()
    assert policy.global_max_price == Fraction(1, 3)
    assert policy.max_prices[0].price == 7
    assert policy.client_budget_wei == 1000
    assert policy.job_budget_wei is None
    assert (policy.credit_headroom, policy.payment_ttl_s) == (1, 600)


def test_renamed_payment_settings(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SIGNER_JOB_BUDGET_WEI", "5000")
    clean_env.setenv("SIGNER_PAYMENT_TTL_S", "30")
    clean_env.setenv("SIGNER_CREDIT_HEADROOM_TICKETS", "0")
    policy = load_settings(SignerSettings).payment_policy()
    assert (policy.job_budget_wei, policy.payment_ttl_s, policy.credit_headroom) == (5000, 30, 0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("SIGNER_MAX_PRICES", '[{"pipeline": "x"}]', id="price-missing"),
        pytest.param("SIGNER_MAX_PRICES", "not json", id="not-json"),
        pytest.param("SIGNER_MAX_PRICE_PER_UNIT", "-1", id="negative-price"),
        pytest.param("SIGNER_CLIENT_BUDGET_WEI", str(2**63), id="budget-above-int64"),
        pytest.param("SIGNER_NONCE_REFRESH_AT", str(2**32), id="nonce-above-uint32"),
        pytest.param("SIGNER_JOB_BUDGET_WEI", "-1", id="negative-job-budget"),
        pytest.param("SIGNER_PAYMENT_TTL_S", "0", id="payment-ttl-zero"),
        pytest.param("SIGNER_CREDIT_HEADROOM_TICKETS", "-1", id="negative-headroom"),
        pytest.param("SIGNER_TOKEN_HASHES", f"bad name={DIGEST}", id="bad-client-name"),
        pytest.param("SIGNER_WEBHOOK_HEADERS", "novalue", id="bad-webhook-headers"),
    ],
)
def test_bad_payment_settings_are_refused(
    clean_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings(SignerSettings)
    assert name in str(refused.value)
    assert "novalue" not in str(refused.value) or name != "SIGNER_WEBHOOK_HEADERS"


def test_price_drift_is_the_pm_rule_mapped_once_to_481() -> None:
    check_drift(Price(Fraction(2)), Fraction(1))  # exactly doubled is still accepted
    with pytest.raises(PriceCeilingExceeded) as refused:
        check_drift(Price(Fraction(5, 2)), Fraction(1))
    assert isinstance(refused.value.__cause__, PriceMoreThanDoubled)
    assert str(refused.value) == str(refused.value.__cause__)
    assert refused.value.excess == Excess("2 × initial price", "2", "5/2", "1/2")


def test_a_payment_with_ticket_params_always_carries_expiration_params() -> None:
    info = pb.OrchestratorInfo(ticket_params=pb.TicketParams(recipient=b"\x01" * 20))
    offer = Offer(info=info, params=None, price_info=None)
    payment = payment_message(offer, b"\x02" * 20, [TicketSenderParams(1, b"sig")])
    assert payment.HasField("ticket_params")
    assert payment.HasField("expiration_params")  # the orchestrator dereferences it


BASE_PAY: dict[str, Any] = {"units": 10, "idempotency_key": "k1", "job": "j"}
SEGMENT = {"seq": 3, "hash_hex": "ab" * 32, "profiles": ["P240p30fps16x9"]}


@pytest.mark.parametrize(
    ("change", "same"),
    [
        pytest.param({"idempotency_key": "k2"}, True, id="the-key-is-not-part-of-the-request"),
        pytest.param({"units": 11}, False, id="other-units"),
        pytest.param({"job": "other"}, False, id="other-job"),
        pytest.param({"job": ""}, False, id="no-job"),
        pytest.param({"segment": SEGMENT}, False, id="a-segment"),
    ],
)
def test_a_pay_body_is_identified_without_its_idempotency_key(
    change: dict[str, Any], same: bool
) -> None:
    first = pay_order(PayBody.model_validate(BASE_PAY))
    other = pay_order(PayBody.model_validate({**BASE_PAY, **change}))
    assert (first.fingerprint == other.fingerprint) is same


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("0123456789abcdef" * 2, True, id="32-lowercase-hex"),
        pytest.param("0123456789ABCDEF" * 2, False, id="upper-case"),
        pytest.param("0" * 31, False, id="31-digits"),
        pytest.param("0" * 33, False, id="33-digits"),
        pytest.param("../" + "0" * 29, False, id="path-characters"),
    ],
)
def test_session_and_payment_ids_are_32_lowercase_hex(value: str, ok: bool) -> None:
    if ok:
        assert checked_id(value, "session id") == value
        return
    with pytest.raises(InvalidRequest, match="session id must be 32 lowercase hex digits"):
        checked_id(value, "session id")
