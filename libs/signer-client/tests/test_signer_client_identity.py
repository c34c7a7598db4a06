"""The gateway identity from the payment-signer: parsing, retries, off-chain mode, tokens."""

import asyncio
from pathlib import Path

import httpx
import pytest
from lpgw.signer_client import (
    OFF_CHAIN,
    GatewayIdentity,
    SignerAnswerInvalid,
    bearer_token,
    fetch_identity,
    parse_identity,
)
from pydantic import SecretStr

ADDRESS = "0x" + "ab" * 20
SIG = "0x" + "cd" * 65


def test_parse_identity() -> None:
    parsed = parse_identity({"address": ADDRESS, "signature": SIG})
    assert parsed == GatewayIdentity(bytes.fromhex("ab" * 20), bytes.fromhex("cd" * 65))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([], id="not an object"),
        pytest.param({"address": ADDRESS}, id="no signature"),
        pytest.param({"address": "0xzz", "signature": SIG}, id="address not hex"),
        pytest.param({"address": ADDRESS[:-2], "signature": SIG}, id="short address"),
        pytest.param({"address": ADDRESS, "signature": SIG[:-2]}, id="short signature"),
    ],
)
def test_parse_identity_refuses(body: object) -> None:
    with pytest.raises(SignerAnswerInvalid):
        parse_identity(body)


def test_bearer_token_sources(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("from-file\n")
    path.chmod(0o600)
    assert bearer_token(SecretStr("direct"), path) == "direct"
    assert bearer_token(None, path) == "from-file"
    assert bearer_token(None, None) is None


async def test_empty_signer_url_is_off_chain() -> None:
    async with httpx.AsyncClient() as http:
        assert await fetch_identity(http, "", None, asyncio.Event()) == OFF_CHAIN


async def test_retries_until_the_signer_answers() -> None:
    seen: list[httpx.Request] = []

    def signer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) < 3:
            return httpx.Response(503, json={"error": {"message": "starting"}})
        return httpx.Response(200, json={"address": ADDRESS, "signature": SIG})

    async with httpx.AsyncClient(transport=httpx.MockTransport(signer)) as http:
        identity = await fetch_identity(http, "http://signer/", "t0k", asyncio.Event())
    assert identity is not None and identity.address == bytes.fromhex("ab" * 20)
    assert [r.url.path for r in seen] == ["/sign-orchestrator-info"] * 3
    assert seen[0].headers["authorization"] == "Bearer t0k"


async def test_stop_ends_the_wait() -> None:
    stop = asyncio.Event()

    def down(request: httpx.Request) -> httpx.Response:
        stop.set()
        return httpx.Response(503)

    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as http:
        assert await fetch_identity(http, "http://signer", None, stop) is None
