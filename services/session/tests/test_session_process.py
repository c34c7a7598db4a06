"""The lpgw-session process: works a job from JOBS, exits cleanly on SIGTERM."""

import asyncio
import contextlib
import datetime
import os
import ssl
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from lpgw.bus import Bus
from lpgw.bus.events import AiJob, JobResult
from lpgw.devnet.certificates import self_signed
from lpgw.devnet.certificates import write as write_certificates
from lpgw.devnet.launcher import RunningDevnet
from lpgw.stack.logged import LoggedProcess
from lpgw.stack.ports import free_port

pytestmark = pytest.mark.integration

INBOX = "intake1"


@contextlib.contextmanager
def _session(
    nats_url: str, redis_url: str, prefix: str, **env: str
) -> Iterator[tuple[LoggedProcess, int]]:
    """An lpgw-session process (off-chain unless `env` names a signer), killed at the end."""
    port = free_port()
    variables = {
        **os.environ,
        "NATS_URL": nats_url,
        "REDIS_URL": redis_url,
        "BUS_PREFIX": prefix,
        "HTTP_PORT": str(port),
        "SIGNER_URL": "",
        "SESSION_ACK_WAIT_S": "6",
        **env,
    }
    argv = [sys.executable, "-c", "from lpgw.session.main import main; main()"]
    with LoggedProcess(argv, variables) as process:
        yield process, port


@pytest.fixture
def session_process(
    nats_url: str, redis_url: str, prefix: str
) -> Iterator[tuple[LoggedProcess, int]]:
    with _session(nats_url, redis_url, prefix) as started:
        yield started


async def _until_ready(port: int) -> None:
    async with httpx.AsyncClient() as http, asyncio.timeout(20):
        while True:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def test_session_process_works_a_job_and_stops(
    session_process: tuple[LoggedProcess, int],
    bus: Bus,
    devnet: RunningDevnet,
    offered: list[str],
    t2i_job: Callable[..., AiJob],
) -> None:
    offered[:] = [devnet.url]
    process, port = session_process
    await _until_ready(port)
    job = t2i_job("pjob1", prompt="a boat", width=32, height=32)
    await bus.publish(bus.names.ai_job("text-to-image"), job, msg_id=job.job_id)

    result = await bus.wait_for(
        bus.names.result(INBOX, "pjob1"), JobResult, timeout=20, stream=bus.names.results_stream
    )
    assert result.ok
    assert result.response is not None
    assert result.response["images"][0]["url"] == "/stream/pjob1/0.png"

    assert await asyncio.to_thread(process.stop, 30) == 0, process.output()


@dataclass
class TlsListener:
    """A TLS server with a self-signed certificate that records the bytes of every connection
    whose handshake succeeded."""

    port: int = 0
    received: list[bytes] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            self.received.append(await reader.read(4096))
        finally:
            writer.close()


@pytest.fixture
async def tls_listener(tmp_path: Path) -> AsyncIterator[TlsListener]:
    certificate, key = self_signed("127.0.0.1", datetime.datetime.now(datetime.UTC))
    files = write_certificates(tmp_path, certificate, key)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.certfile, files.keyfile)
    listener = TlsListener()
    server = await asyncio.start_server(listener.handle, "127.0.0.1", 0, ssl=context)
    listener.port = server.sockets[0].getsockname()[1]
    try:
        yield listener
    finally:
        server.close()
        await server.wait_closed()


async def test_the_signer_token_goes_only_over_a_verified_connection(
    nats_url: str, redis_url: str, prefix: str, tmp_path: Path, tls_listener: TlsListener
) -> None:
    signer = {"SIGNER_URL": f"https://127.0.0.1:{tls_listener.port}", "SIGNER_TOKEN": "secret"}
    with _session(nats_url, redis_url, prefix, **signer) as (process, _):
        async with asyncio.timeout(20):
            await process.until_event("signer_unavailable")

    assert tls_listener.received == [], "nothing is sent to a signer whose certificate fails"
