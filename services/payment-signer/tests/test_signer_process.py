"""lpgw-payment-signer as operators run it: a real process, real files, real HTTP."""

import asyncio
import hashlib
import json
import os
import signal
import stat
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import redis.asyncio as aioredis
from lpgw.bus import Bus
from lpgw.eth import PrivateKey, recover_sign
from lpgw.eth.keystore import load, save

SIGN = "/sign-orchestrator-info"
pytestmark = pytest.mark.integration


class SignerProcess(Protocol):
    """What these tests use of conftest's SignerProcess (importlib mode cannot import it)."""

    @property
    def pid(self) -> int: ...

    def url(self) -> str: ...

    def wait(self, timeout: float | None = 30.0) -> int: ...

    def stop(self, timeout: float = 15.0) -> int: ...


def sign(url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(url + SIGN, headers=headers, timeout=10)


def test_dev_key_is_created_once_and_reused(
    start_signer: Callable[..., Any], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = start_signer()
    url = first.url()
    assert httpx.get(url + "/healthz", timeout=10).json() == {"status": "ok"}
    token = (data / "token").read_text().strip()
    body = sign(url, token).json()
    assert recover_sign(body["address"].encode(), bytes.fromhex(body["signature"][2:])) == (
        bytes.fromhex(body["address"][2:])
    )
    for name in ("keystore.json", "keystore.password", "token"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    created = first.wait_event("dev_key_created")
    assert created["address"] == body["address"]
    assert first.stop() == 0

    second = start_signer()
    url = second.url()
    assert sign(url, token).json()["address"] == body["address"]
    assert "dev_key_created" not in second.output()
    assert second.stop() == 0


def test_secrets_never_leave_the_process(start_signer: Callable[..., Any], tmp_path: Path) -> None:
    key = PrivateKey.generate()
    password = "pw-" + hashlib.sha256(b"unique").hexdigest()[:20]
    token = "tok-" + hashlib.sha256(b"token").hexdigest()[:20]
    keystore = tmp_path / "prod-key.json"
    save(keystore, key, password, n=2**12)
    proc = start_signer(
        SIGNER_DEV_KEY="false",
        LOG_LEVEL="DEBUG",
        SIGNER_KEYSTORE_PATH=str(keystore),
        SIGNER_KEYSTORE_PASSWORD=password,
        SIGNER_TOKEN_HASHES=hashlib.sha256(token.encode()).hexdigest(),
    )
    url = proc.url()
    responses = [
        sign(url, token),
        sign(url, None),
        sign(url, password),
        httpx.post(url + SIGN, content=b"not json", headers={"Authorization": f"Bearer {token}"}),
        httpx.get(url + "/healthz"),
        httpx.get(url + "/readyz"),
        httpx.get(url + "/metrics"),
        httpx.get(url + "/nothing-here"),
    ]
    assert responses[0].json()["address"] == key.checksum_address
    assert [r.status_code for r in responses] == [200, 401, 401, 400, 200, 200, 200, 404]
    assert proc.stop() == 0
    secret_hex = key.secret_bytes().hex()
    seen = proc.output() + "".join(r.text + json.dumps(dict(r.headers)) for r in responses)
    for secret in (password, secret_hex, secret_hex.upper(), token):
        assert secret not in seen


def test_prod_refuses_the_devnet_chain_without_echoing_secrets(
    start_signer: Callable[..., Any], tmp_path: Path
) -> None:
    keystore = tmp_path / "prod-key.json"
    save(keystore, PrivateKey.generate(), "prod-password-xyz", n=2**10)
    proc = start_signer(
        LPGW_ENV="prod",
        SIGNER_KEYSTORE_PATH=str(keystore),
        SIGNER_KEYSTORE_PASSWORD="prod-password-xyz",
        SIGNER_TOKEN_HASHES=hashlib.sha256(b"prod-token").hexdigest(),
    )
    assert proc.wait() == 2
    reason = proc.wait_event("startup_refused")["reason"]
    assert "SIGNER_CHAIN=devnet is allowed only with LPGW_ENV=dev" in reason
    assert "prod-password-xyz" not in proc.output()


def test_dev_secrets_never_reach_the_logs(start_signer: Callable[..., Any], tmp_path: Path) -> None:
    proc = start_signer(LOG_LEVEL="DEBUG")
    url = proc.url()
    data = tmp_path / "data"
    token = (data / "token").read_text().strip()
    password = (data / "keystore.password").read_text().strip()
    response = sign(url, token)
    assert proc.stop() == 0
    secret_hex = load(data / "keystore.json", password).secret_bytes().hex()
    for secret in (password, secret_hex, token):
        assert secret not in proc.output()
        assert secret not in response.text


def test_auth_disabled_on_all_interfaces_refuses_to_start(
    start_signer: Callable[..., Any],
) -> None:
    proc = start_signer(HTTP_HOST="0.0.0.0", SIGNER_AUTH_DISABLED="true")
    assert proc.wait() != 0
    refused = proc.wait_event("startup_refused")
    assert "SIGNER_AUTH_DISABLED=true is refused" in refused["reason"]
    assert "not a loopback address" in refused["reason"]


def test_exposed_without_token_refuses_to_start(start_signer: Callable[..., Any]) -> None:
    proc = start_signer(HTTP_HOST="0.0.0.0")
    assert proc.wait() != 0
    assert "no bearer token is configured" in proc.wait_event("startup_refused")["reason"]


def test_wrong_password_refuses_to_start_without_echoing_it(
    start_signer: Callable[..., Any], tmp_path: Path
) -> None:
    keystore = tmp_path / "key.json"
    save(keystore, PrivateKey.generate(), "right-password", n=2**10)
    proc = start_signer(
        SIGNER_KEYSTORE_PATH=str(keystore), SIGNER_KEYSTORE_PASSWORD="wrong-password-xyz"
    )
    assert proc.wait() == 2
    reason = proc.wait_event("startup_refused")["reason"]
    assert "keystore password does not unlock the key" in reason
    assert "wrong-password-xyz" not in proc.output()
    assert "right-password" not in proc.output()


class KillOnAnswer:
    """A TCP proxy between a client and the signer process: it forwards the request, and as
    soon as the first byte of the signer's answer reaches it, SIGKILLs the signer and closes
    the client's connection without forwarding anything. The signer has then done all its
    work (signed, audited, stored) and the client never hears of it."""

    def __init__(self, upstream: str, victim: SignerProcess) -> None:
        parsed = httpx.URL(upstream)
        self._host, self._port = parsed.host, parsed.port or 80
        self._victim = victim
        self.killed = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        upstream_r, upstream_w = await asyncio.open_connection(self._host, self._port)

        async def forward() -> None:
            while data := await client_r.read(65536):
                upstream_w.write(data)
                await upstream_w.drain()

        forwarding = asyncio.create_task(forward())
        self._tasks.add(forwarding)
        try:
            first = await upstream_r.read(1)
            assert first, "the signer closed the connection without answering"
            os.killpg(self._victim.pid, signal.SIGKILL)
            self.killed.set()
        finally:
            forwarding.cancel()
            client_w.transport.abort()
            upstream_w.transport.abort()


async def test_a_signer_killed_between_signing_and_answering_pays_once_on_retry(
    start_signer: Callable[..., SignerProcess],
    redis: aioredis.Redis,
    prefix: str,
    signer_bus: Bus,
    helpers: Any,
) -> None:
    env = {"SIGNER_TOKEN_HASHES": helpers.two_clients()[0]}
    first = start_signer(**env)
    url = await asyncio.to_thread(first.url)
    async with httpx.AsyncClient(base_url=url, headers=helpers.AUTH, timeout=30) as direct:
        identity = (await direct.post(SIGN)).json()
        sender = bytes.fromhex(identity["address"][2:])
        orchestrator = helpers.TestOrchestrator()
        info = orchestrator.info(sender, price=(1000, 1))
        opened = await helpers.open_session(direct, info)
    path = helpers.pay_path(opened["session_id"])
    request = {"units": 10_500_000, "idempotency_key": "job-7 segment-3", "job": "job-7"}

    async with (
        KillOnAnswer(url, first) as proxy_url,
        httpx.AsyncClient(base_url=proxy_url, headers=helpers.AUTH, timeout=30) as proxied,
    ):
        with pytest.raises(httpx.TransportError):
            await proxied.post(path, json=request)
    assert await asyncio.to_thread(first.wait) == -signal.SIGKILL

    # What the one payment left: its record, its nonces, its credit, its audit event.
    records = [k async for k in redis.scan_iter(match=f"{prefix}:pm:payment:*")]
    assert len(records) == 1, "the signer was killed after it stored the payment"
    stored = json.loads(await redis.get(records[0]) or b"{}")["answer"]
    assert stored["tickets"] == 12  # the fee needed tickets: 10.5 EV plus one of headroom
    counter = await helpers.nonce_counter(redis, prefix, sender, info)
    credit = await redis.hgetall(helpers.credit_key(prefix, info))
    assert Fraction(credit[b"c"].decode()) == Fraction(stored["credit"])  # type: ignore[union-attr]

    def ticket_events(events: list[Any]) -> list[Any]:
        return [e for e in events if e.route == helpers.PAY_ROUTE]

    assert len(ticket_events(await helpers.audit_events(signer_bus))) == 1

    second = start_signer(**env)  # the same key, Redis and NATS prefix
    url = await asyncio.to_thread(second.url)
    async with httpx.AsyncClient(base_url=url, headers=helpers.AUTH, timeout=30) as direct:
        retried = await direct.post(path, json=request)
    assert retried.status_code == 200, retried.text
    answer = retried.json()
    assert answer["payment_id"] == str(records[0], "ascii").rsplit(":", 1)[1]
    assert answer == stored  # the very tickets signed before the crash
    assert orchestrator.receive(answer["payment"]).credited == 12
    # ... and what it leaves is still what ONE payment leaves.
    left = (
        await helpers.nonce_counter(redis, prefix, sender, info),
        await redis.hgetall(helpers.credit_key(prefix, info)),
        len(ticket_events(await helpers.audit_events(signer_bus))),
    )
    assert left == (counter, credit, 1), "(nonce counter, credit, audit events with tickets)"
    assert await asyncio.to_thread(second.stop) == 0
