"""The lpgw-selector process: becomes ready, answers `select` and `orchestrator_list`, exits
cleanly on SIGTERM."""

import asyncio
import os
import sys
from collections.abc import Iterator

import httpx
import pytest
from lpgw.bus import Bus
from lpgw.bus.events import (
    OrchestratorList,
    OrchestratorListRequest,
    SelectionReply,
    SelectionRequest,
)
from lpgw.devnet.launcher import RunningDevnet
from lpgw.stack.logged import LoggedProcess
from lpgw.stack.ports import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def selector_process(
    devnet: RunningDevnet, nats_url: str, redis_url: str, prefix: str
) -> Iterator[tuple[LoggedProcess, int]]:
    port = free_port()
    env = {
        **os.environ,
        "NATS_URL": nats_url,
        "REDIS_URL": redis_url,
        "BUS_PREFIX": prefix,
        "HTTP_PORT": str(port),
        "SIGNER_URL": "",
        "SELECTOR_ORCHESTRATORS": devnet.url,
        "SELECTOR_PROBE_INTERVAL_S": "5",
    }
    argv = [sys.executable, "-c", "from lpgw.selector.main import main; main()"]
    with LoggedProcess(argv, env) as process:
        yield process, port


async def _until_ready(port: int) -> None:
    async with httpx.AsyncClient() as http, asyncio.timeout(20):
        while True:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def test_selector_process_serves_and_stops(
    selector_process: tuple[LoggedProcess, int], bus: Bus, devnet: RunningDevnet
) -> None:
    process, port = selector_process
    await _until_ready(port)
    request = SelectionRequest(
        capability=27, pipeline="text-to-image", model_id="stabilityai/sdxl-turbo"
    )
    async with asyncio.timeout(20):
        while True:
            reply = await bus.request(bus.names.select, request, SelectionReply, timeout=2.0)
            if reply.candidates:
                break
            await asyncio.sleep(0.2)
    assert [c.url for c in reply.candidates] == [devnet.url]
    listed = await bus.request(
        bus.names.orchestrator_list, OrchestratorListRequest(), OrchestratorList, timeout=2.0
    )
    assert [o.url for o in listed.orchestrators] == [devnet.url]

    assert await asyncio.to_thread(process.stop, 15) == 0, process.output()
