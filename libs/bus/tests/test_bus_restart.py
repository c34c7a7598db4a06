"""The bus rides out a NATS restart: publishing and consuming work again afterwards."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lpgw.bus import AiJob, Bus, Names, Received
from lpgw.stack.process import Supervisor
from lpgw.stack.servers import start_nats


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[tuple[Supervisor, str]]:
    """A private nats-server this test may restart without disturbing the others."""
    with Supervisor(log_dir=tmp_path / "logs") as sup:
        yield sup, start_nats(sup, tmp_path / "nats")


def job(job_id: str) -> AiJob:
    now = time.time()
    return AiJob(
        inbox="intake1",
        job_id=job_id,
        pipeline="text-to-image",
        model_id="m",
        request={},
        submitted_at=now,
        deadline=now + 60,
    )


async def test_publish_and_consume_work_after_nats_restarts(
    own_nats: tuple[Supervisor, str],
) -> None:
    sup, url = own_nats
    names = Names("restart")
    bus = await Bus.connect(url, names, client_name="restart-test")
    try:
        await bus.declare()
        handled: asyncio.Queue[str] = asyncio.Queue()

        async def handle(event: AiJob, delivery: Received) -> None:
            await handled.put(event.job_id)

        await bus.consume(
            stream=names.jobs_stream,
            durable=names.session_consumer,
            filter_subject=names.ai_jobs,
            model=AiJob,
            handler=handle,
            ack_wait=2.0,
        )
        await bus.publish(names.ai_job("text-to-image"), job("before"))
        assert await asyncio.wait_for(handled.get(), 5) == "before"

        await asyncio.to_thread(sup.restart, "nats")

        await bus.publish(names.ai_job("text-to-image"), job("after"))
        assert await asyncio.wait_for(handled.get(), 20) == "after"
        assert bus.is_connected
    finally:
        await bus.close(grace_s=2.0)
