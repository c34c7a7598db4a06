"""The shared Redis client: answers readiness pings and survives a Valkey restart."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from lpgw.stack.process import Supervisor
from lpgw.stack.servers import start_valkey
from lpgw.state import Keys, connect, ping


@pytest.fixture
def own_valkey(tmp_path: Path) -> Iterator[tuple[Supervisor, str]]:
    """A private valkey-server this test may restart or kill."""
    with Supervisor(log_dir=tmp_path / "logs") as sup:
        yield sup, start_valkey(sup, tmp_path / "valkey")


async def test_client_reads_and_writes_under_the_prefix(redis: aioredis.Redis, prefix: str) -> None:
    keys = Keys(prefix)
    await redis.set(keys.payment("p1"), "1", ex=60)
    assert await redis.get(keys.payment("p1")) == b"1"
    assert await ping(redis)


async def test_client_works_again_after_valkey_restarts(
    own_valkey: tuple[Supervisor, str],
) -> None:
    sup, url = own_valkey
    client = await connect(url)
    try:
        await client.set("survivor", "yes")
        await asyncio.to_thread(sup.restart, "valkey")
        assert await client.get("survivor") == b"yes"  # kept by the append-only file
        await client.incr("counter")
        assert await ping(client)
    finally:
        await client.aclose()


async def test_ping_is_false_while_valkey_is_down(own_valkey: tuple[Supervisor, str]) -> None:
    sup, url = own_valkey
    client = await connect(url)
    try:
        assert await ping(client)
        await asyncio.to_thread(sup.kill, "valkey")
        assert not await ping(client, within_s=1.0)
        await asyncio.to_thread(sup.restart, "valkey")
        assert await ping(client)
    finally:
        await client.aclose()
