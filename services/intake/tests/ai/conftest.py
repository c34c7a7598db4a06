"""What the AI and BYOC route tests share, handed out as fixtures (with `--import-mode=importlib`
test modules cannot import each other): intake's settings, a running intake (in process through
httpx's ASGI transport, or under uvicorn on a free port when a test needs a real connection),
the session's part played over the real NATS, and small real media files.
"""

import asyncio
import contextlib
import io
import socket
import wave
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from lpgw.blobs import BlobStore
from lpgw.bus import AiJob, Bus, JobResult, Received
from lpgw.intake.app import create_app
from lpgw.intake.settings import IntakeSettings
from PIL import Image

MEDIA_BASE = "https://media.example"
WAIT_S = 5.0
"""The longest any test waits for something that should come at once."""


# Settings and a running intake ------------------------------------------------------------------


@pytest.fixture
def ai_settings(nats_url: str, redis_url: str, prefix: str) -> Callable[..., IntakeSettings]:
    """`ai_settings(**overrides)`: intake on this test's prefix, the open gate, RTMP on a free
    port, results prefixed with `MEDIA_BASE`."""

    def make(**overrides: Any) -> IntakeSettings:
        values: dict[str, Any] = {
            "nats_url": nats_url,
            "redis_url": redis_url,
            "bus_prefix": prefix,
            "intake_media_base_url": MEDIA_BASE,
            "intake_request_timeout_s": 10.0,
            "intake_rtmp_port": 0,
            "intake_ai_auth": "none",
            **overrides,
        }
        return IntakeSettings.model_validate(values)

    return make


@dataclass
class AiIntake:
    client: httpx.AsyncClient
    app: FastAPI

    @property
    def bus(self) -> Bus:
        """Intake's own bus connection."""
        bus: Bus = self.app.state.bus
        return bus


StartIntake = Callable[..., contextlib.AbstractAsyncContextManager[AiIntake]]


@pytest.fixture
def ai_intake(bus: Bus, redis: Any, ai_settings: Callable[..., IntakeSettings]) -> StartIntake:
    """`async with ai_intake(**settings) as intake:` the app with its lifespan running and an
    httpx client for it (in process: whole responses only). Uses `bus` and `redis` so this
    test's streams and keys are removed afterwards."""

    @contextlib.asynccontextmanager
    async def running(**overrides: Any) -> AsyncIterator[AiIntake]:
        app = create_app(ai_settings(**overrides))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
                yield AiIntake(client, app)

    return running


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the test process keeps its own signal handlers

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()


ServeIntake = Callable[..., contextlib.AbstractAsyncContextManager[str]]


@pytest.fixture
def served_intake(bus: Bus, redis: Any, ai_settings: Callable[..., IntakeSettings]) -> ServeIntake:
    """`async with served_intake(**settings) as base_url:` intake under uvicorn on a free
    loopback port, for tests that need bytes to arrive as they are sent, or a client that
    really goes away."""

    @contextlib.asynccontextmanager
    async def running(**overrides: Any) -> AsyncIterator[str]:
        app = create_app(ai_settings(**overrides))
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
        server = _Server(config)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        try:
            async with asyncio.timeout(WAIT_S * 2):
                await server.listening.wait()
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        finally:
            server.should_exit = True
            await serving
            listener.close()

    return running


# The session's part -----------------------------------------------------------------------------

Respond = Callable[[AiJob], Awaitable[JobResult | None]]


@dataclass
class Session:
    """Jobs as the session receives them; `respond` answers each (None: answer later with
    `finish`)."""

    bus: Bus
    respond: Respond
    jobs: asyncio.Queue[AiJob] = field(default_factory=asyncio.Queue)

    async def next_job(self, within_s: float = WAIT_S) -> AiJob:
        return await asyncio.wait_for(self.jobs.get(), within_s)

    async def finish(self, job: AiJob, result: JobResult) -> None:
        """Store the job's result where the intake that waits for it looks."""
        subject = self.bus.names.result(job.inbox, job.job_id)
        await self.bus.publish(subject, result, msg_id=job.job_id)

    async def _handle(self, job: AiJob, delivery: Received) -> None:
        await self.jobs.put(job)
        result = await self.respond(job)
        if result is not None:
            await self.finish(job, result)


PlaySession = Callable[[Respond], Awaitable[Session]]


@pytest.fixture
def play_session(bus: Bus) -> PlaySession:
    """`session = await play_session(respond)`: consume AI jobs as the session does."""

    async def start(respond: Respond) -> Session:
        session = Session(bus, respond)
        await bus.consume(
            stream=bus.names.jobs_stream,
            durable=bus.names.session_consumer,
            filter_subject=bus.names.ai_jobs,
            model=AiJob,
            handler=session._handle,
        )
        return session

    return start


@pytest.fixture
def jobs_published(bus: Bus) -> Callable[[], Awaitable[int]]:
    """`await jobs_published()`: how many jobs were ever stored in this prefix's JOBS stream."""

    async def count() -> int:
        info = await bus.js.stream_info(bus.names.jobs_stream)
        return int(info.state.last_seq)

    return count


@pytest.fixture
async def inputs_store(bus: Bus) -> BlobStore:
    """The media store intake puts uploads in, to read them back."""
    return await BlobStore.open(bus.nc, bus.names, ttl_s=3600)


# Small real media -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Samples:
    png: Callable[[int, int], bytes]
    jpeg: Callable[[int, int], bytes]
    wav: Callable[[float], bytes]


def _image(width: int, height: int, kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 20)).save(buffer, format=kind)
    return buffer.getvalue()


def _wav(seconds: float, rate: int = 16_000) -> bytes:
    """Mono 16-bit PCM silence lasting `seconds`."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * round(seconds * rate))
    return buffer.getvalue()


@pytest.fixture(scope="session")
def samples() -> Samples:
    """`samples.png(width, height)`, `samples.jpeg(width, height)`, `samples.wav(seconds)`."""
    return Samples(
        png=lambda width, height: _image(width, height, "PNG"),
        jpeg=lambda width, height: _image(width, height, "JPEG"),
        wav=_wav,
    )
