"""The orchestrator's auth token: issued for 30 minutes, checked by HMAC and expiry."""

import re

import pytest
from lpgw.wire.auth_token import AUTH_TOKEN_LIFETIME_S, check_auth_token, issue_auth_token
from lpgw.wire.errors import (
    ExpiredAuthToken,
    InvalidAuthToken,
    MissingAuthToken,
    SegmentCredentialError,
)
from lpgw.wire.net import lp_rpc_pb2 as pb

SECRET = bytes.fromhex("03" + "00" * 31)
NOW = 1_700_000_000.0


def test_issued_token_has_random_session_and_30_minutes() -> None:
    token = issue_auth_token(SECRET, clock=lambda: NOW)
    assert re.fullmatch(r"[0-9a-f]{8}", token.session_id)
    assert token.expiration == int(NOW) + AUTH_TOKEN_LIFETIME_S == 1_700_001_800
    assert len(token.token) == 32
    assert issue_auth_token(SECRET, clock=lambda: NOW).session_id != token.session_id


def test_issued_token_matches_the_vector() -> None:
    token = issue_auth_token(SECRET, clock=lambda: 1_700_000_000, session_id="f1405ced")
    assert token.token.hex() == "cc3b969e15cb57d0b6b7414bd9db66c69a9a52bcf85e70685bbe69b91baeb15d"


def test_valid_token_passes_until_its_expiration() -> None:
    token = issue_auth_token(SECRET, clock=lambda: NOW)
    check_auth_token(SECRET, token, clock=lambda: NOW)
    check_auth_token(SECRET, token, clock=lambda: float(token.expiration))


def tampered(change: str) -> pb.AuthToken:
    token = issue_auth_token(SECRET, clock=lambda: NOW, session_id="abcd1234")
    if change == "session":
        token.session_id = "abcd1235"
    elif change == "expiration":
        token.expiration += 3600
    elif change == "token":
        token.token = bytes(32)
    return token


@pytest.mark.parametrize(
    ("token", "secret", "now", "error", "text"),
    [
        pytest.param(None, SECRET, NOW, MissingAuthToken, "missing auth token", id="missing"),
        pytest.param(
            tampered("session"), SECRET, NOW, InvalidAuthToken, "invalid auth token", id="session"
        ),
        pytest.param(
            tampered("expiration"),
            SECRET,
            NOW,
            InvalidAuthToken,
            "invalid auth token",
            id="extended expiration",
        ),
        pytest.param(
            tampered("token"), SECRET, NOW, InvalidAuthToken, "invalid auth token", id="token"
        ),
        pytest.param(
            tampered("none"), b"other", NOW, InvalidAuthToken, "invalid auth token", id="secret"
        ),
        pytest.param(
            tampered("none"),
            SECRET,
            NOW + AUTH_TOKEN_LIFETIME_S + 1,
            ExpiredAuthToken,
            "expired auth token",
            id="expired",
        ),
    ],
)
def test_refused_tokens(
    token: pb.AuthToken | None,
    secret: bytes,
    now: float,
    error: type[SegmentCredentialError],
    text: str,
) -> None:
    with pytest.raises(error) as info:
        check_auth_token(secret, token, clock=lambda: now)
    assert str(info.value) == text
