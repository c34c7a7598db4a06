"""A service waits at start-up until NATS answers, and can be stopped while it waits."""

import asyncio
from pathlib import Path

from lpgw.bus import Names, connect_until_stopped
from lpgw.stack.ports import free_port
from lpgw.stack.process import Supervisor
from lpgw.stack.servers import start_nats


async def test_connects_and_declares_streams_once_nats_comes_up(tmp_path: Path) -> None:
    port = free_port()
    names = Names("tconnect")
    stop = asyncio.Event()
    with Supervisor(log_dir=tmp_path) as supervisor:
        waiting = asyncio.create_task(
            connect_until_stopped(
                f"nats://127.0.0.1:{port}",
                names,
                client_name="test",
                stop=stop,
                attempt_timeout_s=0.5,
                retry_pause_s=0.1,
            )
        )
        await asyncio.sleep(1.0)
        assert not waiting.done()
        start_nats(supervisor, tmp_path / "nats", port)  # blocks the loop briefly: fine here
        bus = await asyncio.wait_for(waiting, timeout=20)
        assert bus is not None
        try:
            info = await bus.js.stream_info(names.jobs_stream)
            assert info.config.name == names.jobs_stream
        finally:
            await bus.close()


async def test_returns_none_when_stopped_before_nats_answers() -> None:
    stop = asyncio.Event()
    waiting = asyncio.create_task(
        connect_until_stopped(
            f"nats://127.0.0.1:{free_port()}",
            Names("tnever"),
            client_name="test",
            stop=stop,
            attempt_timeout_s=0.3,
            retry_pause_s=0.1,
        )
    )
    await asyncio.sleep(0.5)
    stop.set()
    assert await asyncio.wait_for(waiting, timeout=5) is None
