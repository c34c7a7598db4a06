"""The `lpgw-delivery` process: serves stored media over real HTTP and stops on SIGTERM."""

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest
from lpgw.blobs import BlobStore
from lpgw.bus import Bus

pytestmark = pytest.mark.integration

SCRIPT = Path(sys.executable).parent / "lpgw-delivery"


async def next_event(process: asyncio.subprocess.Process, event: str) -> dict[str, object]:
    assert process.stderr is not None
    async with asyncio.timeout(20):
        while True:
            line = await process.stderr.readline()
            assert line, f"process ended before logging {event}"
            record: dict[str, object] = json.loads(line)
            if record["event"] == event:
                return record


async def test_serves_media_until_sigterm(bus: Bus, nats_url: str, prefix: str) -> None:
    store = await BlobStore.open(bus.nc, bus.names, ttl_s=60)
    await store.put("job1/0.png", b"\x89PNG not really", "image/png")
    env = {**os.environ, "NATS_URL": nats_url, "BUS_PREFIX": prefix, "HTTP_PORT": "0"}
    process = await asyncio.create_subprocess_exec(
        str(SCRIPT), env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        listening = await next_event(process, "http_listening")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{listening['port']}") as client:
            response = await client.get("/stream/job1/0.png")
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            status = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert response.status_code == 200
    assert response.content == b"\x89PNG not really"
    assert status == 0
