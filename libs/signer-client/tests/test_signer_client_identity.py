"""The gateway identity from the payment-signer: parsing, retries, off-chain mode, tokens.

The signer is a real local aiohttp server on a free port that answers from a script and
records every request it got.
"""

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
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
IDENTITY = {"address": ADDRESS, "signature": SIG}


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


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None
    at: float


@dataclass
class StubSigner:
    """Answers the next scripted (status, body) per request; `body` is JSON unless it is a
    str (sent as text). Once the script runs out, answers the identity."""

    url: str = ""
    script: list[tuple[int, Any]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.seen.append(
            Seen(request.method, request.path, request.headers.get("Authorization"), time.time())
        )
        status, body = self.script.pop(0) if self.script else (200, IDENTITY)
        self.answered.set()
        if isinstance(body, str):
            return web.Response(status=status, text=body)
        return web.json_response(body, status=status)


@pytest.fixture
async def signer(serve_app: Any) -> StubSigner:
    stub = StubSigner()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", stub.handle)
    stub.url = await serve_app(app)
    return stub


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_empty_signer_url_is_off_chain(http: aiohttp.ClientSession) -> None:
    assert await fetch_identity(http, "", None, asyncio.Event()) == OFF_CHAIN


async def test_the_identity_is_asked_with_the_bearer_token(
    http: aiohttp.ClientSession, signer: StubSigner
) -> None:
    identity = await fetch_identity(http, signer.url + "/", "t0k", asyncio.Event())

    assert identity == GatewayIdentity(bytes.fromhex("ab" * 20), bytes.fromhex("cd" * 65))
    [seen] = signer.seen
    assert (seen.method, seen.path, seen.authorization) == (
        "POST",
        "/sign-orchestrator-info",
        "Bearer t0k",
    )


async def test_no_token_sends_no_authorization(
    http: aiohttp.ClientSession, signer: StubSigner
) -> None:
    assert await fetch_identity(http, signer.url, None, asyncio.Event()) is not None
    assert [s.authorization for s in signer.seen] == [None]


async def test_retries_until_the_signer_answers(
    http: aiohttp.ClientSession, signer: StubSigner
) -> None:
    signer.script = [(503, {"error": {"message": "starting"}}), (503, "not json either")]

    identity = await fetch_identity(http, signer.url, "t0k", asyncio.Event())

    assert identity is not None and identity.address == bytes.fromhex("ab" * 20)
    assert [s.path for s in signer.seen] == ["/sign-orchestrator-info"] * 3
    assert {s.authorization for s in signer.seen} == {"Bearer t0k"}
    gaps = [b.at - a.at for a, b in zip(signer.seen, signer.seen[1:], strict=False)]
    assert gaps[0] >= 0.45 and gaps[1] >= 0.95, "backoff doubles from 0.5 s"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((200, "not json"), id="not JSON"),
        pytest.param((200, {"address": ADDRESS}), id="no signature"),
        pytest.param((200, {"address": ADDRESS, "signature": SIG[:-2]}), id="short signature"),
    ],
)
async def test_an_invalid_answer_is_asked_again(
    http: aiohttp.ClientSession, signer: StubSigner, answer: tuple[int, Any]
) -> None:
    signer.script = [answer]

    identity = await fetch_identity(http, signer.url, None, asyncio.Event())

    assert identity is not None and identity.sig == bytes.fromhex("cd" * 65)
    assert len(signer.seen) == 2


async def test_an_unreachable_signer_is_asked_again(http: aiohttp.ClientSession) -> None:
    stop = asyncio.Event()
    waiting = asyncio.create_task(fetch_identity(http, _closed_port_url(), None, stop))
    await asyncio.sleep(0.8)
    assert not waiting.done(), "still asking"

    stop.set()

    assert await asyncio.wait_for(waiting, timeout=3) is None


async def test_stop_ends_the_wait(http: aiohttp.ClientSession, signer: StubSigner) -> None:
    signer.script = [(503, {"error": {"message": "down"}})] * 100
    stop = asyncio.Event()
    waiting = asyncio.create_task(fetch_identity(http, signer.url, None, stop))
    await asyncio.wait_for(signer.answered.wait(), timeout=3)

    stop.set()

    assert await asyncio.wait_for(waiting, timeout=2) is None
    assert len(signer.seen) == 1, "no call after stop"


def _closed_port_url() -> str:
    """A URL on a port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"
