"""The lpgw-session process: works a job from JOBS, exits cleanly on SIGTERM."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from lpgw.bus import Bus
from lpgw.bus.events import AiJob, Candidate, JobResult, SelectionReply, SelectionRequest
from lpgw.devnet.launcher import RunningDevnet
from lpgw.stack.ports import free_port

pytestmark = pytest.mark.integration

MODEL = "stabilityai/sdxl-turbo"


@pytest.fixture
async def stub_selector(bus: Bus, devnet: RunningDevnet) -> AsyncIterator[None]:
    async def answer(request: SelectionRequest) -> SelectionReply:
        candidate = Candidate(
            url=devnet.url, address="", price_per_unit=0, pixels_per_unit=1, latency_ms=1, score=1
        )
        return SelectionReply(candidates=[candidate])

    sub = await bus.serve(bus.names.select, bus.names.selector_queue, SelectionRequest, answer)
    try:
        yield
    finally:
        await sub.unsubscribe()


@pytest.fixture
def session_process(
    nats_url: str, redis_url: str, prefix: str, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {
        **os.environ,
        "NATS_URL": nats_url,
        "REDIS_URL": redis_url,
        "BUS_PREFIX": prefix,
        "HTTP_PORT": str(port),
        "SIGNER_URL": "",
        "SESSION_ACK_WAIT_S": "6",
    }
    with (tmp_path / "session.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from lpgw.session.main import main; main()"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


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
    session_process: tuple[subprocess.Popen[bytes], int], bus: Bus, stub_selector: None
) -> None:
    process, port = session_process
    await _until_ready(port)
    now = time.time()
    job = AiJob(
        job_id="pjob1",
        pipeline="text-to-image",
        model_id=MODEL,
        request={"prompt": "a boat", "width": 32, "height": 32, "model_id": MODEL},
        submitted_at=now,
        deadline=now + 60,
    )
    await bus.publish(bus.names.ai_job("text-to-image"), job, msg_id=job.job_id)

    result = await bus.wait_for(
        bus.names.result("pjob1"), JobResult, timeout=20, stream=bus.names.results_stream
    )
    assert result.ok
    assert result.response is not None
    assert result.response["images"][0]["url"] == "/stream/pjob1/0.png"

    process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(process.wait, 30) == 0
