"""The `lpgw-intake` process: waits for NATS, serves, and exits cleanly on SIGTERM."""

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

SCRIPT = Path(sys.executable).parent / "lpgw-intake"


@asynccontextmanager
async def intake_process(
    nats_url: str, prefix: str, redis_url: str = "redis://127.0.0.1:1/0"
) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {
        **os.environ,
        "NATS_URL": nats_url,
        "REDIS_URL": redis_url,
        "BUS_PREFIX": prefix,
        "HTTP_PORT": "0",
        "INTAKE_RTMP_PORT": "0",
    }
    process = await asyncio.create_subprocess_exec(
        str(SCRIPT), env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def next_event(process: asyncio.subprocess.Process, event: str) -> dict[str, object]:
    assert process.stderr is not None
    async with asyncio.timeout(20):
        while True:
            line = await process.stderr.readline()
            assert line, f"process ended before logging {event}"
            record: dict[str, object] = json.loads(line)
            if record["event"] == event:
                return record


async def test_serves_until_sigterm(nats_url: str, redis_url: str, prefix: str) -> None:
    async with intake_process(nats_url, prefix, redis_url) as process:
        listening = await next_event(process, "http_listening")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{listening['port']}") as client:
            ready = await client.get("/readyz")
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            status = await process.wait()
    assert ready.status_code == 200
    assert status == 0


async def test_waits_for_nats_and_still_stops_on_sigterm(prefix: str) -> None:
    async with intake_process("nats://127.0.0.1:1", prefix) as process:
        await next_event(process, "nats_unavailable")
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            status = await process.wait()
    assert status == 0
