"""Shared fixtures: real NATS and Valkey servers, and per-test isolation by prefix.

Set NATS_URL / REDIS_URL to test against servers you already run; otherwise one nats-server
and one valkey-server are started for the session (in a temporary directory) and stopped at
its end. Every test gets its own `prefix`, so subjects, streams and keys never collide.
"""

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import nats.errors
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from lpgw.bus import Bus, Names
from lpgw.stack.process import Supervisor
from lpgw.stack.servers import start_nats, start_valkey
from lpgw.state import connect
from nats.js.errors import NotFoundError


@pytest.fixture(scope="session")
def supervisor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervisor]:
    """Children started here (servers, services, orchestrators) stop when the session ends."""
    with Supervisor(log_dir=tmp_path_factory.mktemp("logs")) as sup:
        yield sup


@pytest.fixture(scope="session")
def nats_url(supervisor: Supervisor, tmp_path_factory: pytest.TempPathFactory) -> str:
    external = os.environ.get("NATS_URL")
    if external:
        return external
    return start_nats(supervisor, tmp_path_factory.mktemp("nats"))


@pytest.fixture(scope="session")
def redis_url(supervisor: Supervisor, tmp_path_factory: pytest.TempPathFactory) -> str:
    external = os.environ.get("REDIS_URL")
    if external:
        return external
    return start_valkey(supervisor, tmp_path_factory.mktemp("valkey"))


@pytest.fixture
def prefix() -> str:
    """Unique per test: "t" + 8 hex digits (valid in subjects, stream names and keys)."""
    return "t" + uuid.uuid4().hex[:8]


@pytest.fixture
async def bus(nats_url: str, prefix: str) -> AsyncIterator[Bus]:
    """A connected Bus for this test's prefix, streams declared; its streams go at teardown."""
    names = Names(prefix)
    connected = await Bus.connect(nats_url, names, client_name=f"test-{prefix}")
    await connected.declare()
    try:
        yield connected
    finally:
        await connected.close(grace_s=2.0)
        await _delete_streams(nats_url, names)


async def _delete_streams(nats_url: str, names: Names) -> None:
    cleaner = await Bus.connect(nats_url, names, client_name="test-cleanup", connect_timeout=5.0)
    try:
        for stream in (
            names.jobs_stream,
            names.results_stream,
            names.outcomes_stream,
            names.audit_stream,
            names.media_stream,
            f"OBJ_{names.media_bucket}",
            names.video_input_stream,
            names.video_media_stream,
            f"OBJ_{names.video_media_bucket}",
        ):
            with contextlib.suppress(NotFoundError, nats.errors.Error):
                await cleaner.js.delete_stream(stream)
    finally:
        await cleaner.close(grace_s=1.0)


@pytest.fixture
async def redis(redis_url: str, prefix: str) -> AsyncIterator[aioredis.Redis]:
    """A client; the keys under this test's prefix are deleted afterwards."""
    client = await connect(redis_url)
    try:
        yield client
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


ServeApp = Callable[[web.Application], Awaitable[str]]


@pytest.fixture
async def serve_app() -> AsyncIterator[ServeApp]:
    """serve_app(app) -> its base URL: an aiohttp app on a free loopback port, for stand-ins of
    other services (signer, orchestrator); stopped when the test ends."""
    runners: list[web.AppRunner] = []

    async def serve(app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    try:
        yield serve
    finally:
        for runner in runners:
            await runner.cleanup()
