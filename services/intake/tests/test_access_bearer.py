"""The door's pure parts: reading `Authorization: Bearer`, and refusals as HTTP answers."""

import subprocess
import sys

import pytest
from lpgw.intake.access import (
    AccessError,
    AccessUnavailable,
    InvalidCredentials,
    MissingCredentials,
    RateLimited,
    Unauthorized,
    reply_for_access_error,
)
from lpgw.intake.access.bearer import MISSING, WRONG_SCHEME, authorization, bearer_token

TOKEN = "lpgw_0123456789ab_abcdefghijklmnopqrstuvwxyzABCDEFG"


@pytest.mark.parametrize(
    ("value", "token"),
    [
        pytest.param(f"Bearer {TOKEN}", TOKEN, id="plain"),
        pytest.param(f"bearer {TOKEN}", TOKEN, id="scheme in any case"),
        pytest.param(f"  Bearer   {TOKEN}  ", TOKEN, id="extra spaces"),
    ],
)
def test_bearer_tokens_are_read(value: str, token: str) -> None:
    assert bearer_token(value) == token


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(None, MISSING, id="no header"),
        pytest.param("", MISSING, id="empty header"),
        pytest.param("Bearer", MISSING, id="scheme without token"),
        pytest.param("Bearer    ", MISSING, id="scheme and spaces"),
        pytest.param(f"Basic {TOKEN}", WRONG_SCHEME, id="another scheme"),
        pytest.param(TOKEN, WRONG_SCHEME, id="token without scheme"),
    ],
)
def test_a_header_without_a_bearer_token_is_missing_credentials(
    value: str | None, message: str
) -> None:
    with pytest.raises(MissingCredentials) as caught:
        bearer_token(value)
    assert str(caught.value) == message
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"authorization": "x"}, id="lower case"),
        pytest.param({"Authorization": "x"}, id="capitalised"),
        pytest.param({"AUTHORIZATION": "x"}, id="upper case"),
    ],
)
def test_the_header_is_found_in_any_case(headers: dict[str, str]) -> None:
    assert authorization(headers) == "x"
    assert authorization({"other": "y"}) is None


def envelope(message: str) -> dict[str, object]:
    return {"error": {"message": message}, "detail": {"msg": message}}


@pytest.mark.parametrize(
    ("error", "status", "body", "headers"),
    [
        pytest.param(
            MissingCredentials(MISSING),
            401,
            envelope(MISSING),
            {"WWW-Authenticate": "Bearer"},
            id="missing key: 401 with a plain challenge",
        ),
        pytest.param(
            InvalidCredentials("invalid API key"),
            401,
            envelope("invalid API key"),
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            id="invalid key: 401 naming the token invalid",
        ),
        pytest.param(
            Unauthorized("refused by the auth webhook (403)"),
            401,
            envelope("refused by the auth webhook (403)"),
            {"WWW-Authenticate": "Bearer"},
            id="webhook refusal: 401",
        ),
        pytest.param(
            RateLimited(0.2),
            429,
            envelope("rate limit exceeded: retry in 1 s"),
            {"Retry-After": "1"},
            id="rate limited: 429, Retry-After rounded up to at least 1",
        ),
        pytest.param(
            RateLimited(2.01),
            429,
            envelope("rate limit exceeded: retry in 3 s"),
            {"Retry-After": "3"},
            id="rate limited: whole seconds, rounded up",
        ),
        pytest.param(
            AccessUnavailable("API keys cannot be checked now, retry later"),
            503,
            envelope("API keys cannot be checked now, retry later"),
            {"Retry-After": "1"},
            id="cannot check: 503",
        ),
    ],
)
def test_refusals_become_answers(
    error: AccessError, status: int, body: dict[str, object], headers: dict[str, str]
) -> None:
    reply = reply_for_access_error(error)
    assert (reply.status, reply.body, reply.headers) == (status, body, headers)


def test_the_pure_parts_import_no_io_library() -> None:
    code = (
        "import sys, lpgw.intake.access, lpgw.intake.access.bearer, lpgw.intake.access.replies\n"
        "print(sorted(m for m in ('nats', 'redis', 'httpx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
